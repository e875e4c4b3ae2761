"""Calls and incidents: intake, listing, road-ranked recommendations, assignment."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response

from dispatch.api.deps import AnyUser, Dispatcher, ServiceDeps
from dispatch.api.schemas import AssignIn, CallIn
from dispatch.domain import commands as cmd
from dispatch.domain.geo import Location
from dispatch.domain.views import assignment_view, incident_view, unit_view
from dispatch.services import handlers

router = APIRouter(prefix="/incidents", tags=["incidents"])


@router.post("", status_code=201)
async def create_call(
    body: CallIn,
    user: Dispatcher,
    deps: ServiceDeps,
    response: Response,
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> dict[str, Any]:
    """Log a call. Send an ``Idempotency-Key`` header so a retry never creates a second call."""
    location = None if body.location is None else Location.from_lonlat(body.location)
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
        ),
        deps,
    )
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer.incident


@router.get("")
async def list_incidents(
    _: Dispatcher,
    deps: ServiceDeps,
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
    incident_id: int,
    _: Dispatcher,
    deps: ServiceDeps,
    limit: Annotated[int, Query(ge=1, le=50)] = 5,
) -> list[dict[str, Any]]:
    ranked = await handlers.recommend(incident_id, limit, deps)
    return [
        {
            "rank": r.rank,
            "unit": unit_view(r.unit),
            "eta_s": round(r.eta_s, 1),
            "distance_m": round(r.distance_m, 1),
            "route": r.route.as_geojson(),
        }
        for r in ranked
    ]


@router.post("/{incident_id}/assignments", status_code=201)
async def assign(
    incident_id: int, body: AssignIn, user: Dispatcher, deps: ServiceDeps
) -> dict[str, Any]:
    done = await handlers.assign_unit(
        cmd.AssignUnit(actor=user.username, incident_id=incident_id, unit_id=body.unit_id), deps
    )
    return assignment_view(done.unit, done.incident, done.route)
