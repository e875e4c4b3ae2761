"""What a socket must show before it is accepted: an allowed ``Origin`` and a token offered as a
subprotocol (``dispatch.socket_protocol``), never in the URL.

``Origin``: a browser always sends it on a WebSocket handshake (RFC 6455 section 4.1), and any
page the user has open can make the browser open a socket to us (cross-site WebSocket hijacking).
So a socket whose ``Origin`` is neither this server itself (scheme, host and port as the request
reached us: the ``Host`` header, ``ws``/``wss`` as ``http``/``https``) nor in
``GOLDENHOUR_ALLOWED_ORIGINS`` is refused. A handshake without ``Origin`` is not a browser's
(the demo traffic, crews' test bots, the load bench, the tests); it cannot be used from another
site, and it is allowed unless ``GOLDENHOUR_SOCKETS_WITHOUT_ORIGIN=false`` (a deployment with
browser clients only). ``Origin: null`` (sandboxed frames, ``file:`` pages) is always refused.

Tokens: a ``?token=`` in the URL is refused outright, not read (there is no setting to allow
it): a token in a URL is written to access logs and proxy logs whatever we do afterwards, every
client in the repository offers the subprotocol, and an old client learns at once rather than
leaking tokens for as long as a setting stays on. The access log redacts both anyway
(``dispatch.api.access_log``).

A refusal is raised as ``WebSocketException`` by ``dispatch.api.deps.authorize``, before the
socket is accepted: the client sees HTTP 403.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import HTTPConnection

from dispatch.socket_protocol import bearer_token, normal_origin

_WEB_SCHEME = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


class Refused(Exception):
    """A handshake this server does not take; the message says why (sent as the close reason)."""


def own_origin(connection: HTTPConnection) -> str | None:
    """The origin this request was addressed to: its scheme and its ``Host`` header."""
    scheme = _WEB_SCHEME.get(connection.url.scheme)
    host = connection.headers.get("host")
    if scheme is None or not host:
        return None
    return normal_origin(f"{scheme}://{host}")


def check_origin(
    connection: HTTPConnection, allowed: Iterable[str], *, without_origin: bool
) -> None:
    """Raise :class:`Refused` unless the socket's ``Origin`` is this server's own or ``allowed``
    (or absent, when ``without_origin``)."""
    origin = connection.headers.get("origin")
    if origin is None:
        if without_origin:
            return
        raise Refused("an Origin header is required")
    mine = normal_origin(origin)
    if mine is not None and (
        mine == own_origin(connection) or mine in {normal_origin(a) for a in allowed}
    ):
        return
    raise Refused("origin not allowed")


def socket_token(connection: HTTPConnection) -> str | None:
    """The access token offered as the ``bearer.<token>`` subprotocol; a ``token`` in the query
    string is refused (see the module docstring)."""
    if "token" in connection.query_params:
        raise Refused(
            "a token in the URL is refused: offer it as the subprotocol bearer.<token> "
            "(Sec-WebSocket-Protocol)"
        )
    offered: list[str] = connection.scope.get("subprotocols") or []
    return bearer_token(offered)
