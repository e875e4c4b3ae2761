"""Per-unit responses read back from the event log: each unit its own eTimes, cancellations and
diverts as eTimes.14, destinations in the order they were named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.domain.nemsis import Stamp
from dispatch.domain.unit_responses import LogEntry, Order, unit_responses

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def entry(name: str, seconds: float, unit: int, **data: object) -> LogEntry:
    return LogEntry(name, at(seconds), unit, data)


def status(seconds: float, unit: int, value: str, **data: object) -> LogEntry:
    return entry("UnitStatusChanged", seconds, unit, status=value, **data)


def test_two_units_each_get_their_own_times() -> None:
    orders = [Order(11, 1, at(60), at(65)), Order(12, 2, at(90))]
    log = [
        entry("UnitAssigned", 60, 1, order_id=11),
        entry("UnitAssigned", 90, 2, order_id=12),
        status(70, 1, "en_route"),
        status(100, 2, "en_route"),
        status(400, 2, "on_scene"),  # the second unit sent arrives first
        status(420, 1, "on_scene"),
        entry("DestinationChosen", 500, 1, hospital=3, hospital_status="open"),
        status(600, 1, "transporting"),
        status(610, 2, "available", previous="on_scene"),
        status(1200, 1, "at_hospital"),
        status(1800, 1, "returning"),
    ]
    first, second = unit_responses(orders, log)
    assert first.times == {
        Stamp.UNIT_NOTIFIED: at(60),
        Stamp.DISPATCH_ACKNOWLEDGED: at(65),
        Stamp.EN_ROUTE: at(70),
        Stamp.ON_SCENE: at(420),
        Stamp.LEFT_SCENE: at(600),
        Stamp.AT_DESTINATION: at(1200),
        Stamp.BACK_IN_SERVICE: at(1800),
    }
    assert first.transported and first.destination is not None
    assert first.destination.hospital_id == 3 and not first.destination_changed
    assert second.times == {
        Stamp.UNIT_NOTIFIED: at(90),
        Stamp.EN_ROUTE: at(100),
        Stamp.ON_SCENE: at(400),
        Stamp.LEFT_SCENE: at(610),  # cleared from the scene: it drove off without a patient
        Stamp.BACK_IN_SERVICE: at(610),
    }
    assert second.reached_scene and not second.transported and not second.cancelled


def test_a_unit_released_before_the_scene_was_cancelled_then() -> None:
    orders = [Order(21, 5, at(30))]
    log = [
        entry("UnitAssigned", 30, 5, order_id=21),
        entry("OrderAcknowledged", 35, 5, order_id=21),
        status(40, 5, "en_route"),
        status(200, 5, "available", reason="call cancelled: caller hung up"),
    ]
    (response,) = unit_responses(orders, log)
    assert response.cancelled and response.ended and not response.reached_scene
    assert response.times[Stamp.CANCELLED] == response.times[Stamp.BACK_IN_SERVICE] == at(200)
    assert response.times[Stamp.DISPATCH_ACKNOWLEDGED] == at(35), "from the log when not stored"


def test_a_diverted_unit_is_cancelled_and_free_at_the_divert() -> None:
    orders = [Order(31, 7, at(10))]
    log = [
        entry("UnitAssigned", 10, 7, order_id=31),
        status(20, 7, "en_route"),
        entry("UnitDiverted", 90, 7, to_incident=99, reason="arrest nearby"),
    ]
    (response,) = unit_responses(orders, log)
    assert response.diverted_to == 99
    assert response.times[Stamp.CANCELLED] == response.times[Stamp.BACK_IN_SERVICE] == at(90)


def test_a_changed_destination_is_kept_in_order_with_the_ed_status() -> None:
    orders = [Order(41, 2, at(0))]
    log = [
        entry("UnitAssigned", 0, 2, order_id=41),
        status(10, 2, "en_route"),
        status(300, 2, "on_scene"),
        entry("DestinationChosen", 400, 2, hospital=1, hospital_status="open"),
        entry("DestinationChosen", 450, 2, hospital=2, hospital_status="diversion"),
        status(500, 2, "transporting"),
    ]
    (response,) = unit_responses(orders, log)
    assert [d.hospital_id for d in response.destinations] == [1, 2]
    assert response.destination_changed and response.destinations[-1].hospital_status == "diversion"
    assert not response.ended, "still transporting: no eTimes.13 yet"


def test_a_unit_sent_twice_has_two_responses_and_later_events_stay_out() -> None:
    orders = [Order(51, 4, at(0)), Order(52, 4, at(300))]
    log = [
        entry("UnitAssigned", 0, 4, order_id=51),
        status(100, 4, "available", reason="replaced by A02: closer"),
        status(150, 4, "en_route"),  # nothing to do with this call: no current order
        entry("UnitAssigned", 300, 4, order_id=52),
        status(310, 4, "en_route"),
        status(600, 4, "on_scene"),
        status(900, 4, "available", previous="on_scene"),
    ]
    first, second = unit_responses(orders, log)
    assert first.times == {
        Stamp.UNIT_NOTIFIED: at(0),
        Stamp.CANCELLED: at(100),
        Stamp.BACK_IN_SERVICE: at(100),
    }
    assert second.times[Stamp.EN_ROUTE] == at(310) and second.times[Stamp.BACK_IN_SERVICE] == at(
        900
    )
    assert not second.cancelled


def test_a_supervisors_correction_replaces_the_time_even_after_the_unit_cleared() -> None:
    orders = [Order(61, 3, at(0))]
    log = [
        entry("UnitAssigned", 0, 3, order_id=61),
        status(10, 3, "en_route"),
        status(500, 3, "on_scene"),  # pressed late: the crew forgot
        status(900, 3, "available", previous="on_scene"),
        entry(
            "TimeCorrected",
            2000,
            3,
            order_id=61,
            stamp="on_scene",
            element="eTimes.06",
            at=at(300).isoformat(),  # as the log's JSON holds it
            previous_at=at(500).isoformat(),
            reason="crew radioed arrival at 08:05",
        ),
        entry("TimeCorrected", 2100, 3, order_id=99, stamp="en_route", at=at(1).isoformat()),
    ]
    (response,) = unit_responses(orders, log)
    assert response.times[Stamp.ON_SCENE] == at(300)
    assert response.times[Stamp.EN_ROUTE] == at(10), "another order's correction is not ours"
