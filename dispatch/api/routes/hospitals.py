"""Hospitals: ED status and beds (kept by the hospital), destination choice, pre-arrival notice.

A hospital login sees only its own emergency department and the patients routed to it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from pydantic import Field

from dispatch.api.auth import Principal, Role, read_token
from dispatch.api.deps import AnyUser, ServiceDeps, ensure_may_act_for_unit
from dispatch.api.problems import Problem
from dispatch.api.routes.ws import Sender, messages
from dispatch.api.schemas import Body
from dispatch.bootstrap import Container
from dispatch.domain import commands as cmd
from dispatch.domain.errors import DomainError
from dispatch.domain.hospitals import CAPABILITIES
from dispatch.domain.views import hospital_view, unit_view
from dispatch.services import handlers
from dispatch.services.ports import EventRecord
from dispatch.store import views

router = APIRouter(tags=["hospitals"])
socket_router = APIRouter()


class HospitalStatusIn(Body):
    ed_status: Literal["open", "diversion", "closed"] | None = None
    beds_available: int | None = Field(default=None, ge=0, le=10_000)
    capabilities: list[str] | None = Field(default=None, max_length=20)


class DestinationIn(Body):
    hospital_id: int


@router.get("/hospitals")
async def hospitals(_: AnyUser, deps: ServiceDeps) -> list[dict[str, Any]]:
    async with deps.new_uow() as uow:
        return [hospital_view(h) for h in await uow.hospitals.list()]


@router.post("/hospitals/{hospital_id}/status")
async def update_status(
    hospital_id: int, body: HospitalStatusIn, user: AnyUser, deps: ServiceDeps
) -> dict[str, Any]:
    """The hospital (or a supervisor) reports ED status, free beds, capabilities."""
    own = user.role is Role.HOSPITAL and user.hospital_id == hospital_id
    if not own and user.role is not Role.SUPERVISOR:
        raise Problem(403, "not-your-hospital", "Only that hospital or a supervisor may update it")
    capabilities = None
    if body.capabilities is not None:
        unknown = set(body.capabilities) - CAPABILITIES
        if unknown:
            raise Problem(
                422,
                "unknown-capability",
                f"unknown capabilities {sorted(unknown)} (known: {sorted(CAPABILITIES)})",
            )
        capabilities = frozenset(body.capabilities)
    updated = await handlers.update_hospital(
        cmd.UpdateHospital(
            actor=user.username,
            hospital_id=hospital_id,
            ed_status=body.ed_status,
            beds_available=body.beds_available,
            capabilities=capabilities,
        ),
        deps,
    )
    return hospital_view(updated)


@router.get("/incidents/{incident_id}/destinations")
async def destinations(incident_id: int, user: AnyUser, deps: ServiceDeps) -> dict[str, Any]:
    """Where to take this patient: hospitals ranked by road time and the capability needed."""
    if user.role is Role.HOSPITAL:
        raise Problem(403, "forbidden", "Hospitals see the patients routed to them only")
    incident, options = await handlers.recommend_destinations(incident_id, deps)
    return {
        "needs": incident.hospital_capability,
        "options": [
            {
                "rank": o.rank,
                "hospital": hospital_view(h),
                "eta_s": None if o.eta_s is None else round(o.eta_s, 1),
                "reason": None if o.reason is None else {"en": o.reason.en, "zh": o.reason.zh},
                "skipped": None
                if o.skipped_reason is None
                else {"en": o.skipped_reason.en, "zh": o.skipped_reason.zh},
            }
            for o, h in options
        ],
    }


@router.post("/units/{unit_id}/destination")
async def choose_destination(
    unit_id: int, body: DestinationIn, user: AnyUser, deps: ServiceDeps
) -> dict[str, Any]:
    """The crew (or dispatcher) names the receiving hospital; it gets the pre-arrival notice."""
    if user.role is Role.HOSPITAL:
        raise Problem(403, "forbidden", "Hospitals do not route ambulances")
    ensure_may_act_for_unit(user, unit_id)
    unit = await handlers.choose_destination(
        cmd.ChooseDestination(actor=user.username, unit_id=unit_id, hospital_id=body.hospital_id),
        deps,
    )
    return unit_view(unit)


# --- pre-arrival channel ---------------------------------------------------------------------

PREARRIVAL_REFRESH_S = 10.0


@socket_router.websocket("/ws/hospital")
async def hospital_socket(ws: WebSocket, token: str | None = None) -> None:
    """Inbound patients for one hospital: who is coming, with what, and a live ETA."""
    container: Container = ws.app.state.container
    principal = read_token(token, secret=container.settings.signing_key()) if token else None
    if principal is None or principal.role is not Role.HOSPITAL or principal.hospital_id is None:
        await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="hospital token required")
        return
    await ws.accept()
    send = Sender(ws)
    hospital_id = principal.hospital_id

    def routed_here(record: EventRecord) -> bool:
        unit = record.data.get("unit")
        was_here = record.name == "DestinationChosen" and record.data.get("hospital") == hospital_id
        return was_here or (
            isinstance(unit, dict) and unit.get("destination_hospital_id") == hospital_id
        )

    conn = container.hub.connect(wants=routed_here, positions=False)
    tasks: list[asyncio.Task[None]] = []
    try:
        await send({"type": "inbound", **await _inbound(container, principal)})
        tasks = [asyncio.create_task(_refresh(container, principal, conn, send))]
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
    except WebSocketDisconnect:
        pass
    finally:
        container.hub.disconnect(conn)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _refresh(container: Container, principal: Principal, conn: Any, send: Sender) -> None:
    """Resend the inbound list when something about it changes, and every 10 s for live ETAs."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(conn.queue.get(), PREARRIVAL_REFRESH_S)
        while not conn.queue.empty():
            conn.queue.get_nowait()
        await send({"type": "inbound", **await _inbound(container, principal)})


async def _inbound(container: Container, principal: Principal) -> dict[str, Any]:
    """A minimal patient summary per unit heading here: no name, no number, only what the ED
    needs to prepare (complaint, priority, determinant, capability needed) and the ETA."""
    hospital_id = principal.hospital_id
    assert hospital_id is not None
    deps = container.deps
    async with deps.new_uow() as uow:
        hospital = await uow.hospitals.get(hospital_id)
        units = [u for u in await uow.units.list() if u.destination_hospital_id == hospital_id]
        incidents = {
            u.incident_id: await uow.incidents.get(u.incident_id)
            for u in units
            if u.incident_id is not None
        }
    patients = []
    for unit in units:
        incident = None if unit.incident_id is None else incidents.get(unit.incident_id)
        if incident is None:
            continue
        eta = None
        if unit.position is not None:
            with contextlib.suppress(DomainError):
                eta = deps.roads.durations_from(unit.position, [hospital.location])[0]
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
            }
        )
    return {
        "hospital": hospital_view(hospital),
        "patients": patients,
        "seq": await views.last_seq(container.engine),
    }
