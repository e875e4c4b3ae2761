"""``/ws/console``: a snapshot (or the events since ``?since=``), then every event live, in order.

Bad client frames get an error message and the connection stays open; a console that falls too
far behind is told to resync rather than slowing down the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from dispatch.api.auth import Role, read_token
from dispatch.bootstrap import Container
from dispatch.hub.hub import Connection, Resync
from dispatch.store import views

router = APIRouter()

CONSOLE_ROLES = {Role.DISPATCHER, Role.SUPERVISOR}


class _Sender:
    """Serialises sends from the event pump and the request loop onto one socket."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        self._lock = asyncio.Lock()

    async def __call__(self, message: dict[str, Any]) -> None:
        async with self._lock:
            await self._ws.send_text(json.dumps(message, separators=(",", ":")))


@router.websocket("/ws/console")
async def console(ws: WebSocket, token: str | None = None, since: int | None = None) -> None:
    container: Container = ws.app.state.container
    principal = None
    if token:
        principal = read_token(token, secret=container.settings.signing_key())
    if principal is None or principal.role not in CONSOLE_ROLES:
        await ws.close(code=status.WS_1008_POLICY_VIOLATION,
                       reason="dispatcher or supervisor token required")
        return
    if since is not None and since < 0:
        await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="since must be >= 0")
        return
    await ws.accept()
    send = _Sender(ws)
    conn = container.hub.connect()  # before reading, so nothing committed later is missed
    pump: asyncio.Task[None] | None = None
    try:
        if since is None:
            snap = await views.snapshot(container.engine)
            await send(snap.as_message())
            conn.last_seq = snap.seq
        else:
            conn.last_seq = since
            for record in await views.events_after(container.engine, since):
                await send(record.as_message())
                conn.last_seq = record.seq
        pump = asyncio.create_task(_pump(conn, send, ws))
        await _requests(ws, send)
    except WebSocketDisconnect:
        pass
    finally:
        container.hub.disconnect(conn)
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump


async def _pump(conn: Connection, send: _Sender, ws: WebSocket) -> None:
    while True:
        item = await conn.queue.get()
        if isinstance(item, Resync):
            await send({"type": "resync", "reason": "console fell behind; take a fresh snapshot"})
            await ws.close(code=4000, reason="resync")
            return
        if item.seq <= conn.last_seq:
            continue
        await send(item.as_message())
        conn.last_seq = item.seq


async def _requests(ws: WebSocket, send: _Sender) -> None:
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
            await send({"type": "error", "code": "invalid-json", "detail": f"not JSON: {exc}"})
            continue
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await send({"type": "error", "code": "invalid-message",
                        "detail": 'expected an object with a "type" field'})
        elif message["type"] == "ping":
            await send({"type": "pong"})
        else:
            await send({"type": "error", "code": "unknown-message",
                        "detail": f"unknown message type {message['type']!r}"})
