"""Domain events: past-tense facts recorded by aggregates and committed with the state they changed.

Events name what happened and to which aggregates; the unit of work stamps them with a global
sequence number, the actor and the time when it writes them to the log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every domain event. ``occurred_at`` is the injected clock's time, UTC."""

    occurred_at: datetime

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def incident_id(self) -> int | None:
        """The incident it is about: an event names it in its ``incident`` field."""
        value = getattr(self, "incident", None)
        return value if isinstance(value, int) else None

    @property
    def unit_id(self) -> int | None:
        """The unit it is about: an event names it in its ``unit`` field."""
        value = getattr(self, "unit", None)
        return value if isinstance(value, int) else None


@dataclass(frozen=True, slots=True)
class CallReceived(Event):
    incident: int
    #: the PBX's call this incident was taken from (dispatch.domain.telephony), if any
    phone_call: int | None = None


@dataclass(frozen=True, slots=True)
class UnitAssigned(Event):
    incident: int
    unit: int
    order_id: int


@dataclass(frozen=True, slots=True)
class UnitStatusChanged(Event):
    """``occurred_at`` is when the crew pressed the button (``dispatch.domain.fieldtime``);
    ``received_at`` when the server heard of it, ``device_at`` the device's own time, and
    ``time_flags`` why the accepted time is suspicious or differs from the device's."""

    unit: int
    previous: str
    status: str
    incident: int | None
    reason: str | None = None  # set when a dispatcher, not the crew, changed it
    received_at: datetime | None = None
    device_at: datetime | None = None
    time_flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IncidentClosed(Event):
    incident: int


@dataclass(frozen=True, slots=True)
class OrderAcknowledged(Event):
    """The crew confirmed it received the dispatch order (NENA STA-024 style acknowledgement)."""

    unit: int
    incident: int | None
    order_id: int
    #: as on ``UnitStatusChanged``: the receive time, the device's time and the flags
    received_at: datetime | None = None
    device_at: datetime | None = None
    time_flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IncidentCancelled(Event):
    incident: int
    reason: str


@dataclass(frozen=True, slots=True)
class NoteAdded(Event):
    incident: int
    text: str
    author: str


@dataclass(frozen=True, slots=True)
class UnitDiverted(Event):
    """Recorded on the incident the unit was taken from; ``UnitAssigned`` follows on the other."""

    incident: int
    unit: int
    to_incident: int
    reason: str


@dataclass(frozen=True, slots=True)
class IncidentTriaged(Event):
    incident: int
    complaint_code: str
    determinant_code: str
    priority: int
    protocol_version: str


@dataclass(frozen=True, slots=True)
class CallLinked(Event):
    """A further call about an open incident, linked by the call-taker instead of a duplicate."""

    incident: int
    caller_number: str | None
    complaint: str
    phone_call: int | None = None


@dataclass(frozen=True, slots=True)
class DestinationChosen(Event):
    """The receiving hospital of a unit's patient; the hospital sees the incident from now on."""

    unit: int
    incident: int
    hospital: int
    hospital_status: str


@dataclass(frozen=True, slots=True)
class HospitalStatusChanged(Event):
    """A hospital updated its emergency department status or free beds."""

    hospital: int
    hospital_name: str
    ed_status: str
    beds_available: int
    capabilities: tuple[str, ...]
    capability_beds: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PatientAcknowledged(Event):
    """The receiving ED confirmed it expects this unit's patient ("ED acknowledged"): the crew
    and the dispatcher stop wondering whether the pre-alert got through."""

    unit: int
    incident: int
    hospital: int
    hospital_name: str


@dataclass(frozen=True, slots=True)
class UnitRelocated(Event):
    """A move-up order: the unit is now posted at ``station`` (and drives there)."""

    unit: int
    station: int
    from_station: int | None
    #: the order the crew acknowledges (None in events written before move-ups were orders)
    order_id: int | None = None


@dataclass(frozen=True, slots=True)
class TimeCorrected(Event):
    """A supervisor set one of a unit's NEMSIS times by hand, with a reason. The original
    (``previous_at``, None if it was missing) stays here and in the events that recorded it."""

    incident: int
    unit: int
    order_id: int
    element: str  # e.g. "eTimes.06"
    stamp: str  # our name, e.g. "on_scene"
    at: datetime
    previous_at: datetime | None
    reason: str
    time_flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InfectionFlagChanged(Event):
    """A call was flagged (or unflagged) as suspected infectious (respiratory / fever), by the
    triage (``by`` = ``"triage"``) or by hand (``by`` = ``"dispatcher"``), with why."""

    incident: int
    infectious: bool
    by: str
    reason: str


@dataclass(frozen=True, slots=True)
class IsolationOverridden(Event):
    """A unit without isolation capability was sent to a suspected infectious call: the
    dispatcher's decision (no isolation unit near enough), recorded so the review sees it."""

    incident: int
    unit: int
    order_id: int


@dataclass(frozen=True, slots=True)
class DecontaminationStarted(Event):
    """After carrying a suspected infectious patient the unit is out of service until ``until``
    (``GOLDENHOUR_DECONTAMINATION_MIN``) or until its crew reports it clean."""

    unit: int
    incident: int | None
    until: datetime


@dataclass(frozen=True, slots=True)
class UnitIsolationSet(Event):
    """The unit is (or is no longer) fitted for isolated transport."""

    unit: int
    isolation: bool


@dataclass(frozen=True, slots=True)
class DecontaminationEnded(Event):
    """The unit is clean and available again: ``by`` is ``"crew"`` or ``"expiry"``."""

    unit: int
    by: str
    started_at: datetime


# -- public-health watch (issue 18) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignalRaised(Event):
    """The watch found a new aberration: ``syndrome`` in ``areas`` (H3 cells) since ``since``
    (ISO day), ``observed`` calls against ``expected`` on ``day``, by ``method``."""

    signal: int
    syndrome: str
    method: str
    areas: tuple[str, ...]
    since: str
    day: str
    observed: float
    expected: float
    level: str


@dataclass(frozen=True, slots=True)
class SignalUpdated(Event):
    """An open signal was seen again: it may have grown (``areas``) or risen to ``alert``."""

    signal: int
    areas: tuple[str, ...]
    day: str
    observed: float
    expected: float
    level: str
    level_raised: bool


@dataclass(frozen=True, slots=True)
class SignalClosed(Event):
    """No detection for the signal's syndrome and areas for the quiet days: it ended."""

    signal: int
    last_seen: str


@dataclass(frozen=True, slots=True)
class SignalAcknowledged(Event):
    """A supervisor looked at the signal and wrote what was done (``note``)."""

    signal: int
    note: str
