"""The crew session (``/ws/crew``): one unit's own stream, its orders resent until the crew
acknowledges them, and the cheap path for GPS fixes.

A crew sees only events about its unit or the incident the unit works, and the caller's data only
of the incident its unit works now (``_shown``; a call it finished is not its business).

Two kinds of order reach a crew, both numbered from one sequence and acknowledged the same way:
a dispatch order (``{"type": "order", ...}``: go to this incident) and a move-up order
(``{"type": "relocation", ...}``: go and stand by at this station). The unit's current order,
while nobody confirmed it, is pushed again every ``resend_every_s`` (the radio operator's "how
copy?") until an ``ack`` over this socket, a REST ack, or a status change that implies it (an
en-route press) clears it, or a newer order replaces it.

Field times: the device says what its clock reads in ``{"type": "hello", "clock": <ISO 8601>}``
when the socket opens; the difference from the server's clock is the device's offset, applied
to the ``at`` of every ``ack`` on this socket that does not carry its own ``sent_at``
(``dispatch.domain.fieldtime``). The answer ``{"type": "hello", "server_time", "offset_s"}``
lets the device show that its clock is off.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from dispatch.domain import commands as cmd
from dispatch.domain.errors import DomainError
from dispatch.domain.geo import Location
from dispatch.domain.limits import MAX_ID, time_out_of_range
from dispatch.domain.model import Incident, Unit
from dispatch.domain.payloads import assignment_view, unit_view, without_caller
from dispatch.hub.frames import Message, Sender, accept, cancel, resync, serve_requests
from dispatch.hub.hub import Connection, Hub, Positions, Resync, SeesCaller
from dispatch.services import handlers
from dispatch.services.handlers import Deps
from dispatch.services.ports import EventRecord, RoadRoute, Site
from dispatch.store.reads import ReadModel


@dataclass
class CrewSession:
    unit_id: int
    actor: str  # the crew's username, recorded on what it does over this socket
    hub: Hub
    reads: ReadModel
    deps: Deps
    resend_every_s: float
    sees_caller: SeesCaller
    incident_id: int | None = None  # the incident the unit works, followed from its events
    pending_order: dict[str, Any] | None = None  # the last order, until it is acknowledged
    #: told of every client message: activity for the login session (``dispatch.hub.watch``)
    on_message: Callable[[], None] | None = None
    #: the device clock's offset (server minus device) measured at its ``hello``
    clock_offset_s: float | None = None

    def wants(self, record: EventRecord) -> bool:
        return record.unit_id == self.unit_id or (
            record.incident_id is not None and record.incident_id == self.incident_id
        )

    async def run(self, ws: WebSocket) -> None:
        """Serve one authenticated crew device until it disconnects."""
        await accept(ws)
        send = Sender(ws)
        conn = self.hub.connect(wants=self.wants, positions=False)
        tasks: list[asyncio.Task[None]] = []
        try:
            seq, unit, incident = await self.reads.crew_snapshot(self.unit_id)
            self.incident_id = unit.incident_id
            assignment = None
            if incident is not None:
                assignment = self._assignment(unit, incident)
                if unit.awaiting_acknowledgement:
                    self.pending_order = {"type": "order", **assignment}
            relocation = await self._relocation(unit) if unit.on_move_up else None
            if relocation is not None and unit.awaiting_acknowledgement:
                self.pending_order = relocation
            await send(
                {
                    "type": "snapshot",
                    "seq": seq,
                    "unit": unit_view(unit),
                    "assignment": assignment,
                    "relocation": relocation,
                }
            )
            conn.last_seq = seq
            tasks = [
                asyncio.create_task(self._pump(conn, send, ws)),
                asyncio.create_task(self._resend_orders(send)),
            ]
            await serve_requests(
                ws,
                send,
                {
                    "position": lambda m: self._position(m, send),
                    "ack": lambda m: self._ack(m, send),
                    "hello": lambda m: self._hello(m, send),
                },
                on_message=self.on_message,
            )
        except WebSocketDisconnect:
            pass
        finally:
            self.hub.disconnect(conn)
            await cancel(tasks)

    def _assignment(self, unit: Unit, incident: Incident) -> dict[str, Any]:
        """The order as the crew sees it, with a fresh route (none if the unit is off the map)."""
        route = None
        if unit.position is not None:
            try:
                route = self.deps.roads.route(
                    unit.position, incident.location, address=incident.address
                )
            except DomainError:
                route = None
        return self._shown(assignment_view(unit, incident, route), incident.id)

    async def _relocation(self, unit: Unit) -> dict[str, Any] | None:
        """The unit's move-up order as the crew sees it: the station and a fresh road route."""
        station = next((s for s in await self.reads.stations() if s.id == unit.station_id), None)
        if station is None:
            return None
        route = None
        if unit.position is not None:
            try:
                route = self.deps.roads.route(unit.position, station.location)
            except DomainError:
                route = None
        return relocation_view(unit, station, route)

    def _shown(self, payload: dict[str, Any], incident_id: int | None) -> dict[str, Any]:
        """``payload`` about ``incident_id`` as this crew may see it, now."""
        if self.sees_caller(incident_id, self.incident_id):
            return payload
        shown: dict[str, Any] = without_caller(payload)
        return shown

    async def _pump(self, conn: Connection, send: Sender, ws: WebSocket) -> None:
        while True:
            item = await conn.queue.get()
            if isinstance(item, Resync):
                await resync(ws, send, "fell behind; reconnect")
                return
            if isinstance(item, Positions) or item.seq <= conn.last_seq:
                continue
            unit_data = item.data.get("unit")
            ours = (
                unit_data if item.unit_id == self.unit_id and isinstance(unit_data, dict) else None
            )
            if ours is not None:
                self.incident_id = ours.get("incident_id")
            await send(self._shown(item.as_message(), item.incident_id))
            conn.last_seq = item.seq
            if ours is not None and _settles(self.pending_order, ours):
                self.pending_order = None
            if item.name in ("UnitAssigned", "UnitRelocated") and item.unit_id == self.unit_id:
                await self._new_order(send)

    async def _new_order(self, send: Sender) -> None:
        """A new order for our unit: sent now, and again until acknowledged (read back from the
        store, so the crew gets the order as it stands, with a route from where it is now)."""
        _, unit, incident = await self.reads.crew_snapshot(self.unit_id)
        if not unit.awaiting_acknowledgement:
            return
        order = None
        if incident is not None:
            order = {"type": "order", **self._assignment(unit, incident)}
        elif unit.on_move_up:
            order = await self._relocation(unit)
        if order is not None:
            self.pending_order = order
            await send(order)

    async def _resend_orders(self, send: Sender) -> None:
        """An order nobody confirmed is sent again every ``resend_every_s`` (10 s by default)."""
        while True:
            await asyncio.sleep(self.resend_every_s)
            if self.pending_order is not None:
                await send({**self.pending_order, "resent": True})

    async def _ack(self, message: Message, send: Sender) -> None:
        """``{"type": "ack", "order_id": n}``: the same effect as the REST acknowledgement."""
        order_id = message.get("order_id")
        if not isinstance(order_id, int) or isinstance(order_id, bool):
            await send.error("invalid-message", "ack needs an integer order_id")
            return
        if not 1 <= order_id <= MAX_ID:
            await send.error("not-found", f"no order {order_id}")
            return
        try:
            at, sent_at = _reported_at(message.get("at")), _reported_at(message.get("sent_at"))
        except ValueError as exc:
            await send.error("invalid-message", f"bad time: {exc}")
            return
        device = cmd.DeviceTime(
            at=at, sent_at=sent_at, clock_offset_s=None if sent_at else self.clock_offset_s
        )
        try:
            unit = await handlers.acknowledge_order(
                cmd.AcknowledgeOrder(
                    actor=self.actor, unit_id=self.unit_id, order_id=order_id, device=device
                ),
                self.deps,
            )
        except DomainError as exc:
            await send.error(exc.code, exc.detail)
            return
        self.pending_order = None
        await send(
            {
                "type": "acked",
                "order_id": order_id,
                "acknowledged_at": unit_view(unit)["acknowledged_at"],
            }
        )

    async def _hello(self, message: Message, send: Sender) -> None:
        """``{"type": "hello", "clock": <device time>}``: measure the device clock's offset."""
        try:
            clock = _reported_at(message.get("clock"))
        except ValueError as exc:
            await send.error("invalid-message", f"bad clock: {exc}")
            return
        now = self.deps.clock.now()
        self.clock_offset_s = None if clock is None else (now - clock).total_seconds()
        await send(
            {
                "type": "hello",
                "server_time": now.astimezone(UTC).isoformat(),
                "offset_s": None if self.clock_offset_s is None else round(self.clock_offset_s, 3),
            }
        )

    async def _position(self, message: Message, send: Sender) -> None:
        """A GPS fix over the crew socket: the cheap path for a fleet reporting every second (no
        HTTP request, no token check per fix). Answered once stored, so the device may drop it."""
        try:
            location = Location.from_lonlat(message.get("position") or [])
            reported_at = _reported_at(message.get("reported_at"))
            unit = await handlers.report_position(
                cmd.ReportPosition(
                    actor=self.actor,
                    unit_id=self.unit_id,
                    location=location,
                    reported_at=reported_at,
                ),
                self.deps,
            )
        except DomainError as exc:
            await send.error(exc.code, exc.detail)
            return
        except (TypeError, ValueError) as exc:
            await send.error("invalid-message", f"bad position: {exc}")
            return
        await send(
            {
                "type": "position-stored",
                "reported_at": message.get("reported_at"),
                "position": None if unit.position is None else unit.position.as_lonlat(),
            }
        )


def relocation_view(unit: Unit, station: Site, route: RoadRoute | None) -> dict[str, Any]:
    """A move-up order as the crew device gets it (``type: relocation``): which station to stand
    by at and how to drive there. Acknowledged like a dispatch order, by ``order_id``."""
    return {
        "type": "relocation",
        "order_id": unit.order_id,
        "acknowledged_at": unit_view(unit)["acknowledged_at"],
        "station": {
            "id": station.id,
            "name": station.name,
            "location": station.location.as_lonlat(),
        },
        "unit": unit_view(unit),
        "eta_s": None if route is None else round(route.duration_s, 1),
        "distance_m": None if route is None else round(route.distance_m, 1),
        "route": None if route is None else route.as_geojson(),
        "steps": [] if route is None else list(route.steps),
    }


def _settles(pending: dict[str, Any] | None, unit: dict[str, Any]) -> bool:
    """Whether the unit's state (from an event about it) ends the resending of ``pending``: the
    order was acknowledged (a button, a REST ack, an en-route press) or is no longer the unit's
    current order (replaced, or the call was cleared or cancelled)."""
    if pending is None:
        return False
    return unit.get("order_id") != pending.get("order_id") or bool(unit.get("acknowledged_at"))


def _reported_at(value: object) -> datetime | None:
    """A fix's time as sent: an ISO 8601 string with a UTC offset, from 2000 to 2099 (the same
    rule as ``reported_at`` in ``POST /units/{id}/position``)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("reported_at must be an ISO 8601 string")
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError("reported_at needs a UTC offset")
    why = time_out_of_range(at)
    if why is not None:
        raise ValueError(why)
    return at
