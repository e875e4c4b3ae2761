"""Each unit's own response to an incident, read back from the event log.

Why: an incident's stored times are the first unit's (``Incident.track`` keeps the first time
each stage is reached), but a NEMSIS record is one per responding unit, and the second
ambulance's en-route or cancellation time is not the first one's. The event log is the source
of truth: every assignment (``UnitAssigned``, with its order id), status change
(``UnitStatusChanged``), divert (``UnitDiverted``) and destination (``DestinationChosen``) is
there with its time, so one pass over an incident's events gives every unit its own eTimes.

Rules, per dispatch order (a unit sent twice to one call has two responses):

* eTimes.03 unit notified = the order's ``assigned_at``; eTimes.04 = its acknowledgement.
* en route / on scene / transporting / at hospital = eTimes.05 / 06 / 09 / 11 (first time each).
* back to ``available`` or ``returning`` on this incident = eTimes.13 (back in service; a unit
  driving home may take a new call, so it is available for response); cleared straight from the
  scene (no transport), it is also when the unit left the scene, eTimes.09.
* a unit back in service, or diverted to another call, before it reached the scene was
  cancelled: eTimes.14 = that moment (whatever the cause: call cancelled, unit swapped or
  diverted); a diverted unit is back in service for this call at the same instant.
* a supervisor's ``TimeCorrected`` (naming the order) replaces the time it corrects; the
  original stays in the log.

Times are the events' ``occurred_at``: for a crew's button, when it was pressed (the device's
time as the server accepted it, ``dispatch.domain.fieldtime``), not when the server heard of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dispatch.domain.nemsis import Stamp

#: Unit statuses of a crew button and the eTimes element each one records.
_STATUS_STAMPS: Mapping[str, Stamp] = {
    "en_route": Stamp.EN_ROUTE,
    "on_scene": Stamp.ON_SCENE,
    "transporting": Stamp.LEFT_SCENE,
    "at_hospital": Stamp.AT_DESTINATION,
}
#: Statuses in which a unit has cleared its call (it may take a new one).
_CLEARED = frozenset({"available", "returning"})


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One row of the event log about an incident (its name, time, unit and payload)."""

    name: str
    occurred_at: datetime
    unit_id: int | None
    data: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Order:
    """A dispatch order (a row of ``assignments``): which unit, when sent, when confirmed."""

    id: int
    unit_id: int
    assigned_at: datetime
    acknowledged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Destination:
    """A receiving hospital named for the unit's patient, and its ED status at that moment."""

    hospital_id: int
    chosen_at: datetime
    hospital_status: str  # open / diversion (a closed ED cannot be chosen)


@dataclass(slots=True)
class UnitResponse:
    """One unit's response under one order: its own eTimes and where it took the patient."""

    order_id: int
    unit_id: int
    times: dict[Stamp, datetime] = field(default_factory=dict)
    destinations: list[Destination] = field(default_factory=list)
    diverted_to: int | None = None  # the incident the unit was pulled onto, if it was
    transported: bool = False  # left the scene with a patient (not merely cleared from it)

    @property
    def ended(self) -> bool:
        """The unit is back in service (a record can only be completed then: eTimes.13)."""
        return Stamp.BACK_IN_SERVICE in self.times

    @property
    def reached_scene(self) -> bool:
        return Stamp.ON_SCENE in self.times

    @property
    def cancelled(self) -> bool:
        return Stamp.CANCELLED in self.times

    @property
    def destination(self) -> Destination | None:
        """The last hospital named: where the patient went (or was going)."""
        return self.destinations[-1] if self.destinations else None

    @property
    def destination_changed(self) -> bool:
        """The patient was sent somewhere else than first named (a diversion en route)."""
        return len({d.hospital_id for d in self.destinations}) > 1

    def _stamp(self, stamp: Stamp, at: datetime) -> None:
        self.times.setdefault(stamp, at)

    def _clear(self, at: datetime) -> None:
        if not self.reached_scene:
            self._stamp(Stamp.CANCELLED, at)
        self._stamp(Stamp.BACK_IN_SERVICE, at)


def unit_responses(orders: Iterable[Order], log: Sequence[LogEntry]) -> list[UnitResponse]:
    """Every unit response to one incident, in the order the units were sent.

    ``orders`` are the incident's dispatch orders, ``log`` its events in sequence order. An
    event about a unit belongs to that unit's current order on this incident (the last
    ``UnitAssigned``); once the unit has cleared, later events are not this response's.
    """
    by_id = {o.id: o for o in orders}
    responses = {
        o.id: UnitResponse(o.id, o.unit_id, {Stamp.UNIT_NOTIFIED: o.assigned_at})
        for o in sorted(by_id.values(), key=lambda o: (o.assigned_at, o.id))
    }
    for order in by_id.values():
        if order.acknowledged_at is not None:
            responses[order.id].times[Stamp.DISPATCH_ACKNOWLEDGED] = order.acknowledged_at
    current: dict[int, UnitResponse] = {}
    for entry in log:
        if entry.unit_id is None:
            continue
        order_id = _int(entry.data.get("order_id"))
        named = None if order_id is None else responses.get(order_id)
        if entry.name == "UnitAssigned":
            if named is not None:
                current[entry.unit_id] = named
            continue
        if entry.name == "TimeCorrected":  # a supervisor's correction, even after the unit cleared
            if named is not None:
                _correct(named, entry)
            continue
        response = current.get(entry.unit_id)
        if response is None:
            continue
        _apply(response, entry)
        if response.ended:
            del current[entry.unit_id]
    return list(responses.values())


def _apply(response: UnitResponse, entry: LogEntry) -> None:
    at = entry.occurred_at
    if entry.name == "UnitStatusChanged":
        status = str(entry.data.get("status"))
        if status in _STATUS_STAMPS:
            response._stamp(_STATUS_STAMPS[status], at)
            response.transported |= status == "transporting"
        elif status in _CLEARED:
            if entry.data.get("previous") == "on_scene":
                response._stamp(Stamp.LEFT_SCENE, at)  # cleared from the scene: it drove off
            response._clear(at)
    elif entry.name == "OrderAcknowledged":
        if _int(entry.data.get("order_id")) == response.order_id:
            response._stamp(Stamp.DISPATCH_ACKNOWLEDGED, at)
    elif entry.name == "UnitDiverted":
        response.diverted_to = _int(entry.data.get("to_incident"))
        response._clear(at)
    elif entry.name == "DestinationChosen":
        hospital = _int(entry.data.get("hospital"))
        if hospital is not None:
            status = str(entry.data.get("hospital_status") or "open")
            response.destinations.append(Destination(hospital, at, status))


def _correct(response: UnitResponse, entry: LogEntry) -> None:
    """Apply a ``TimeCorrected`` event: the corrected time replaces the recorded one."""
    try:
        stamp = Stamp(str(entry.data.get("stamp")))
    except ValueError:
        return
    value = entry.data.get("at")
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return
    if isinstance(value, datetime) and value.tzinfo is not None:
        response.times[stamp] = value


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
