"""``/ws/console``: a snapshot (or the events since ``?since=``), then every event live, in order.

Bad client frames get an error message and the connection stays open; a console that falls too
far behind is told to resync rather than slowing down the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status

from dispatch.api.auth import Role, read_token
from dispatch.bootstrap import Container
from dispatch.domain import commands as cmd
from dispatch.domain.errors import DomainError
from dispatch.domain.geo import Location
from dispatch.domain.model import Incident, Unit
from dispatch.domain.views import assignment_view, unit_view
from dispatch.hub.hub import Connection, Positions, Resync
from dispatch.services import handlers
from dispatch.services.ports import EventRecord
from dispatch.store import views

router = APIRouter()

CONSOLE_ROLES = {Role.DISPATCHER, Role.SUPERVISOR}


class Sender:
    """Serialises sends from the event pump and the request loop onto one socket."""

    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        self._lock = asyncio.Lock()

    async def __call__(self, message: dict[str, Any]) -> None:
        await self.text(json.dumps(message, separators=(",", ":")))

    async def text(self, encoded: str) -> None:
        """Send a message already encoded (a positions push is encoded once for all sockets)."""
        async with self._lock:
            await self._ws.send_text(encoded)


@router.websocket("/ws/console")
async def console(ws: WebSocket, token: str | None = None, since: int | None = None) -> None:
    container: Container = ws.app.state.container
    principal = None
    if token:
        principal = read_token(token, secret=container.settings.signing_key())
    if principal is None or principal.role not in CONSOLE_ROLES:
        await ws.close(
            code=status.WS_1008_POLICY_VIOLATION, reason="dispatcher or supervisor token required"
        )
        return
    if since is not None and since < 0:
        await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="since must be >= 0")
        return
    await ws.accept()
    send = Sender(ws)
    conn = container.hub.connect()  # before reading, so nothing committed later is missed
    pump: asyncio.Task[None] | None = None
    try:
        if since is None:
            snap = await views.snapshot(container.engine)
            await send(snap.as_message())
            conn.last_seq = snap.seq
        else:
            head = await views.last_seq(container.engine)
            if since > head or head - since > container.settings.max_catch_up_events:
                await send(
                    {
                        "type": "resync",
                        "reason": f"cannot resume from seq {since} "
                        f"(log head {head}); take a fresh snapshot",
                    }
                )
                await ws.close(code=4000, reason="resync")
                return
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


async def _pump(conn: Connection, send: Sender, ws: WebSocket) -> None:
    while True:
        item = await conn.queue.get()
        if isinstance(item, Resync):
            await send({"type": "resync", "reason": "console fell behind; take a fresh snapshot"})
            await ws.close(code=4000, reason="resync")
            return
        if isinstance(item, Positions):
            await send.text(item.text or json.dumps(item.message, separators=(",", ":")))
            continue
        if item.seq <= conn.last_seq:
            continue
        await send(item.as_message())
        conn.last_seq = item.seq


async def _requests(ws: WebSocket, send: Sender) -> None:
    async for message in messages(ws, send):
        if message["type"] == "ping":
            await send({"type": "pong"})
        else:
            await send(
                {
                    "type": "error",
                    "code": "unknown-message",
                    "detail": f"unknown message type {message['type']!r}",
                }
            )


async def messages(ws: WebSocket, send: Sender) -> AsyncIterator[dict[str, Any]]:
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
            await send({"type": "error", "code": "invalid-json", "detail": f"not JSON: {exc}"})
            continue
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await send(
                {
                    "type": "error",
                    "code": "invalid-message",
                    "detail": 'expected an object with a "type" field',
                }
            )
            continue
        yield message


@dataclass
class _CrewState:
    """What the crew socket tracks between events: the unit's incident and an unconfirmed order."""

    unit_id: int
    incident_id: int | None = None
    pending_order: dict[str, Any] | None = None

    def wants(self, record: EventRecord) -> bool:
        return record.unit_id == self.unit_id or (
            record.incident_id is not None and record.incident_id == self.incident_id
        )


@router.websocket("/ws/crew")
async def crew(ws: WebSocket, token: str | None = None) -> None:
    """A crew's own stream: its unit, its order (resent until acknowledged), its incident."""
    container: Container = ws.app.state.container
    principal = None
    if token:
        principal = read_token(token, secret=container.settings.signing_key())
    if principal is None or principal.role is not Role.CREW or principal.unit_id is None:
        await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="crew token required")
        return
    await ws.accept()
    send = Sender(ws)
    state = _CrewState(unit_id=principal.unit_id)
    conn = container.hub.connect(wants=state.wants, positions=False)
    tasks: list[asyncio.Task[None]] = []
    try:
        seq, unit, incident = await views.crew_snapshot(container.engine, state.unit_id)
        state.incident_id = unit.incident_id
        assignment = None
        if incident is not None:
            assignment = _assignment(container, unit, incident)
            if unit.awaiting_acknowledgement:
                state.pending_order = {"type": "order", **assignment}
        await send(
            {"type": "snapshot", "seq": seq, "unit": unit_view(unit), "assignment": assignment}
        )
        conn.last_seq = seq
        tasks = [
            asyncio.create_task(_crew_pump(conn, state, send, ws, container)),
            asyncio.create_task(_resend_orders(state, send, container.settings.order_resend_s)),
        ]
        await _crew_requests(ws, send, state, principal.username, container)
    except WebSocketDisconnect:
        pass
    finally:
        container.hub.disconnect(conn)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _assignment(container: Container, unit: Unit, incident: Incident) -> dict[str, Any]:
    roads = container.deps.roads
    route = None
    if unit.position is not None:
        try:
            route = roads.route(unit.position, incident.location)
        except DomainError:
            route = None
    return assignment_view(unit, incident, route)


async def _crew_pump(
    conn: Connection, state: _CrewState, send: Sender, ws: WebSocket, container: Container
) -> None:
    while True:
        item = await conn.queue.get()
        if isinstance(item, Resync):
            await send({"type": "resync", "reason": "fell behind; reconnect"})
            await ws.close(code=4000, reason="resync")
            return
        if isinstance(item, Positions) or item.seq <= conn.last_seq:
            continue
        unit_data = item.data.get("unit")
        if item.unit_id == state.unit_id and isinstance(unit_data, dict):
            state.incident_id = unit_data.get("incident_id")
        await send(item.as_message())
        conn.last_seq = item.seq
        if item.name == "UnitAssigned" and item.unit_id == state.unit_id:
            _, unit, incident = await views.crew_snapshot(container.engine, state.unit_id)
            if incident is not None and unit.awaiting_acknowledgement:
                state.pending_order = {"type": "order", **_assignment(container, unit, incident)}
                await send(state.pending_order)
        elif item.name == "OrderAcknowledged" or (
            item.name == "UnitStatusChanged"
            and item.unit_id == state.unit_id
            and isinstance(unit_data, dict)
            and unit_data.get("acknowledged_at")
        ):
            state.pending_order = None


async def _resend_orders(state: _CrewState, send: Sender, every_s: float) -> None:
    """An order nobody confirmed is sent again every 10 s (the radio operator's "how copy?")."""
    while True:
        await asyncio.sleep(every_s)
        if state.pending_order is not None:
            await send({**state.pending_order, "resent": True})


async def _crew_requests(
    ws: WebSocket, send: Sender, state: _CrewState, actor: str, container: Container
) -> None:
    async for message in messages(ws, send):
        if message["type"] == "ping":
            await send({"type": "pong"})
        elif message["type"] == "position":
            await _crew_position(message, send, state, actor, container)
        elif message["type"] == "ack":
            order_id = message.get("order_id")
            if not isinstance(order_id, int) or isinstance(order_id, bool):
                await send(
                    {
                        "type": "error",
                        "code": "invalid-message",
                        "detail": "ack needs an integer order_id",
                    }
                )
                continue
            try:
                unit = await handlers.acknowledge_order(
                    cmd.AcknowledgeOrder(actor=actor, unit_id=state.unit_id, order_id=order_id),
                    container.deps,
                )
            except DomainError as exc:
                await send({"type": "error", "code": exc.code, "detail": exc.detail})
                continue
            state.pending_order = None
            await send(
                {
                    "type": "acked",
                    "order_id": order_id,
                    "acknowledged_at": unit_view(unit)["acknowledged_at"],
                }
            )
        else:
            await send(
                {
                    "type": "error",
                    "code": "unknown-message",
                    "detail": f"unknown message type {message['type']!r}",
                }
            )


async def _crew_position(
    message: dict[str, Any], send: Sender, state: _CrewState, actor: str, container: Container
) -> None:
    """A GPS fix over the crew socket: the cheap path for a fleet reporting every second (no HTTP
    request, no token check per fix). Answered once it is stored, so the device may drop it."""
    try:
        location = Location.from_lonlat(message.get("position") or [])
        reported_at = None
        if message.get("reported_at") is not None:
            reported_at = datetime.fromisoformat(str(message["reported_at"]))
            if reported_at.tzinfo is None:
                raise ValueError("reported_at needs a UTC offset")
        unit = await handlers.report_position(
            cmd.ReportPosition(
                actor=actor, unit_id=state.unit_id, location=location, reported_at=reported_at
            ),
            container.deps,
        )
    except DomainError as exc:
        await send({"type": "error", "code": exc.code, "detail": exc.detail})
        return
    except (TypeError, ValueError) as exc:
        await send({"type": "error", "code": "invalid-message", "detail": f"bad position: {exc}"})
        return
    await send(
        {
            "type": "position-stored",
            "reported_at": message.get("reported_at"),
            "position": None if unit.position is None else unit.position.as_lonlat(),
        }
    )
