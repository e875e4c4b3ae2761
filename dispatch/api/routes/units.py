"""``/units/*``: the board, a crew's current order, status buttons, GPS reports, and the orders
that move a unit: divert, destination hospital, relocation to another station."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.auth import Role
from dispatch.api.deps import AnyUser, Dispatcher, Reads, ServiceDeps, ensure_may_act_for_unit
from dispatch.api.problems import Problem
from dispatch.api.schemas.answers import Acknowledged
from dispatch.api.schemas.bodies import (
    DestinationIn,
    DivertIn,
    PositionIn,
    RelocateIn,
    StatusIn,
)
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.resources import Assignment, Unit
from dispatch.domain import commands as cmd
from dispatch.domain.geo import Location
from dispatch.domain.payloads import assignment_view, unit_view
from dispatch.services import handlers

router = APIRouter(prefix="/units", tags=["units"])

#: A command on one unit by its crew or a dispatcher (which may meet a changed state).
COMMAND = problems(401, 403, 404, 409, 422, 503)


@router.get("", response_model=list[Unit], responses=problems(401, 503))
async def list_units(_: AnyUser, reads: Reads) -> list[dict[str, Any]]:
    return [unit_view(u) for u in await reads.units()]


@router.get(
    "/{unit_id}/assignment", response_model=Assignment, responses=problems(401, 403, 404, 422, 503)
)
async def current_assignment(
    unit_id: int, user: AnyUser, reads: Reads, deps: ServiceDeps
) -> dict[str, Any]:
    """What the crew is sent to, with a fresh road route from where the unit is now."""
    ensure_may_act_for_unit(user, unit_id)
    unit, incident = await reads.unit_with_incident(unit_id)
    if incident is None:
        raise Problem(404, "no-assignment", f"Unit {unit.call_sign} has no assignment")
    route = None
    if unit.position is not None:
        route = deps.roads.route(unit.position, incident.location)
    return assignment_view(unit, incident, route)


@router.post("/{unit_id}/status", response_model=Unit, responses=COMMAND)
async def change_status(
    unit_id: int, body: StatusIn, user: AnyUser, deps: ServiceDeps
) -> dict[str, Any]:
    ensure_may_act_for_unit(user, unit_id)
    unit = await handlers.change_unit_status(
        cmd.ChangeUnitStatus(
            actor=user.username, unit_id=unit_id, status=body.status, stamp=body.stamp()
        ),
        deps,
    )
    return unit_view(unit)


@router.post(
    "/{unit_id}/position", response_model=Unit, responses=problems(401, 403, 404, 422, 503)
)
async def report_position(
    unit_id: int, body: PositionIn, user: AnyUser, deps: ServiceDeps
) -> dict[str, Any]:
    ensure_may_act_for_unit(user, unit_id)
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
    unit_id: int, order_id: int, user: AnyUser, deps: ServiceDeps
) -> dict[str, Any]:
    """The crew confirms it received the dispatch order; repeating it is harmless."""
    ensure_may_act_for_unit(user, unit_id)
    unit = await handlers.acknowledge_order(
        cmd.AcknowledgeOrder(actor=user.username, unit_id=unit_id, order_id=order_id), deps
    )
    return {"order_id": order_id, "acknowledged_at": unit_view(unit)["acknowledged_at"]}


@router.post("/{unit_id}/divert", status_code=201, response_model=Assignment, responses=COMMAND)
async def divert(
    unit_id: int, body: DivertIn, user: Dispatcher, deps: ServiceDeps
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
    return assignment_view(done.unit, done.incident, done.route)


@router.post("/{unit_id}/destination", response_model=Unit, responses=COMMAND)
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


@router.post("/{unit_id}/relocate", response_model=Unit, responses=COMMAND)
async def relocate(
    unit_id: int, body: RelocateIn, user: Dispatcher, deps: ServiceDeps
) -> dict[str, Any]:
    """A move-up order: the unit is posted at another station and drives there."""
    unit = await handlers.relocate_unit(
        cmd.RelocateUnit(actor=user.username, unit_id=unit_id, station_id=body.station_id), deps
    )
    return unit_view(unit)
