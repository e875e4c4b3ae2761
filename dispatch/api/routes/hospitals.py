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
from dispatch.api.schemas.resources import Hospital
from dispatch.api.schemas.types import PathId
from dispatch.domain import commands as cmd
from dispatch.domain.hospitals import CAPABILITIES
from dispatch.domain.payloads import hospital_view
from dispatch.services import handlers

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
    """The hospital (or a supervisor) reports ED status, free beds, capabilities."""
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
