"""The hospital session (``/ws/hospital``): the patients coming to one emergency department.

The ED gets the whole inbound list, not events: on connect, whenever an event touches a unit
bound for it, and every ``REFRESH_S`` for live ETAs. A hospital sees only patients routed to it,
and only what it needs to prepare (no name, no phone number, no address).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from dispatch.domain.errors import DomainError
from dispatch.domain.payloads import hospital_view
from dispatch.hub.frames import Sender, accept, cancel, serve_requests
from dispatch.hub.hub import Connection, Hub
from dispatch.services.ports import EventRecord, Roads
from dispatch.store.reads import ReadModel

#: The inbound list is resent at least this often, so ETAs stay live between events.
REFRESH_S = 10.0


@dataclass
class HospitalSession:
    hospital_id: int
    hub: Hub
    reads: ReadModel
    roads: Roads
    #: told of every client message: activity for the login session (``dispatch.hub.watch``)
    on_message: Callable[[], None] | None = None

    def routed_here(self, record: EventRecord) -> bool:
        """An event about a unit bound for this hospital (or the choice of it), or a change of
        this ED's own status (a supervisor may set it for an ED whose screen is down)."""
        unit = record.data.get("unit")
        was_here = (
            record.name in ("DestinationChosen", "HospitalStatusChanged")
            and record.data.get("hospital") == self.hospital_id
        )
        return was_here or (
            isinstance(unit, dict) and unit.get("destination_hospital_id") == self.hospital_id
        )

    async def run(self, ws: WebSocket) -> None:
        """Serve one authenticated emergency department until it disconnects."""
        await accept(ws)
        send = Sender(ws)
        conn = self.hub.connect(wants=self.routed_here, positions=False)
        tasks: list[asyncio.Task[None]] = []
        try:
            await send({"type": "inbound", **await self.inbound()})
            tasks = [asyncio.create_task(self._refresh(conn, send))]
            await serve_requests(ws, send, on_message=self.on_message)
        except WebSocketDisconnect:
            pass
        finally:
            self.hub.disconnect(conn)
            await cancel(tasks)

    async def _refresh(self, conn: Connection, send: Sender) -> None:
        """Resend the inbound list when something about it changes, and every 10 s for ETAs."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.queue.get(), REFRESH_S)
            while not conn.queue.empty():
                conn.queue.get_nowait()
            await send({"type": "inbound", **await self.inbound()})

    async def inbound(self) -> dict[str, Any]:
        """A minimal patient summary per unit heading here: no name, no number, only what the ED
        needs to prepare (complaint, priority, determinant, capability needed), the ETA and
        whether this ED has acknowledged the patient."""
        hospital, coming = await self.reads.heading_to(self.hospital_id)
        acked = {a.incident_id: a.at for a in await self.reads.acknowledged(self.hospital_id)}
        patients = []
        for unit, incident in coming:
            eta = None
            if unit.position is not None:
                with contextlib.suppress(DomainError):
                    eta = self.roads.durations_from(unit.position, [hospital.location])[0]
            patients.append(
                {
                    "incident_number": incident.number,
                    "unit": unit.call_sign,
                    "unit_status": unit.status.value,
                    "complaint": incident.complaint,
                    "priority": incident.priority,
                    "determinant": incident.determinant,
                    "needs": incident.hospital_capability,
                    "eta_s": None if eta is None else round(eta, 1),
                    "incident_id": incident.id,  # to acknowledge it (its REST path)
                    "acknowledged_at": None
                    if incident.id not in acked
                    else acked[incident.id].isoformat(),
                }
            )
        return {
            "hospital": hospital_view(hospital),
            "patients": patients,
            "seq": await self.reads.last_seq(),
        }
