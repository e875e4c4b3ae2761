"""Read models for consoles: a consistent snapshot stamped with its event sequence, and the log.

The snapshot runs in one REPEATABLE READ transaction, so the units, incidents and ``seq`` it
returns describe the same instant; events after that ``seq`` bring a console up to date.
Routes and socket sessions reach these through ``dispatch.store.reads.ReadModel``; the hub's
gap-filling reads are wired to them directly in ``dispatch.bootstrap``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.domain.model import Incident, Unit
from dispatch.domain.payloads import incident_view, unit_view
from dispatch.services.ports import EventRecord, Site
from dispatch.store import tables as t
from dispatch.store.geo import location_from, lon_lat
from dispatch.store.repository import SqlIncidentRepository, SqlUnitRepository


@dataclass(frozen=True, slots=True)
class Snapshot:
    seq: int
    units: list[dict[str, Any]]
    incidents: list[dict[str, Any]]

    def as_message(self) -> dict[str, Any]:
        return {
            "type": "snapshot",
            "seq": self.seq,
            "units": self.units,
            "incidents": self.incidents,
            "server_time": datetime.now(UTC).isoformat(),
        }


async def snapshot(engine: AsyncEngine) -> Snapshot:
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            seq = (
                await conn.execute(select(func.coalesce(func.max(t.events.c.seq), 0)))
            ).scalar_one()
            units = await SqlUnitRepository(conn).list()
            incidents = await SqlIncidentRepository(conn).list(open_only=True)
    return Snapshot(
        seq=int(seq),
        units=[unit_view(u) for u in units],
        incidents=[incident_view(i) for i in incidents if i.is_open],
    )


async def crew_snapshot(engine: AsyncEngine, unit_id: int) -> tuple[int, Unit, Incident | None]:
    """A crew's unit and its incident, stamped with the event sequence they reflect."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            seq = (
                await conn.execute(select(func.coalesce(func.max(t.events.c.seq), 0)))
            ).scalar_one()
            unit = await SqlUnitRepository(conn).get(unit_id)
            incident = None
            if unit.incident_id is not None:
                incident = await SqlIncidentRepository(conn).get(unit.incident_id)
    return int(seq), unit, incident


async def events_after(
    engine: AsyncEngine, seq: int, *, until: int | None = None, limit: int = 10_000
) -> list[EventRecord]:
    """Events with ``seq`` in (seq, until), oldest first: what a console missed."""
    query = select(t.events).where(t.events.c.seq > seq).order_by(t.events.c.seq).limit(limit)
    if until is not None:
        query = query.where(t.events.c.seq < until)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [_record(r) for r in rows]


async def positions_recorded_since(engine: AsyncEngine, since: datetime) -> list[dict[str, Any]]:
    """Current positions of the units that reported since ``since`` (server time)."""
    moved = select(t.unit_positions.c.unit_id).where(t.unit_positions.c.recorded_at > since)
    query = select(t.units.c.id, t.units.c.position_at, *lon_lat(t.units.c.position, "position"))
    async with engine.connect() as conn:
        rows = (await conn.execute(query.where(t.units.c.id.in_(moved)))).all()
    return [
        {
            "id": r.id,
            "position": [r.position_lon, r.position_lat],
            "position_at": r.position_at.isoformat(),
        }
        for r in rows
    ]


async def incident_events(engine: AsyncEngine, incident_id: int) -> list[EventRecord]:
    """Every logged event about one incident, in the order it happened (its audit trail)."""
    query = select(t.events).where(t.events.c.incident_id == incident_id).order_by(t.events.c.seq)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [_record(r) for r in rows]


async def last_seq(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        seq = (await conn.execute(select(func.coalesce(func.max(t.events.c.seq), 0)))).scalar_one()
    return int(seq)


async def sites(engine: AsyncEngine, table: Any) -> list[Site]:
    """Stations or hospitals, by name."""
    query = select(table.c.id, table.c.name, *lon_lat(table.c.location, "location")).order_by(
        table.c.name
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    result = []
    for r in rows:
        location = location_from(r, "location")
        assert location is not None
        result.append(Site(id=r.id, name=r.name, location=location))
    return result


def _record(row: Any) -> EventRecord:
    return EventRecord(
        seq=row.seq,
        name=row.name,
        occurred_at=row.occurred_at,
        actor=row.actor,
        data=row.payload,
        incident_id=row.incident_id,
        unit_id=row.unit_id,
    )
