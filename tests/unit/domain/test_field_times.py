"""Field times (a crew device's time of an action, trusted within bounds) and per-unit times
(projection of a unit's events, checks at entry, supervisors' corrections): pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.domain import events as ev
from dispatch.domain import fieldtime, unit_times
from dispatch.domain.errors import NotFound
from dispatch.domain.fieldtime import Flag
from dispatch.domain.geo import Location
from dispatch.domain.model import Incident, IncidentStatus
from dispatch.domain.nemsis import Stamp, TimesOutOfOrder

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
S = Stamp


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def test_no_device_time_is_the_server_time() -> None:
    taken = fieldtime.accept(None, received_at=T0, offset_s=None, previous_at=T0 - _s(60))
    assert taken.at == T0 and taken.flags == () and not taken.corrected


def test_a_queued_press_keeps_its_time() -> None:
    pressed = T0 - _s(180)
    taken = fieldtime.accept(pressed, received_at=T0, offset_s=0.2, previous_at=T0 - _s(300))
    assert taken.at == pressed + _s(0.2) and taken.flags == ()
    assert taken.received_at == T0 and taken.device_at == pressed


def test_a_clock_that_is_off_is_corrected_and_flagged() -> None:
    slow = 120.0  # the device reads two minutes early
    taken = fieldtime.accept(
        T0 - _s(60 + slow), received_at=T0, offset_s=slow, previous_at=T0 - _s(600)
    )
    assert taken.at == T0 - _s(60) and taken.flags == (Flag.CLOCK_SKEW,) and taken.corrected


def test_the_future_is_bounded() -> None:
    near = fieldtime.accept(T0 + _s(20), received_at=T0, offset_s=0, previous_at=None)
    assert near.at == T0 and near.flags == (), "jitter of the estimate: no flag"
    far = fieldtime.accept(T0 + _s(31), received_at=T0, offset_s=0, previous_at=None)
    assert far.at == T0 and far.flags == (Flag.FUTURE,)


def test_not_before_the_previous_status_and_not_too_old() -> None:
    before = fieldtime.accept(T0 - _s(90), received_at=T0, offset_s=0, previous_at=T0 - _s(60))
    assert before.at == T0 - _s(60) and before.flags == (Flag.BEFORE_PREVIOUS,)
    old = fieldtime.accept(
        T0 - _s(7200), received_at=T0, offset_s=0, previous_at=None, max_age_s=3600
    )
    assert old.at == T0 and old.flags == (Flag.TOO_OLD,)


def test_a_status_change_records_the_unit_times_it_stands_for() -> None:
    assert unit_times.stamps_of_change("dispatched", "en_route", released=False) == [S.EN_ROUTE]
    assert unit_times.stamps_of_change("en_route", "on_scene", released=False) == [S.ON_SCENE]
    assert unit_times.stamps_of_change("on_scene", "transporting", released=False) == [S.LEFT_SCENE]
    assert unit_times.stamps_of_change("transporting", "at_hospital", released=False) == [
        S.AT_DESTINATION
    ]
    assert unit_times.stamps_of_change("at_hospital", "returning", released=False) == [
        S.BACK_IN_SERVICE
    ]
    assert unit_times.stamps_of_change("en_route", "available", released=True) == [
        S.CANCELLED,
        S.BACK_IN_SERVICE,
    ]
    assert unit_times.stamps_of_change("available", "out_of_service", released=False) == []


def test_events_project_to_the_order_of_the_unit() -> None:
    changed = ev.UnitStatusChanged(
        occurred_at=T0, unit=3, previous="en_route", status="on_scene", incident=7,
        time_flags=(Flag.CLOCK_SKEW,),
    )  # fmt: skip
    (entry,) = unit_times.entries(changed)
    assert (entry.unit, entry.incident, entry.stamp, entry.at) == (3, 7, S.ON_SCENE, T0)
    assert entry.flags == (Flag.CLOCK_SKEW,) and not entry.overwrite
    diverted = ev.UnitDiverted(occurred_at=T0, incident=7, unit=3, to_incident=8, reason="x")
    assert [e.stamp for e in unit_times.entries(diverted)] == [S.CANCELLED, S.BACK_IN_SERVICE]
    move_up = ev.UnitStatusChanged(
        occurred_at=T0, unit=3, previous="returning", status="available", incident=None
    )
    assert unit_times.entries(move_up) == []


def _incident() -> Incident:
    return Incident(
        id=7,
        number="2026-000007",
        location=Location(24.9, 60.1),
        address=None,
        complaint="fall",
        priority=2,
        status=IncidentStatus.ON_SCENE,
        received_at=T0,
        dispatched_at=T0 + _s(60),
        en_route_at=T0 + _s(90),
        on_scene_at=T0 + _s(600),
    )


def _unit(order: int, unit: int, **times: float) -> unit_times.UnitTimes:
    return unit_times.UnitTimes(
        order, unit, f"A0{unit}", {Stamp(k): T0 + _s(v) for k, v in times.items()}
    )


def test_checks_at_entry_refuse_the_impossible_and_flag_the_unusual() -> None:
    recorded = {S.PSAP_CALL: T0, S.UNIT_NOTIFIED: T0 + _s(60), S.EN_ROUTE: T0 + _s(90)}
    with pytest.raises(TimesOutOfOrder):
        unit_times.check(recorded, [S.ON_SCENE], T0 + _s(80))
    assert unit_times.check(recorded, [S.ON_SCENE], T0 + _s(300)) == ()
    acked_late = {**recorded, S.DISPATCH_ACKNOWLEDGED: T0 + _s(120)}
    assert unit_times.check(acked_late, [S.ON_SCENE], T0 + _s(300)) == ()
    assert unit_times.check({S.UNIT_NOTIFIED: T0, S.DISPATCH_ACKNOWLEDGED: T0 + _s(50)},
                            [S.EN_ROUTE], T0 + _s(40)) == (Flag.ORDER_WARNING,)  # fmt: skip


def test_the_first_arriving_unit_stands_for_the_incident() -> None:
    a = _unit(1, 1, unit_notified=60, en_route=90, on_scene=700)
    b = _unit(2, 2, unit_notified=120, en_route=130, on_scene=600)
    assert unit_times.first_arriving([a, b]) is b
    c = _unit(3, 3, unit_notified=30)
    assert unit_times.first_arriving([c, _unit(4, 4, unit_notified=40)]) is c
    assert unit_times.first_arriving([]) is None
    travel = {i.key: i.seconds for i in unit_times.unit_intervals(_incident(), b)}
    assert travel["travel"] == 470 and travel["response"] == 600 and travel["chute"] == 10


def test_a_correction_is_checked_recorded_with_the_original_and_followed_by_the_incident() -> None:
    incident = _incident()
    units = [
        _unit(1, 1, unit_notified=60, en_route=90, on_scene=600),
        _unit(2, 2, unit_notified=100, en_route=110),
    ]
    now = T0 + _s(3600)
    fixed = unit_times.correct(
        incident, units, unit_id=1, key="eTimes.06", at=T0 + _s(500), reason="AVL", now=now
    )
    assert fixed.times[S.ON_SCENE] == T0 + _s(500)
    assert fixed.flags[S.ON_SCENE] == (Flag.CORRECTED,)
    assert incident.on_scene_at == T0 + _s(500)
    (event,) = incident.events
    assert isinstance(event, ev.TimeCorrected)
    assert (event.previous_at, event.at, event.reason) == (T0 + _s(600), T0 + _s(500), "AVL")
    assert event.element == "eTimes.06" and event.order_id == 1 and event.occurred_at == now

    with pytest.raises(TimesOutOfOrder):
        unit_times.correct(
            incident, units, unit_id=1, key="on_scene", at=T0 + _s(80), reason="x", now=now
        )
    with pytest.raises(unit_times.InvalidCorrection):
        unit_times.correct(
            incident, units, unit_id=1, key="on_scene", at=now + _s(1), reason="x", now=now
        )
    with pytest.raises(unit_times.InvalidCorrection):
        unit_times.correct(
            incident, units, unit_id=1, key="on_scene", at=T0 + _s(500), reason=" ", now=now
        )
    with pytest.raises(unit_times.NotAUnitTime):
        unit_times.correct(incident, units, unit_id=1, key="eTimes.01", at=T0, reason="x", now=now)
    with pytest.raises(NotFound):
        unit_times.correct(
            incident, units, unit_id=9, key="eTimes.06", at=T0 + _s(500), reason="x", now=now
        )
