"""What every socket session shares: one sender per socket, the client-message loop, clean-up.

Bad client frames get an error message and the connection stays open (a console must survive a
buggy or hostile client). ``ping`` is answered the same way on every socket, and a message type a
session does not know is answered with ``unknown-message``, so the loop lives here once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

Message = dict[str, Any]
#: Handles one well-formed client message of a known ``type``.
Handler = Callable[[Message], Awaitable[None]]

#: Close code of a socket told to take a fresh snapshot (application range 4000-4999).
RESYNC_CLOSE_CODE = 4000


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


async def messages(ws: WebSocket, send: Sender) -> AsyncIterator[Message]:
    """Well-formed client messages; malformed frames are answered with an error and skipped."""
    while True:
        frame = await ws.receive()
        if frame["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(frame.get("code", 1000))
        raw = frame.get("text")
        if raw is None:
            raw = (frame.get("bytes") or b"").decode("utf-8", errors="replace")
        try:
            message = json.loads(raw)
        except json.JSONDecodeError as exc:
            await send.error("invalid-json", f"not JSON: {exc}")
            continue
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await send.error("invalid-message", 'expected an object with a "type" field')
            continue
        yield message


async def serve_requests(
    ws: WebSocket, send: Sender, handlers: Mapping[str, Handler] | None = None
) -> None:
    """Answer client messages until the socket closes: ``ping`` with ``pong``, the session's own
    types with its ``handlers``, anything else with ``unknown-message``."""
    handlers = handlers or {}
    async for message in messages(ws, send):
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


async def cancel(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Stop a session's background tasks; their errors die with the socket."""
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
