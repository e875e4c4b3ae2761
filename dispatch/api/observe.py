"""Every request and socket, seen once from outside the app: request id, log line, metrics.

Plain ASGI (no ``BaseHTTPMiddleware``: no extra task or buffering on a server that takes a
thousand GPS fixes a second), wrapped around the whole stack, security headers and error
middleware included, so a 500 is counted and logged too.

- **Request id**: the client's ``X-Request-ID`` when it is a sane token (at most 128 characters
  of letters, digits, ``.``, ``_``, ``-``; a reverse proxy's id is kept end to end), else a new
  one; echoed in the response's ``X-Request-ID`` and carried by every log line written while
  the request is served (``dispatch.api.logs``).
- **Log line**: one per request (``event="request"``) and one per socket when it closes
  (``event="socket"``), at INFO: method, path (no query string: a hostile client's ``?token=``
  has no way in), route template, status, duration, client address, request id, user. Skipped
  without a cost when INFO is off (``make demo`` and the load bench run at WARNING).
- **Metrics**: latency per route template and status, open sockets per role
  (``dispatch.api.metrics``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dispatch.api.logs import CURRENT, RequestContext
from dispatch.api.metrics import Metrics

log = logging.getLogger("goldenhour.request")

HEADER = b"x-request-id"
_SANE_ID = re.compile(rb"[A-Za-z0-9._-]{1,128}")
#: Socket paths and the role whose sockets they are (``goldenhour_sockets{role}``).
SOCKET_ROLES = {"/ws/console": "console", "/ws/crew": "crew", "/ws/hospital": "hospital"}


def request_id(scope: Scope) -> str:
    """The client's ``X-Request-ID`` when sane, else a fresh random one."""
    for name, value in scope.get("headers") or ():
        if name == HEADER and _SANE_ID.fullmatch(value):
            return str(value.decode("ascii"))
    return uuid.uuid4().hex


class Observe:
    """The middleware; ``templates`` maps an endpoint to the path template it is served at
    (built once from the app's routes: a route of an included router knows only its own part)."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, templates: Callable[[], dict[Any, str]]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self._templates = templates
        self._known: dict[Any, str] | None = None

    def _route(self, scope: Scope) -> str:
        if self._known is None:
            self._known = self._templates()
        endpoint = getattr(scope.get("route"), "endpoint", None)
        template = self._known.get(endpoint) if endpoint is not None else None
        if template is not None:
            return template
        path = str(scope.get("path", ""))
        if path.startswith(("/api/", "/ws/")) or path in ("/metrics", "/healthz", "/readyz"):
            return "unmatched"
        return "static"  # the built front end (one series for every file)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        context = RequestContext(request_id(scope))
        reset = CURRENT.set(context)
        started = time.perf_counter()
        status = 500
        role = SOCKET_ROLES.get(str(scope.get("path", ""))) if kind == "websocket" else None
        opened = False
        echoed = (HEADER, context.request_id.encode("ascii"))

        async def sending(message: Message) -> None:
            nonlocal status, opened
            kind = message["type"]
            if kind == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", ()), echoed]
            elif kind == "websocket.accept":
                status = 101
                if role is not None:
                    opened = True
                    self.metrics.socket_opened(role)
            elif kind == "websocket.close" and not opened:
                status = 403  # refused before it was accepted (the client sees HTTP 403)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - started
            route = self._route(scope)
            if kind == "http":
                self.metrics.request(str(scope.get("method", "")), route, status, seconds)
            elif opened and role is not None:
                self.metrics.socket_closed(role)
            if log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                log.info(
                    "request" if kind == "http" else "socket",
                    extra={
                        "method": scope.get("method", "WS"),
                        "path": scope.get("path", ""),
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "client": client[0] if client else None,
                    },
                )
            CURRENT.reset(reset)
