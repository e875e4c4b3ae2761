"""``/incidents/*``: calls and incidents: intake, listing, recommendations, assignment, the
incident record (notes, timeline, tracks) and where to take the patient."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import JSONResponse

from dispatch.api.deps import AudienceDep, ContainerDep, Reads, ServiceDeps, User
from dispatch.api.schemas.answers import (
    Destinations,
    NoteAdded,
    Recommendation,
    Timeline,
    Tracks,
)
from dispatch.api.schemas.bodies import (
    AssignIn,
    CallIn,
    CancelIn,
    InfectiousIn,
    LinkCallIn,
    NoteIn,
    ReassignIn,
    TriageIn,
)
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.resources import Assignment, Incident
from dispatch.api.schemas.times import TimeCorrectionIn, TimeCorrectionOut
from dispatch.api.schemas.types import PathId
from dispatch.domain import commands as cmd
from dispatch.domain import nemsis, unit_times
from dispatch.domain.payloads import (
    assignment_view,
    hospital_view,
    incident_times,
    incident_view,
    intervals_view,
    nemsis_row_view,
    unit_times_view,
    unit_view,
)
from dispatch.services import handlers
from dispatch.services.advice import auto_dispatch
from dispatch.services.times import correct_time

router = APIRouter(prefix="/incidents", tags=["incidents"])

#: A dispatcher's read of one incident, and a command on it (which may meet a changed state).
READ = problems(401, 403, 404, 422, 503)
COMMAND = problems(401, 403, 404, 409, 422, 503)


@router.post("", status_code=201, response_model=Incident, responses=problems(401, 403, 422, 503))
async def create_call(
    body: CallIn,
    user: User,
    audience: AudienceDep,
    deps: ServiceDeps,
    container: ContainerDep,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> Any:
    """Log a call. Send an ``Idempotency-Key`` header so a retry never creates a second call.

    A replay answers the first answer verbatim (header ``Idempotent-Replayed: true``).
    """
    location = body.wgs84_location()
    key = None
    if idempotency_key is not None:
        canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True)
        key = cmd.IdempotencyKey(
            f"{user.username}:{idempotency_key}", hashlib.sha256(canonical.encode()).hexdigest()
        )
    answer = await handlers.receive_call(
        cmd.ReceiveCall(
            actor=user.username,
            location=location,
            address=body.address,
            complaint=body.complaint,
            priority=body.priority,
            idempotency=key,
            complaint_code=body.complaint_code,
            answers=body.answers,
            caller=None if body.caller is None else body.caller.to_caller(),
            phone_call_id=body.phone_call_id,
        ),
        deps,
    )
    if answer.replayed:
        # stored when first answered: sent as it was, not re-validated against today's model
        return JSONResponse(
            audience.incident(answer.incident),
            status_code=201,
            headers={"Idempotent-Replayed": "true"},
        )
    if answer.incident["priority"] in container.settings.auto_dispatch_priorities:
        await auto_dispatch(answer.incident["id"], container.advisor, deps)
    return audience.incident(answer.incident)


@router.get("", response_model=list[Incident], responses=problems(401, 403, 422, 503))
async def list_incidents(
    audience: AudienceDep,
    reads: Reads,
    status: Annotated[Literal["open", "all"], Query()] = "open",
) -> list[dict[str, Any]]:
    found = await reads.incidents(open_only=status == "open")
    return audience.incidents([incident_view(i) for i in found])


@router.get("/{incident_id}", response_model=Incident, responses=problems(401, 404, 422, 503))
async def get_incident(incident_id: PathId, audience: AudienceDep, reads: Reads) -> dict[str, Any]:
    return audience.incident(incident_view(await reads.incident(incident_id)))


@router.get("/{incident_id}/recommendations", response_model=list[Recommendation], responses=READ)
async def recommendations(
    incident_id: PathId,
    _: User,
    deps: ServiceDeps,
    container: ContainerDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[dict[str, Any]]:
    """Available, capable units ranked by road time to the incident (fastest first). A unit
    whose GPS fix is stale is ranked by its last known position, never above a fresh unit unless
    more than ``stale_rank_margin_s`` faster, and shows its fix's age (``position_age_s``).

    A suspected infectious call (``infectious``) is offered isolation units only; when none is
    available the others are offered with ``no_isolation_unit: true`` on each (the dispatcher
    may still send one: the patient needs an ambulance; the log records ``IsolationOverridden``).
    """
    ranked = await handlers.recommend(incident_id, limit, deps, container.settings.stale_rule())
    return [
        {
            "rank": r.rank,
            "unit": unit_view(r.unit),
            "eta_s": round(r.eta_s, 1),
            "distance_m": round(r.distance_m, 1),
            "route": r.route.as_geojson(),
            "position_age_s": None if r.position_age_s is None else round(r.position_age_s, 1),
            "stale": r.stale,
            "snap_distance_m": r.route.snap_distance_m,
            "street": r.route.street,
            "no_isolation_unit": r.no_isolation_unit,
        }
        for r in ranked
    ]


@router.post(
    "/{incident_id}/assignments", status_code=201, response_model=Assignment, responses=COMMAND
)
async def assign(
    incident_id: PathId, body: AssignIn, user: User, audience: AudienceDep, deps: ServiceDeps
) -> dict[str, Any]:
    done = await handlers.assign_unit(
        cmd.AssignUnit(actor=user.username, incident_id=incident_id, unit_id=body.unit_id), deps
    )
    return audience.show(assignment_view(done.unit, done.incident, done.route), incident_id)


@router.post("/{incident_id}/cancel", response_model=Incident, responses=COMMAND)
async def cancel(
    incident_id: PathId, body: CancelIn, user: User, audience: AudienceDep, deps: ServiceDeps
) -> dict[str, Any]:
    """Cancel with a reason; units still on their way are released."""
    incident = await handlers.cancel_incident(
        cmd.CancelIncident(actor=user.username, incident_id=incident_id, reason=body.reason), deps
    )
    return audience.incident(incident_view(incident))


@router.post("/{incident_id}/notes", status_code=201, response_model=NoteAdded, responses=READ)
async def add_note(
    incident_id: PathId, body: NoteIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Those working the incident add notes (who may: ``dispatch.api.policy``); who wrote it and
    when is kept in the incident's log."""
    await handlers.add_note(
        cmd.AddNote(actor=user.username, incident_id=incident_id, text=body.text), deps
    )
    return {"incident_id": incident_id, "author": user.username, "text": body.text.strip()}


@router.get(
    "/{incident_id}/timeline",
    response_model=Timeline,
    response_model_exclude_unset=True,  # an event's unit_id is there only when it has one
    responses=READ,
)
async def timeline(incident_id: PathId, audience: AudienceDep, reads: Reads) -> dict[str, Any]:
    """The incident's audit trail: every event in order, with who did it and when; its NEMSIS
    times (first units), each responding unit's own times and NASEMSO intervals, and the
    incident's intervals (its first arriving unit's). Definitions: docs/times.md."""
    incident = await reads.incident(incident_id)
    events = await reads.incident_events(incident_id)
    units = await reads.unit_times(incident_id)
    first = unit_times.first_arriving(units)
    answer = {
        "incident": incident_view(incident),
        "nemsis": [nemsis_row_view(row) for row in nemsis.timeline(incident_times(incident))],
        "units": [unit_times_view(incident, u, first=u is first) for u in units],
        "intervals": intervals_view(
            nemsis.intervals(incident_times(incident))
            if first is None
            else unit_times.unit_intervals(incident, first)
        ),
        "events": [
            {
                "seq": e.seq,
                "name": e.name,
                "occurred_at": e.occurred_at.isoformat(),
                "actor": e.actor,
                **{k: v for k, v in e.data.items() if k not in ("unit", "incident")},
                **({"unit_id": e.unit_id} if e.unit_id is not None else {}),
            }
            for e in events
        ],
    }
    return audience.show(answer, incident_id)


@router.post(
    "/{incident_id}/times",
    response_model=TimeCorrectionOut,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def correct_times(
    incident_id: PathId, body: TimeCorrectionIn, user: User, reads: Reads, deps: ServiceDeps
) -> dict[str, Any]:
    """A supervisor sets (or enters a missing) NEMSIS time of one unit, with a reason. Checked
    like any entry: 409 ``times-out-of-order`` when impossible, 422 ``invalid-time`` in the
    future, ``unknown-time-element`` for an element that is not a unit's own; the event
    ``TimeCorrected`` keeps the original time."""
    incident, fixed = await correct_time(
        cmd.CorrectTime(
            actor=user.username,
            incident_id=incident_id,
            unit_id=body.unit_id,
            element=body.element,
            at=body.at,
            reason=body.reason,
        ),
        deps,
    )
    first = unit_times.first_arriving(await reads.unit_times(incident_id))
    is_first = first is not None and first.order_id == fixed.order_id
    return {"incident_id": incident_id, "unit": unit_times_view(incident, fixed, first=is_first)}


# The supervisor's replay, but kept with the other /incidents/{id} routes rather than in
# review.py: a route's file then follows from its URL alone; its role check travels with it.
@router.get("/{incident_id}/tracks", response_model=Tracks, responses=READ)
async def tracks(incident_id: PathId, _: User, reads: Reads) -> dict[str, Any]:
    """Where each unit of the incident drove while on it, with times (for replay on the map)."""
    return await reads.tracks(await reads.incident(incident_id))


@router.post(
    "/{incident_id}/reassign", status_code=201, response_model=Assignment, responses=COMMAND
)
async def reassign(
    incident_id: PathId, body: ReassignIn, user: User, audience: AudienceDep, deps: ServiceDeps
) -> dict[str, Any]:
    """Send another unit in place of one still on its way; the replaced unit becomes available."""
    done = await handlers.reassign_unit(
        cmd.ReassignUnit(
            actor=user.username,
            incident_id=incident_id,
            from_unit_id=body.from_unit_id,
            to_unit_id=body.to_unit_id,
            reason=body.reason,
        ),
        deps,
    )
    return audience.show(assignment_view(done.unit, done.incident, done.route), incident_id)


@router.post("/{incident_id}/infectious", response_model=Incident, responses=COMMAND)
async def flag_infectious(
    incident_id: PathId, body: InfectiousIn, user: User, audience: AudienceDep, deps: ServiceDeps
) -> dict[str, Any]:
    """Set or clear "suspected infectious (respiratory / fever)" by hand, with a reason. Units on
    the call are decontaminated after it (or spared, when cleared); setting it again is a no-op."""
    incident = await handlers.flag_infectious(
        cmd.FlagInfectious(
            actor=user.username,
            incident_id=incident_id,
            infectious=body.infectious,
            reason=body.reason,
        ),
        deps,
    )
    return audience.incident(incident_view(incident))


@router.post("/{incident_id}/triage", response_model=Incident, responses=COMMAND)
async def triage(
    incident_id: PathId, body: TriageIn, user: User, audience: AudienceDep, deps: ServiceDeps
) -> dict[str, Any]:
    """Triage again as the caller answers more questions (priority follows the protocol)."""
    incident = await handlers.triage_incident(
        cmd.TriageIncident(
            actor=user.username,
            incident_id=incident_id,
            complaint_code=body.complaint_code,
            answers=body.answers,
        ),
        deps,
    )
    return audience.incident(incident_view(incident))


@router.post("/{incident_id}/calls", status_code=201, response_model=Incident, responses=COMMAND)
async def link_call(
    incident_id: PathId, body: LinkCallIn, user: User, audience: AudienceDep, deps: ServiceDeps
) -> dict[str, Any]:
    """Link a further call (a duplicate) to this incident instead of creating a new one."""
    incident = await handlers.link_call(
        cmd.LinkCall(
            actor=user.username,
            incident_id=incident_id,
            complaint=body.complaint,
            caller=None if body.caller is None else body.caller.to_caller(),
            phone_call_id=body.phone_call_id,
        ),
        deps,
    )
    return audience.incident(incident_view(incident))


@router.get("/{incident_id}/destinations", response_model=Destinations, responses=READ)
async def destinations(incident_id: PathId, _: User, deps: ServiceDeps) -> dict[str, Any]:
    """Where to take this patient: hospitals ranked by road time and the capability needed."""
    incident, options = await handlers.recommend_destinations(incident_id, deps)
    return {
        # a suspected infectious patient needs a fever clinic, and is offered fever clinics only
        "needs": "fever_clinic" if incident.infectious else incident.hospital_capability,
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
