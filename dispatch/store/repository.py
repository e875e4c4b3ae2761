"""Repositories: load and save aggregates over one transaction's connection.

Each repository remembers the aggregates it handed out (``seen``) so the unit of work can collect
the events they recorded and write them with the state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from dispatch.domain import unit_times
from dispatch.domain.errors import NotFound
from dispatch.domain.geo import Location
from dispatch.domain.hospitals import EdStatus, Hospital
from dispatch.domain.model import (
    FINAL,
    Caller,
    Capability,
    Incident,
    IncidentStatus,
    Unit,
    UnitStatus,
)
from dispatch.domain.nemsis import Stamp
from dispatch.services.ports import RoadRoute
from dispatch.store import tables as t
from dispatch.store.geo import line, location_from, lon_lat, point


def _unit_query() -> Select[Any]:
    return select(
        t.units.c.id,
        t.units.c.call_sign,
        t.units.c.capability,
        t.units.c.status,
        t.units.c.status_at,
        t.units.c.station_id,
        t.units.c.incident_id,
        t.units.c.position_at,
        t.units.c.order_id,
        t.units.c.order_acknowledged_at,
        t.units.c.destination_hospital_id,
        t.units.c.status_flags,
        t.units.c.isolation,
        t.units.c.infectious_load,
        t.units.c.decontamination_until,
        *lon_lat(t.units.c.position, "position"),
        *lon_lat(t.stations.c.location, "home"),
    ).outerjoin(t.stations, t.stations.c.id == t.units.c.station_id)


def unit_from_row(row: Any) -> Unit:
    return Unit(
        id=row.id,
        call_sign=row.call_sign,
        capability=Capability(row.capability),
        status=UnitStatus(row.status),
        status_at=row.status_at,
        station_id=row.station_id,
        position=location_from(row, "position"),
        position_at=row.position_at,
        incident_id=row.incident_id,
        order_id=row.order_id,
        order_acknowledged_at=row.order_acknowledged_at,
        destination_hospital_id=row.destination_hospital_id,
        home=location_from(row, "home"),
        status_flags=tuple(row.status_flags or ()),
        isolation=row.isolation,
        infectious_load=row.infectious_load,
        decontamination_until=row.decontamination_until,
    )


def _incident_query() -> Select[Any]:
    unit_ids = (
        select(func.array_agg(aggregate_order_by(t.assignments.c.unit_id, t.assignments.c.id)))
        .where(t.assignments.c.incident_id == t.incidents.c.id)
        .scalar_subquery()
    )
    return select(
        t.incidents.c.id,
        t.incidents.c.number,
        t.incidents.c.address,
        t.incidents.c.complaint,
        t.incidents.c.priority,
        t.incidents.c.status,
        t.incidents.c.received_at,
        t.incidents.c.dispatched_at,
        t.incidents.c.en_route_at,
        t.incidents.c.on_scene_at,
        t.incidents.c.transporting_at,
        t.incidents.c.at_hospital_at,
        t.incidents.c.closed_at,
        t.incidents.c.cancelled_at,
        t.incidents.c.cancel_reason,
        t.incidents.c.address_verified,
        t.incidents.c.complaint_code,
        t.incidents.c.determinant,
        t.incidents.c.determinant_code,
        t.incidents.c.protocol_version,
        t.incidents.c.needs,
        t.incidents.c.hospital_capability,
        t.incidents.c.infectious,
        t.incidents.c.infectious_reason,
        t.incidents.c.caller_number,
        t.incidents.c.caller_accuracy_m,
        t.incidents.c.caller_crs,
        t.incidents.c.caller_name,
        t.incidents.c.caller_callback,
        *lon_lat(t.incidents.c.caller_location, "caller"),
        unit_ids.label("unit_ids"),
        *lon_lat(t.incidents.c.location, "location"),
    )


def incident_from_row(row: Any) -> Incident:
    location = location_from(row, "location")
    assert location is not None, "incidents.location is NOT NULL"
    return Incident(
        id=row.id,
        number=row.number,
        location=location,
        address=row.address,
        complaint=row.complaint,
        priority=row.priority,
        status=IncidentStatus(row.status),
        received_at=row.received_at,
        unit_ids=list(row.unit_ids or []),
        dispatched_at=row.dispatched_at,
        en_route_at=row.en_route_at,
        on_scene_at=row.on_scene_at,
        transporting_at=row.transporting_at,
        at_hospital_at=row.at_hospital_at,
        closed_at=row.closed_at,
        cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason,
        address_verified=row.address_verified,
        complaint_code=row.complaint_code,
        determinant=row.determinant,
        determinant_code=row.determinant_code,
        protocol_version=row.protocol_version,
        needs=frozenset(row.needs or ()),
        hospital_capability=row.hospital_capability,
        infectious=row.infectious,
        infectious_reason=row.infectious_reason,
        caller=None
        if row.caller_crs is None
        else Caller(
            row.caller_number,
            location_from(row, "caller"),
            row.caller_accuracy_m,
            row.caller_crs,
            row.caller_name,
            row.caller_callback,
        ),
    )


class SqlUnitRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.seen: dict[int, Unit] = {}

    async def get(self, unit_id: int, *, lock: bool = False) -> Unit:
        query = _unit_query().where(t.units.c.id == unit_id)
        if lock:
            query = query.with_for_update(of=t.units)
        row = (await self._conn.execute(query)).one_or_none()
        if row is None:
            raise NotFound(f"No unit with id {unit_id}")
        unit = unit_from_row(row)
        self.seen[unit.id] = unit
        return unit

    async def lock_many(self, unit_ids: Sequence[int]) -> list[Unit]:
        """Lock several units at once, always in id order, so two requests cannot deadlock."""
        query = (
            _unit_query()
            .where(t.units.c.id.in_(sorted(set(unit_ids))))
            .order_by(t.units.c.id)
            .with_for_update(of=t.units)
        )
        units = [unit_from_row(r) for r in await self._conn.execute(query)]
        self.seen.update({u.id: u for u in units})
        return units

    async def on_incident(self, incident_id: int, *, lock: bool = False) -> list[Unit]:
        """The units currently working ``incident_id`` (locked, in id order, when asked)."""
        query = _unit_query().where(t.units.c.incident_id == incident_id).order_by(t.units.c.id)
        if lock:
            query = query.with_for_update(of=t.units)
        units = [unit_from_row(r) for r in await self._conn.execute(query)]
        self.seen.update({u.id: u for u in units})
        return units

    async def list(self) -> list[Unit]:
        rows = await self._conn.execute(_unit_query().order_by(t.units.c.call_sign))
        return [unit_from_row(r) for r in rows]

    async def save(self, unit: Unit) -> None:
        self.seen[unit.id] = unit
        await self._conn.execute(
            update(t.units)
            .where(t.units.c.id == unit.id)
            .values(
                status=unit.status.value,
                status_at=unit.status_at,
                position=point(unit.position),
                position_at=unit.position_at,
                incident_id=unit.incident_id,
                order_id=unit.order_id,
                order_acknowledged_at=unit.order_acknowledged_at,
                destination_hospital_id=unit.destination_hospital_id,
                station_id=unit.station_id,
                status_flags=list(unit.status_flags),
                isolation=unit.isolation,
                infectious_load=unit.infectious_load,
                decontamination_until=unit.decontamination_until,
            )
        )


class SqlIncidentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self.seen: dict[int, Incident] = {}

    async def next_id(self) -> int:
        return int((await self._conn.execute(select(t.incident_ids.next_value()))).scalar_one())

    async def add(self, incident: Incident) -> None:
        self.seen[incident.id] = incident
        await self._conn.execute(
            insert(t.incidents).values(
                id=incident.id, location=point(incident.location), **self._fields(incident)
            )
        )

    async def get(self, incident_id: int, *, lock: bool = False) -> Incident:
        query = _incident_query().where(t.incidents.c.id == incident_id)
        if lock:
            query = query.with_for_update(of=t.incidents)
        row = (await self._conn.execute(query)).one_or_none()
        if row is None:
            raise NotFound(f"No incident with id {incident_id}")
        incident = incident_from_row(row)
        self.seen[incident.id] = incident
        return incident

    @staticmethod
    def query() -> Select[Any]:
        """The select every incident read starts from (for read models that add filters)."""
        return _incident_query()

    async def list(self, *, open_only: bool) -> list[Incident]:
        query = _incident_query().order_by(t.incidents.c.id)
        if open_only:
            query = query.where(t.incidents.c.status.not_in([s.value for s in FINAL]))
        return [incident_from_row(r) for r in await self._conn.execute(query)]

    async def save(self, incident: Incident) -> None:
        self.seen[incident.id] = incident
        await self._conn.execute(
            update(t.incidents)
            .where(t.incidents.c.id == incident.id)
            .values(**self._fields(incident))
        )

    @staticmethod
    def _fields(incident: Incident) -> dict[str, Any]:
        return {
            "number": incident.number,
            "address": incident.address,
            "complaint": incident.complaint,
            "priority": incident.priority,
            "status": incident.status.value,
            "received_at": incident.received_at,
            "dispatched_at": incident.dispatched_at,
            "en_route_at": incident.en_route_at,
            "on_scene_at": incident.on_scene_at,
            "transporting_at": incident.transporting_at,
            "at_hospital_at": incident.at_hospital_at,
            "closed_at": incident.closed_at,
            "cancelled_at": incident.cancelled_at,
            "cancel_reason": incident.cancel_reason,
            "address_verified": incident.address_verified,
            "complaint_code": incident.complaint_code,
            "determinant": incident.determinant,
            "determinant_code": incident.determinant_code,
            "protocol_version": incident.protocol_version,
            "needs": sorted(incident.needs),
            "hospital_capability": incident.hospital_capability,
            "infectious": incident.infectious,
            "infectious_reason": incident.infectious_reason,
            "caller_number": None if incident.caller is None else incident.caller.number,
            "caller_location": point(None if incident.caller is None else incident.caller.location),
            "caller_accuracy_m": None if incident.caller is None else incident.caller.accuracy_m,
            "caller_crs": None if incident.caller is None else incident.caller.crs,
            "caller_name": None if incident.caller is None else incident.caller.name,
            "caller_callback": None if incident.caller is None else incident.caller.callback,
        }


class SqlAssignmentRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def next_id(self) -> int:
        """The id of the next dispatch order, known before the order is written."""
        seq = func.nextval(func.pg_get_serial_sequence("assignments", "id"))
        return int((await self._conn.execute(select(seq))).scalar_one())

    async def acknowledged(self, order_id: int, at: datetime) -> None:
        await self._conn.execute(
            update(t.assignments)
            .where(t.assignments.c.id == order_id, t.assignments.c.acknowledged_at.is_(None))
            .values(acknowledged_at=at)
        )

    async def add(
        self,
        *,
        order_id: int,
        incident_id: int,
        unit_id: int,
        at: datetime,
        actor: str,
        route: RoadRoute | None,
    ) -> None:
        await self._conn.execute(
            insert(t.assignments).values(
                id=order_id,
                incident_id=incident_id,
                unit_id=unit_id,
                assigned_at=at,
                assigned_by=actor,
                eta_s=None if route is None else route.duration_s,
                distance_m=None if route is None else route.distance_m,
                route=line(None if route is None else route.coordinates),
            )
        )

    async def of_incident(self, incident_id: int) -> list[unit_times.UnitTimes]:
        """Every order of the incident with its unit's times, in order."""
        return await _unit_times(self._conn, t.assignments.c.incident_id == incident_id)

    async def of_order(self, order_id: int) -> unit_times.UnitTimes | None:
        found = await _unit_times(self._conn, t.assignments.c.id == order_id)
        return found[0] if found else None

    async def record_times(self, entries: Sequence[unit_times.TimeEntry]) -> None:
        """Write per-unit times: a correction replaces, anything else keeps the first time."""
        a = t.assignments.c
        for e in entries:
            column = a[unit_times.COLUMN[e.stamp]]
            if e.order_id is not None:
                where = a.id == e.order_id
            else:
                latest = select(func.max(a.id)).where(
                    a.unit_id == e.unit, a.incident_id == e.incident
                )
                where = a.id == latest.scalar_subquery()
            row = (
                await self._conn.execute(select(a.id, column.label("at")).where(where))
            ).one_or_none()
            if row is None or (row.at not in (None, e.at) and not e.overwrite):
                continue  # the first time stays (a repeat with the same time adds its flags)
            values: dict[str, Any] = {column.name: e.at}
            if e.flags or e.overwrite:
                flags = literal({e.stamp.value: list(e.flags)}, JSONB)
                values["time_flags"] = a.time_flags.op("||", return_type=JSONB)(flags)
            await self._conn.execute(update(t.assignments).where(a.id == row.id).values(**values))


async def _unit_times(conn: AsyncConnection, where: Any) -> list[unit_times.UnitTimes]:
    a = t.assignments.c
    columns = [a[name].label(stamp.value) for stamp, name in unit_times.COLUMN.items()]
    query = (
        select(a.id, a.unit_id, t.units.c.call_sign, a.time_flags, *columns)
        .join(t.units, t.units.c.id == a.unit_id)
        .where(where)
        .order_by(a.id)
    )
    found = []
    for row in await conn.execute(query):
        times = {s: getattr(row, s.value) for s in unit_times.COLUMN}
        found.append(
            unit_times.UnitTimes(
                order_id=row.id,
                unit_id=row.unit_id,
                call_sign=row.call_sign,
                times={s: at for s, at in times.items() if at is not None},
                flags={Stamp(k): tuple(v) for k, v in (row.time_flags or {}).items() if v},
            )
        )
    return found


class SqlTrackRepository:
    """GPS fixes as a track per unit (for replay); one row per accepted fix."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, unit_id: int, location: Location, reported_at: datetime) -> None:
        await self._conn.execute(
            insert(t.unit_positions).values(
                unit_id=unit_id, position=point(location), reported_at=reported_at
            )
        )


class SqlClientCursorRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def advance(self, unit_id: int, client_id: str, client_seq: int) -> bool:
        """Move the (unit, client) cursor to ``client_seq``; False when it is not newer.

        One statement, so two retries racing each other cannot both win.
        """
        new = pg_insert(t.client_cursors).values(
            unit_id=unit_id, client_id=client_id, last_seq=client_seq
        )
        upsert = new.on_conflict_do_update(
            index_elements=[t.client_cursors.c.unit_id, t.client_cursors.c.client_id],
            set_={"last_seq": new.excluded.last_seq, "updated_at": func.now()},
            where=t.client_cursors.c.last_seq < new.excluded.last_seq,
        ).returning(t.client_cursors.c.last_seq)
        return (await self._conn.execute(upsert)).first() is not None


class SqlIdempotencyRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def find(self, key: str) -> tuple[str, int, dict[str, Any]] | None:
        """(request hash, status code, response) stored under ``key``, waiting for a concurrent
        request with the same key to commit first (the row lock of the unique key)."""
        row = (
            await self._conn.execute(
                select(
                    t.idempotency_keys.c.request_hash,
                    t.idempotency_keys.c.status_code,
                    t.idempotency_keys.c.response,
                ).where(t.idempotency_keys.c.key == key)
            )
        ).first()
        return None if row is None else (row.request_hash, row.status_code, row.response)

    async def claim(
        self, key: str, *, actor: str, request_hash: str, status_code: int, response: dict[str, Any]
    ) -> bool:
        """Store the answer under ``key`` unless a committed request already did; False then."""
        stmt = (
            pg_insert(t.idempotency_keys)
            .values(
                key=key,
                actor=actor,
                request_hash=request_hash,
                status_code=status_code,
                response=response,
            )
            .on_conflict_do_nothing(index_elements=[t.idempotency_keys.c.key])
        )
        return bool((await self._conn.execute(stmt.returning(t.idempotency_keys.c.key))).first())


class SqlCallRepository:
    """Every call received, so later calls from the same phone can be recognised."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
        *,
        incident_id: int,
        at: datetime,
        actor: str,
        number: str | None,
        complaint: str,
        linked: bool,
        phone_call_id: int | None = None,
    ) -> None:
        await self._conn.execute(
            insert(t.calls).values(
                incident_id=incident_id,
                received_at=at,
                actor=actor,
                caller_number=number,
                complaint=complaint,
                linked=linked,
                phone_call_id=phone_call_id,
            )
        )

    async def incident_of_phone_call(self, phone_call_id: int) -> int | None:
        """The incident a phone line call was already taken into, if any."""
        return (
            await self._conn.execute(
                select(t.calls.c.incident_id).where(t.calls.c.phone_call_id == phone_call_id)
            )
        ).scalar_one_or_none()

    async def from_number(self, number: str, since: datetime) -> list[tuple[int, datetime]]:
        """(incident id, call time) of calls from ``number`` since ``since``, newest first."""
        rows = await self._conn.execute(
            select(t.calls.c.incident_id, t.calls.c.received_at)
            .where(t.calls.c.caller_number == number, t.calls.c.received_at >= since)
            .order_by(t.calls.c.received_at.desc())
        )
        return [(r.incident_id, r.received_at) for r in rows]


def hospital_from_row(row: Any) -> Hospital:
    location = location_from(row, "location")
    assert location is not None
    return Hospital(
        id=row.id,
        name=row.name,
        location=location,
        capabilities=frozenset(row.capabilities or ()),
        ed_status=EdStatus(row.ed_status),
        beds_available=row.beds_available,
        status_at=row.status_at,
        capability_beds=dict(row.capability_beds or {}),
    )


class SqlHospitalRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    @staticmethod
    def _query() -> Select[Any]:
        h = t.hospitals.c
        return select(
            h.id,
            h.name,
            h.capabilities,
            h.ed_status,
            h.beds_available,
            h.status_at,
            h.capability_beds,
            *lon_lat(h.location, "location"),
        )

    async def get(self, hospital_id: int, *, lock: bool = False) -> Hospital:
        query = self._query().where(t.hospitals.c.id == hospital_id)
        if lock:
            query = query.with_for_update(of=t.hospitals)
        row = (await self._conn.execute(query)).one_or_none()
        if row is None:
            raise NotFound(f"No hospital with id {hospital_id}")
        return hospital_from_row(row)

    async def list(self) -> list[Hospital]:
        rows = await self._conn.execute(self._query().order_by(t.hospitals.c.name))
        return [hospital_from_row(r) for r in rows]

    async def save(self, hospital: Hospital, at: datetime) -> None:
        await self._conn.execute(
            update(t.hospitals)
            .where(t.hospitals.c.id == hospital.id)
            .values(
                capabilities=sorted(hospital.capabilities),
                ed_status=hospital.ed_status.value,
                beds_available=hospital.beds_available,
                capability_beds=dict(hospital.capability_beds),
                status_at=at,
            )
        )
