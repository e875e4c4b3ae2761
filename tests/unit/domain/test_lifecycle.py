"""The pure rules of dispatch: who may be sent where, and which status follows which."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.domain import events as ev
from dispatch.domain.errors import (
    DivertRefused,
    IllegalTransition,
    IncidentNotAssignable,
    InvalidLocation,
    OrderNotCurrent,
    UnitNotAvailable,
    UnitNotCapable,
)
from dispatch.domain.geo import Location
from dispatch.domain.model import (
    UNIT_TRANSITIONS,
    Capability,
    Incident,
    IncidentStatus,
    Unit,
    UnitStatus,
    assign,
    change_unit_status,
    divert,
    reassign,
)

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def a_call(priority: int = 1, id: int = 7) -> Incident:
    return Incident.receive(
        id=id,
        location=Location(24.94, 60.17),
        address="Mannerheimintie 5",
        complaint="chest pain",
        priority=priority,
        at=T0,
    )


def a_unit(capability: Capability = Capability.ALS, id: int = 3) -> Unit:
    return Unit(
        id=id,
        call_sign=f"A{id:02d}",
        capability=capability,
        status=UnitStatus.AVAILABLE,
        status_at=T0,
        position=Location(24.95, 60.16),
        position_at=T0,
    )


def test_a_call_becomes_a_pending_incident_with_a_radio_number() -> None:
    incident = a_call(id=123)
    assert incident.status is IncidentStatus.PENDING
    assert incident.number == "2026-000123"
    assert [type(e) for e in incident.events] == [ev.CallReceived]


def test_full_lifecycle_moves_the_incident_with_its_unit_and_stamps_each_stage() -> None:
    incident, unit = a_call(), a_unit()
    assign(unit, incident, order_id=1, at=T0 + timedelta(seconds=30))
    assert (unit.status, incident.status) == (UnitStatus.DISPATCHED, IncidentStatus.DISPATCHED)
    assert unit.incident_id == incident.id and incident.unit_ids == [unit.id]
    stages = ["en_route", "on_scene", "transporting", "at_hospital", "available"]
    for minute, status in enumerate(stages, start=1):
        change_unit_status(
            unit, incident, [], UnitStatus(status), at=T0 + timedelta(minutes=minute)
        )
    assert unit.status is UnitStatus.AVAILABLE and unit.incident_id is None
    assert incident.status is IncidentStatus.CLOSED
    stamps = [
        incident.received_at,
        incident.dispatched_at,
        incident.en_route_at,
        incident.on_scene_at,
        incident.transporting_at,
        incident.at_hospital_at,
        incident.closed_at,
    ]
    assert all(stamps) and stamps == sorted(stamps)  # type: ignore[type-var]
    names = [e.name for e in incident.events]
    assert names == ["CallReceived", "UnitAssigned", "IncidentClosed"]
    assert [e.status for e in unit.events if isinstance(e, ev.UnitStatusChanged)] == stages


def test_treated_on_scene_without_transport_closes_the_incident() -> None:
    incident, unit = a_call(priority=3), a_unit(Capability.BLS)
    assign(unit, incident, order_id=1, at=T0)
    for status in ("en_route", "on_scene", "available"):
        change_unit_status(unit, incident, [], UnitStatus(status), at=T0)
    assert incident.status is IncidentStatus.CLOSED and incident.transporting_at is None


def test_a_busy_unit_cannot_be_sent_again() -> None:
    unit = a_unit()
    assign(unit, a_call(id=1), order_id=1, at=T0)
    second = a_call(id=2)
    with pytest.raises(UnitNotAvailable, match="A03 is dispatched"):
        assign(unit, second, order_id=1, at=T0)
    assert second.status is IncidentStatus.PENDING and second.unit_ids == []


def test_priority_one_needs_advanced_life_support() -> None:
    with pytest.raises(UnitNotCapable):
        assign(a_unit(Capability.BLS), a_call(priority=1), order_id=1, at=T0)
    assign(a_unit(Capability.BLS), a_call(priority=2), order_id=2, at=T0)  # BLS may take priority 2


def test_a_closed_incident_takes_no_more_units() -> None:
    incident, unit = a_call(priority=3), a_unit(id=1)
    assign(unit, incident, order_id=1, at=T0)
    for status in ("en_route", "on_scene", "available"):
        change_unit_status(unit, incident, [], UnitStatus(status), at=T0)
    with pytest.raises(IncidentNotAssignable):
        assign(a_unit(id=2), incident, order_id=2, at=T0)


@pytest.mark.parametrize("start", list(UnitStatus))
def test_every_status_jump_outside_the_table_is_refused(start: UnitStatus) -> None:
    for target in UnitStatus:
        unit = a_unit()
        unit.status = start
        if target in UNIT_TRANSITIONS[start]:
            unit.change_status(target, at=T0)
            assert unit.status is target
        else:
            with pytest.raises(IllegalTransition):
                unit.change_status(target, at=T0)
            assert unit.status is start and unit.events == []


def test_dispatched_is_reached_only_by_an_assignment() -> None:
    assert all(UnitStatus.DISPATCHED not in targets for targets in UNIT_TRANSITIONS.values())


@pytest.mark.parametrize(
    "pair", [(181.0, 0.0), (0.0, 90.5), (float("nan"), 1.0), (float("inf"), 1.0), (True, 1.0)]
)
def test_locations_outside_wgs84_are_refused(pair: tuple[float, float]) -> None:
    with pytest.raises(InvalidLocation):
        Location(*pair)


def test_an_order_is_acknowledged_once_and_en_route_counts_as_acknowledgement() -> None:
    incident, unit = a_call(), a_unit()
    assign(unit, incident, order_id=41, at=T0)
    assert unit.awaiting_acknowledgement
    with pytest.raises(OrderNotCurrent):
        unit.acknowledge(40, at=T0)
    assert unit.acknowledge(41, at=T0 + timedelta(seconds=5))
    assert not unit.acknowledge(41, at=T0 + timedelta(seconds=9)), "a repeat changes nothing"
    assert unit.order_acknowledged_at == T0 + timedelta(seconds=5)
    assert [e.name for e in unit.events] == ["OrderAcknowledged"]

    other_call, other_unit = a_call(id=8), a_unit(id=4)
    assign(other_unit, other_call, order_id=42, at=T0)
    change_unit_status(
        other_unit, other_call, [], UnitStatus.EN_ROUTE, at=T0 + timedelta(seconds=20)
    )
    assert other_unit.order_acknowledged_at == T0 + timedelta(seconds=20)
    assert [e.name for e in other_unit.events] == ["OrderAcknowledged", "UnitStatusChanged"]
    for status in ("on_scene", "available"):
        change_unit_status(
            other_unit, other_call, [], UnitStatus(status), at=T0 + timedelta(minutes=9)
        )
    assert other_unit.order_id is None and not other_unit.awaiting_acknowledgement


def test_two_ambulances_on_one_call_the_call_closes_when_the_last_one_clears() -> None:
    incident, first, second = a_call(priority=2), a_unit(id=1), a_unit(id=2)
    assign(first, incident, order_id=1, at=T0)
    assign(second, incident, order_id=2, at=T0 + timedelta(seconds=20))
    assert incident.unit_ids == [1, 2] and incident.status is IncidentStatus.DISPATCHED
    change_unit_status(first, incident, [second], UnitStatus.EN_ROUTE, at=T0 + timedelta(minutes=1))
    change_unit_status(first, incident, [second], UnitStatus.ON_SCENE, at=T0 + timedelta(minutes=6))
    assert incident.status is IncidentStatus.ON_SCENE
    change_unit_status(second, incident, [first], UnitStatus.EN_ROUTE, at=T0 + timedelta(minutes=7))
    assert incident.status is IncidentStatus.ON_SCENE, "the stage never goes back"
    assert incident.on_scene_at == T0 + timedelta(minutes=6), "first arrival is the scene time"
    change_unit_status(
        first, incident, [second], UnitStatus.AVAILABLE, at=T0 + timedelta(minutes=20)
    )
    assert incident.is_open, "the second ambulance still works the call"
    change_unit_status(second, incident, [first], UnitStatus.ON_SCENE, at=T0 + timedelta(minutes=9))
    change_unit_status(
        second, incident, [first], UnitStatus.AVAILABLE, at=T0 + timedelta(minutes=30)
    )
    assert incident.status is IncidentStatus.CLOSED
    assert incident.closed_at == T0 + timedelta(minutes=30)


def test_divert_takes_an_en_route_unit_to_a_more_urgent_call_and_requeues_the_first() -> None:
    fall, arrest, unit = a_call(priority=3, id=1), a_call(priority=1, id=2), a_unit()
    assign(unit, fall, order_id=1, at=T0)
    change_unit_status(unit, fall, [], UnitStatus.EN_ROUTE, at=T0 + timedelta(seconds=40))
    divert(
        unit,
        fall,
        [],
        arrest,
        "cardiac arrest 400 m away",
        order_id=2,
        at=T0 + timedelta(minutes=1),
    )
    assert unit.incident_id == arrest.id and unit.status is UnitStatus.DISPATCHED
    assert unit.order_id == 2 and unit.awaiting_acknowledgement
    assert arrest.status is IncidentStatus.DISPATCHED
    assert fall.status is IncidentStatus.PENDING and fall.received_at == T0
    assert [e.name for e in fall.events][-1] == "UnitDiverted"
    with pytest.raises(DivertRefused, match="not higher"):
        other = a_unit(id=9)
        assign(other, arrest, order_id=3, at=T0)
        divert(other, arrest, [unit], fall, "wrong way round", order_id=4, at=T0)
    assert other.incident_id == arrest.id and other.status is UnitStatus.DISPATCHED


def test_divert_refuses_a_unit_already_on_scene() -> None:
    fall, arrest, unit = a_call(priority=3, id=1), a_call(priority=1, id=2), a_unit()
    assign(unit, fall, order_id=1, at=T0)
    for status in ("en_route", "on_scene"):
        change_unit_status(unit, fall, [], UnitStatus(status), at=T0)
    with pytest.raises(DivertRefused, match="on_scene"):
        divert(unit, fall, [], arrest, "closer call", order_id=2, at=T0)
    assert unit.incident_id == fall.id and arrest.status is IncidentStatus.PENDING


def test_reassign_swaps_the_unit_and_frees_the_first() -> None:
    incident, slow, fast = a_call(priority=2), a_unit(id=1), a_unit(id=2)
    assign(slow, incident, order_id=1, at=T0)
    reassign(
        incident, slow, fast, [], "A02 cleared nearby", order_id=2, at=T0 + timedelta(seconds=30)
    )
    assert slow.status is UnitStatus.AVAILABLE and slow.incident_id is None
    assert fast.incident_id == incident.id and fast.status is UnitStatus.DISPATCHED
    assert incident.status is IncidentStatus.DISPATCHED and incident.unit_ids == [1, 2]
    released = slow.events[-1]
    assert released.name == "UnitStatusChanged" and "replaced by A02" in released.reason  # type: ignore[attr-defined]


def test_a_returning_unit_has_cleared_its_call_and_may_take_the_next() -> None:
    first, unit = a_call(priority=3, id=1), a_unit()
    assign(unit, first, order_id=1, at=T0)
    for status in ("en_route", "on_scene", "transporting", "at_hospital", "returning"):
        change_unit_status(unit, first, [], UnitStatus(status), at=T0 + timedelta(minutes=5))
    assert first.status is IncidentStatus.CLOSED and unit.incident_id is None
    second = a_call(priority=1, id=2)
    assign(unit, second, order_id=2, at=T0 + timedelta(minutes=6))
    assert unit.status is UnitStatus.DISPATCHED and unit.incident_id == second.id


def test_in_quarters_means_available_at_its_own_station() -> None:
    unit = a_unit()
    unit.home = Location(24.95, 60.16)
    assert unit.in_quarters, "same point as the station"
    unit.position = Location(24.951, 60.1605)  # about 80 m away: the station yard
    assert unit.in_quarters
    unit.position = Location(24.96, 60.16)  # about 550 m away: on the road
    assert not unit.in_quarters
    unit.position, unit.status = unit.home, UnitStatus.RETURNING
    assert not unit.in_quarters, "returning is on the road by definition"
