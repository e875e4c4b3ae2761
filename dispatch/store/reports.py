"""Supervisor read models: incident search, response-time KPIs, unit tracks, CSV rows.

Computed in SQL (percentiles with ``percentile_cont``) so a month of incidents is summarised
by the database, not by pulling every row into Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.domain.indicators import IndicatorSamples
from dispatch.domain.model import Incident
from dispatch.store import tables as t
from dispatch.store.geo import lon_lat
from dispatch.store.repository import SqlIncidentRepository, incident_from_row


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    start: datetime | None = None
    end: datetime | None = None
    priorities: Sequence[int] = ()
    statuses: Sequence[str] = ()
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north
    limit: int = 500


def _where(query: Select[Any], f: IncidentFilter) -> Select[Any]:
    c = t.incidents.c
    if f.start is not None:
        query = query.where(c.received_at >= f.start)
    if f.end is not None:
        query = query.where(c.received_at < f.end)
    if f.priorities:
        query = query.where(c.priority.in_(list(f.priorities)))
    if f.statuses:
        query = query.where(c.status.in_(list(f.statuses)))
    if f.bbox is not None:
        query = query.where(func.ST_Intersects(c.location, func.ST_MakeEnvelope(*f.bbox, 4326)))
    return query


async def search(engine: AsyncEngine, f: IncidentFilter) -> list[Incident]:
    """Incidents received in the window, newest first."""
    async with engine.connect() as conn:
        repo = SqlIncidentRepository(conn)
        query = _where(repo.query(), f).order_by(t.incidents.c.received_at.desc()).limit(f.limit)
        return [incident_from_row(r) for r in await conn.execute(query)]


def _seconds(later: Any, earlier: Any) -> Any:
    return func.extract("epoch", later - earlier)


async def kpis(
    engine: AsyncEngine, f: IncidentFilter, targets: dict[int, tuple[int, float]]
) -> list[dict[str, Any]]:
    """Per priority: counts, median and 90th percentile of the response intervals, share within
    target. Response = PSAP call to first unit on scene (NEMSIS eTimes.01 -> eTimes.06)."""
    c = t.incidents.c
    response = _seconds(c.on_scene_at, c.received_at)
    to_dispatch = _seconds(c.dispatched_at, c.received_at)
    chute = _seconds(c.en_route_at, c.dispatched_at)

    def pct(expr: Any, q: float) -> Any:
        return func.percentile_cont(q).within_group(expr)

    query = _where(
        select(
            c.priority,
            func.count().label("incidents"),
            func.count(c.on_scene_at).label("reached"),
            func.count().filter(c.status == "cancelled").label("cancelled"),
            pct(response, 0.5).label("response_median_s"),
            pct(response, 0.9).label("response_p90_s"),
            pct(to_dispatch, 0.5).label("call_to_dispatch_median_s"),
            pct(to_dispatch, 0.9).label("call_to_dispatch_p90_s"),
            pct(chute, 0.5).label("dispatch_to_departure_median_s"),
            pct(chute, 0.9).label("dispatch_to_departure_p90_s"),
        )
        .group_by(c.priority)
        .order_by(c.priority),
        f,
    )
    within = {}
    for priority, (seconds, _) in targets.items():
        within[priority] = (
            _where(select(func.count()), f)
            .select_from(t.incidents)
            .where(and_(c.priority == priority, c.on_scene_at.is_not(None), response <= seconds))
        )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
        result = []
        for r in rows:
            seconds, fraction = targets[r.priority]
            hits = (await conn.execute(within[r.priority])).scalar_one()
            result.append(
                {
                    "priority": r.priority,
                    "incidents": r.incidents,
                    "reached": r.reached,
                    "cancelled": r.cancelled,
                    "target_s": seconds,
                    "target_fraction": fraction,
                    "within_target": hits,
                    "within_target_share": None if not r.reached else round(hits / r.reached, 4),
                    **{
                        k: None if getattr(r, k) is None else round(float(getattr(r, k)), 1)
                        for k in (
                            "response_median_s",
                            "response_p90_s",
                            "call_to_dispatch_median_s",
                            "call_to_dispatch_p90_s",
                            "dispatch_to_departure_median_s",
                            "dispatch_to_departure_p90_s",
                        )
                    },
                }
            )
    return result


async def infectious_kpis(engine: AsyncEngine, f: IncidentFilter) -> dict[str, Any]:
    """Suspected infectious calls among those the filter selects: how many, how many were
    transported, and the units' decontaminations after them (count, median and total seconds).

    A decontamination's time runs from its ``DecontaminationStarted`` (which names the incident)
    to the unit's next ``DecontaminationEnded`` (by its crew or by expiry); one still running
    is counted but has no time yet."""
    c = t.incidents.c
    tally: Any = select(
        func.count().filter(c.infectious).label("incidents"),
        func.count().filter(and_(c.infectious, c.transporting_at.is_not(None))).label("transports"),
    )
    counts = _where(tally, f)
    chosen = _where(select(c.id).where(c.infectious), f)
    started = t.events.alias("started")
    ended = t.events.alias("ended")
    end_at = (
        select(func.min(ended.c.occurred_at))
        .where(
            ended.c.name == "DecontaminationEnded",
            ended.c.unit_id == started.c.unit_id,
            ended.c.seq > started.c.seq,
        )
        .scalar_subquery()
    )
    spans = select(_seconds(end_at, started.c.occurred_at).label("s")).where(
        started.c.name == "DecontaminationStarted", started.c.incident_id.in_(chosen)
    )
    async with engine.connect() as conn:
        row = (await conn.execute(counts)).one()
        seconds = [r.s for r in await conn.execute(spans)]
    done = sorted(float(s) for s in seconds if s is not None)
    median = None
    if done:
        mid = len(done) // 2
        median = done[mid] if len(done) % 2 else (done[mid - 1] + done[mid]) / 2
    return {
        "incidents": row.incidents,
        "transports": row.transports,
        "decontaminations": len(seconds),
        "decontamination_median_s": None if median is None else round(median, 1),
        "decontamination_total_s": round(sum(done), 1),
    }


async def blood_kpis(engine: AsyncEngine, f: IncidentFilter, now: datetime) -> dict[str, Any]:
    """The emergency blood supply over the requests made in the filter's period (its area does
    not apply: a request is a hospital's, not a place's): how many, delivered, request to
    delivered (median, mean, 90th percentile), late (delivered after the deadline, or not
    delivered and past it now), waitlisted; and the free units of lots that expired in the
    period unused (a unit held for a request is not free, so it never counts as expired).

    A request's delivery is its last job's handover (a request split over two banks is
    delivered when both have arrived)."""
    r, j, lots = t.blood_requests.c, t.blood_jobs.c, t.blood_lots.c
    delivered_at = (
        select(func.max(j.delivered_at))
        .where(j.request_id == r.id, j.state == "delivered")
        .scalar_subquery()
    )
    chosen = select(r.status, r.deadline, r.requested_at, delivered_at.label("delivered_at"))
    expired = select(func.coalesce(func.sum(lots.units), 0)).where(
        lots.units > 0, lots.expires_at <= now
    )
    if f.start is not None:
        chosen = chosen.where(r.requested_at >= f.start)
        expired = expired.where(lots.expires_at >= f.start)
    if f.end is not None:
        chosen = chosen.where(r.requested_at < f.end)
        expired = expired.where(lots.expires_at < f.end)
    async with engine.connect() as conn:
        rows = (await conn.execute(chosen)).all()
        units_expired = int((await conn.execute(expired)).scalar_one())
    times = sorted(
        (row.delivered_at - row.requested_at).total_seconds()
        for row in rows
        if row.status == "delivered" and row.delivered_at is not None
    )
    late = sum(
        1
        for row in rows
        if (row.delivered_at is not None and row.delivered_at > row.deadline)
        or (
            row.delivered_at is None
            and row.status not in ("delivered", "cancelled")
            and now > row.deadline
        )
    )
    return {
        "requests": len(rows),
        "delivered": len(times),
        "waitlisted": sum(1 for row in rows if row.status == "waitlisted"),
        "late": late,
        "delivered_median_s": _quantile(times, 0.5),
        "delivered_mean_s": round(sum(times) / len(times), 1) if times else None,
        "delivered_p90_s": _quantile(times, 0.9),
        "units_expired": units_expired,
    }


def _quantile(ordered: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of sorted values, by linear interpolation (None when empty)."""
    if not ordered:
        return None
    at = q * (len(ordered) - 1)
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (at - low), 1)


async def indicator_samples(engine: AsyncEngine, f: IncidentFilter) -> IndicatorSamples:
    """The raw intervals of China's 120 indicators (``dispatch.domain.indicators``) for the
    incidents the filter selects: one number per call, order or incident (a month of a busy
    centre is some ten thousand floats; the definitions stay in the pure module)."""
    i, calls, phones = t.incidents.c, t.calls.c, t.phone_calls.c
    a, u = t.assignments.c, t.units.c
    answers = _where(
        select(_seconds(phones.answered_at, phones.started_at)).select_from(
            t.calls.join(t.incidents, calls.incident_id == i.id).outerjoin(
                t.phone_calls, calls.phone_call_id == phones.id
            )
        ),  # every call answered, repeat callers' too: each rang and was picked up
        f,
    )
    orders = _where(
        select(u.call_sign, a.incident_id, _seconds(a.en_route_at, a.assigned_at)).select_from(
            t.assignments.join(t.incidents, a.incident_id == i.id).join(t.units, a.unit_id == u.id)
        ),
        f,
    )
    responses = _where(select(_seconds(i.on_scene_at, i.received_at)), f)
    async with engine.connect() as conn:
        answer_rows = (await conn.execute(answers)).all()
        order_rows = (await conn.execute(orders)).all()
        response_rows = (await conn.execute(responses)).all()
        fleet = (await conn.execute(select(u.call_sign).order_by(u.call_sign))).scalars().all()

    def num(v: Any) -> float | None:
        return None if v is None else float(v)

    return IndicatorSamples(
        answer_delays=[num(r[0]) for r in answer_rows],
        departure_delays=[num(r[2]) for r in order_rows],
        responses=[num(r[0]) for r in response_rows],
        fleet=list(fleet),
        sent=[(r[0], int(r[1])) for r in order_rows],
    )


async def tracks(engine: AsyncEngine, incident: Incident) -> dict[str, Any]:
    """GeoJSON of where each unit of the incident drove while working it (for replay)."""
    end = incident.closed_at or incident.cancelled_at
    a, p = t.assignments.c, t.unit_positions.c
    query = (
        select(p.unit_id, t.units.c.call_sign, p.reported_at, *lon_lat(p.position, "position"))
        .join(t.units, t.units.c.id == p.unit_id)
        .where(p.unit_id.in_(select(a.unit_id).where(a.incident_id == incident.id)))
        .where(p.reported_at >= incident.received_at)
        .order_by(p.unit_id, p.reported_at)
    )
    if end is not None:
        query = query.where(p.reported_at <= end)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    by_unit: dict[int, dict[str, Any]] = {}
    for r in rows:
        track = by_unit.setdefault(r.unit_id, {"call_sign": r.call_sign, "coords": [], "times": []})
        track["coords"].append([r.position_lon, r.position_lat])
        track["times"].append(r.reported_at.isoformat())
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": tr["coords"]},
                "properties": {"unit_id": uid, "call_sign": tr["call_sign"], "times": tr["times"]},
            }
            for uid, tr in by_unit.items()
        ],
    }
