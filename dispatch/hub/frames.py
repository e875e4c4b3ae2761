"""What every socket session shares: one sender per socket, the client-message loop, clean-up.

Bad client frames get an error message and the connection stays open (a console must survive a
buggy or hostile client): not JSON (``invalid-json``), not an object with a ``type``, or text with
a control character other than tab and newline (``invalid-message``). ``ping`` is answered the
same way on every socket, and a message type a session does not know is answered with
``unknown-message``, so the loop lives here once.

Frames no client sends are refused before they are parsed, and the socket is closed (RFC 6455
codes): larger than 64 KiB, 1009 (message too big); JSON nested deeper than 32 levels, 1007
(invalid payload data). Every client message is a flat object of a few hundred bytes; Python's
JSON parser recurses once per level, so a 100,000-deep frame would otherwise end the session
with a RecursionError.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, NoReturn

from fastapi import WebSocket, WebSocketDisconnect

from dispatch.domain.limits import control_character
from dispatch.socket_protocol import selected

Message = dict[str, Any]
#: Handles one well-formed client message of a known ``type``.
Handler = Callable[[Message], Awaitable[None]]

#: Close code of a socket told to take a fresh snapshot (application range 4000-4999).
RESYNC_CLOSE_CODE = 4000

#: The largest client frame taken, in bytes; a larger one closes the socket with 1009.
MAX_FRAME_BYTES = 64 * 1024
#: The deepest JSON nesting taken; a deeper frame closes the socket with 1007.
MAX_DEPTH = 32
TOO_BIG_CLOSE_CODE = 1009  # RFC 6455: message too big
INVALID_DATA_CLOSE_CODE = 1007  # RFC 6455: invalid frame payload data

#: A JSON string (an unterminated one runs to the end, so scanning stays linear) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


async def accept(ws: WebSocket) -> None:
    """Accept the handshake ``authorize`` let through, answering the ``goldenhour.v1``
    subprotocol the client offered: a browser fails a handshake whose answer names none of its
    offers, and the other offer, ``bearer.<token>``, is never echoed back
    (``dispatch.socket_protocol``)."""
    await ws.accept(subprotocol=selected(ws.scope.get("subprotocols") or ()))


class Sender:
    """Serialises sends from the event pump and the request loop onto one socket."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        self._lock = asyncio.Lock()

    async def __call__(self, message: Message) -> None:
        await self.text(json.dumps(message, separators=(",", ":")))

    async def text(self, encoded: str) -> None:
        """Send a message already encoded (a positions push is encoded once for all sockets)."""
        async with self._lock:
            await self._ws.send_text(encoded)

    async def error(self, code: str, detail: str) -> None:
        await self({"type": "error", "code": code, "detail": detail})


async def messages(
    ws: WebSocket, send: Sender, on_message: Callable[[], None] | None = None
) -> AsyncIterator[Message]:
    """Well-formed client messages; malformed frames are answered with an error and skipped,
    oversized or too deeply nested ones close the socket (:data:`TOO_BIG_CLOSE_CODE`,
    :data:`INVALID_DATA_CLOSE_CODE`). ``on_message`` is told of every frame the client sends
    (activity that keeps its login session from going idle: ``dispatch.hub.watch``)."""
    while True:
        frame = await ws.receive()
        if frame["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(frame.get("code", 1000))
        if on_message is not None:
            on_message()
        raw = frame.get("text")
        if raw is None:
            raw = (frame.get("bytes") or b"").decode("utf-8", errors="replace")
        if len(raw) > MAX_FRAME_BYTES or len(raw.encode("utf-8", "replace")) > MAX_FRAME_BYTES:
            await _close(ws, TOO_BIG_CLOSE_CODE, "frame larger than 64 KiB")
        if _too_deep(raw):
            await _close(ws, INVALID_DATA_CLOSE_CODE, f"JSON nested deeper than {MAX_DEPTH}")
        try:
            message = json.loads(raw)
        except json.JSONDecodeError as exc:
            await send.error("invalid-json", f"not JSON: {exc}")
            continue
        except RecursionError:  # cannot happen below MAX_DEPTH; never let it end the session
            await _close(ws, INVALID_DATA_CLOSE_CODE, "JSON nested too deep")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await send.error("invalid-message", 'expected an object with a "type" field')
            continue
        dirty = _control_character(message)
        if dirty is not None:
            await send.error("invalid-message", f"{dirty}: only tab and newline are allowed")
            continue
        yield message


def json_depth(text: str, *, stop_above: int | None = None) -> int:
    """How deeply the arrays and objects of JSON ``text`` nest (brackets inside strings do not
    count), found in one linear scan without parsing; it stops once past ``stop_above``."""
    depth = deepest = 0
    for token in _STRING_OR_BRACKET.finditer(text):
        char = token.group()
        if char in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
            if stop_above is not None and deepest > stop_above:
                break
        elif char in ("]", "}"):
            depth -= 1
    return deepest


def _too_deep(text: str) -> bool:
    # A frame with no more opening brackets than the limit cannot nest deeper (the usual case:
    # counting is done in C, the scan is skipped).
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    return json_depth(text, stop_above=MAX_DEPTH) > MAX_DEPTH


def _control_character(value: object) -> str | None:
    """The first forbidden control character in any string (key or value) of a parsed message;
    the depth limit keeps this recursion short."""
    if isinstance(value, str):
        return control_character(value)
    if isinstance(value, dict):
        items: list[object] = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = _control_character(item)
        if found is not None:
            return found
    return None


async def _close(ws: WebSocket, code: int, reason: str) -> NoReturn:
    """Close the socket with ``code`` and end the session's loop as a disconnect would."""
    with contextlib.suppress(RuntimeError):  # already closed by the client
        await ws.close(code=code, reason=reason)
    raise WebSocketDisconnect(code)


async def serve_requests(
    ws: WebSocket,
    send: Sender,
    handlers: Mapping[str, Handler] | None = None,
    *,
    on_message: Callable[[], None] | None = None,
) -> None:
    """Answer client messages until the socket closes: ``ping`` with ``pong``, the session's own
    types with its ``handlers``, anything else with ``unknown-message``; every frame is told to
    ``on_message`` first."""
    handlers = handlers or {}
    async for message in messages(ws, send, on_message):
        kind = message["type"]
        handler = handlers.get(kind)
        if kind == "ping":
            await send({"type": "pong"})
        elif handler is not None:
            await handler(message)
        else:
            await send.error("unknown-message", f"unknown message type {kind!r}")


async def resync(ws: WebSocket, send: Sender, reason: str) -> None:
    """Tell the client it missed events it cannot get back here, and close: it reconnects."""
    await send({"type": "resync", "reason": reason})
    await ws.close(code=RESYNC_CLOSE_CODE, reason="resync")


async def cancel(tasks: Iterable[asyncio.Task[Any]]) -> None:
    """Stop a session's background tasks; their errors die with the socket."""
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
