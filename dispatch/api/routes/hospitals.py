"""``/hospitals/*``: emergency departments and their status and beds, kept by the hospital.

Choosing a destination is a unit order (``units.py``), ranking destinations an incident read
(``incidents.py``), and the pre-arrival channel a socket (``sockets.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import Reads, ServiceDeps, User
from dispatch.api.problems import Problem
from dispatch.api.schemas.bodies import HospitalStatusIn
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.resources import Hospital, IncomingAck
from dispatch.api.schemas.types import PathId
from dispatch.domain import commands as cmd
from dispatch.domain.hospitals import CAPABILITIES
from dispatch.domain.payloads import hospital_view
from dispatch.services import handlers, incoming
from dispatch.store.acknowledgements import Acknowledgement

router = APIRouter(prefix="/hospitals", tags=["hospitals"])


@router.get("", response_model=list[Hospital], responses=problems(401, 503))
async def hospitals(_: User, reads: Reads) -> list[dict[str, Any]]:
    return [hospital_view(h) for h in await reads.hospitals()]


@router.post(
    "/{hospital_id}/status",
    response_model=Hospital,
    responses=problems(401, 403, 404, 422, 503),
)
async def update_status(
    hospital_id: PathId, body: HospitalStatusIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """The hospital (or a supervisor) reports ED status, free beds (in the ED and per
    speciality), capabilities. Beds for a speciality the hospital lacks are refused (422)."""
    named = set(body.capabilities or ()) | set(body.capability_beds or {})
    unknown = named - CAPABILITIES
    if unknown:
        raise Problem(
            422,
            "unknown-capability",
            f"unknown capabilities {sorted(unknown)} (known: {sorted(CAPABILITIES)})",
        )
    capabilities = None if body.capabilities is None else frozenset(body.capabilities)
    updated = await handlers.update_hospital(
        cmd.UpdateHospital(
            actor=user.username,
            hospital_id=hospital_id,
            ed_status=body.ed_status,
            beds_available=body.beds_available,
            capabilities=capabilities,
            capability_beds=body.capability_beds,
        ),
        deps,
    )
    return hospital_view(updated)


@router.post(
    "/{hospital_id}/incoming/{incident_id}/ack",
    response_model=IncomingAck,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def acknowledge_incoming(
    hospital_id: PathId, incident_id: PathId, user: User, deps: ServiceDeps, reads: Reads
) -> dict[str, Any]:
    """The ED confirms it expects this patient ("ED acknowledged" on the console and the crew's
    screen). Only the ED the patient is routed to (the policy's ``routed_to_own_hospital`` plus
    ``own_hospital``). Repeating it is harmless: the first acknowledgement is answered again."""
    acks = await _acks_of(reads, hospital_id, incident_id)
    if not acks:
        await incoming.acknowledge_incoming(
            cmd.AcknowledgeIncoming(
                actor=user.username, hospital_id=hospital_id, incident_id=incident_id
            ),
            deps,
        )
        acks = await _acks_of(reads, hospital_id, incident_id)
    first = min(acks, key=lambda a: a.at)
    return {
        "incident_id": incident_id,
        "hospital_id": hospital_id,
        "unit_ids": sorted(a.unit_id for a in acks),
        "acknowledged_at": first.at.isoformat(),
        "acknowledged_by": first.by,
    }


async def _acks_of(reads: Reads, hospital_id: int, incident_id: int) -> list[Acknowledgement]:
    return [a for a in await reads.acknowledged(hospital_id) if a.incident_id == incident_id]
