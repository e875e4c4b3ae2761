"""A move-up is an order like a dispatch: the crew is told, and told again, until it confirms."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.domain import events as ev
from dispatch.domain.errors import OrderNotCurrent, UnitNotAvailable
from dispatch.domain.geo import Location
from dispatch.domain.model import (
    Capability,
    Incident,
    Unit,
    UnitStatus,
    assign,
    change_unit_status,
)

T0 = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


def a_unit_at_station_1(status: UnitStatus = UnitStatus.AVAILABLE) -> Unit:
    return Unit(
        id=5,
        call_sign="A05",
        capability=Capability.ALS,
        status=status,
        status_at=T0,
        station_id=1,
        position=Location(24.95, 60.16),
        position_at=T0,
    )


def test_a_move_up_becomes_the_current_order_until_the_crew_confirms_it() -> None:
    unit = a_unit_at_station_1()
    unit.relocate(2, order_id=41, at=T0)
    assert unit.station_id == 2 and unit.order_id == 41 and unit.incident_id is None
    assert unit.on_move_up and unit.awaiting_acknowledgement
    moved = unit.events[-1]
    assert isinstance(moved, ev.UnitRelocated)
    assert (moved.station, moved.from_station, moved.order_id) == (2, 1, 41)

    assert unit.acknowledge(41, at=T0 + timedelta(seconds=20))
    assert not unit.awaiting_acknowledgement and unit.on_move_up, "still posted, now confirmed"
    confirmed = unit.events[-1]
    assert isinstance(confirmed, ev.OrderAcknowledged)
    assert (confirmed.order_id, confirmed.incident) == (41, None)
    assert not unit.acknowledge(41, at=T0 + timedelta(seconds=30)), "a repeat changes nothing"
    with pytest.raises(OrderNotCurrent):
        unit.acknowledge(40, at=T0)


def test_a_returning_crew_pressing_available_has_not_confirmed_its_move_up() -> None:
    unit = a_unit_at_station_1(UnitStatus.RETURNING)
    unit.relocate(3, order_id=42, at=T0)
    change_unit_status(unit, None, [], UnitStatus.AVAILABLE, at=T0 + timedelta(minutes=1))
    assert unit.status is UnitStatus.AVAILABLE
    assert unit.order_id == 42 and unit.awaiting_acknowledgement, "the order is still unconfirmed"


def test_a_call_replaces_the_move_up_order() -> None:
    unit = a_unit_at_station_1()
    unit.relocate(2, order_id=43, at=T0)
    call = Incident.receive(
        id=9, location=Location(24.94, 60.17), address=None, complaint="fall", priority=2, at=T0
    )
    assign(unit, call, order_id=44, at=T0 + timedelta(minutes=1))
    assert unit.order_id == 44 and not unit.on_move_up and unit.awaiting_acknowledgement
    with pytest.raises(OrderNotCurrent):
        unit.acknowledge(43, at=T0 + timedelta(minutes=2))


def test_posting_a_unit_where_it_already_is_gives_no_order() -> None:
    unit = a_unit_at_station_1()
    unit.relocate(1, order_id=45, at=T0)
    assert unit.order_id is None and not unit.events


@pytest.mark.parametrize(
    "status", [s for s in UnitStatus if s not in (UnitStatus.AVAILABLE, UnitStatus.RETURNING)]
)
def test_only_a_free_unit_is_moved_up(status: UnitStatus) -> None:
    unit = a_unit_at_station_1(status)
    with pytest.raises(UnitNotAvailable):
        unit.relocate(2, order_id=46, at=T0)
    assert unit.station_id == 1 and unit.order_id is None
