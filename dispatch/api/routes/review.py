"""``/review/*``: incident review for supervisors and auditors: search, KPIs against response
targets, the CSV export and the NEMSIS v3.5.1 XML export (a ZIP). (An incident's tracks, the
replay, are under ``/incidents/{id}/tracks``.)

Times in the API are UTC. The CSV keeps its UTC ISO 8601 columns (what reporting systems and
scripts read) and adds, after them, the same moments as the centre's wall-clock time
(``GOLDENHOUR_TIMEZONE``), ``YYYY-MM-DD HH:MM:SS`` without an offset so that a spreadsheet reads
them as dates; the zone is named in each local column's header.
"""

from __future__ import annotations

import asyncio
import io
import math
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field

from dispatch.api.deps import AudienceDep, Audit, CareRecords, ContainerDep, Reads, User
from dispatch.api.problems import Problem
from dispatch.api.schemas.answers import Kpis
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.resources import Incident
from dispatch.api.schemas.types import Instant, PlainText
from dispatch.api.spreadsheet import SafeCsvWriter
from dispatch.domain import indicators, nemsis, nemsis_archive
from dispatch.domain.payloads import NEMSIS_TIMES, incident_times, incident_view
from dispatch.domain.triage import load_protocol
from dispatch.services.ports import AuditKind
from dispatch.store.reads import IncidentFilter

router = APIRouter(prefix="/review", tags=["review"])

SEARCH = problems(401, 403, 422, 503)


class CsvResponse(Response):
    """Documents the export as ``text/csv`` in OpenAPI; the route sets the full media type."""

    media_type = "text/csv"


class ZipResponse(Response):
    """Documents the NEMSIS export as ``application/zip`` in OpenAPI."""

    media_type = "application/zip"


def _filter(
    start: datetime | None,
    end: datetime | None,
    priority: list[int] | None,
    status: list[str] | None,
    bbox: str | None,
    limit: int,
) -> IncidentFilter:
    box = None
    if bbox:
        try:
            west, south, east, north = (float(v) for v in bbox.split(","))
        except ValueError:
            raise Problem(422, "validation-error", "bbox must be 'west,south,east,north'") from None
        box = (west, south, east, north)
        if not all(math.isfinite(v) for v in box) or not (
            max(abs(west), abs(east)) <= 180 and max(abs(south), abs(north)) <= 90
        ):
            raise Problem(422, "validation-error", "bbox must be in degrees (lon, lat, lon, lat)")
    return IncidentFilter(start, end, tuple(priority or ()), tuple(status or ()), box, limit)


Start = Annotated[
    Instant | None, Query(alias="from", description="received at or after (with UTC offset)")
]
End = Annotated[Instant | None, Query(alias="to", description="received before (with UTC offset)")]
Priorities = Annotated[list[Annotated[int, Field(ge=1, le=4)]] | None, Query()]
Statuses = Annotated[list[Annotated[PlainText, Field(max_length=20)]] | None, Query()]
Bbox = Annotated[PlainText | None, Query(max_length=200, description="west,south,east,north")]


@router.get("/incidents", response_model=list[Incident], responses=SEARCH)
async def search(
    audience: AudienceDep,
    reads: Reads,
    start: Start = None,
    end: End = None,
    priority: Priorities = None,
    status: Statuses = None,
    bbox: Bbox = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    found = await reads.search(_filter(start, end, priority, status, bbox, limit))
    return audience.incidents([incident_view(i) for i in found])


@router.get("/kpis", response_model=Kpis, responses=SEARCH)
async def kpis(
    _: User,
    reads: Reads,
    start: Start = None,
    end: End = None,
    bbox: Bbox = None,
    area: Annotated[str, Query(pattern="^(urban|rural)$")] = "urban",
) -> dict[str, Any]:
    """Response-time performance per priority against the protocol's targets, and China's 120
    quality indicators over the same incidents (``indicators``; docs/indicators.md), and the
    suspected infectious calls with their units' decontamination times (``infectious``), and the
    blood supply's requests of the period (``blood``: delivered, late, times, units expired)."""
    protocol = load_protocol()
    targets = {
        p: (protocol.target(p, area=area).seconds, protocol.target(p, area=area).fraction)
        for p in (1, 2, 3, 4)
    }
    chosen = _filter(start, end, None, None, bbox, 0)
    rows = await reads.kpis(chosen, targets)
    samples = await reads.indicator_samples(chosen)
    infectious = await reads.infectious_kpis(chosen)
    blood = await reads.blood_kpis(chosen, datetime.now(UTC))
    return {
        "area": area,
        "protocol_version": protocol.version,
        "priorities": rows,
        "indicators": indicators.compute(samples),
        "infectious": infectious,
        "blood": blood,
    }


@router.get("/incidents.csv", response_class=CsvResponse, responses=SEARCH)
async def export_csv(
    user: User,
    reads: Reads,
    audit: Audit,
    request: Request,
    container: ContainerDep,
    start: Start = None,
    end: End = None,
    priority: Priorities = None,
    status: Statuses = None,
    bbox: Bbox = None,
) -> Response:
    """Incidents with their NEMSIS eTimes-aligned times, for spreadsheets and state reporting:
    UTC ISO 8601 columns, then the same times in the centre's time zone (header says which)."""
    zone_name = container.settings.timezone
    zone = ZoneInfo(zone_name)
    found = await reads.search(_filter(start, end, priority, status, bbox, 100_000))
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)  # a complaint "=HYPERLINK(...)" stays text in a spreadsheet
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
            *(f"{e.number} {e.name} ({zone_name})" for e in stamps),
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
                *(
                    local_time(times[stamp], zone) if stamp in times else ""
                    for _, stamp in NEMSIS_TIMES
                ),
            ]
        )
    await audit.record(  # every export is on the record: who took which records out
        AuditKind.EXPORT,
        actor=user.username,
        subject="review:incidents.csv",
        client=request.client.host if request.client else None,
        detail={
            "rows": len(found),
            "from": None if start is None else start.isoformat(),
            "to": None if end is None else end.isoformat(),
            "priority": priority,
            "status": status,
            "bbox": bbox,
        },
    )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="incidents.csv"'},
    )


#: The longest window one request may export: a month of a busy centre is built in memory.
NEMSIS_MAX_DAYS = 31


def nemsis_window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The export's window, or a 422 problem: both ends given, in order, at most a month."""
    if start is None or end is None:
        raise Problem(422, "validation-error", "from and to are both required")
    if end <= start:
        raise Problem(422, "validation-error", "to must be after from")
    if end - start > timedelta(days=NEMSIS_MAX_DAYS):
        raise Problem(
            422,
            "validation-error",
            f"at most {NEMSIS_MAX_DAYS} days per export (use goldenhour export nemsis for more)",
        )
    return start, end


@router.get("/nemsis", response_class=ZipResponse, responses=SEARCH)
async def export_nemsis(
    user: User,
    records: CareRecords,
    audit: Audit,
    request: Request,
    container: ContainerDep,
    start: Start = None,
    end: End = None,
) -> Response:
    """NEMSIS v3.5.1 XML of the incidents received in [from, to) (at most 31 days), as a ZIP:
    ``DEM.xml`` (the agency, its stations, vehicles and hospitals), one ``EMS-<number>.xml``
    EMSDataSet per incident with one PatientCareReport per unit that responded and has
    cleared, and ``manifest.json``. Times carry the centre's UTC offset."""
    start, end = nemsis_window(start, end)
    settings = container.settings
    window = await records.window(start, end)
    body = await asyncio.to_thread(  # building XML is CPU work: keep the event loop free
        nemsis_archive.build,
        window,
        settings.nemsis_agency(),
        at=datetime.now(UTC),
        zone=ZoneInfo(settings.timezone),
    )
    await audit.record(  # every export is on the record: who took which records out
        AuditKind.EXPORT,
        actor=user.username,
        subject="review:nemsis",
        client=request.client.host if request.client else None,
        detail={
            "incidents": sum(1 for r in window.records if r.responses),
            "reports": window.reports,
            "from": start.isoformat(),
            "to": end.isoformat(),
        },
    )
    name = f"nemsis-{start:%Y%m%d}-{end:%Y%m%d}.zip"
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def local_time(at: datetime, zone: ZoneInfo) -> str:
    """``at`` (tz-aware) as the centre's wall clock, ``YYYY-MM-DD HH:MM:SS`` (whole seconds)."""
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
