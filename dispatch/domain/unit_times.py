"""Each responding unit's own NEMSIS times, the checks they pass at entry, and their KPIs.

Why per unit: NEMSIS has one ``PatientCareReport`` per responding unit, each with its own
eTimes; and NASEMSO's intervals (chute, travel, scene, transport...) describe one unit's work.
An incident's times are those of its *first* units (the incident is on scene when the first
unit is), which is what the response-time targets measure; the per-unit times are kept beside
them, one set per dispatch order (``assignments`` row).

Where they come from: 03 is the order's time, 04 the crew's acknowledgement, 05/06/09/11/13
the crew's status buttons (:func:`entries` maps a unit's events to them), 14 a cancellation or
a diversion; 07, 10 and 12, which no button records, only where a supervisor enters them
(:func:`correct`, which also fixes a wrong one, with a reason, keeping the original in the log).

Checks at entry: every new or corrected time goes through :func:`nemsis.check_entry` against
the unit's other times and the PSAP call: an impossible order is refused
(:class:`nemsis.TimesOutOfOrder`), an unusual one recorded with the flag ``order-warning``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dispatch.domain import events as ev
from dispatch.domain import nemsis
from dispatch.domain.errors import DomainError, NotFound
from dispatch.domain.fieldtime import Flag
from dispatch.domain.model import Incident, IncidentStatus, UnitStatus
from dispatch.domain.nemsis import Stamp

S = Stamp

#: The elements kept per unit, in timeline order (NEMSIS PCR of one unit).
PER_UNIT: tuple[Stamp, ...] = (
    S.UNIT_NOTIFIED,
    S.DISPATCH_ACKNOWLEDGED,
    S.EN_ROUTE,
    S.CANCELLED,
    S.ON_SCENE,
    S.AT_PATIENT,
    S.LEFT_SCENE,
    S.AT_LANDING_AREA,
    S.AT_DESTINATION,
    S.CARE_TRANSFERRED,
    S.BACK_IN_SERVICE,
)

#: The ``assignments`` column of each per-unit element.
COLUMN: Mapping[Stamp, str] = {
    S.UNIT_NOTIFIED: "assigned_at",
    S.DISPATCH_ACKNOWLEDGED: "acknowledged_at",
    **{s: f"{s.value}_at" for s in PER_UNIT[2:]},
}

#: The status a crew button sets, and the element it records.
_BY_STATUS: Mapping[UnitStatus, Stamp] = {
    UnitStatus.EN_ROUTE: S.EN_ROUTE,
    UnitStatus.ON_SCENE: S.ON_SCENE,
    UnitStatus.TRANSPORTING: S.LEFT_SCENE,
    UnitStatus.AT_HOSPITAL: S.AT_DESTINATION,
}
_CLEAR = frozenset({UnitStatus.AVAILABLE, UnitStatus.RETURNING, UnitStatus.OUT_OF_SERVICE})
_ON_THE_WAY = frozenset({UnitStatus.DISPATCHED.value, UnitStatus.EN_ROUTE.value})

#: The incident's own times that follow its first unit (the earliest of its units).
_INCIDENT_FIELD: Mapping[Stamp, str] = {
    S.UNIT_NOTIFIED: "dispatched_at",
    S.EN_ROUTE: "en_route_at",
    S.ON_SCENE: "on_scene_at",
    S.LEFT_SCENE: "transporting_at",
    S.AT_DESTINATION: "at_hospital_at",
}


class NoSuchAssignment(NotFound):
    """The unit was never sent to this incident: it has no times there (404 ``not-found``)."""


class NotAUnitTime(DomainError):
    """The element is not one of a unit's own times (eTimes.01 is the call's, 15-17 unused)."""

    code = "unknown-time-element"
    title = "Unknown response time"


class InvalidCorrection(DomainError):
    code = "invalid-time"
    title = "Invalid time"


@dataclass(frozen=True, slots=True)
class UnitTimes:
    """One dispatch order's times: one unit's response to one incident."""

    order_id: int
    unit_id: int
    call_sign: str
    times: Mapping[Stamp, datetime]
    flags: Mapping[Stamp, tuple[str, ...]] = field(default_factory=dict)

    def with_time(self, stamp: Stamp, at: datetime, flags: tuple[str, ...]) -> UnitTimes:
        return UnitTimes(
            self.order_id,
            self.unit_id,
            self.call_sign,
            {**self.times, stamp: at},
            {**self.flags, stamp: flags},
        )


@dataclass(frozen=True, slots=True)
class TimeEntry:
    """A per-unit time to write: to order ``order_id``, or else to the unit's latest order on
    ``incident``. ``overwrite`` (a correction) replaces a time; otherwise the first one stays."""

    unit: int
    incident: int
    stamp: Stamp
    at: datetime
    flags: tuple[str, ...] = ()
    order_id: int | None = None
    overwrite: bool = False


def stamps_of_change(
    previous: UnitStatus | str, new: UnitStatus | str, *, released: bool
) -> list[Stamp]:
    """The elements a unit's status change records on the order it works.

    ``released``: the dispatcher, not the crew, freed the unit (cancelled or replaced): a unit
    still on its way is then *cancelled* (eTimes.14) and back in service at the same moment.
    """
    previous, new = UnitStatus(previous), UnitStatus(new)
    if new in _BY_STATUS:
        return [_BY_STATUS[new]]
    if new in _CLEAR and previous is not UnitStatus.AVAILABLE:
        if released and previous.value in _ON_THE_WAY:
            return [S.CANCELLED, S.BACK_IN_SERVICE]
        return [S.BACK_IN_SERVICE]
    return []


def entries(event: ev.Event) -> list[TimeEntry]:
    """The per-unit times an event records (the projection into ``assignments``)."""
    if isinstance(event, ev.UnitStatusChanged) and event.incident is not None:
        stamps = stamps_of_change(event.previous, event.status, released=event.reason is not None)
        return [
            TimeEntry(event.unit, event.incident, s, event.occurred_at, event.time_flags)
            for s in stamps
        ]
    if isinstance(event, ev.OrderAcknowledged) and event.incident is not None:
        return [
            TimeEntry(
                event.unit,
                event.incident,
                S.DISPATCH_ACKNOWLEDGED,
                event.occurred_at,
                event.time_flags,
                order_id=event.order_id,
            )
        ]
    if isinstance(event, ev.UnitDiverted):
        return [
            TimeEntry(event.unit, event.incident, s, event.occurred_at)
            for s in (S.CANCELLED, S.BACK_IN_SERVICE)
        ]
    if isinstance(event, ev.TimeCorrected):
        return [
            TimeEntry(
                event.unit,
                event.incident,
                Stamp(event.stamp),
                event.at,
                event.time_flags,
                order_id=event.order_id,
                overwrite=True,
            )
        ]
    return []


def check(
    recorded: Mapping[Stamp, datetime], stamps: Iterable[Stamp], at: datetime
) -> tuple[str, ...]:
    """Check a new time for ``stamps`` against a unit's ``recorded`` times (and the PSAP call).

    Raises :class:`nemsis.TimesOutOfOrder` on an impossible order; returns ``order-warning``
    when the order is merely unusual (e.g. en route before the order was acknowledged).
    """
    warnings: list[nemsis.OrderProblem] = []
    merged = dict(recorded)
    for stamp in stamps:
        warnings += nemsis.check_entry(merged, stamp, at)
        merged[stamp] = at
    return (Flag.ORDER_WARNING,) if warnings else ()


def times_with_call(incident: Incident, unit: UnitTimes) -> dict[Stamp, datetime]:
    """A unit's times plus the incident's PSAP call: what its intervals are measured from."""
    return {S.PSAP_CALL: incident.received_at, **unit.times}


def first_arriving(units: Sequence[UnitTimes]) -> UnitTimes | None:
    """The unit whose times stand for the incident (NASEMSO per-incident KPIs): the first on
    scene; with none on scene, the first notified."""
    arrived = [u for u in units if S.ON_SCENE in u.times]
    if arrived:
        return min(arrived, key=lambda u: (u.times[S.ON_SCENE], u.order_id))
    notified = [u for u in units if S.UNIT_NOTIFIED in u.times]
    return min(notified, key=lambda u: (u.times[S.UNIT_NOTIFIED], u.order_id), default=None)


def unit_intervals(incident: Incident, unit: UnitTimes) -> list[nemsis.Interval]:
    """The NASEMSO intervals of one unit's response."""
    return nemsis.intervals(times_with_call(incident, unit))


def correct(
    incident: Incident,
    units: Sequence[UnitTimes],
    *,
    unit_id: int,
    key: str,
    at: datetime,
    reason: str,
    now: datetime,
) -> UnitTimes:
    """A supervisor sets (or enters a missing) time of one unit, with a reason.

    Checked like any entry: refused when impossible (out of order, in the future), flagged
    ``corrected`` (and ``order-warning`` when unusual). The incident's first-unit times follow.
    Records :class:`events.TimeCorrected` (with the original) on the incident.
    """
    reason = reason.strip()
    if not reason:
        raise InvalidCorrection("A time correction needs a reason")
    stamp = nemsis.stamp_of(key)
    if stamp not in COLUMN:
        raise NotAUnitTime(
            f"{nemsis.ELEMENTS[stamp].number} is not one of a unit's own times "
            f"({', '.join(nemsis.ELEMENTS[s].number for s in PER_UNIT)})"
        )
    if at.tzinfo is None or at.utcoffset() is None:
        raise nemsis.InvalidTime(f"{stamp.value} must carry a timezone")
    if at > now:
        raise InvalidCorrection(f"{at.isoformat()} is in the future")
    mine = [u for u in units if u.unit_id == unit_id]
    if not mine:
        raise NoSuchAssignment(f"Unit {unit_id} was not sent to incident {incident.number}")
    unit = max(mine, key=lambda u: u.order_id)  # its latest order on this incident
    others = {s: t for s, t in times_with_call(incident, unit).items() if s is not stamp}
    flags = (Flag.CORRECTED, *check(others, [stamp], at))
    previous = unit.times.get(stamp)
    fixed = unit.with_time(stamp, at, flags)
    _follow_first_units(incident, [fixed if u is unit else u for u in units])
    incident.events.append(
        ev.TimeCorrected(
            occurred_at=now,
            incident=incident.id,
            unit=unit_id,
            order_id=unit.order_id,
            element=nemsis.ELEMENTS[stamp].number,
            stamp=stamp.value,
            at=at,
            previous_at=previous,
            reason=reason,
            time_flags=flags,
        )
    )
    return fixed


def _follow_first_units(incident: Incident, units: Sequence[UnitTimes]) -> None:
    """Set the incident's first-unit times to the earliest of its units' (after a correction)."""
    for stamp, name in _INCIDENT_FIELD.items():
        times = [u.times[stamp] for u in units if stamp in u.times]
        if times:
            setattr(incident, name, min(times))
    cleared = [u.times[S.BACK_IN_SERVICE] for u in units if S.BACK_IN_SERVICE in u.times]
    if incident.status is IncidentStatus.CLOSED and cleared:
        incident.closed_at = max(cleared)
