"""Incident review for supervisors: search, KPIs against response targets, tracks, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from dispatch.api.auth import Role
from dispatch.api.deps import AnyUser, ContainerDep, ServiceDeps, require
from dispatch.api.problems import Problem
from dispatch.domain import commands as cmd
from dispatch.domain import nemsis
from dispatch.domain.triage import load_protocol
from dispatch.domain.views import NEMSIS_TIMES, incident_times, incident_view, unit_view
from dispatch.services import handlers
from dispatch.store import reports

router = APIRouter(tags=["review"])

Supervisor = Annotated[Any, require(Role.SUPERVISOR)]
Reviewer = Annotated[Any, require(Role.SUPERVISOR, Role.DISPATCHER)]


def _filter(
    start: datetime | None,
    end: datetime | None,
    priority: list[int] | None,
    status: list[str] | None,
    bbox: str | None,
    limit: int,
) -> reports.IncidentFilter:
    box = None
    if bbox:
        try:
            west, south, east, north = (float(v) for v in bbox.split(","))
        except ValueError:
            raise Problem(422, "validation-error", "bbox must be 'west,south,east,north'") from None
        box = (west, south, east, north)
    for t in (start, end):
        if t is not None and t.tzinfo is None:
            raise Problem(422, "validation-error", "times need a UTC offset, e.g. ...Z")
    return reports.IncidentFilter(
        start, end, tuple(priority or ()), tuple(status or ()), box, limit
    )


Start = Annotated[datetime | None, Query(alias="from", description="received at or after (UTC)")]
End = Annotated[datetime | None, Query(alias="to", description="received before (UTC)")]
Priorities = Annotated[list[Annotated[int, Field(ge=1, le=4)]] | None, Query()]
Statuses = Annotated[list[str] | None, Query()]
Bbox = Annotated[str | None, Query(description="west,south,east,north")]


@router.get("/review/incidents")
async def search(
    _: Supervisor,
    container: ContainerDep,
    start: Start = None,
    end: End = None,
    priority: Priorities = None,
    status: Statuses = None,
    bbox: Bbox = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    found = await reports.search(
        container.engine, _filter(start, end, priority, status, bbox, limit)
    )
    return [incident_view(i) for i in found]


@router.get("/review/kpis")
async def kpis(
    _: Reviewer,
    container: ContainerDep,
    start: Start = None,
    end: End = None,
    bbox: Bbox = None,
    area: Annotated[str, Query(pattern="^(urban|rural)$")] = "urban",
) -> dict[str, Any]:
    """Response-time performance per priority against the protocol's targets."""
    protocol = load_protocol()
    targets = {
        p: (protocol.target(p, area=area).seconds, protocol.target(p, area=area).fraction)
        for p in (1, 2, 3, 4)
    }
    rows = await reports.kpis(container.engine, _filter(start, end, None, None, bbox, 0), targets)
    return {"area": area, "protocol_version": protocol.version, "priorities": rows}


@router.get("/review/incidents.csv")
async def export_csv(
    _: Supervisor,
    container: ContainerDep,
    start: Start = None,
    end: End = None,
    priority: Priorities = None,
    status: Statuses = None,
    bbox: Bbox = None,
) -> Response:
    """Incidents with their NEMSIS eTimes-aligned times, for spreadsheets and state reporting."""
    found = await reports.search(
        container.engine, _filter(start, end, priority, status, bbox, 100_000)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    stamps = [nemsis.ELEMENTS[nemsis.stamp_of(stamp)] for _, stamp in NEMSIS_TIMES]
    writer.writerow(
        [
            "number",
            "priority",
            "status",
            "complaint",
            "address",
            "lon",
            "lat",
            "unit_ids",
            *(f"{e.number} {e.name}" for e in stamps),
            "response_s",
            "cancel_reason",
        ]
    )
    for i in reversed(found):
        times = incident_times(i)
        response = (
            None
            if i.on_scene_at is None
            else round((i.on_scene_at - i.received_at).total_seconds(), 1)
        )
        writer.writerow(
            [
                i.number,
                i.priority,
                i.status.value,
                i.complaint,
                i.address or "",
                i.location.lon,
                i.location.lat,
                " ".join(str(u) for u in i.unit_ids),
                *(times[stamp].isoformat() if stamp in times else "" for _, stamp in NEMSIS_TIMES),
                "" if response is None else response,
                i.cancel_reason or "",
            ]
        )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="incidents.csv"'},
    )


@router.get("/incidents/{incident_id}/tracks")
async def tracks(
    incident_id: int, _: Reviewer, deps: ServiceDeps, container: ContainerDep
) -> dict[str, Any]:
    """Where each unit of the incident drove while on it, with times (for replay on the map)."""
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(incident_id)
    return await reports.tracks(container.engine, incident)


@router.get("/config")
async def config(_: AnyUser, container: ContainerDep) -> dict[str, Any]:
    """What consoles need to show countdowns and alerts the same way the server counts them."""
    protocol = load_protocol()
    settings = container.settings
    return {
        "protocol_version": protocol.version,
        "response_targets": {
            area: {
                str(p): {
                    "seconds": protocol.target(p, area=area).seconds,
                    "fraction": protocol.target(p, area=area).fraction,
                }
                for p in (1, 2, 3, 4)
            }
            for area in ("urban", "rural")
        },
        "order_resend_s": settings.order_resend_s,
        "ack_alert_after_s": 60,
        "position_interval_s": settings.expected_position_interval_s,
        "stale_after_s": 3 * settings.expected_position_interval_s,
    }


@router.get("/advice", tags=["advice"])
async def advice(
    _: Annotated[Any, require(Role.DISPATCHER, Role.SUPERVISOR)],
    deps: ServiceDeps,
    container: ContainerDep,
) -> dict[str, Any]:
    """The optimiser's joint plan for every pending call, each next to the closest unit, with
    why; it falls back to closest-idle when the solver fails or runs over its time limit."""
    return {"decisions": await container.advisor.advise(deps)}


class RelocateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    station_id: int


@router.get("/moveups", tags=["advice"])
async def moveups(
    _: Annotated[Any, require(Role.DISPATCHER, Role.SUPERVISOR)],
    deps: ServiceDeps,
    container: ContainerDep,
) -> dict[str, Any]:
    """Move-up suggestions: post a free unit elsewhere to close a coverage gap (one click each)."""
    return {"moves": await container.moveups.suggest(deps)}


@router.post("/units/{unit_id}/relocate", tags=["advice"])
async def relocate(
    unit_id: int,
    body: RelocateIn,
    user: Annotated[Any, require(Role.DISPATCHER, Role.SUPERVISOR)],
    deps: ServiceDeps,
) -> dict[str, Any]:
    """A move-up order: the unit is posted at another station and drives there."""
    unit = await handlers.relocate_unit(
        cmd.RelocateUnit(actor=user.username, unit_id=unit_id, station_id=body.station_id), deps
    )
    return unit_view(unit)
