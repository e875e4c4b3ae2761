"""The read side of the API: every read of stored state a route or a socket session makes.

The rule this module makes possible: commands change state through ``dispatch.services``
handlers (which own the unit of work); plain reads come from here. So no route opens a unit of
work, touches the engine, or picks between ``store.views``, ``store.reports`` and repositories.

Reads never lock and never write. Several reads that belong together (a unit and its incident)
share one connection, as they did in a unit of work; under READ COMMITTED each statement sees
its own snapshot either way, and the console snapshots that must describe one instant keep
their REPEATABLE READ transaction in ``dispatch.store.views``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.domain.hospitals import Hospital
from dispatch.domain.indicators import IndicatorSamples
from dispatch.domain.model import Incident, Unit
from dispatch.domain.unit_times import UnitTimes
from dispatch.services.ports import EventRecord, Site
from dispatch.store import acknowledgements, reports, views
from dispatch.store import tables as t
from dispatch.store.reports import IncidentFilter
from dispatch.store.repository import (
    SqlAssignmentRepository,
    SqlHospitalRepository,
    SqlIncidentRepository,
    SqlUnitRepository,
)
from dispatch.store.users import UserRecord, get_user

__all__ = ["IncidentFilter", "ReadModel"]


class ReadModel:
    """Queries over one engine; cheap to build (it holds only the engine)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- units and incidents ------------------------------------------------------------------

    async def units(self) -> list[Unit]:
        async with self._engine.connect() as conn:
            return await SqlUnitRepository(conn).list()

    async def unit_with_incident(self, unit_id: int) -> tuple[Unit, Incident | None]:
        """A unit and the incident it works (None when it works none); ``NotFound`` for a bad id."""
        async with self._engine.connect() as conn:
            unit = await SqlUnitRepository(conn).get(unit_id)
            if unit.incident_id is None:
                return unit, None
            return unit, await SqlIncidentRepository(conn).get(unit.incident_id)

    async def units_on_incident(self, incident_id: int) -> list[Unit]:
        async with self._engine.connect() as conn:
            return await SqlUnitRepository(conn).on_incident(incident_id)

    async def unit_times(self, incident_id: int) -> list[UnitTimes]:
        """Each dispatch order of the incident with its unit's own NEMSIS times, in order
        (``dispatch.domain.unit_times``): one NEMSIS PatientCareReport per entry."""
        async with self._engine.connect() as conn:
            return await SqlAssignmentRepository(conn).of_incident(incident_id)

    # --- what a login is bound to (the policy's object checks) ---------------------------------

    async def incident_of_unit(self, unit_id: int) -> int | None:
        """The incident the unit works now (None when it works none, or there is no such unit).

        One primary-key read, made on each request of a crew that names an incident, so it must
        stay this cheap.
        """
        query = select(t.units.c.incident_id).where(t.units.c.id == unit_id)
        async with self._engine.connect() as conn:
            found: int | None = (await conn.execute(query)).scalar_one_or_none()
        return found

    async def incidents_routed_to(self, hospital_id: int) -> frozenset[int]:
        """Incidents whose patient a unit is taking to this hospital now (its destination).

        Answers ids, not a yes/no for one id: the id in a request path is compared in Python, so
        a path id no column can hold never reaches the database.
        """
        query = select(t.units.c.incident_id).where(
            t.units.c.destination_hospital_id == hospital_id, t.units.c.incident_id.is_not(None)
        )
        async with self._engine.connect() as conn:
            return frozenset((await conn.execute(query)).scalars().all())

    async def incidents(self, *, open_only: bool) -> list[Incident]:
        async with self._engine.connect() as conn:
            return await SqlIncidentRepository(conn).list(open_only=open_only)

    async def incident(self, incident_id: int) -> Incident:
        """``NotFound`` (a 404 problem) for an unknown id."""
        async with self._engine.connect() as conn:
            return await SqlIncidentRepository(conn).get(incident_id)

    # --- hospitals and stations ---------------------------------------------------------------

    async def hospitals(self) -> list[Hospital]:
        async with self._engine.connect() as conn:
            return await SqlHospitalRepository(conn).list()

    async def heading_to(self, hospital_id: int) -> tuple[Hospital, list[tuple[Unit, Incident]]]:
        """A hospital and each unit bound for it with the incident that unit works."""
        async with self._engine.connect() as conn:
            hospital = await SqlHospitalRepository(conn).get(hospital_id)
            units = [
                u
                for u in await SqlUnitRepository(conn).list()
                if u.destination_hospital_id == hospital_id
            ]
            incidents = SqlIncidentRepository(conn)
            coming = [
                (unit, await incidents.get(unit.incident_id))
                for unit in units
                if unit.incident_id is not None
            ]
        return hospital, coming

    async def stations(self) -> list[Site]:
        return await views.sites(self._engine, t.stations)

    async def acknowledged(
        self, hospital_id: int | None = None
    ) -> list[acknowledgements.Acknowledgement]:
        """EDs' acknowledgements of incoming patients still in force (one hospital's, or all)."""
        return await acknowledgements.current(self._engine, hospital_id)

    # --- accounts -------------------------------------------------------------------------------

    async def user(self, username: str) -> UserRecord | None:
        """An active account, for login."""
        return await get_user(self._engine, username)

    # --- the event log and console snapshots ----------------------------------------------------

    async def last_seq(self) -> int:
        return await views.last_seq(self._engine)

    async def events_after(self, seq: int) -> list[EventRecord]:
        return await views.events_after(self._engine, seq)

    async def incident_events(self, incident_id: int) -> list[EventRecord]:
        return await views.incident_events(self._engine, incident_id)

    async def snapshot(self) -> views.Snapshot:
        return await views.snapshot(self._engine)

    async def crew_snapshot(self, unit_id: int) -> tuple[int, Unit, Incident | None]:
        return await views.crew_snapshot(self._engine, unit_id)

    # --- supervisor review ------------------------------------------------------------------------

    async def search(self, f: IncidentFilter) -> list[Incident]:
        return await reports.search(self._engine, f)

    async def kpis(
        self, f: IncidentFilter, targets: dict[int, tuple[int, float]]
    ) -> list[dict[str, Any]]:
        return await reports.kpis(self._engine, f, targets)

    async def infectious_kpis(self, f: IncidentFilter) -> dict[str, Any]:
        return await reports.infectious_kpis(self._engine, f)

    async def blood_kpis(self, f: IncidentFilter, now: datetime) -> dict[str, Any]:
        return await reports.blood_kpis(self._engine, f, now)

    async def indicator_samples(self, f: IncidentFilter) -> IndicatorSamples:
        return await reports.indicator_samples(self._engine, f)

    async def tracks(self, incident: Incident) -> dict[str, Any]:
        return await reports.tracks(self._engine, incident)
