"""In-process adapters of :mod:`dispatch.services.ports`: the service handlers run unchanged
over them, with no database, broker or network. The one in-memory unit of work and bus: the
unit tests of the services and the offline simulation (:mod:`dispatch.simulation`) share it.

Transactions are copy-on-read: a repository hands out private copies, the unit of work keeps
what it touched, and ``commit`` writes those copies back and stamps their events with a global
sequence number. Leaving the ``async with`` block without committing discards the changes,
like a rollback. Nothing here awaits anything real, so a simulated day runs at CPU speed.

The adapters are single-process and single-threaded (the simulator's event loop): there are no
row locks, and ``lock=True`` is accepted and ignored.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dispatch.domain import unit_times
from dispatch.domain.blood import (
    AboRh,
    AllocationLine,
    Box,
    DeliveryJob,
    JobState,
    Product,
    StockLot,
)
from dispatch.domain.errors import NotFound, OffRoad
from dispatch.domain.events import Event
from dispatch.domain.geo import Location
from dispatch.domain.hospitals import Hospital
from dispatch.domain.mci import Mci, Patient, PatientStatus, SurgeCapacity
from dispatch.domain.model import Incident, Unit
from dispatch.domain.telephony import CallState, PhoneCall
from dispatch.services.ports import (
    BloodBank,
    EventRecord,
    Fix,
    Place,
    Recorded,
    RoadEta,
    RoadRoute,
    StoredBloodRequest,
)


def _copy(obj: Any) -> Any:
    """A private copy of an aggregate: its lists are copied, its values are immutable."""
    dup = copy.copy(obj)
    dup.events = list(obj.events)
    if isinstance(dup, Incident):
        dup.unit_ids = list(obj.unit_ids)
    return dup


@dataclass
class MemoryStore:
    """Committed state: aggregates, dispatch orders, the event log, cursors and keys."""

    units: dict[int, Unit] = field(default_factory=dict)
    incidents: dict[int, Incident] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    log: list[EventRecord] = field(default_factory=list)
    tracks: list[tuple[int, Location, datetime]] = field(default_factory=list)
    cursors: dict[tuple[int, str], int] = field(default_factory=dict)
    keys: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    phone_calls: dict[int, PhoneCall] = field(default_factory=dict)
    hospitals: dict[int, Hospital] = field(default_factory=dict)
    #: mass-casualty incidents: declarations, patients by (incident, tag), surge by hospital
    mcis: dict[int, Mci] = field(default_factory=dict)
    mci_patients: dict[tuple[int, str], Patient] = field(default_factory=dict)
    surge: dict[int, SurgeCapacity] = field(default_factory=dict)
    blood: BloodState = field(default_factory=lambda: BloodState())
    keep_log: bool = True
    keep_tracks: bool = False
    seq: int = 0
    next_incident: int = 1
    next_order: int = 1


class _Aggregates:
    """Repository of one aggregate type within one unit of work."""

    def __init__(self, rows: dict[int, Any], kind: str) -> None:
        self.rows = rows
        self.kind = kind
        self.seen: dict[int, Any] = {}

    async def get(self, key: int, *, lock: bool = False) -> Any:
        if key in self.seen:
            return self.seen[key]
        if key not in self.rows:
            raise NotFound(f"No {self.kind} with id {key}")
        obj = self.seen[key] = _copy(self.rows[key])
        return obj

    async def save(self, obj: Any) -> None:
        self.seen[obj.id] = obj


class MemoryUnits(_Aggregates):
    async def on_incident(self, incident_id: int, *, lock: bool = False) -> list[Unit]:
        ids = sorted(
            {u.id for u in self.rows.values() if u.incident_id == incident_id}
            | {u.id for u in self.seen.values() if u.incident_id == incident_id}
        )
        found = [await self.get(i) for i in ids]
        return [u for u in found if u.incident_id == incident_id]

    async def lock_many(self, unit_ids: Sequence[int]) -> list[Unit]:
        return [await self.get(i) for i in sorted(set(unit_ids)) if i in self.rows]

    async def list(self) -> list[Unit]:
        return [self.seen[i] if i in self.seen else _copy(u) for i, u in self.rows.items()]


class MemoryIncidents(_Aggregates):
    def __init__(self, store: MemoryStore) -> None:
        super().__init__(store.incidents, "incident")
        self.store = store
        self.added: list[Incident] = []

    async def next_id(self) -> int:
        number = self.store.next_incident
        self.store.next_incident += 1  # ids are never reused, even after a rollback
        return number

    async def add(self, incident: Incident) -> None:
        self.seen[incident.id] = incident

    async def list(self, *, open_only: bool) -> list[Incident]:
        rows = [self.seen[i] if i in self.seen else _copy(x) for i, x in self.rows.items()]
        return [x for x in rows if x.is_open or not open_only]


class MemoryUnitOfWork:
    """One transaction over a :class:`MemoryStore`; also plays the small repositories."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self.units = MemoryUnits(store.units, "unit")
        self.incidents = MemoryIncidents(store)
        self.assignments = self
        self.tracks = _Tracks(self)
        self.client_cursors = _Cursors(self)
        self.idempotency = _Keys(self)
        self.calls = _Calls(self)
        self.phone_calls = _PhoneCalls(self)
        self.hospitals = _Hospitals(self)
        self.mci = MemoryMci(store)
        self.blood = MemoryBlood(store)
        self._loose: list[Event] = []
        self._calls: list[dict[str, Any]] = []
        self._hospitals: dict[int, Hospital] = {}
        self._phone_calls: dict[int, PhoneCall] = {}
        self._orders: list[dict[str, Any]] = []
        self._acks: list[tuple[int, datetime]] = []
        self._tracks: list[tuple[int, Location, datetime]] = []
        self._cursors: dict[tuple[int, str], int] = {}
        self._keys: dict[str, tuple[str, int, dict[str, Any]]] = {}
        self._entries: list[unit_times.TimeEntry] = []

    # AssignmentRepository
    async def next_id(self) -> int:
        number = self.store.next_order
        self.store.next_order += 1
        return number

    async def acknowledged(self, order_id: int, at: datetime) -> None:
        self._acks.append((order_id, at))

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
        self._orders.append(
            {
                "order_id": order_id,
                "incident_id": incident_id,
                "unit_id": unit_id,
                "at": at,
                "actor": actor,
                "eta_s": None if route is None else route.duration_s,
                "times": {unit_times.S.UNIT_NOTIFIED: at},
                "flags": {},
            }
        )

    def _order_rows(self) -> list[dict[str, Any]]:
        """Orders newest first: this transaction's, then the committed ones."""
        return [*reversed(self._orders), *reversed(self.store.orders)]

    def _times(self, row: dict[str, Any]) -> unit_times.UnitTimes:
        unit = self.store.units.get(row["unit_id"])
        times = dict(row["times"])
        acked = row.get("acknowledged_at") or dict(self._acks).get(row["order_id"])
        if acked is not None:
            times[unit_times.S.DISPATCH_ACKNOWLEDGED] = acked
        return unit_times.UnitTimes(
            row["order_id"],
            row["unit_id"],
            "" if unit is None else unit.call_sign,
            times,
            dict(row["flags"]),
        )

    async def of_incident(self, incident_id: int) -> list[unit_times.UnitTimes]:
        rows = [r for r in self._order_rows() if r["incident_id"] == incident_id]
        return [self._times(r) for r in sorted(rows, key=lambda r: r["order_id"])]

    async def of_order(self, order_id: int) -> unit_times.UnitTimes | None:
        row = next((r for r in self._order_rows() if r["order_id"] == order_id), None)
        return None if row is None else self._times(row)

    async def record_times(self, entries: Sequence[unit_times.TimeEntry]) -> None:
        """Applied at commit, like the SQL unit of work's projection."""
        self._entries.extend(entries)

    def _apply_times(self) -> None:
        for e in self._entries:
            row = next(
                (
                    r
                    for r in self._order_rows()
                    if (r["order_id"] == e.order_id)
                    or (
                        e.order_id is None
                        and (r["unit_id"], r["incident_id"]) == (e.unit, e.incident)
                    )
                ),
                None,
            )
            if row is None or (row["times"].get(e.stamp, e.at) != e.at and not e.overwrite):
                continue
            if e.stamp is unit_times.S.DISPATCH_ACKNOWLEDGED:
                row["acknowledged_at"] = e.at
            row["times"][e.stamp] = e.at
            if e.flags or e.overwrite:
                row["flags"][e.stamp] = e.flags
        self._entries = []

    def record(self, event: Event) -> None:
        """An event about something that is not an aggregate here (e.g. a hospital's status)."""
        self._loose.append(event)

    async def __aenter__(self) -> MemoryUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self, *, actor: str) -> list[EventRecord]:
        store = self.store
        records: list[EventRecord] = []

        def stamp(event: Event) -> None:
            store.seq += 1
            records.append(
                EventRecord(
                    store.seq,
                    event.name,
                    event.occurred_at,
                    actor,
                    _payload(event),
                    event.incident_id,
                    event.unit_id,
                )
            )

        for event in self._loose:
            stamp(event)
        touched = [e for e in self._loose]
        for repo, table in (
            (self.units, store.units),
            (self.incidents, store.incidents),
        ):
            for obj in repo.seen.values():
                for event in obj.events:
                    stamp(event)
                    touched.append(event)
                obj.events = []
                table[obj.id] = obj
            repo.seen = {}
        acks = dict(self._acks)
        for order in self._orders:
            order["acknowledged_at"] = acks.pop(order["order_id"], None)
        store.orders.extend(self._orders)
        for row in store.orders[-64:]:
            if row["order_id"] in acks:
                row["acknowledged_at"] = acks.pop(row["order_id"])
        self._orders = []
        self._entries.extend(entry for event in touched for entry in unit_times.entries(event))
        self._apply_times()
        if store.keep_tracks:
            store.tracks.extend(self._tracks)
        store.cursors.update(self._cursors)
        store.keys.update(self._keys)
        store.calls.extend(self._calls)
        store.hospitals.update(self._hospitals)
        store.phone_calls.update(self._phone_calls)
        self.mci.commit()
        self.blood.commit()
        if store.keep_log:
            store.log.extend(records)
        self._orders, self._acks, self._tracks = [], [], []
        self._loose, self._calls, self._hospitals, self._phone_calls = [], [], {}, {}
        self._cursors, self._keys = {}, {}
        return records


def _payload(event: Any) -> dict[str, Any]:
    data = {
        f.name: getattr(event, f.name) for f in dataclasses.fields(event) if f.name != "occurred_at"
    }
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


class _Tracks:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def add(self, unit_id: int, location: Location, reported_at: datetime) -> None:
        self._uow._tracks.append((unit_id, location, reported_at))


class _Cursors:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def advance(self, unit_id: int, client_id: str, client_seq: int) -> bool:
        key = (unit_id, client_id)
        held = max(self._uow.store.cursors.get(key, -1), self._uow._cursors.get(key, -1))
        if held >= client_seq:
            return False
        self._uow._cursors[key] = client_seq
        return True


class _Keys:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def find(self, key: str) -> tuple[str, int, dict[str, Any]] | None:
        return self._uow.store.keys.get(key)

    async def claim(
        self, key: str, *, actor: str, request_hash: str, status_code: int, response: dict[str, Any]
    ) -> bool:
        if key in self._uow.store.keys or key in self._uow._keys:
            return False
        self._uow._keys[key] = (request_hash, status_code, response)
        return True


class _Calls:
    """Every call answered, kept (like the real call log) for repeat-caller checks."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

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
        self._uow._calls.append(
            {
                "incident_id": incident_id,
                "at": at,
                "actor": actor,
                "number": number,
                "complaint": complaint,
                "linked": linked,
                "phone_call_id": phone_call_id,
            }
        )

    async def incident_of_phone_call(self, phone_call_id: int) -> int | None:
        rows = [*self._uow.store.calls, *self._uow._calls]
        return next(
            (r["incident_id"] for r in rows if r.get("phone_call_id") == phone_call_id), None
        )

    async def from_number(self, number: str, since: datetime) -> list[tuple[int, datetime]]:
        rows = [*self._uow.store.calls, *self._uow._calls]
        return [
            (r["incident_id"], r["at"]) for r in rows if r["number"] == number and r["at"] >= since
        ]


class _PhoneCalls:
    """Phone line calls (the simulator has none; the pure-core tests of linking use these)."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    def _all(self) -> dict[int, PhoneCall]:
        return {**self._uow.store.phone_calls, **self._uow._phone_calls}

    async def add(
        self,
        *,
        line: str,
        pbx_call_id: str | None,
        number: str | None,
        name: str | None,
        location: Location | None,
        accuracy_m: float | None,
        started_at: datetime,
        received_at: datetime,
    ) -> tuple[PhoneCall, bool]:
        known = self._all()
        same = [
            c for c in known.values() if pbx_call_id is not None and c.pbx_call_id == pbx_call_id
        ]
        if same:
            return same[0], False
        call = PhoneCall(
            id=max(known, default=0) + 1,
            line=line,
            pbx_call_id=pbx_call_id,
            number=number,
            name=name,
            location=location,
            accuracy_m=accuracy_m,
            started_at=started_at,
            received_at=received_at,
        )
        self._uow._phone_calls[call.id] = call
        return call, True

    async def get(self, call_id: int, *, lock: bool = False) -> PhoneCall:
        found = self._all().get(call_id)
        if found is None:
            raise NotFound(f"no phone call {call_id}")
        return found

    async def live(self) -> list[PhoneCall]:
        calls = [c for c in self._all().values() if c.state is not CallState.ENDED]
        return sorted(calls, key=lambda c: (c.started_at, c.id))

    async def save(self, call: PhoneCall) -> None:
        self._uow._phone_calls[call.id] = call


class _Hospitals:
    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    async def get(self, hospital_id: int, *, lock: bool = False) -> Hospital:
        found = self._uow._hospitals.get(hospital_id) or self._uow.store.hospitals.get(hospital_id)
        if found is None:
            raise NotFound(f"No hospital with id {hospital_id}")
        return found

    async def list(self) -> list[Hospital]:
        merged = {**self._uow.store.hospitals, **self._uow._hospitals}
        return [merged[k] for k in sorted(merged)]

    async def save(self, hospital: Hospital, at: datetime) -> None:
        self._uow._hospitals[hospital.id] = hospital


class MemoryPublisher:
    """Counts what would go to the consoles; keeps the last ``keep`` records and positions for
    inspection (tests keep them all; a simulated day keeps none)."""

    def __init__(self, keep: int = 0) -> None:
        self.events = 0
        self.positions = 0
        self.keep = keep
        self.recent: list[EventRecord] = []
        self.recent_positions: list[dict[str, Any]] = []
        self.subscribers: list[Callable[[Sequence[EventRecord]], None]] = []

    async def publish(self, records: Sequence[EventRecord]) -> None:
        self.events += len(records)
        if self.keep:
            self.recent = [*self.recent, *records][-self.keep :]
        for callback in self.subscribers:
            callback(records)

    async def publish_positions(self, units: Sequence[dict[str, Any]]) -> None:
        self.positions += len(units)
        if self.keep:
            self.recent_positions = [*self.recent_positions, *units][-self.keep :]


class MemoryPositionLog:
    """GPS fixes straight into the store's units (committed at once); an older fix than the
    one held is refused, as the real log does."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    async def record(self, fix: Fix) -> Recorded:
        unit = self.store.units.get(fix.unit_id)
        if unit is None:
            raise NotFound(f"No unit with id {fix.unit_id}")
        accepted = unit.accepts_fix(fix.reported_at)
        if accepted:
            unit.position, unit.position_at = fix.location, fix.reported_at
        if self.store.keep_tracks:
            self.store.tracks.append((fix.unit_id, fix.location, fix.reported_at))
        return Recorded(unit, accepted)


class TravelRoads:
    """``Roads`` over a travel-time function: ETAs are exact, routes are the two end points.

    The simulator needs road *times*, not turn-by-turn geometry, so ``route`` does not trace
    the path (that would cost a search per dispatch for a line nobody draws).
    ``time(origins, destination)`` returns seconds per origin (``inf`` where impossible).
    """

    def __init__(
        self,
        times: Callable[[Sequence[Location], Location], Sequence[float]],
        *,
        speed_mps: float = 12.0,
        on_road: Callable[[Location], bool] | None = None,
    ) -> None:
        self._times = times
        self._speed = speed_mps
        self._on_road = on_road

    def check_on_road(self, location: Location) -> str | None:
        if self._on_road is not None and not self._on_road(location):
            raise OffRoad(f"[{location.lon}, {location.lat}] is off this map's roads")
        return None

    def etas(
        self, origins: Sequence[Location], destination: Location, *, address: str | None = None
    ) -> list[RoadEta | None]:
        out: list[RoadEta | None] = []
        for _o, t in zip(origins, self._times(origins, destination), strict=True):
            out.append(None if t == float("inf") else RoadEta(float(t), float(t) * self._speed))
        return out

    def best(
        self,
        origins: Sequence[Location],
        destination: Location,
        k: int,
        *,
        address: str | None = None,
    ) -> list[tuple[int, RoadEta]]:
        etas = self.etas(origins, destination)
        ranked = sorted((e.duration_s, i) for i, e in enumerate(etas) if e is not None)
        return [(i, etas[i]) for _, i in ranked[:k]]  # type: ignore[misc]

    def durations_from(
        self, origin: Location, destinations: Sequence[Location]
    ) -> list[float | None]:
        out: list[float | None] = []
        for destination in destinations:
            (t,) = self._times([origin], destination)
            out.append(None if t == float("inf") else float(t))
        return out

    def route(
        self, origin: Location, destination: Location, *, address: str | None = None
    ) -> RoadRoute:
        (t,) = self._times([origin], destination)
        if t == float("inf"):
            raise OffRoad("no road route between these points")
        return RoadRoute(
            [origin.as_lonlat(), destination.as_lonlat()], float(t), float(t) * self._speed
        )


class NullGeocoder:
    """No address search: simulated calls arrive with a map position."""

    def search(self, query: str, *, limit: int = 5) -> list[Place]:
        return []

    def reverse(self, location: Location) -> Place | None:
        return None


class MemoryMci:
    """``MciRepository`` over a :class:`MemoryStore`: changes are kept aside until commit.
    Patients are immutable values, so handing out the stored ones is safe."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._mcis: dict[int, Mci] = {}
        self._patients: dict[tuple[int, str], Patient] = {}
        self._surge: dict[int, SurgeCapacity] = {}

    def _all_patients(self) -> list[Patient]:
        merged = {**self.store.mci_patients, **self._patients}
        return list(merged.values())  # insertion order: registration order

    async def get(self, incident_id: int, *, lock: bool = False) -> Mci | None:
        return self._mcis.get(incident_id) or self.store.mcis.get(incident_id)

    async def add(self, mci: Mci, *, by: str) -> bool:
        if await self.get(mci.incident) is not None:
            return False
        self._mcis[mci.incident] = mci
        return True

    async def save(self, mci: Mci, at: datetime) -> None:
        self._mcis[mci.incident] = mci

    async def open_incidents(self) -> list[int]:
        merged = {**self.store.mcis, **self._mcis}
        return sorted(
            i for i in merged if i not in self.store.incidents or self.store.incidents[i].is_open
        )

    async def patients(self, incident_id: int, *, lock: bool = False) -> list[Patient]:
        return [p for p in self._all_patients() if p.incident == incident_id]

    async def patient(self, incident_id: int, tag: str, *, lock: bool = False) -> Patient | None:
        key = (incident_id, tag)
        return self._patients.get(key) or self.store.mci_patients.get(key)

    async def on_unit(self, unit_id: int, *, lock: bool = False) -> list[Patient]:
        moving = (PatientStatus.ASSIGNED, PatientStatus.TRANSPORTING)
        return [p for p in self._all_patients() if p.unit == unit_id and p.status in moving]

    async def routed(self, incident_ids: Sequence[int]) -> list[Patient]:
        wanted = set(incident_ids)
        return [p for p in self._all_patients() if p.incident in wanted and p.hospital is not None]

    async def add_patient(self, patient: Patient) -> bool:
        if await self.patient(patient.incident, patient.tag) is not None:
            return False
        self._patients[(patient.incident, patient.tag)] = patient
        return True

    async def save_patient(self, patient: Patient, at: datetime) -> None:
        self._patients[(patient.incident, patient.tag)] = patient

    async def surge(self) -> dict[int, SurgeCapacity]:
        return {**self.store.surge, **self._surge}

    async def save_surge(self, surge: SurgeCapacity, *, by: str) -> None:
        self._surge[surge.hospital] = surge

    async def count(self, incident_id: int) -> int:
        return len(await self.patients(incident_id))

    def commit(self) -> None:
        self.store.mcis.update(self._mcis)
        self.store.mci_patients.update(self._patients)
        self.store.surge.update(self._surge)
        self._mcis, self._patients, self._surge = {}, {}, {}


@dataclass
class BloodState:
    """Blood banks, lots (by bank, lot number, product), requests, reservations, couriers, jobs."""

    banks: dict[int, BloodBank] = field(default_factory=dict)
    lots: dict[tuple[int, str, Product], StockLot] = field(default_factory=dict)
    requests: dict[int, StoredBloodRequest] = field(default_factory=dict)
    reservations: dict[int, list[AllocationLine]] = field(default_factory=dict)
    couriers: dict[int, dict[Box, int]] = field(default_factory=dict)
    jobs: dict[int, DeliveryJob] = field(default_factory=dict)
    next_id: int = 1


class MemoryBlood:
    """``BloodRepository`` over a :class:`MemoryStore`: works on a copy, written back at commit.
    One simulation thread, so no lock is needed for the no-double-booking rule here; the SQL
    repository takes row locks (``dispatch.store.blood``)."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._s = copy.deepcopy(store.blood)

    def _id(self) -> int:
        self._s.next_id += 1
        return self._s.next_id - 1

    async def add_bank(self, code: str, name: str, location: Location, at: datetime) -> int | None:
        if any(b.code == code or b.name == name for b in self._s.banks.values()):
            return None
        bank_id = self._id()
        self._s.banks[bank_id] = BloodBank(bank_id, code, name, location)
        return bank_id

    async def banks(self) -> list[BloodBank]:
        return sorted(self._s.banks.values(), key=lambda b: b.id)

    async def bank(self, bank_id: int) -> BloodBank:
        if bank_id not in self._s.banks:
            raise NotFound(f"No blood bank with id {bank_id}")
        return self._s.banks[bank_id]

    async def lots(self) -> list[StockLot]:
        return list(self._s.lots.values())

    async def set_lot(self, lot: StockLot, at: datetime) -> int | None:
        key = (lot.bank_id, lot.lot_id, lot.product)
        before = self._s.lots.get(key)
        self._s.lots[key] = lot
        return None if before is None else before.units

    async def lock_lots(self, product: Product, groups: Sequence[AboRh]) -> list[StockLot]:
        return [
            lot
            for lot in self._s.lots.values()
            if lot.product is product and lot.group in groups and lot.units > 0
        ]

    async def take(self, line: AllocationLine, product: Product) -> None:
        key = (line.bank_id, line.lot_id, product)
        lot = self._s.lots[key]
        self._s.lots[key] = dataclasses.replace(lot, units=lot.units - line.units)

    async def next_request_id(self) -> int:
        return self._id()

    async def add_request(self, stored: StoredBloodRequest, at: datetime) -> None:
        self._s.requests[stored.request.request_id] = stored

    async def save_request(self, stored: StoredBloodRequest, at: datetime) -> None:
        self._s.requests[stored.request.request_id] = stored

    async def request(self, request_id: int, *, lock: bool = False) -> StoredBloodRequest:
        if request_id not in self._s.requests:
            raise NotFound(f"No blood request with id {request_id}")
        return self._s.requests[request_id]

    async def requests(self, hospital_id: int | None = None) -> list[StoredBloodRequest]:
        found = sorted(self._s.requests.values(), key=lambda s: -s.request.request_id)
        return [s for s in found if hospital_id in (None, s.request.hospital_id)]

    async def reserve(
        self, request_id: int, product: Product, lines: Sequence[AllocationLine], at: datetime
    ) -> None:
        for line in lines:
            await self.take(line, product)
        self._s.reservations.setdefault(request_id, []).extend(lines)

    async def reservations(self, request_ids: Sequence[int]) -> dict[int, list[AllocationLine]]:
        return {i: list(self._s.reservations[i]) for i in request_ids if i in self._s.reservations}

    async def set_courier(self, unit_id: int, capacity: dict[Box, int], at: datetime) -> None:
        self._s.couriers[unit_id] = dict(capacity)

    async def couriers(self) -> dict[int, dict[Box, int]]:
        return {u: dict(c) for u, c in sorted(self._s.couriers.items())}

    async def next_job_id(self) -> int:
        return self._id()

    async def add_job(self, job: DeliveryJob) -> None:
        self._s.jobs[job.id] = dataclasses.replace(job, events=[])

    async def save_job(self, job: DeliveryJob) -> None:
        self._s.jobs[job.id] = dataclasses.replace(job, events=[])

    async def job(self, job_id: int, *, lock: bool = False) -> DeliveryJob:
        if job_id not in self._s.jobs:
            raise NotFound(f"No blood delivery job with id {job_id}")
        return dataclasses.replace(self._s.jobs[job_id], events=[])

    async def jobs(
        self,
        *,
        request_ids: Sequence[int] | None = None,
        unit_id: int | None = None,
        open_only: bool = False,
    ) -> list[DeliveryJob]:
        open_states = (JobState.ASSIGNED, JobState.PICKED_UP)
        return [
            j
            for _, j in sorted(self._s.jobs.items())
            if (request_ids is None or j.request_id in request_ids)
            and (unit_id is None or j.unit_id == unit_id)
            and (not open_only or j.state in open_states)
        ]

    def commit(self) -> None:
        self.store.blood = self._s
        self._s = copy.deepcopy(self._s)
