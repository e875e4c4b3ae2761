"""Calls and incidents: intake, listing, road-ranked recommendations, assignment."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from dispatch.api.deps import AnyUser, Dispatcher, ServiceDeps
from dispatch.api.schemas import AssignIn, CallIn
from dispatch.domain import commands as cmd
from dispatch.domain.geo import Location
from dispatch.domain.views import incident_view, unit_view
from dispatch.services import handlers

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.post("", status_code=201)
async def create_call(body: CallIn, user: Dispatcher, deps: ServiceDeps) -> dict[str, Any]:
    location = None if body.location is None else Location.from_lonlat(body.location)
    incident = await handlers.receive_call(
        cmd.ReceiveCall(actor=user.username, location=location, address=body.address,
                        complaint=body.complaint, priority=body.priority),
        deps,
    )
    return incident_view(incident)


@router.get("")
async def list_incidents(
    _: Dispatcher, deps: ServiceDeps,
    status: Annotated[Literal["open", "all"], Query()] = "open",
) -> list[dict[str, Any]]:
    async with deps.new_uow() as uow:
        incidents = await uow.incidents.list(open_only=status == "open")
    return [incident_view(i) for i in incidents]


@router.get("/{incident_id}")
async def get_incident(incident_id: int, _: AnyUser, deps: ServiceDeps) -> dict[str, Any]:
    async with deps.new_uow() as uow:
        return incident_view(await uow.incidents.get(incident_id))


@router.get("/{incident_id}/recommendations")
async def recommendations(
    incident_id: int, _: Dispatcher, deps: ServiceDeps,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[dict[str, Any]]:
    ranked = await handlers.recommend(incident_id, limit, deps)
    return [
        {"rank": r.rank, "unit": unit_view(r.unit), "eta_s": round(r.eta_s, 1),
         "distance_m": round(r.distance_m, 1), "route": r.route.as_geojson()}
        for r in ranked
    ]


@router.post("/{incident_id}/assignments", status_code=201)
async def assign(
    incident_id: int, body: AssignIn, user: Dispatcher, deps: ServiceDeps
) -> dict[str, Any]:
    done = await handlers.assign_unit(
        cmd.AssignUnit(actor=user.username, incident_id=incident_id, unit_id=body.unit_id), deps
    )
    return {
        "incident": incident_view(done.incident),
        "unit": unit_view(done.unit),
        "eta_s": None if done.route is None else round(done.route.duration_s, 1),
        "route": None if done.route is None else done.route.as_geojson(),
    }
