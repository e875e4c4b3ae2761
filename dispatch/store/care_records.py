"""The read model of the NEMSIS export: incidents of a window with each unit's response.

Why a read of its own: a patient care report is per unit, and per-unit times live in the event
log (``dispatch.domain.unit_responses`` derives them), not in the incident row. A handful of
queries for the whole window (incidents, their orders, their events, their MCIs and MCI
patients, the fleet and sites), never one per incident, so a month exports in seconds.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from dispatch.domain import nemsis_xml as nx
from dispatch.domain.mci import Patient
from dispatch.domain.nemsis_archive import ExportWindow
from dispatch.domain.unit_responses import LogEntry, Order, unit_responses
from dispatch.store import tables as t
from dispatch.store.geo import lon_lat
from dispatch.store.mci import patient_from_row
from dispatch.store.repository import SqlIncidentRepository, incident_from_row

#: The events a unit response is read from.
_EVENTS = ("UnitAssigned", "UnitStatusChanged", "OrderAcknowledged", "UnitDiverted",
           "DestinationChosen", "TimeCorrected")  # fmt: skip
#: The events an MCI patient's record is read from: its first triage colour, who carried it.
_MCI_EVENTS = ("MciPatientRegistered", "MciPatientTransporting")


class CareRecordReads:
    """Reads for the NEMSIS export over one engine (cheap to build)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def window(self, start: datetime, end: datetime) -> ExportWindow:
        """Incidents received in [start, end), oldest first, each with its ended unit responses."""
        a, e, i = t.assignments.c, t.events.c, t.incidents.c
        in_window = (i.received_at >= start, i.received_at < end)
        ids = select(i.id).where(*in_window).scalar_subquery()  # no parameter list to outgrow
        incidents_query = (
            SqlIncidentRepository.query().where(*in_window).order_by(i.received_at, i.id)
        )
        async with self._engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():  # one snapshot: orders and events agree with incidents
                incidents = [incident_from_row(r) for r in await conn.execute(incidents_query)]
                orders = (
                    await conn.execute(
                        select(a.id, a.incident_id, a.unit_id, a.assigned_at, a.acknowledged_at)
                        .where(a.incident_id.in_(ids))
                        .order_by(a.id)
                    )
                ).all()
                events = (
                    await conn.execute(
                        select(e.incident_id, e.name, e.occurred_at, e.unit_id, e.payload)
                        .where(e.incident_id.in_(ids), e.name.in_((*_EVENTS, *_MCI_EVENTS)))
                        .order_by(e.seq)
                    )
                ).all()
                mcis = (
                    await conn.execute(
                        select(t.mcis.c.incident_id).where(t.mcis.c.incident_id.in_(ids))
                    )
                ).all()
                patients = (
                    await conn.execute(
                        select(t.mci_patients)
                        .where(t.mci_patients.c.incident_id.in_(ids))
                        .order_by(t.mci_patients.c.id)
                    )
                ).all()
                fleet = (
                    await conn.execute(
                        select(t.units.c.id, t.units.c.call_sign, t.units.c.capability).order_by(
                            t.units.c.call_sign
                        )
                    )
                ).all()
                stations = await _places(conn, t.stations)
                hospitals = await _places(conn, t.hospitals)
        vehicles = {r.id: nx.Vehicle(r.id, r.call_sign, r.capability) for r in fleet}
        orders_of: dict[int, list[Order]] = defaultdict(list)
        for r in orders:
            orders_of[r.incident_id].append(
                Order(r.id, r.unit_id, r.assigned_at, r.acknowledged_at)
            )
        log_of: dict[int, list[LogEntry]] = defaultdict(list)
        mci_log_of: dict[int, list[LogEntry]] = defaultdict(list)
        for r in events:
            entry = LogEntry(r.name, r.occurred_at, r.unit_id, r.payload)
            (mci_log_of if r.name in _MCI_EVENTS else log_of)[r.incident_id].append(entry)
        patients_of: dict[int, list[Patient]] = defaultdict(list)
        for r in patients:
            patients_of[r.incident_id].append(patient_from_row(r))
        declared = {r.incident_id for r in mcis}
        records: list[nx.IncidentRecord] = []
        still_open = 0
        for incident in incidents:
            responses = unit_responses(orders_of[incident.id], log_of[incident.id])
            ended = [(vehicles[r.unit_id], r) for r in responses if r.ended]
            still_open += len(responses) - len(ended)
            mci = None
            if incident.id in declared:
                mci = nx.MciRecord(patients_of[incident.id], mci_log_of[incident.id])
            records.append(nx.IncidentRecord(incident, ended, mci))
        return ExportWindow(
            start=start,
            end=end,
            records=records,
            open_responses=still_open,
            vehicles=list(vehicles.values()),
            stations=stations,
            hospitals={h.id: h for h in hospitals},
        )


async def _places(conn: AsyncConnection, table: Table) -> list[nx.Place]:
    rows = await conn.execute(
        select(table.c.id, table.c.name, *lon_lat(table.c.location, "location")).order_by(
            table.c.id
        )
    )
    return [nx.Place(r.id, r.name, r.location_lon, r.location_lat) for r in rows]
