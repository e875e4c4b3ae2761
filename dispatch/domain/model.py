"""Aggregates of dispatch: incidents and units, with their lifecycles as explicit state machines.

Pure: no I/O, no clock of its own (times are passed in), no ids invented here. Each state change
records an event on the aggregate; the unit of work persists state and events in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from dispatch.domain import events as ev
from dispatch.domain.errors import (
    CancelRefused,
    DestinationRefused,
    DivertRefused,
    DomainError,
    IllegalTransition,
    IncidentNotAssignable,
    InvalidNote,
    OrderNotCurrent,
    UnitNotAvailable,
    UnitNotCapable,
)
from dispatch.domain.fieldtime import FieldTime
from dispatch.domain.geo import Location
from dispatch.domain.hospitals import EdStatus, Hospital
from dispatch.domain.triage import TriageResult


class Capability(StrEnum):
    ALS = "ALS"  # advanced life support: paramedic, drugs, defibrillator, airway
    BLS = "BLS"  # basic life support


class UnitStatus(StrEnum):
    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    AT_HOSPITAL = "at_hospital"
    RETURNING = "returning"  # cleared, driving back to quarters: may take a new call
    OUT_OF_SERVICE = "out_of_service"
    #: after a suspected infectious transport: cleaning, not dispatchable until clean or expired
    DECONTAMINATION = "decontamination"


class IncidentStatus(StrEnum):
    PENDING = "pending"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    TRANSPORTING = "transporting"
    AT_HOSPITAL = "at_hospital"
    CLOSED = "closed"
    CANCELLED = "cancelled"


#: Final incident states: nothing may change an incident in one of these.
FINAL = frozenset({IncidentStatus.CLOSED, IncidentStatus.CANCELLED})


U = UnitStatus
#: Status changes a crew (or a dispatcher on its behalf) may report. ``dispatched`` is reached only
#: by an assignment, never by a status button, so a unit cannot appear busy without an incident.
UNIT_TRANSITIONS: dict[UnitStatus, frozenset[UnitStatus]] = {
    U.AVAILABLE: frozenset({U.OUT_OF_SERVICE}),
    U.DISPATCHED: frozenset({U.EN_ROUTE}),
    U.EN_ROUTE: frozenset({U.ON_SCENE}),
    U.ON_SCENE: frozenset({U.TRANSPORTING, U.AVAILABLE, U.RETURNING}),
    U.TRANSPORTING: frozenset({U.AT_HOSPITAL}),
    U.AT_HOSPITAL: frozenset({U.AVAILABLE, U.RETURNING}),
    U.RETURNING: frozenset({U.AVAILABLE, U.OUT_OF_SERVICE}),
    U.OUT_OF_SERVICE: frozenset({U.AVAILABLE}),
    # the crew reports the unit clean (or broken); expiry is the server's (end_decontamination)
    U.DECONTAMINATION: frozenset({U.AVAILABLE, U.OUT_OF_SERVICE}),
}

#: How long decontamination lasts unless the crew clears it (``GOLDENHOUR_DECONTAMINATION_MIN``).
DEFAULT_DECONTAMINATION_S = 3600.0

#: The protection a crew wears for a suspected infectious patient (shown on the order).
INFECTIOUS_PROTECTION = "airborne"  # FFP2/N95 respirator, gown, gloves, eye protection

#: Units that may take a new call: in quarters / on the road (available) or driving home.
DISPATCHABLE = frozenset({U.AVAILABLE, U.RETURNING})

#: The stage of an incident that a unit working it stands for.
_STAGE_OF_UNIT: dict[UnitStatus, IncidentStatus] = {
    U.DISPATCHED: IncidentStatus.DISPATCHED,
    U.EN_ROUTE: IncidentStatus.EN_ROUTE,
    U.ON_SCENE: IncidentStatus.ON_SCENE,
    U.TRANSPORTING: IncidentStatus.TRANSPORTING,
    U.AT_HOSPITAL: IncidentStatus.AT_HOSPITAL,
}
#: Incident stages in lifecycle order: with several units, the one furthest along sets the pace.
_PROGRESS: tuple[IncidentStatus, ...] = (
    IncidentStatus.PENDING,
    IncidentStatus.DISPATCHED,
    IncidentStatus.EN_ROUTE,
    IncidentStatus.ON_SCENE,
    IncidentStatus.TRANSPORTING,
    IncidentStatus.AT_HOSPITAL,
)


def required_capabilities(priority: int) -> frozenset[Capability]:
    """Which unit types may answer a call: a priority-1 (critical) call needs ALS."""
    if priority == 1:
        return frozenset({Capability.ALS})
    return frozenset({Capability.ALS, Capability.BLS})


def call_number(year: int, serial: int) -> str:
    """Human-readable call number read out on the radio, e.g. ``2026-000123``."""
    return f"{year:04d}-{serial:06d}"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who called and where their phone or network placed them (ALI-style evidence).

    Kept apart from the incident's verified location: a cell-tower fix can be kilometres off.
    """

    number: str | None  # ANI, normalised to E.164 where possible
    location: Location | None  # already converted to WGS-84
    accuracy_m: float | None
    crs: str  # the datum it was reported in (WGS-84, GCJ-02, BD-09), for the audit
    name: str | None = None  # as the caller gave it (or the network's CNAM)
    callback: str | None = None  # the number to call back, when not the one they call from


@dataclass(frozen=True, slots=True)
class PhoneCallRef:
    """The phone line call an incident (or a linked call) was taken from: which one, and when it
    began ringing by our clock (``dispatch.domain.telephony``)."""

    id: int
    rang_at: datetime


@dataclass(eq=False)
class Incident:
    id: int
    number: str
    location: Location
    address: str | None
    complaint: str
    priority: int
    status: IncidentStatus
    received_at: datetime
    unit_ids: list[int] = field(default_factory=list)
    dispatched_at: datetime | None = None
    en_route_at: datetime | None = None
    on_scene_at: datetime | None = None
    transporting_at: datetime | None = None
    at_hospital_at: datetime | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    address_verified: bool = False
    complaint_code: str | None = None
    determinant: str | None = None  # MPDS-style letter E D C B A O
    determinant_code: str | None = None  # the protocol rule that fired
    protocol_version: str | None = None
    needs: frozenset[str] = frozenset()  # e.g. {"ALS"}; police/fire are alerts, not unit types
    hospital_capability: str | None = None  # what the receiving hospital must offer
    caller: Caller | None = None
    #: suspected infectious (respiratory / fever): isolation units, fever clinics, decontamination
    infectious: bool = False
    infectious_reason: str | None = None
    events: list[ev.Event] = field(default_factory=list, repr=False)

    @classmethod
    def receive(
        cls,
        *,
        id: int,
        location: Location,
        address: str | None,
        complaint: str,
        priority: int,
        at: datetime,
        address_verified: bool = False,
        caller: Caller | None = None,
        phone_call: PhoneCallRef | None = None,
    ) -> Incident:
        """A call becomes an incident: pending until a unit is assigned.

        Taken from a phone line, the incident is received when the phone *rang* (NEMSIS eTimes.01
        "PSAP call"), not when the form was sent: response times then include the time spent
        answering and questioning the caller, as NFPA 1225 and every audit measure them.
        """
        if priority not in (1, 2, 3, 4):
            raise ValueError("priority must be 1..4")
        incident = cls(
            id=id,
            number=call_number(at.year, id),
            location=location,
            address=address,
            complaint=complaint,
            priority=priority,
            status=IncidentStatus.PENDING,
            received_at=at if phone_call is None else min(at, phone_call.rang_at),
            address_verified=address_verified,
            caller=caller,
        )
        incident.events.append(
            ev.CallReceived(
                occurred_at=at,
                incident=id,
                phone_call=None if phone_call is None else phone_call.id,
            )
        )
        return incident

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL

    def required_capabilities(self) -> frozenset[Capability]:
        """Unit types that may answer: ALS when the triage says so or the call is priority 1."""
        if "ALS" in self.needs:
            return frozenset({Capability.ALS})
        return required_capabilities(self.priority)

    def apply_triage(self, result: TriageResult, *, at: datetime) -> None:
        """Record a structured triage (at intake, or again when the caller tells more)."""
        if not self.is_open:
            raise IncidentNotAssignable(f"Incident {self.number} is {self.status.value}")
        self.complaint_code = result.complaint_code
        self.determinant = result.determinant
        self.determinant_code = result.determinant_code
        self.protocol_version = result.protocol_version
        self.priority = result.priority
        self.needs = result.needs
        self.hospital_capability = result.hospital_capability
        self.events.append(
            ev.IncidentTriaged(
                occurred_at=at,
                incident=self.id,
                complaint_code=result.complaint_code,
                determinant_code=result.determinant_code,
                priority=result.priority,
                protocol_version=result.protocol_version,
            )
        )

    def link_call(
        self,
        caller: Caller | None,
        complaint: str,
        *,
        at: datetime,
        phone_call: PhoneCallRef | None = None,
    ) -> None:
        """Another call about this incident (a duplicate): kept on its record, no new incident."""
        if not self.is_open:
            raise IncidentNotAssignable(f"Incident {self.number} is {self.status.value}")
        self.events.append(
            ev.CallLinked(
                occurred_at=at,
                incident=self.id,
                caller_number=None if caller is None else caller.number,
                complaint=complaint,
                phone_call=None if phone_call is None else phone_call.id,
            )
        )

    def add_note(self, text: str, *, author: str, at: datetime) -> None:
        """Anyone may append a note; it is kept with who wrote it and when, never edited."""
        text = text.strip()
        if not text:
            raise InvalidNote("A note needs some text")
        self.events.append(ev.NoteAdded(occurred_at=at, incident=self.id, text=text, author=author))

    def track(self, units: Sequence[Unit], *, at: datetime, patient_contact: bool) -> None:
        """Follow the units working this incident (those in ``units`` still attached to it).

        The unit furthest along sets the stage, and the stage never goes back while a unit works
        the call; the earliest time each stage was reached is kept (NEMSIS times, first unit):
        earliest rather than first heard of, because a crew's update queued offline arrives
        late with its own, earlier time (``dispatch.domain.fieldtime``). When the last unit
        leaves, the incident closes if a crew reached the patient (``patient_contact``), and goes
        back to the pending queue otherwise (its unit was diverted or swapped before arriving).
        """
        if not self.is_open:
            return
        stages = [
            _STAGE_OF_UNIT[u.status]
            for u in units
            if u.incident_id == self.id and u.status in _STAGE_OF_UNIT
        ]
        if not stages:
            if patient_contact:
                self.status, self.closed_at = IncidentStatus.CLOSED, at
                self.events.append(ev.IncidentClosed(occurred_at=at, incident=self.id))
            else:
                self.status = IncidentStatus.PENDING
            return
        furthest = max([self.status, *stages], key=_PROGRESS.index)
        self.status = furthest
        for stage in _PROGRESS[1 : _PROGRESS.index(furthest) + 1]:
            stamp = f"{stage.value}_at"
            current = getattr(self, stamp)
            if current is None or at < current:
                setattr(self, stamp, at)

    @property
    def had_patient_contact(self) -> bool:
        return self.on_scene_at is not None

    @property
    def protection(self) -> str | None:
        """The protection level the crew must wear (None: standard precautions)."""
        return INFECTIOUS_PROTECTION if self.infectious else None

    def flag_infectious(self, infectious: bool, reason: str, *, by: str, at: datetime) -> bool:
        """Set or clear the suspected-infectious flag; returns whether it changed.

        Triage only ever sets it (a caller's "fever" is a reason to protect the crew; the
        absence of the word is not a reason to stop). Clearing is a dispatcher's decision and
        needs a reason like setting by hand does: both are kept in the incident's log.
        """
        reason = reason.strip()
        if not reason:
            raise InvalidNote("Flagging or clearing an infectious call needs a reason")
        if not self.is_open:
            raise IncidentNotAssignable(f"Incident {self.number} is {self.status.value}")
        if infectious == self.infectious:
            return False
        self.infectious = infectious
        self.infectious_reason = reason if infectious else None
        self.events.append(
            ev.InfectionFlagChanged(
                occurred_at=at, incident=self.id, infectious=infectious, by=by, reason=reason
            )
        )
        return True


@dataclass(eq=False)
class Unit:
    id: int
    call_sign: str
    capability: Capability
    status: UnitStatus
    status_at: datetime
    station_id: int | None = None
    position: Location | None = None
    position_at: datetime | None = None
    incident_id: int | None = None
    order_id: int | None = None
    order_acknowledged_at: datetime | None = None
    destination_hospital_id: int | None = None
    home: Location | None = None  # its station
    #: why ``status_at`` is suspicious or not the device's own time (``fieldtime.Flag``)
    status_flags: tuple[str, ...] = ()
    #: equipped and trained for isolated transport (negative pressure / sealed cabin)
    isolation: bool = False
    #: this call's patient is suspected infectious: clearing it starts decontamination
    infectious_load: bool = False
    #: when decontamination ends by itself (None unless the status is ``decontamination``)
    decontamination_until: datetime | None = None
    events: list[ev.Event] = field(default_factory=list, repr=False)

    #: A unit this close to its station counts as in quarters (a station yard is not a point).
    IN_QUARTERS_M = 150.0

    @property
    def in_quarters(self) -> bool:
        """Available at its station, as opposed to available on the road (after a call)."""
        return (
            self.status is U.AVAILABLE
            and self.home is not None
            and self.position is not None
            and self.position.distance_m(self.home) <= self.IN_QUARTERS_M
        )

    def accepts_fix(self, reported_at: datetime) -> bool:
        """Whether a GPS fix taken at ``reported_at`` moves the unit: only if it is newer than
        the position held. Fixes arrive out of order (a phone replays its queue after a dead
        spot; two fixes race over two connections), and an older fix must never move a unit
        back. One taken at the same instant is a replay of the one held. The PostgreSQL
        position log applies the same rule in its batch statement (``store/positions.py``)."""
        return self.position_at is None or reported_at > self.position_at

    def set_isolation(self, isolation: bool, *, at: datetime) -> None:
        """The fleet record: whether the unit is fitted for isolated transport (negative pressure
        or a sealed cabin). Only such units are recommended for a suspected infectious call."""
        if isolation == self.isolation:
            return
        self.isolation = isolation
        self.events.append(ev.UnitIsolationSet(occurred_at=at, unit=self.id, isolation=isolation))

    def relocate(self, station_id: int, *, order_id: int, at: datetime) -> None:
        """Move-up: post a free unit at another station to cover a gap (it drives there).

        The move-up is an order like a dispatch: it becomes the unit's current order
        (``order_id``, from the same sequence as dispatch orders) and stays unacknowledged until
        the crew confirms it, so the crew's device is called again until it does. A unit without
        an incident that has an order is on a move-up (:attr:`on_move_up`). Posting a unit where
        it is already posted changes nothing and gives no order.
        """
        if self.status not in DISPATCHABLE:
            raise UnitNotAvailable(
                f"{self.call_sign} is {self.status.value}; only a free unit can be moved up"
            )
        if station_id == self.station_id:
            return
        previous, self.station_id = self.station_id, station_id
        self.order_id, self.order_acknowledged_at = order_id, None
        self.events.append(
            ev.UnitRelocated(
                occurred_at=at,
                unit=self.id,
                station=station_id,
                from_station=previous,
                order_id=order_id,
            )
        )

    @property
    def on_move_up(self) -> bool:
        """Whether the current order is a move-up (an order with no incident) to ``station_id``."""
        return self.order_id is not None and self.incident_id is None

    def choose_destination(self, hospital: Hospital, *, at: datetime) -> None:
        """Name the receiving hospital (the crew or the dispatcher decides; we recommend).

        A hospital that is closed cannot receive; one on diversion may, because the crew may
        judge the patient cannot go further (it is recorded and visible).
        """
        if self.incident_id is None or self.status not in (
            U.DISPATCHED,
            U.EN_ROUTE,
            U.ON_SCENE,
            U.TRANSPORTING,
        ):
            raise DestinationRefused(
                f"{self.call_sign} is {self.status.value}: a destination needs a patient on board "
                "or about to be"
            )
        if hospital.ed_status is EdStatus.CLOSED:
            raise DestinationRefused(f"{hospital.name} is closed to ambulances")
        self.destination_hospital_id = hospital.id
        self.events.append(
            ev.DestinationChosen(
                occurred_at=at,
                unit=self.id,
                incident=self.incident_id,
                hospital=hospital.id,
                hospital_status=hospital.ed_status.value,
            )
        )

    @property
    def awaiting_acknowledgement(self) -> bool:
        return self.order_id is not None and self.order_acknowledged_at is None

    def acknowledge(self, order_id: int, *, at: datetime, timing: FieldTime | None = None) -> bool:
        """The crew confirms its current order; repeating it changes nothing (mobile retries).

        ``timing`` says how ``at`` was derived from the device's time (None: the server's)."""
        if order_id != self.order_id:
            raise OrderNotCurrent(
                f"Order {order_id} is not the current order of {self.call_sign}"
                + ("" if self.order_id is None else f" (current: {self.order_id})")
            )
        if self.order_acknowledged_at is not None:
            return False
        self.order_acknowledged_at = at
        received, device, flags = _timing_fields(timing)
        self.events.append(
            ev.OrderAcknowledged(
                occurred_at=at,
                unit=self.id,
                incident=self.incident_id,
                order_id=order_id,
                received_at=received,
                device_at=device,
                time_flags=flags,
            )
        )
        return True

    def release(self, reason: str, *, at: datetime) -> None:
        """Back to available by a dispatcher's decision (call cancelled, unit swapped)."""
        previous = self.status
        incident = self.incident_id
        self.status, self.status_at, self.status_flags = U.AVAILABLE, at, ()
        self.incident_id = self.order_id = self.order_acknowledged_at = None
        self.destination_hospital_id = None
        self.events.append(
            ev.UnitStatusChanged(
                occurred_at=at,
                unit=self.id,
                previous=previous.value,
                status=U.AVAILABLE.value,
                incident=incident,
                reason=reason,
            )
        )

    def change_status(
        self,
        new: UnitStatus,
        *,
        at: datetime,
        timing: FieldTime | None = None,
        decontamination_s: float = DEFAULT_DECONTAMINATION_S,
    ) -> UnitStatus:
        """Apply a crew status button; refuses jumps the lifecycle does not allow.

        ``at`` is when the crew pressed it; ``timing`` how that was derived from the device's
        time (None: the server's clock), kept on the event and as ``status_flags``.

        A unit that clears a suspected infectious call after reaching the patient (from on scene
        or at hospital, to available or returning) goes to ``decontamination`` instead, for
        ``decontamination_s`` or until its crew reports it clean (``available`` again)."""
        if new not in UNIT_TRANSITIONS[self.status]:
            allowed = ", ".join(sorted(s.value for s in UNIT_TRANSITIONS[self.status])) or "none"
            raise IllegalTransition(
                f"{self.call_sign} cannot go from {self.status.value} to {new.value} "
                f"(allowed: {allowed})"
            )
        if self.status is U.DISPATCHED and self.order_id is not None:
            # Pressing "en route" proves the order arrived, even if the ack button was not used.
            self.acknowledge(self.order_id, at=at, timing=timing)
        previous, previous_at = self.status, self.status_at
        decontaminate = (
            self.infectious_load and new in DISPATCHABLE and previous in (U.ON_SCENE, U.AT_HOSPITAL)
        )
        if decontaminate:
            new = U.DECONTAMINATION
        self.status = new
        self.status_at = at
        self.status_flags = () if timing is None else timing.flags
        incident = self.incident_id
        if new in DISPATCHABLE or new is U.DECONTAMINATION:
            self.infectious_load = False
        # The crew cleared its call: the call's order goes with it. A move-up order (no incident)
        # stays until the crew confirms it: "available" is not "copy, moving to station 3".
        if (new in DISPATCHABLE or new is U.DECONTAMINATION) and incident is not None:
            self.incident_id = None
            self.order_id = None
            self.order_acknowledged_at = None
            self.destination_hospital_id = None
        received, device, flags = _timing_fields(timing)
        self.events.append(
            ev.UnitStatusChanged(
                occurred_at=at,
                unit=self.id,
                previous=previous.value,
                status=new.value,
                incident=incident,
                received_at=received,
                device_at=device,
                time_flags=flags,
            )
        )
        if decontaminate:
            self.decontamination_until = at + timedelta(seconds=decontamination_s)
            self.events.append(
                ev.DecontaminationStarted(
                    occurred_at=at,
                    unit=self.id,
                    incident=incident,
                    until=self.decontamination_until,
                )
            )
        elif previous is U.DECONTAMINATION:
            self.decontamination_until = None
            self.events.append(
                ev.DecontaminationEnded(
                    occurred_at=at, unit=self.id, by="crew", started_at=previous_at
                )
            )
        return previous

    def decontamination_expired(self, now: datetime) -> bool:
        """Whether the configured decontamination time is over (the server then ends it)."""
        return (
            self.status is U.DECONTAMINATION
            and self.decontamination_until is not None
            and now >= self.decontamination_until
        )

    def end_decontamination(self, *, at: datetime) -> None:
        """The decontamination time expired: available again (its station decides where)."""
        if not self.decontamination_expired(at):
            raise IllegalTransition(f"{self.call_sign} is not at the end of a decontamination")
        started = self.status_at
        self.status, self.status_at, self.status_flags = U.AVAILABLE, at, ()
        self.decontamination_until = None
        self.events.append(
            ev.UnitStatusChanged(
                occurred_at=at,
                unit=self.id,
                previous=U.DECONTAMINATION.value,
                status=U.AVAILABLE.value,
                incident=None,
                reason="decontamination time over",
            )
        )
        self.events.append(
            ev.DecontaminationEnded(occurred_at=at, unit=self.id, by="expiry", started_at=started)
        )


def _timing_fields(
    timing: FieldTime | None,
) -> tuple[datetime | None, datetime | None, tuple[str, ...]]:
    """The receive time, device time and flags an event about a crew action carries."""
    if timing is None:
        return None, None, ()
    return timing.received_at, timing.device_at, timing.flags


def assign(unit: Unit, incident: Incident, *, order_id: int, at: datetime) -> None:
    """Send ``unit`` to ``incident`` under dispatch order ``order_id``: both change or neither.

    An incident may take several units (e.g. two ambulances and a supervisor) while it is open.
    """
    if unit.status not in DISPATCHABLE:
        raise unit_not_available(unit)
    if unit.capability not in incident.required_capabilities():
        raise UnitNotCapable(
            f"Unit {unit.call_sign} is {unit.capability.value}; "
            f"incident {incident.number} needs ALS"
        )
    if not incident.is_open:
        raise IncidentNotAssignable(
            f"Incident {incident.number} is {incident.status.value}; it takes no more units",
            number=incident.number,
            status=incident.status.value,
        )
    unit.status = UnitStatus.DISPATCHED
    unit.status_at, unit.status_flags = at, ()
    unit.incident_id = incident.id
    unit.order_id = order_id
    unit.order_acknowledged_at = None
    unit.infectious_load = incident.infectious
    incident.unit_ids.append(unit.id)
    incident.track([unit], at=at, patient_contact=False)
    incident.events.append(
        ev.UnitAssigned(occurred_at=at, incident=incident.id, unit=unit.id, order_id=order_id)
    )
    if incident.infectious and not unit.isolation:
        # Allowed, not refused: a patient with a fever still needs an ambulance when no isolation
        # unit can come. The recommendation said so; the log keeps the decision for the review.
        incident.events.append(
            ev.IsolationOverridden(
                occurred_at=at, incident=incident.id, unit=unit.id, order_id=order_id
            )
        )


def flag_infectious(
    incident: Incident,
    units: Sequence[Unit],
    infectious: bool,
    reason: str,
    *,
    by: str,
    at: datetime,
) -> bool:
    """Flag or clear a call as suspected infectious; its units follow (``infectious_load``).

    A unit already working the call when it is flagged carries the patient like an isolation
    unit would have, so it is decontaminated after clearing; clearing the flag spares it.
    """
    changed = incident.flag_infectious(infectious, reason, by=by, at=at)
    for unit in units:
        if unit.incident_id == incident.id:
            unit.infectious_load = incident.infectious
    return changed


def unit_not_available(unit: Unit) -> UnitNotAvailable:
    """The refusal for a unit that cannot take a call now; a decontaminating one says until when."""
    message = f"Unit {unit.call_sign} is {unit.status.value}, not available"
    if unit.status is U.DECONTAMINATION and unit.decontamination_until is not None:
        message = (
            f"Unit {unit.call_sign} is being decontaminated after an infectious transport "
            f"until {unit.decontamination_until.isoformat()} (or until its crew reports it clean)"
        )
    return UnitNotAvailable(message, unit=unit.call_sign, status=unit.status.value)


def change_unit_status(
    unit: Unit,
    incident: Incident | None,
    others: Sequence[Unit],
    new: UnitStatus,
    *,
    at: datetime,
    timing: FieldTime | None = None,
    decontamination_s: float = DEFAULT_DECONTAMINATION_S,
) -> None:
    """A crew status update moves the unit and, when it has one, its incident with it.

    ``others`` are the other units on the same incident (they decide whether it stays open).
    """
    unit.change_status(new, at=at, timing=timing, decontamination_s=decontamination_s)
    if incident is not None:
        incident.track([unit, *others], at=at, patient_contact=incident.had_patient_contact)


def cancel(incident: Incident, units: list[Unit], reason: str, *, at: datetime) -> None:
    """Cancel a call (caller hung up, duplicate, no patient): units on the way are released.

    Once a unit is on scene there is a patient contact to document: the crew clears the call
    with its own status buttons instead, so cancelling is refused then.
    """
    reason = reason.strip()
    if not reason:
        raise CancelRefused("A cancellation needs a reason")
    if not incident.is_open:
        raise CancelRefused(f"Incident {incident.number} is already {incident.status.value}")
    busy = [u for u in units if u.status not in (U.DISPATCHED, U.EN_ROUTE)]
    if busy:
        raise CancelRefused(
            f"{', '.join(u.call_sign for u in busy)} already on scene or beyond; "
            "the crew clears the call"
        )
    for unit in units:
        unit.release(f"call cancelled: {reason}", at=at)
    incident.status = IncidentStatus.CANCELLED
    incident.cancelled_at = at
    incident.cancel_reason = reason
    incident.events.append(
        ev.IncidentCancelled(occurred_at=at, incident=incident.id, reason=reason)
    )


def divert(
    unit: Unit,
    source: Incident,
    source_others: Sequence[Unit],
    target: Incident,
    reason: str,
    *,
    order_id: int,
    at: datetime,
) -> None:
    """Pull a unit still on its way to ``source`` onto the higher-priority ``target``.

    ``source`` goes back to the pending queue when no other unit works it; it keeps its received
    time, so it is first in line among calls of its priority.
    """
    reason = reason.strip()
    if not reason:
        raise DivertRefused("A divert needs a reason")
    if unit.incident_id != source.id or unit.status not in (U.DISPATCHED, U.EN_ROUTE):
        raise DivertRefused(
            f"{unit.call_sign} is not on its way to {source.number} (it is {unit.status.value})"
        )
    if target.priority >= source.priority:
        raise DivertRefused(
            f"{target.number} is priority {target.priority}, not higher than "
            f"{source.number}'s {source.priority}"
        )
    previous = unit.status
    unit.status, unit.incident_id = U.AVAILABLE, None  # free for the new order, within this step
    try:
        assign(unit, target, order_id=order_id, at=at)
    except DomainError:
        unit.status, unit.incident_id = previous, source.id
        raise
    source.track(source_others, at=at, patient_contact=False)
    source.events.append(
        ev.UnitDiverted(
            occurred_at=at, incident=source.id, unit=unit.id, to_incident=target.id, reason=reason
        )
    )


def reassign(
    incident: Incident,
    leaving: Unit,
    joining: Unit,
    others: Sequence[Unit],
    reason: str,
    *,
    order_id: int,
    at: datetime,
) -> None:
    """Swap which unit answers an incident: ``joining`` is sent, ``leaving`` becomes available."""
    reason = reason.strip()
    if not reason:
        raise DivertRefused("A reassignment needs a reason")
    if leaving.incident_id != incident.id or leaving.status not in (U.DISPATCHED, U.EN_ROUTE):
        raise DivertRefused(
            f"{leaving.call_sign} is not on its way to {incident.number} "
            f"(it is {leaving.status.value})"
        )
    assign(joining, incident, order_id=order_id, at=at)
    leaving.release(f"replaced by {joining.call_sign}: {reason}", at=at)
    incident.track([joining, *others], at=at, patient_contact=incident.had_patient_contact)
