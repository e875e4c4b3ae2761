"""Units: the board, a crew's current assignment, status buttons and GPS reports."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import AnyUser, Dispatcher, ServiceDeps, ensure_may_act_for_unit
from dispatch.api.problems import Problem
from dispatch.api.schemas import DivertIn, PositionIn, StatusIn
from dispatch.domain import commands as cmd
from dispatch.domain.geo import Location
from dispatch.domain.views import assignment_view, unit_view
from dispatch.services import handlers

router = APIRouter(prefix="/units", tags=["units"])


@router.get("")
async def list_units(_: AnyUser, deps: ServiceDeps) -> list[dict[str, Any]]:
    async with deps.new_uow() as uow:
        return [unit_view(u) for u in await uow.units.list()]


@router.get("/{unit_id}/assignment")
async def current_assignment(unit_id: int, user: AnyUser, deps: ServiceDeps) -> dict[str, Any]:
    """What the crew is sent to, with a fresh road route from where the unit is now."""
    ensure_may_act_for_unit(user, unit_id)
    async with deps.new_uow() as uow:
        unit = await uow.units.get(unit_id)
        if unit.incident_id is None:
            raise Problem(404, "no-assignment", f"Unit {unit.call_sign} has no assignment")
        incident = await uow.incidents.get(unit.incident_id)
    route = None
    if unit.position is not None:
        route = deps.roads.route(unit.position, incident.location)
    return assignment_view(unit, incident, route)


@router.post("/{unit_id}/status")
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


@router.post("/{unit_id}/position")
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


@router.post("/{unit_id}/orders/{order_id}/ack")
async def acknowledge(
    unit_id: int, order_id: int, user: AnyUser, deps: ServiceDeps
) -> dict[str, Any]:
    """The crew confirms it received the dispatch order; repeating it is harmless."""
    ensure_may_act_for_unit(user, unit_id)
    unit = await handlers.acknowledge_order(
        cmd.AcknowledgeOrder(actor=user.username, unit_id=unit_id, order_id=order_id), deps
    )
    return {"order_id": order_id, "acknowledged_at": unit_view(unit)["acknowledged_at"]}


@router.post("/{unit_id}/divert", status_code=201)
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
