"""The public-health watch (issue 18): signals, their acknowledgement, a round on demand, the
daily aggregated counts (export and history import).

Who may call what is ``dispatch.api.policy`` (rows under "public-health watch"): the floor and
the auditor read signals; the supervisor acknowledges them, runs a round and exports; history
is imported by the supervisor or the admin. Nothing here carries personal data: signals and the
export are counts per syndrome, H3 cell and day.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from dispatch.api.deps import Audit, ContainerDep, ServiceDeps, User
from dispatch.api.problems import Problem
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.surveillance import (
    AcknowledgeIn,
    DailyCount,
    Day,
    HistoryImported,
    HistoryIn,
    Signal,
    WatchRound,
)
from dispatch.api.schemas.types import PathId
from dispatch.config import Settings
from dispatch.services import surveillance
from dispatch.services.ports import AuditKind, StoredSignal
from dispatch.surveillance import areas
from dispatch.surveillance.export import write_counts_csv
from dispatch.surveillance.syndromes import load_syndrome_map

router = APIRouter(tags=["surveillance"])

READ = problems(401, 403, 422, 503)
COMMAND = problems(401, 403, 404, 409, 422, 503)
#: The longest export one request builds (a year of a city: a few hundred thousand rows at most).
EXPORT_MAX_DAYS = 366


def watch_config(settings: Settings) -> surveillance.WatchConfig:
    """The watch as the centre configured it (``GOLDENHOUR_SURVEILLANCE_*``)."""
    return surveillance.WatchConfig(
        zone=ZoneInfo(settings.timezone),
        methods=tuple(settings.surveillance_methods.split(",")),
        quiet_days=settings.surveillance_quiet_days,
        interval_s=settings.surveillance_interval_s,
    )


def signal_view(s: StoredSignal) -> dict[str, Any]:
    label = load_syndrome_map().label(s.syndrome)
    return {
        "id": s.id,
        "syndrome": s.syndrome,
        "label": {"en": label.en, "zh": label.zh},
        "method": s.method,
        "areas": [
            {"id": a, "centre": areas.centre(a), "boundary": areas.boundary(a)} for a in s.areas
        ],
        "since": s.since,
        "last_seen": s.last_seen,
        "days": s.days,
        "observed": s.observed,
        "expected": round(s.expected, 2),
        "statistic": round(s.statistic, 4),
        "level": s.level,
        "status": s.status,
        "opened_at": s.opened_at.isoformat(),
        "closed_at": s.closed_at and s.closed_at.isoformat(),
        "acknowledged_at": s.acknowledged_at and s.acknowledged_at.isoformat(),
        "acknowledged_by": s.acknowledged_by,
        "acknowledge_note": s.acknowledge_note,
    }


@router.get("/surveillance/signals", response_model=list[Signal], responses=READ)
async def list_signals(
    _: User,
    deps: ServiceDeps,
    status: Literal["open", "all"] = "open",
    since: Annotated[Day | None, Query(description="covering days from (local day)")] = None,
    until: Annotated[Day | None, Query(description="covering days until (local day)")] = None,
) -> list[dict[str, Any]]:
    """Signals, newest first: the open ones (the console's panel), or all of a period (the
    review's history)."""
    found = await surveillance.signals(deps, open_only=status == "open", since=since, until=until)
    return [signal_view(s) for s in found]


@router.post(
    "/surveillance/signals/{signal_id}/acknowledge", response_model=Signal, responses=COMMAND
)
async def acknowledge(
    signal_id: PathId, body: AcknowledgeIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Acknowledge a signal with a note (recorded as ``SignalAcknowledged``); once per signal
    (409 ``signal-already-acknowledged``)."""
    done = await surveillance.acknowledge(
        deps, signal_id=signal_id, actor=user.username, note=body.note.strip()
    )
    return signal_view(done)


@router.post("/surveillance/run", response_model=WatchRound, responses=COMMAND)
async def run_now(_: User, deps: ServiceDeps, container: ContainerDep) -> dict[str, Any]:
    """Run a round of the watch now (it also runs every ``GOLDENHOUR_SURVEILLANCE_INTERVAL_S``):
    after importing history, or to see this morning's calls judged at once."""
    done = await surveillance.run_round(deps, watch_config(container.settings), wait=True)
    return {
        "judged": list(done.judged),
        "raised": list(done.raised),
        "updated": list(done.updated),
        "closed": list(done.closed),
        "skipped": done.skipped,
    }


@router.get(
    "/surveillance/counts",
    response_model=list[DailyCount],
    responses={
        **READ,
        200: {
            "description": "the counts; as CSV (day,syndrome,area,calls) with format=csv",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
    },
)
async def daily_counts(
    user: User,
    deps: ServiceDeps,
    container: ContainerDep,
    audit: Audit,
    request: Request,
    first: Annotated[Day, Query(alias="from", description="first local day")],
    last: Annotated[Day, Query(alias="to", description="last local day (included)")],
    format: Literal["json", "csv"] = "json",
) -> Response:
    """The daily aggregated counts for the health authority: day x syndrome x H3 cell, calls
    (non-zero only). No personal data: no call, time, address or caller."""
    if last < first:
        raise Problem(422, "validation-error", "'to' is before 'from'")
    if (last - first) > timedelta(days=EXPORT_MAX_DAYS - 1):
        raise Problem(422, "validation-error", f"at most {EXPORT_MAX_DAYS} days per export")
    zone = ZoneInfo(container.settings.timezone)
    rows = await surveillance.daily_counts(deps, zone=zone, first=first, last=last)
    await audit.record(
        AuditKind.EXPORT,
        actor=user.username,
        subject="surveillance:counts",
        client=request.client.host if request.client else None,
        detail={"rows": len(rows), "from": first.isoformat(), "to": last.isoformat()},
    )
    if format == "csv":
        name = f"syndrome-counts-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(
            write_counts_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    body = [{"day": d.isoformat(), "syndrome": s, "area": a, "calls": n} for d, s, a, n in rows]
    return Response(json.dumps(body), media_type="application/json")


@router.post("/surveillance/history", response_model=HistoryImported, responses=COMMAND)
async def import_history(body: HistoryIn, user: User, deps: ServiceDeps) -> dict[str, Any]:
    """Import daily counts (the export's format) so the detectors have a baseline on day one.
    All rows or none: a bad cell refuses the file (422 ``history-import-refused``, every bad
    cell in ``rows``)."""
    days, rows = await surveillance.import_history(deps, actor=user.username, text=body.csv)
    return {"days": days, "rows": rows}
