"""Mass-casualty incidents (issue 17): the declaration, command roles, patients, the
distribution plan, confirmed transports, and the hospitals' surge capacity and incoming counts.

Who may call what is ``dispatch.api.policy`` (rows under "mass-casualty incidents"); the table
scopes a crew to the incident its unit works. Acting as an MCI officer is a second check, made
by the service against the declaration: binding roles needs incident command, confirming a
transport the transport role (the commander holds every role not handed out): a crew of the
incident without it gets 403 ``not-role-holder``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from dispatch.api.auth import Principal, Role
from dispatch.api.deps import ServiceDeps, User
from dispatch.api.schemas.mci import (
    MciBoard,
    MciDeclareIn,
    MciIncoming,
    MciPatient,
    MciPlan,
    PathTag,
    PatientIn,
    PatientPatchIn,
    RoleIn,
    SurgeCapacity,
    SurgeIn,
    TransportIn,
)
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.types import PathId
from dispatch.domain.mci import CommandRole
from dispatch.services import mci

router = APIRouter(tags=["mci"])

READ = problems(401, 403, 404, 422, 503)
COMMAND = problems(401, 403, 404, 409, 422, 503)
#: A registration replayed (same tag, same details) answers the stored patient with 200.
REGISTER: dict[int | str, dict[str, Any]] = {
    200: {"model": MciPatient, "description": "the tag was already registered: the patient"},
    **COMMAND,
}


def _crew_unit(user: Principal) -> int | None:
    """The unit a crew login acts for (None for the floor: no officer role needed)."""
    return user.unit_id if user.role is Role.CREW else None


@router.post(
    "/incidents/{incident_id}/mci", status_code=201, response_model=MciBoard, responses=COMMAND
)
async def declare(
    incident_id: PathId, body: MciDeclareIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Declare an MCI: the level comes from the estimated patient count (1: up to 10, 2: 11-20,
    3: 21-100, 4: more), or higher if set; lower than the count warrants is refused (422
    ``mci-refused``). Declared once per incident (409 ``mci-already-declared``)."""
    board = await mci.declare(
        mci.DeclareMci(
            actor=user.username,
            incident_id=incident_id,
            patients=body.patients,
            level=body.level,
            incident_command=body.incident_command_unit_id,
        ),
        deps,
    )
    return mci.board_view(board)


@router.get("/incidents/{incident_id}/mci", response_model=MciBoard, responses=READ)
async def board(incident_id: PathId, _: User, deps: ServiceDeps) -> dict[str, Any]:
    """The MCI board: counts by triage category on scene, assigned, en route and arrived, the
    units committed, the roles, and the patients (404 ``mci-not-declared`` when none)."""
    return mci.board_view(await mci.board(incident_id, deps))


@router.put("/incidents/{incident_id}/mci/roles/{role}", response_model=MciBoard, responses=COMMAND)
async def bind_role(
    incident_id: PathId, role: CommandRole, body: RoleIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Bind a command role to a unit assigned to the incident (a transfer if held). A crew may
    do it only while its unit holds incident command."""
    board = await mci.bind_role(
        mci.BindRole(
            actor=user.username,
            incident_id=incident_id,
            role=role,
            unit_id=body.unit_id,
            crew_unit=_crew_unit(user),
        ),
        deps,
    )
    return mci.board_view(board)


@router.post(
    "/incidents/{incident_id}/mci/patients",
    status_code=201,
    response_model=MciPatient,
    responses=REGISTER,
)
async def register_patient(
    incident_id: PathId, body: PatientIn, user: User, deps: ServiceDeps, response: Response
) -> dict[str, Any]:
    """Register a patient by its triage tag (one tap: tag and category). Idempotent by tag: the
    same tag with the same details answers the stored patient with 200 (an offline queue
    replayed), other details 409 ``patient-tag-taken``."""
    patient, created = await mci.register_patient(
        mci.RegisterPatient(
            actor=user.username,
            incident_id=incident_id,
            tag=body.tag,
            category=body.category,
            age_band=body.age_band,
            injury=body.injury,
            needs=frozenset(body.needs),
            note=body.note,
        ),
        deps,
    )
    if not created:
        response.status_code = 200
    return mci.patient_view(patient)


@router.patch(
    "/incidents/{incident_id}/mci/patients/{tag}", response_model=MciPatient, responses=COMMAND
)
async def update_patient(
    incident_id: PathId, tag: PathTag, body: PatientPatchIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Re-triage (``category``, ``reason``) and/or correct a patient; every change is an event."""
    patient = await mci.update_patient(
        mci.UpdatePatient(
            actor=user.username,
            incident_id=incident_id,
            tag=tag,
            category=body.category,
            reason=body.reason,
            age_band=body.age_band,
            injury=body.injury,
            needs=None if body.needs is None else frozenset(body.needs),
            note=body.note,
        ),
        deps,
    )
    return mci.patient_view(patient)


@router.get("/incidents/{incident_id}/mci/plan", response_model=MciPlan, responses=READ)
async def plan(incident_id: PathId, _: User, deps: ServiceDeps) -> dict[str, Any]:
    """The distribution plan now (advice: the transport officer confirms each transport). It is
    computed on every request from the current patients, units, EDs' status and surge capacity
    and road times, so it re-plans as they change. Seconds are from now; null: cannot happen."""
    return mci.plan_view(await mci.plan(incident_id, deps))


@router.post(
    "/incidents/{incident_id}/mci/transports",
    status_code=201,
    response_model=list[MciPatient],
    responses=COMMAND,
)
async def confirm_transport(
    incident_id: PathId, body: TransportIn, user: User, deps: ServiceDeps
) -> list[dict[str, Any]]:
    """The transport officer confirms patients in a unit for a hospital. More than the unit
    carries is refused (422 ``unit-overloaded``) unless ``override`` with a ``reason``. The
    patients leave and arrive with the unit's status buttons (transporting, at hospital)."""
    changed = await mci.confirm(
        mci.ConfirmTransport(
            actor=user.username,
            incident_id=incident_id,
            unit_id=body.unit_id,
            hospital_id=body.hospital_id,
            tags=tuple(body.patients),
            override=body.override,
            reason=body.reason,
            crew_unit=_crew_unit(user),
        ),
        deps,
    )
    return [mci.patient_view(p) for p in changed]


@router.put("/hospitals/{hospital_id}/surge", response_model=SurgeCapacity, responses=COMMAND)
async def declare_surge(
    hospital_id: PathId, body: SurgeIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """The ED declares how many patients per category it accepts from mass-casualty incidents
    (on the way and handed over count against it). Until then the plan uses a default from its
    free beds; on diversion or closed it takes none (``in_distribution`` false)."""
    await mci.declare_surge(
        mci.DeclareSurge(
            actor=user.username,
            hospital_id=hospital_id,
            immediate=body.immediate,
            delayed=body.delayed,
            minor=body.minor,
        ),
        deps,
    )
    hospital, surge = await mci.surge_of(hospital_id, deps)
    return mci.surge_view(hospital, surge)


@router.get("/hospitals/{hospital_id}/mci/incoming", response_model=MciIncoming, responses=READ)
async def incoming(hospital_id: PathId, _: User, deps: ServiceDeps) -> dict[str, Any]:
    """Counts by triage category of the patients of open MCIs expected at this ED, on their way
    and arrived. Counts only: no tag, note or injury."""
    incidents, per = await mci.incoming(hospital_id, deps)
    return mci.incoming_view(hospital_id, incidents, per)
