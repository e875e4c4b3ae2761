"""``/units/*``: the board, a crew's current order, status buttons, GPS reports, and the orders
that move a unit: divert, destination hospital, relocation to another station."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import AudienceDep, Reads, ServiceDeps, User
from dispatch.api.problems import Problem
from dispatch.api.schemas.answers import Acknowledged
from dispatch.api.schemas.bodies import (
    AckIn,
    DestinationIn,
    DivertIn,
    IsolationIn,
    PositionIn,
    RelocateIn,
    StatusIn,
)
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.resources import Assignment, Unit
from dispatch.api.schemas.types import PathId
from dispatch.domain import commands as cmd
from dispatch.domain.geo import Location
from dispatch.domain.payloads import assignment_view, unit_view
from dispatch.services import handlers

router = APIRouter(prefix="/units", tags=["units"])

#: A command on one unit by its crew or a dispatcher (which may meet a changed state).
COMMAND = problems(401, 403, 404, 409, 422, 503)


@router.get("", response_model=list[Unit], responses=problems(401, 503))
async def list_units(_: User, reads: Reads) -> list[dict[str, Any]]:
    return [unit_view(u) for u in await reads.units()]


@router.get(
    "/{unit_id}/assignment", response_model=Assignment, responses=problems(401, 403, 404, 422, 503)
)
async def current_assignment(
    unit_id: PathId, audience: AudienceDep, reads: Reads, deps: ServiceDeps
) -> dict[str, Any]:
    """What the crew is sent to, with a fresh road route from where the unit is now."""
    unit, incident = await reads.unit_with_incident(unit_id)
    if incident is None:
        raise Problem(404, "no-assignment", f"Unit {unit.call_sign} has no assignment")
    route = None
    if unit.position is not None:
        route = deps.roads.route(unit.position, incident.location, address=incident.address)
    return audience.show(assignment_view(unit, incident, route), incident.id)


@router.post("/{unit_id}/status", response_model=Unit, responses=COMMAND)
async def change_status(
    unit_id: PathId, body: StatusIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """A status button. ``at`` is when the crew pressed it (a queued update arrives late) and
    ``sent_at`` the device clock on sending; the time recorded is ``at`` corrected for the
    device's clock and bounded, with ``status_flags`` saying why when it is not (docs/times.md).
    An order of times that cannot be (on scene before en route) is refused:
    409 ``times-out-of-order``."""
    unit = await handlers.change_unit_status(
        cmd.ChangeUnitStatus(
            actor=user.username,
            unit_id=unit_id,
            status=body.status,
            stamp=body.stamp(),
            device=body.device_time(),
        ),
        deps,
    )
    return unit_view(unit)


@router.post(
    "/{unit_id}/position", response_model=Unit, responses=problems(401, 403, 404, 422, 503)
)
async def report_position(
    unit_id: PathId, body: PositionIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    unit = await handlers.report_position(
        cmd.ReportPosition(
            actor=user.username,
            unit_id=unit_id,
            location=Location.from_lonlat(body.position),
            reported_at=body.reported_at,
            stamp=body.stamp(),
        ),
        deps,
    )
    return unit_view(unit)


@router.post("/{unit_id}/orders/{order_id}/ack", response_model=Acknowledged, responses=COMMAND)
async def acknowledge(
    unit_id: PathId, order_id: PathId, user: User, deps: ServiceDeps, body: AckIn | None = None
) -> dict[str, Any]:
    """The crew confirms it received the dispatch order; repeating it is harmless. The body is
    optional: the device's time of the action, as for a status (eTimes.04)."""
    unit = await handlers.acknowledge_order(
        cmd.AcknowledgeOrder(
            actor=user.username,
            unit_id=unit_id,
            order_id=order_id,
            device=cmd.DeviceTime() if body is None else body.device_time(),
        ),
        deps,
    )
    return {"order_id": order_id, "acknowledged_at": unit_view(unit)["acknowledged_at"]}


@router.post("/{unit_id}/divert", status_code=201, response_model=Assignment, responses=COMMAND)
async def divert(
    unit_id: PathId, body: DivertIn, user: User, audience: AudienceDep, deps: ServiceDeps
) -> dict[str, Any]:
    """Pull a unit on its way to one call onto a higher-priority call (reason required)."""
    done = await handlers.divert_unit(
        cmd.DivertUnit(
            actor=user.username,
            unit_id=unit_id,
            to_incident_id=body.to_incident_id,
            reason=body.reason,
        ),
        deps,
    )
    return audience.show(assignment_view(done.unit, done.incident, done.route), done.incident.id)


@router.post("/{unit_id}/destination", response_model=Unit, responses=COMMAND)
async def choose_destination(
    unit_id: PathId, body: DestinationIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """The crew (or dispatcher) names the receiving hospital; it gets the pre-arrival notice."""
    unit = await handlers.choose_destination(
        cmd.ChooseDestination(actor=user.username, unit_id=unit_id, hospital_id=body.hospital_id),
        deps,
    )
    return unit_view(unit)


@router.put("/{unit_id}/isolation", response_model=Unit, responses=COMMAND)
async def set_isolation(
    unit_id: PathId, body: IsolationIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Whether the unit is fitted for isolated transport (negative pressure / sealed cabin):
    only such units are recommended for a suspected infectious call (docs/api.md)."""
    unit = await handlers.set_unit_isolation(
        cmd.SetUnitIsolation(actor=user.username, unit_id=unit_id, isolation=body.isolation), deps
    )
    return unit_view(unit)


@router.post("/{unit_id}/relocate", response_model=Unit, responses=COMMAND)
async def relocate(
    unit_id: PathId, body: RelocateIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """A move-up order: the unit is posted at another station and drives there."""
    unit = await handlers.relocate_unit(
        cmd.RelocateUnit(actor=user.username, unit_id=unit_id, station_id=body.station_id), deps
    )
    return unit_view(unit)
