"""How a client offers its token when it opens a socket: in ``Sec-WebSocket-Protocol``, never in
the URL.

A browser cannot set headers on a WebSocket, and a token in ``?token=`` ends up in access logs,
proxy logs and the browser's history. The one header a browser script does control is the list of
subprotocols it offers, so a client offers two::

    Sec-WebSocket-Protocol: goldenhour.v1, bearer.<access token>

and the server answers with ``goldenhour.v1`` only (it never echoes the token back). A JWT is
base64url segments joined by dots, all characters an RFC 6455 subprotocol token may hold.

It also spells an ``Origin`` one way (:func:`normal_origin`), for the server's allow-list
(``dispatch.api.handshake``) and the setting that extends it (``dispatch.config``).

Both sides use this module: the server's handshake (``dispatch.api.handshake``, the sessions'
accept in ``dispatch.hub.frames``) and every client in the repository (the demo traffic, the
tests, the load bench); the front end's copy is ``frontend/src/shared/socket.ts``. Standard
library only, so any client can import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

#: The protocol the server selects in its accept; offered first by every client.
SUBPROTOCOL = "goldenhour.v1"
#: Prefix of the subprotocol carrying the access token.
BEARER_PREFIX = "bearer."

#: Close code of a socket whose session ended (logout, deactivation, idle or expired session):
#: the client goes back to its login screen instead of reconnecting.
SESSION_ENDED_CLOSE_CODE = 4401
#: Close code of a socket whose server process is stopping (RFC 6455 1012, "service restart"; a
#: deploy, ``goldenhour serve --workers N`` replacing a worker, SIGTERM): the client reconnects at
#: once (with jitter) and resumes where it was, a console with ``?since=<last seq>``. Another
#: worker on the same port takes it; nothing is missed, the log fills the gap.
SERVICE_RESTART_CLOSE_CODE = 1012
SERVICE_RESTART_REASON = "service restart: reconnect and resume with since"

_DEFAULT_PORTS = {"http": 80, "https": 443}


def offer(token: str) -> list[str]:
    """The subprotocols a client offers: ``websockets.connect(url, subprotocols=offer(token))``."""
    return [SUBPROTOCOL, BEARER_PREFIX + token]


def bearer_token(offered: Iterable[str]) -> str | None:
    """The token among the offered subprotocols, or None when there is none (or it is empty)."""
    for protocol in offered:
        if protocol.startswith(BEARER_PREFIX):
            return protocol[len(BEARER_PREFIX) :] or None
    return None


def selected(offered: Iterable[str]) -> str | None:
    """What the server answers in its accept: :data:`SUBPROTOCOL` when the client offered it
    (a browser fails a handshake whose answer names none of its offers), else nothing."""
    return SUBPROTOCOL if SUBPROTOCOL in offered else None


def normal_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in one spelling (lower case, default port left out), or None for
    anything that is not an http(s) origin (``null``, a path, a user name, garbage)."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in _DEFAULT_PORTS or not host or parts.username or parts.password:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"
