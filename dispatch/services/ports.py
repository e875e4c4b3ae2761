"""Ports: what the services need from the outside world, as Protocols the adapters implement.

Unit tests give the services small in-memory fakes of these; production wires PostGIS, Redis and the
routing library in ``dispatch.bootstrap``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from dispatch.domain.blood import (
    AboRh,
    AllocationLine,
    BloodRequest,
    Box,
    DeliveryJob,
    Product,
    StockLot,
)
from dispatch.domain.events import Event
from dispatch.domain.geo import Location
from dispatch.domain.hospitals import Hospital
from dispatch.domain.mci import Mci, Patient, SurgeCapacity
from dispatch.domain.model import Incident, Unit
from dispatch.domain.telephony import PhoneCall
from dispatch.domain.unit_times import TimeEntry, UnitTimes


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event as it stands in the log: stamped with its global sequence number."""

    seq: int
    name: str
    occurred_at: datetime
    actor: str
    data: dict[str, Any]
    incident_id: int | None = None
    unit_id: int | None = None

    def as_message(self) -> dict[str, Any]:
        return {
            "type": "event",
            "seq": self.seq,
            "name": self.name,
            "occurred_at": self.occurred_at.isoformat(),
            "actor": self.actor,
            "data": self.data,
        }


@dataclass(frozen=True, slots=True)
class RoadEta:
    duration_s: float
    distance_m: float


@dataclass(frozen=True, slots=True)
class RoadRoute:
    coordinates: list[list[float]]
    duration_s: float
    distance_m: float
    steps: tuple[dict[str, Any], ...] = ()  # {"instruction": str, "distance_m": float}
    #: Metres from the destination point to the road point the route ends at (an address's
    #: snap distance), and the name of the road there; None where the roads do not say.
    snap_distance_m: float | None = None
    street: str | None = None

    def as_geojson(self) -> dict[str, Any]:
        return {"type": "LineString", "coordinates": self.coordinates}


@dataclass(frozen=True, slots=True)
class Place:
    label: str
    location: Location
    kind: str  # address, street, intersection, poi
    score: float  # geocoder confidence 0..1
    interpolated: bool = False  # house number placed between known neighbours
    distance_m: float | None = None  # for reverse geocoding: from the asked point
    unit: str | None = None  # apartment, suite, room typed after the address ("#117", "3单元")
    #: an area answer's outer ring (campus, hospital, park); its point is then the main entrance
    outline: tuple[Location, ...] | None = None


@dataclass(frozen=True, slots=True)
class Site:
    """A fixed place on the map: an ambulance station or a hospital."""

    id: int
    name: str
    location: Location
    extra: dict[str, Any] = field(default_factory=dict)


class Roads(Protocol):
    """Road travel on the loaded map. Raises ``OffRoad`` for points too far from any road."""

    def check_on_road(self, location: Location) -> str | None:
        """Validate a call location; returns the nearest street name when the map knows it."""

    def etas(
        self, origins: Sequence[Location], destination: Location, *, address: str | None = None
    ) -> list[RoadEta | None]:
        """ETAs to ``destination``; ``address`` (the call's address text) puts the destination
        on the street it names when that street is near, even if another road is nearer."""

    def best(
        self,
        origins: Sequence[Location],
        destination: Location,
        k: int,
        *,
        address: str | None = None,
    ) -> list[tuple[int, RoadEta]]:
        """The ``k`` fastest origins (index into ``origins``, ETA), fastest first; stops early."""

    def route(
        self, origin: Location, destination: Location, *, address: str | None = None
    ) -> RoadRoute: ...

    def durations_from(
        self, origin: Location, destinations: Sequence[Location]
    ) -> list[float | None]:
        """Road travel time from one point to each destination (None where unreachable)."""


class Geocoder(Protocol):
    def search(self, query: str, *, limit: int = 5) -> list[Place]: ...

    def reverse(self, location: Location) -> Place | None: ...


@dataclass(frozen=True, slots=True)
class Fix:
    """One GPS report: where a unit was, at the time the device took the fix (UTC)."""

    unit_id: int
    location: Location
    reported_at: datetime


@dataclass(frozen=True, slots=True)
class Recorded:
    """The unit after its fix was stored; ``accepted`` is False for a fix older than the one held
    (mobile networks deliver out of order, and an older fix must never move the unit back)."""

    unit: Unit
    accepted: bool


class PositionLog(Protocol):
    """Durable store of GPS fixes; returns once the fix is committed."""

    async def record(self, fix: Fix) -> Recorded: ...


class Publisher(Protocol):
    async def publish(self, records: Sequence[EventRecord]) -> None: ...

    async def publish_positions(self, units: Sequence[dict[str, Any]]) -> None: ...


class UnitRepository(Protocol):
    async def get(self, unit_id: int, *, lock: bool = False) -> Unit: ...

    async def on_incident(self, incident_id: int, *, lock: bool = False) -> list[Unit]: ...

    async def lock_many(self, unit_ids: Sequence[int]) -> list[Unit]: ...

    async def list(self) -> list[Unit]: ...

    async def save(self, unit: Unit) -> None: ...


class IncidentRepository(Protocol):
    async def next_id(self) -> int: ...

    async def add(self, incident: Incident) -> None: ...

    async def get(self, incident_id: int, *, lock: bool = False) -> Incident: ...

    async def list(self, *, open_only: bool) -> list[Incident]: ...

    async def save(self, incident: Incident) -> None: ...


class AssignmentRepository(Protocol):
    async def next_id(self) -> int: ...

    async def acknowledged(self, order_id: int, at: datetime) -> None: ...

    async def add(
        self,
        *,
        order_id: int,
        incident_id: int,
        unit_id: int,
        at: datetime,
        actor: str,
        route: RoadRoute | None,
    ) -> None: ...

    async def of_incident(self, incident_id: int) -> list[UnitTimes]:
        """Every order of the incident with its unit's own NEMSIS times, in order."""
        ...

    async def of_order(self, order_id: int) -> UnitTimes | None: ...

    async def record_times(self, entries: Sequence[TimeEntry]) -> None: ...


class TrackRepository(Protocol):
    async def add(self, unit_id: int, location: Location, reported_at: datetime) -> None: ...


class ClientCursorRepository(Protocol):
    async def advance(self, unit_id: int, client_id: str, client_seq: int) -> bool: ...


class IdempotencyRepository(Protocol):
    async def find(self, key: str) -> tuple[str, int, dict[str, Any]] | None: ...

    async def claim(
        self, key: str, *, actor: str, request_hash: str, status_code: int, response: dict[str, Any]
    ) -> bool: ...


class CallRepository(Protocol):
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
    ) -> None: ...

    async def from_number(self, number: str, since: datetime) -> list[tuple[int, datetime]]: ...

    async def incident_of_phone_call(self, phone_call_id: int) -> int | None: ...


class PhoneCallRepository(Protocol):
    """Calls the PBX reported (``dispatch.domain.telephony``)."""

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
    ) -> tuple[PhoneCall, bool]: ...

    async def get(self, call_id: int, *, lock: bool = False) -> PhoneCall: ...

    async def live(self) -> list[PhoneCall]: ...

    async def save(self, call: PhoneCall) -> None: ...


class HospitalRepository(Protocol):
    async def get(self, hospital_id: int, *, lock: bool = False) -> Hospital: ...

    async def list(self) -> list[Hospital]: ...

    async def save(self, hospital: Hospital, at: datetime) -> None: ...


class MciRepository(Protocol):
    """Mass-casualty incidents (``dispatch.store.mci``): declarations, patients by tag, surge."""

    async def get(self, incident_id: int, *, lock: bool = False) -> Mci | None: ...

    async def add(self, mci: Mci, *, by: str) -> bool: ...

    async def save(self, mci: Mci, at: datetime) -> None: ...

    async def open_incidents(self) -> list[int]: ...

    async def patients(self, incident_id: int, *, lock: bool = False) -> list[Patient]: ...

    async def patient(
        self, incident_id: int, tag: str, *, lock: bool = False
    ) -> Patient | None: ...

    async def on_unit(self, unit_id: int, *, lock: bool = False) -> list[Patient]: ...

    async def routed(self, incident_ids: Sequence[int]) -> list[Patient]: ...

    async def add_patient(self, patient: Patient) -> bool: ...

    async def save_patient(self, patient: Patient, at: datetime) -> None: ...

    async def surge(self) -> dict[int, SurgeCapacity]: ...

    async def save_surge(self, surge: SurgeCapacity, *, by: str) -> None: ...

    async def count(self, incident_id: int) -> int: ...


@dataclass(frozen=True, slots=True)
class BloodBank:
    """Where blood is kept; ``code`` is what the stock CSV's ``bank`` column names."""

    id: int
    code: str
    name: str
    location: Location


class RequestStatus(StrEnum):
    RESERVED = "reserved"  # units held, waiting for a courier
    WAITLISTED = "waitlisted"  # nothing held: no or too little compatible stock
    DISPATCHED = "dispatched"  # every bank's units have a courier
    DELIVERED = "delivered"  # every delivery handed over
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class StoredBloodRequest:
    """A request as stored: the domain's request and what became of it."""

    request: BloodRequest
    status: RequestStatus
    requested_by: str
    accept_partial: bool = False
    reserved_units: int = 0
    refusal_code: str | None = None
    refusal: dict[str, str] | None = None  # {"en": ..., "zh": ...}


class BloodRepository(Protocol):
    """Emergency blood supply (``dispatch.store.blood``): banks, lots, requests, reservations,
    couriers and delivery jobs."""

    async def add_bank(
        self, code: str, name: str, location: Location, at: datetime
    ) -> int | None: ...

    async def banks(self) -> list[BloodBank]: ...

    async def bank(self, bank_id: int) -> BloodBank: ...

    async def lots(self) -> list[StockLot]: ...

    async def set_lot(self, lot: StockLot, at: datetime) -> int | None: ...

    async def lock_lots(self, product: Product, groups: Sequence[AboRh]) -> list[StockLot]: ...

    async def take(self, line: AllocationLine, product: Product) -> None: ...

    async def next_request_id(self) -> int: ...

    async def add_request(self, stored: StoredBloodRequest, at: datetime) -> None: ...

    async def save_request(self, stored: StoredBloodRequest, at: datetime) -> None: ...

    async def request(self, request_id: int, *, lock: bool = False) -> StoredBloodRequest: ...

    async def requests(self, hospital_id: int | None = None) -> list[StoredBloodRequest]: ...

    async def reserve(
        self, request_id: int, product: Product, lines: Sequence[AllocationLine], at: datetime
    ) -> None: ...

    async def reservations(self, request_ids: Sequence[int]) -> dict[int, list[AllocationLine]]: ...

    async def set_courier(self, unit_id: int, capacity: dict[Box, int], at: datetime) -> None: ...

    async def couriers(self) -> dict[int, dict[Box, int]]: ...

    async def next_job_id(self) -> int: ...

    async def add_job(self, job: DeliveryJob) -> None: ...

    async def save_job(self, job: DeliveryJob) -> None: ...

    async def job(self, job_id: int, *, lock: bool = False) -> DeliveryJob: ...

    async def jobs(
        self,
        *,
        request_ids: Sequence[int] | None = None,
        unit_id: int | None = None,
        open_only: bool = False,
    ) -> list[DeliveryJob]: ...


@dataclass(frozen=True, slots=True)
class CaseSource:
    """What surveillance reads of one call: when, where, the triage code and the words (never
    the caller). Classified into a syndrome by the service, not stored."""

    received_at: datetime
    location: Location
    complaint_code: str | None
    complaint: str


@dataclass(frozen=True, slots=True)
class StoredSignal:
    """A public-health signal as stored: the deduplicated signal of
    ``dispatch.surveillance.signals`` plus its lifecycle and who acknowledged it."""

    id: int
    method: str
    syndrome: str
    areas: tuple[str, ...]
    since: date
    last_seen: date
    days: int
    observed: float
    expected: float
    statistic: float
    level: str  # warning | alert
    status: str  # open | closed
    opened_at: datetime
    closed_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledge_note: str | None = None


class SurveillanceRepository(Protocol):
    """The public-health watch's rows (``dispatch.store.surveillance``)."""

    async def lock_watch(self, *, wait: bool = False) -> bool: ...

    async def last_day(self) -> date | None: ...

    async def set_last_day(self, day: date, at: datetime) -> None: ...

    async def cases(self, start: datetime, end: datetime) -> list[CaseSource]: ...

    async def first_case_at(self) -> datetime | None: ...

    async def history(self, first: date, last: date) -> list[tuple[date, str, str, int]]: ...

    async def first_history_day(self) -> date | None: ...

    async def replace_history(
        self, rows: Sequence[tuple[date, str, str, int]], at: datetime
    ) -> int: ...

    async def open_signals(self) -> list[StoredSignal]: ...

    async def next_signal_ids(self, n: int) -> list[int]: ...

    async def save_signal(self, signal: StoredSignal) -> None: ...

    async def signals(
        self, *, open_only: bool, since: date | None, until: date | None
    ) -> list[StoredSignal]: ...

    async def signal(self, signal_id: int, *, lock: bool = False) -> StoredSignal: ...


class UnitOfWork(Protocol):
    """One transaction: state changes and the events they recorded commit together or not at all."""

    units: UnitRepository
    incidents: IncidentRepository
    assignments: AssignmentRepository
    tracks: TrackRepository
    client_cursors: ClientCursorRepository
    idempotency: IdempotencyRepository
    calls: CallRepository
    phone_calls: PhoneCallRepository
    hospitals: HospitalRepository
    mci: MciRepository  # mass-casualty incidents (issue 17)
    blood: BloodRepository  # emergency blood supply (issue 19)
    surveillance: SurveillanceRepository  # public-health watch (issue 18)

    def record(self, event: Event) -> None: ...

    async def stations_exist(self, station_ids: list[int]) -> bool: ...

    async def list_stations(self) -> list[Site]: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self, *, actor: str) -> list[EventRecord]: ...


class AuditKind(StrEnum):
    """What an audit row records; ``AuditTrail.record`` takes any such string, these are ours."""

    LOGIN_SUCCEEDED = "login-succeeded"
    LOGIN_FAILED = "login-failed"
    ACCOUNT_LOCKED = "account-locked"
    LOGOUT = "logout"
    REFUSED = "refused"  # an authenticated request the policy refused (403)
    CALLER_DATA_READ = "caller-data-read"  # a caller's number, name or location was shown
    EXPORT = "export"
    USER_CHANGED = "user-changed"
    #: a session ended by the server itself: a refresh token presented twice (theft suspected)
    SESSION_REVOKED = "session-revoked"


class AuditTrail(Protocol):
    """The append-only, hash-chained audit log (``dispatch.store.audit``).

    ``actor`` is the user name (the name typed, for a failed login; None when nobody is logged
    in), ``subject`` what was touched (``"incident:12"``, ``"user:crew-a01"``), ``client`` the
    caller's address. Recording raises when the row cannot be written: what must be audited does
    not happen unaudited.
    """

    async def record(
        self,
        kind: str,
        *,
        actor: str | None,
        subject: str | None = None,
        client: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None: ...
