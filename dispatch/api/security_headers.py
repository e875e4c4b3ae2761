"""Security headers on every HTTP answer: the pages, the API, problems and even a 500.

Why these: the console, crew app and review screens show what callers said, so a script slipped
into an incident must not run (``Content-Security-Policy`` allows scripts, styles and
connections from this server only, and no inline script); no other site may frame a console to
trick a dispatcher into clicks (``frame-ancestors 'none'``, and ``X-Frame-Options`` for old
browsers); a browser must not guess a JSON or CSV answer to be HTML (``nosniff``); and no URL
(an incident id, a search) leaves with a Referer.

What the front end needs, checked in Chromium by the browser tests: MapLibre runs its worker
from a file of ours (``worker-src 'self'``; ``blob:`` for browsers that start it from one), draws
images from ``data:`` and ``blob:`` URLs, and sets styles only through the DOM, which CSP allows
without ``'unsafe-inline'``. The sockets are same-origin (``connect-src 'self'`` covers ``ws:``
and ``wss:`` to this host). The crew app's service worker is a file of ours too.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response start (a header
    the route set itself is kept). Plain ASGI, not ``BaseHTTPMiddleware``: no extra task and no
    buffering per request on a server that answers GPS fixes every second."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
