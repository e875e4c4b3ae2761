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
