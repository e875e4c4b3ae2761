"""Storage of mass-casualty incidents (migration 0014): declarations, patients, surge capacity.

One repository over the unit of work's connection, like the others in ``dispatch.store``: the
rows change in the same transaction as the events that record the change (handlers hand those
to ``uow.record``), so the log and the tables cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from dispatch.domain.mci import (
    AgeBand,
    CommandRole,
    Mci,
    Need,
    Patient,
    PatientStatus,
    SurgeCapacity,
    TriageCategory,
)
from dispatch.store import tables as t


class SqlMciRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # -- the declaration ------------------------------------------------------------------

    async def get(self, incident_id: int, *, lock: bool = False) -> Mci | None:
        """The MCI declared on the incident (None: not declared). ``lock``: for a change, so
        two officers binding roles at once apply one after the other."""
        query = select(t.mcis).where(t.mcis.c.incident_id == incident_id)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else _mci(row)

    async def add(self, mci: Mci, *, by: str) -> bool:
        """Insert the declaration; False when the incident was already declared (a race)."""
        done = await self._conn.execute(
            pg_insert(t.mcis)
            .values(
                incident_id=mci.incident,
                level=mci.level,
                declared_at=mci.declared_at,
                declared_by=by,
                roles=_roles(mci),
                updated_at=mci.declared_at,
            )
            .on_conflict_do_nothing(index_elements=["incident_id"])
        )
        return bool(done.rowcount)

    async def save(self, mci: Mci, at: datetime) -> None:
        await self._conn.execute(
            update(t.mcis)
            .where(t.mcis.c.incident_id == mci.incident)
            .values(level=mci.level, roles=_roles(mci), updated_at=at)
        )

    async def open_incidents(self) -> list[int]:
        """Incidents with a declared MCI that are still open (not closed or cancelled)."""
        rows = await self._conn.execute(
            select(t.mcis.c.incident_id)
            .join(t.incidents, t.incidents.c.id == t.mcis.c.incident_id)
            .where(t.incidents.c.status.not_in(("closed", "cancelled")))
            .order_by(t.mcis.c.incident_id)
        )
        return [r.incident_id for r in rows]

    # -- patients -------------------------------------------------------------------------

    async def patients(self, incident_id: int, *, lock: bool = False) -> list[Patient]:
        """The incident's patients in registration order (the planner's tie-break order)."""
        p = t.mci_patients.c
        query = select(t.mci_patients).where(p.incident_id == incident_id).order_by(p.id)
        if lock:
            query = query.with_for_update()
        return [patient_from_row(r) for r in await self._conn.execute(query)]

    async def patient(self, incident_id: int, tag: str, *, lock: bool = False) -> Patient | None:
        p = t.mci_patients.c
        query = select(t.mci_patients).where(p.incident_id == incident_id, p.tag == tag)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).one_or_none()
        return None if row is None else patient_from_row(row)

    async def on_unit(self, unit_id: int, *, lock: bool = False) -> list[Patient]:
        """Patients assigned to or carried by ``unit_id`` (any incident), registration order."""
        p = t.mci_patients.c
        query = (
            select(t.mci_patients)
            .where(
                p.unit_id == unit_id,
                p.status.in_((PatientStatus.ASSIGNED.value, PatientStatus.TRANSPORTING.value)),
            )
            .order_by(p.id)
        )
        if lock:
            query = query.with_for_update()
        return [patient_from_row(r) for r in await self._conn.execute(query)]

    async def routed(self, incident_ids: Sequence[int]) -> list[Patient]:
        """Patients of these incidents with a hospital (assigned, transporting, arrived)."""
        if not incident_ids:
            return []
        p = t.mci_patients.c
        rows = await self._conn.execute(
            select(t.mci_patients)
            .where(p.incident_id.in_(list(incident_ids)), p.hospital_id.is_not(None))
            .order_by(p.id)
        )
        return [patient_from_row(r) for r in rows]

    async def add_patient(self, patient: Patient) -> bool:
        """Insert; False when the tag is already taken on the incident (two devices at once)."""
        done = await self._conn.execute(
            pg_insert(t.mci_patients)
            .values(**_patient_row(patient), updated_at=patient.registered_at)
            .on_conflict_do_nothing(constraint="uq_mci_patients_incident_tag")
        )
        return bool(done.rowcount)

    async def save_patient(self, patient: Patient, at: datetime) -> None:
        p = t.mci_patients.c
        await self._conn.execute(
            update(t.mci_patients)
            .where(p.incident_id == patient.incident, p.tag == patient.tag)
            .values(**_patient_row(patient), updated_at=at)
        )

    # -- surge capacity -------------------------------------------------------------------

    async def surge(self) -> dict[int, SurgeCapacity]:
        """Every declared surge capacity, by hospital (no entry: the default from beds)."""
        rows = await self._conn.execute(select(t.surge_capacity))
        return {r.hospital_id: _surge(r) for r in rows}

    async def save_surge(self, surge: SurgeCapacity, *, by: str) -> None:
        assert surge.declared_at is not None
        values = {
            "immediate": surge.immediate,
            "delayed": surge.delayed,
            "minor": surge.minor,
            "declared_at": surge.declared_at,
            "declared_by": by,
        }
        await self._conn.execute(
            pg_insert(t.surge_capacity)
            .values(hospital_id=surge.hospital, **values)
            .on_conflict_do_update(index_elements=["hospital_id"], set_=values)
        )

    async def count(self, incident_id: int) -> int:
        found = await self._conn.execute(
            select(func.count())
            .select_from(t.mci_patients)
            .where(t.mci_patients.c.incident_id == incident_id)
        )
        return int(found.scalar_one())


def _roles(mci: Mci) -> dict[str, int]:
    return {str(role): unit for role, unit in sorted(mci.roles.items())}


def _mci(row: Any) -> Mci:
    return Mci(
        incident=row.incident_id,
        declared_at=row.declared_at,
        level=row.level,
        roles={CommandRole(k): int(v) for k, v in (row.roles or {}).items()},
    )


def _patient_row(p: Patient) -> dict[str, Any]:
    return {
        "incident_id": p.incident,
        "tag": p.tag,
        "category": p.category.value,
        "age_band": p.age_band.value,
        "injury": p.injury,
        "needs": sorted(n.value for n in p.needs),
        "note": p.note,
        "status": p.status.value,
        "unit_id": p.unit,
        "hospital_id": p.hospital,
        "registered_at": p.registered_at,
        "status_at": p.status_at,
    }


def patient_from_row(row: Any) -> Patient:
    """A row of ``mci_patients`` as the domain's patient (also read by the NEMSIS export)."""
    return Patient(
        incident=row.incident_id,
        tag=row.tag,
        category=TriageCategory(row.category),
        registered_at=row.registered_at,
        status_at=row.status_at,
        age_band=AgeBand(row.age_band),
        injury=row.injury,
        needs=frozenset(Need(n) for n in row.needs),
        note=row.note,
        status=PatientStatus(row.status),
        unit=row.unit_id,
        hospital=row.hospital_id,
    )


def _surge(row: Any) -> SurgeCapacity:
    return SurgeCapacity(
        hospital=row.hospital_id,
        immediate=row.immediate,
        delayed=row.delayed,
        minor=row.minor,
        declared=True,
        declared_at=row.declared_at,
    )
