"""Commands: what a person (or a crew bot) asks the system to do, with who asked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from dispatch.domain.geo import Location
from dispatch.domain.model import Caller, UnitStatus


@dataclass(frozen=True, slots=True)
class Command:
    actor: str


@dataclass(frozen=True, slots=True)
class ClientStamp:
    """Which device sent a crew update and its running number there: replays are recognised."""

    client_id: str
    client_seq: int


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A client-chosen key plus a digest of the request it was first used with."""

    key: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class ReceiveCall(Command):
    location: Location | None
    address: str | None
    complaint: str
    priority: int | None  # None: take it from the triage protocol
    idempotency: IdempotencyKey | None = None
    complaint_code: str | None = None
    answers: Mapping[str, str] = field(default_factory=dict)
    caller: Caller | None = None
    phone_call_id: int | None = None  # the answered phone line this call came in on


@dataclass(frozen=True, slots=True)
class TriageIncident(Command):
    incident_id: int
    complaint_code: str
    answers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class FlagInfectious(Command):
    """A dispatcher sets or clears the suspected-infectious flag by hand, with a reason."""

    incident_id: int
    infectious: bool
    reason: str


@dataclass(frozen=True, slots=True)
class LinkCall(Command):
    incident_id: int
    complaint: str
    caller: Caller | None = None
    phone_call_id: int | None = None


@dataclass(frozen=True, slots=True)
class AssignUnit(Command):
    incident_id: int
    unit_id: int


@dataclass(frozen=True, slots=True)
class DeviceTime:
    """When a crew device says it did something, and how its clock compares with ours:
    ``sent_at`` is its clock when it sent the update (REST), ``clock_offset_s`` the offset
    measured at the socket's ``hello`` (server minus device). ``dispatch.domain.fieldtime``."""

    at: datetime | None = None
    sent_at: datetime | None = None
    clock_offset_s: float | None = None


@dataclass(frozen=True, slots=True)
class ChangeUnitStatus(Command):
    unit_id: int
    status: UnitStatus
    stamp: ClientStamp | None = None
    device: DeviceTime = DeviceTime()


@dataclass(frozen=True, slots=True)
class ReportPosition(Command):
    unit_id: int
    location: Location
    reported_at: datetime | None = None
    stamp: ClientStamp | None = None


@dataclass(frozen=True, slots=True)
class AcknowledgeOrder(Command):
    unit_id: int
    order_id: int
    device: DeviceTime = DeviceTime()


@dataclass(frozen=True, slots=True)
class CorrectTime(Command):
    """A supervisor sets one NEMSIS time of one unit on an incident, with a reason."""

    incident_id: int
    unit_id: int
    element: str  # "eTimes.06" or our name "on_scene"
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class CancelIncident(Command):
    incident_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class AddNote(Command):
    incident_id: int
    text: str


@dataclass(frozen=True, slots=True)
class DivertUnit(Command):
    unit_id: int
    to_incident_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class ReassignUnit(Command):
    incident_id: int
    from_unit_id: int
    to_unit_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class UpdateHospital(Command):
    hospital_id: int
    ed_status: str | None = None
    beds_available: int | None = None
    capabilities: frozenset[str] | None = None
    #: free beds per speciality; replaces the earlier counts when given
    capability_beds: Mapping[str, int] | None = None


@dataclass(frozen=True, slots=True)
class ChooseDestination(Command):
    unit_id: int
    hospital_id: int


@dataclass(frozen=True, slots=True)
class AcknowledgeIncoming(Command):
    """The ED confirms it expects the patient of ``incident_id`` (routed to ``hospital_id``)."""

    hospital_id: int
    incident_id: int


@dataclass(frozen=True, slots=True)
class SetUnitIsolation(Command):
    unit_id: int
    isolation: bool


@dataclass(frozen=True, slots=True)
class RelocateUnit(Command):
    unit_id: int
    station_id: int
