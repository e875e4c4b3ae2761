"""Unit of work over one PostgreSQL transaction: state and its events commit together.

Event rows are inserted under a transaction-scoped advisory lock, so the order of ``seq`` is the
order of commits. That is what lets a console resume from ``since=<seq>`` with no gap: no event
with a smaller ``seq`` can commit after one with a larger ``seq`` became visible.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from dispatch.domain import unit_times
from dispatch.domain.events import Event
from dispatch.domain.geo import Location
from dispatch.domain.model import Incident, Unit
from dispatch.domain.payloads import incident_view, unit_view
from dispatch.services.ports import EventRecord, Site
from dispatch.store import tables as t
from dispatch.store.blood import SqlBloodRepository
from dispatch.store.geo import lon_lat
from dispatch.store.mci import SqlMciRepository
from dispatch.store.phone_calls import SqlPhoneCallRepository
from dispatch.store.repository import (
    SqlAssignmentRepository,
    SqlCallRepository,
    SqlClientCursorRepository,
    SqlHospitalRepository,
    SqlIdempotencyRepository,
    SqlIncidentRepository,
    SqlTrackRepository,
    SqlUnitRepository,
)
from dispatch.store.surveillance import SqlSurveillanceRepository

#: Arbitrary but fixed key of the advisory lock that serialises event writers.
EVENT_LOCK_KEY = 0x60_1D_E4  # "golden"


class SqlUnitOfWork:
    units: SqlUnitRepository
    incidents: SqlIncidentRepository
    assignments: SqlAssignmentRepository
    tracks: SqlTrackRepository
    client_cursors: SqlClientCursorRepository
    idempotency: SqlIdempotencyRepository
    calls: SqlCallRepository
    hospitals: SqlHospitalRepository
    phone_calls: SqlPhoneCallRepository  # calls the PBX reported (dispatch.domain.telephony)
    mci: SqlMciRepository  # mass-casualty incidents (dispatch.store.mci)
    blood: SqlBloodRepository  # emergency blood supply (dispatch.store.blood)
    surveillance: SqlSurveillanceRepository  # public-health watch (dispatch.store.surveillance)

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        self._conn = await self._engine.connect()
        self._tx = await self._conn.begin()
        self.units = SqlUnitRepository(self._conn)
        self.incidents = SqlIncidentRepository(self._conn)
        self.assignments = SqlAssignmentRepository(self._conn)
        self.tracks = SqlTrackRepository(self._conn)
        self.client_cursors = SqlClientCursorRepository(self._conn)
        self.idempotency = SqlIdempotencyRepository(self._conn)
        self.calls = SqlCallRepository(self._conn)
        self.hospitals = SqlHospitalRepository(self._conn)
        self.phone_calls = SqlPhoneCallRepository(self._conn)
        self.mci = SqlMciRepository(self._conn)
        self.blood = SqlBloodRepository(self._conn)
        self.surveillance = SqlSurveillanceRepository(self._conn)
        self._loose: list[Event] = []
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._conn is not None and self._tx is not None
        try:
            if self._tx.is_active:
                await self._tx.rollback()
        finally:
            await self._conn.close()

    async def commit(self, *, actor: str) -> list[EventRecord]:
        assert self._conn is not None and self._tx is not None
        pending = self._collect()
        records: list[EventRecord] = []
        if pending:
            await self._conn.execute(select(func.pg_advisory_xact_lock(EVENT_LOCK_KEY)))
            payloads = [self._payload(event) for event in pending]
            rows = await self._conn.execute(
                insert(t.events).returning(t.events.c.seq, sort_by_parameter_order=True),
                [
                    {
                        "name": event.name,
                        "occurred_at": event.occurred_at,
                        "actor": actor,
                        "incident_id": event.incident_id,
                        "unit_id": event.unit_id,
                        "payload": data,
                    }
                    for event, data in zip(pending, payloads, strict=True)
                ],
            )
            records = [
                EventRecord(
                    seq=row.seq,
                    name=event.name,
                    occurred_at=event.occurred_at,
                    actor=actor,
                    data=data,
                    incident_id=event.incident_id,
                    unit_id=event.unit_id,
                )
                for row, event, data in zip(rows, pending, payloads, strict=True)
            ]
            # Each unit's own times (``assignments``) are a projection of its events, written in
            # the same transaction: every path that moves a unit records them, none can forget.
            entries = [entry for event in pending for entry in unit_times.entries(event)]
            if entries:
                await self.assignments.record_times(entries)
        await self._tx.commit()
        return records

    async def list_stations(self) -> list[Site]:
        assert self._conn is not None
        rows = await self._conn.execute(
            select(
                t.stations.c.id, t.stations.c.name, *lon_lat(t.stations.c.location, "location")
            ).order_by(t.stations.c.id)
        )
        return [Site(r.id, r.name, Location(r.location_lon, r.location_lat)) for r in rows]

    async def stations_exist(self, station_ids: list[int]) -> bool:
        assert self._conn is not None
        found = await self._conn.execute(
            select(func.count()).select_from(t.stations).where(t.stations.c.id.in_(station_ids))
        )
        return int(found.scalar_one()) == len(set(station_ids))

    def record(self, event: Event) -> None:
        """An event about something that is not an aggregate here (e.g. a hospital's status)."""
        self._loose.append(event)

    def _collect(self) -> list[Event]:
        """Events of every aggregate touched, units before incidents, in the order recorded."""
        pending: list[Event] = list(self._loose)
        self._loose.clear()
        aggregates: list[Unit | Incident] = [
            *self.units.seen.values(),
            *self.incidents.seen.values(),
        ]
        for aggregate in aggregates:
            pending.extend(aggregate.events)
            aggregate.events.clear()
        pending.sort(key=lambda e: e.occurred_at)  # stable: same-time events keep their order
        return pending

    def _payload(self, event: Event) -> dict[str, Any]:
        """What consoles need to apply the event: its own fields plus the aggregates' full state."""
        data = {
            k: v.isoformat() if isinstance(v, datetime) else v
            for k, v in dataclasses.asdict(event).items()
            if k not in ("occurred_at", "unit", "incident")
        }
        if event.unit_id is not None and event.unit_id in self.units.seen:
            data["unit"] = unit_view(self.units.seen[event.unit_id])
        if event.incident_id is not None and event.incident_id in self.incidents.seen:
            data["incident"] = incident_view(self.incidents.seen[event.incident_id])
        return data
