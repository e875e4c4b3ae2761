"""NEMSIS eTimes: element names match the v3.5.1 schema, and out-of-order entries are caught."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dispatch.domain.geo import Location
from dispatch.domain.model import Incident
from dispatch.domain.nemsis import (
    ELEMENTS,
    FIELD_NAMES,
    SEQUENCE,
    InvalidTime,
    Severity,
    Stamp,
    TimesOutOfOrder,
    UnknownTimeElement,
    check_entry,
    check_order,
    intervals,
    stamp_of,
    timeline,
    times_of,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
XSD = Path(__file__).resolve().parents[4] / "shared/data/nemsis/NEMSIS_EMS_XSDs/eTimes_v3.xsd"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


#: A normal transported call: minutes after the PSAP call.
NORMAL = {
    "psap_call": at(0),
    "unit_notified": at(1.5),
    "dispatch_acknowledged": at(1.6),
    "en_route": at(2),
    "on_scene": at(10),
    "at_patient": at(11),
    "left_scene": at(25),
    "at_destination": at(40),
    "care_transferred": at(55),
    "back_in_service": at(70),
}


def test_elements_match_the_xsd() -> None:
    assert XSD.exists(), f"the NEMSIS XSDs are expected in ../shared ({XSD})"
    text = XSD.read_text(encoding="utf-8")
    declared = dict(re.findall(r'<xs:element name="(eTimes\.\d\d)"[^>]*?id="([^"]+)"', text))
    names = re.findall(r"<number>(eTimes\.\d\d)</number>\s*<name>([^<]+)</name>", text)
    assert len(declared) == 17 == len(ELEMENTS)
    for element in ELEMENTS.values():
        assert declared[element.number] == element.id
        assert dict(names)[element.number] == element.name
        usage = re.search(
            rf"<number>{re.escape(element.number)}</number>.*?<usage>(\w+)</usage>", text, re.S
        )
        assert usage is not None and usage.group(1) == element.usage


def test_every_stamp_has_an_element_a_field_and_a_place_in_the_timeline() -> None:
    assert set(ELEMENTS) == set(Stamp) == set(FIELD_NAMES) == set(SEQUENCE)
    assert len(SEQUENCE) == len(set(SEQUENCE))
    assert ELEMENTS[Stamp.ON_SCENE].number == "eTimes.06"
    assert ELEMENTS[Stamp.BACK_IN_SERVICE].usage == "Mandatory"


def test_keys_may_be_our_names_or_element_numbers() -> None:
    assert stamp_of("eTimes.09") is Stamp.LEFT_SCENE
    assert stamp_of("left_scene") is Stamp.LEFT_SCENE
    with pytest.raises(UnknownTimeElement) as caught:
        stamp_of("eTimes.99")
    assert caught.value.code == "unknown-time-element"


def test_a_normal_call_has_no_problems() -> None:
    assert check_order(NORMAL) == []


def test_equal_times_are_fine() -> None:
    assert (
        check_order({"psap_call": at(0), "dispatch_notified": at(0), "unit_notified": at(0)}) == []
    )


def test_on_scene_before_en_route_is_an_error() -> None:
    problems = check_order({**NORMAL, "on_scene": at(1.8)})
    assert [(p.earlier, p.later, p.severity) for p in problems] == [
        (Stamp.EN_ROUTE, Stamp.ON_SCENE, Severity.ERROR)
    ]
    assert problems[0].seconds == 12.0
    assert "eTimes.06" in problems[0].message.en and "eTimes.05" in problems[0].message.zh


def test_order_is_checked_across_missing_times() -> None:
    # No en-route time recorded, yet on scene before the unit was notified is still wrong.
    problems = check_order({"psap_call": at(0), "unit_notified": at(5), "on_scene": at(3)})
    assert [(p.earlier, p.later) for p in problems] == [(Stamp.UNIT_NOTIFIED, Stamp.ON_SCENE)]


def test_at_destination_before_left_scene_is_an_error() -> None:
    problems = check_order({"on_scene": at(10), "left_scene": at(30), "at_destination": at(20)})
    assert [(p.earlier, p.later, p.severity) for p in problems] == [
        (Stamp.LEFT_SCENE, Stamp.AT_DESTINATION, Severity.ERROR)
    ]


def test_one_bad_time_is_reported_once_not_for_every_pair_it_implies() -> None:
    problems = check_order({**NORMAL, "psap_call": at(100)})
    assert [(p.earlier, p.later) for p in problems] == [(Stamp.PSAP_CALL, Stamp.UNIT_NOTIFIED)]


def test_late_acknowledgement_is_only_a_warning() -> None:
    problems = check_order({**NORMAL, "dispatch_acknowledged": at(3)})
    assert [(p.earlier, p.later, p.severity) for p in problems] == [
        (Stamp.DISPATCH_ACKNOWLEDGED, Stamp.EN_ROUTE, Severity.WARNING)
    ]


def test_check_entry_refuses_an_impossible_time() -> None:
    before = {k: v for k, v in NORMAL.items() if k in ("psap_call", "unit_notified", "en_route")}
    with pytest.raises(TimesOutOfOrder) as caught:
        check_entry(before, "on_scene", at(1))
    assert caught.value.code == "times-out-of-order"
    assert caught.value.problems[0].later is Stamp.ON_SCENE
    assert check_entry(before, "eTimes.06", at(9)) == []


def test_check_entry_returns_warnings_and_ignores_older_problems() -> None:
    messy = {"psap_call": at(10), "unit_notified": at(5), "en_route": at(6)}  # 01 after 03
    assert check_entry(messy, "dispatch_acknowledged", at(7)) == [
        p for p in check_order({**messy, "dispatch_acknowledged": at(7)}) if p.severity == "warning"
    ]
    warnings = check_entry(messy, "dispatch_acknowledged", at(7))
    assert [(p.earlier, p.later) for p in warnings] == [
        (Stamp.DISPATCH_ACKNOWLEDGED, Stamp.EN_ROUTE)
    ]


def test_times_need_a_timezone() -> None:
    with pytest.raises(InvalidTime):
        check_order({"psap_call": datetime(2026, 3, 1, 8, 0)})


def test_timeline_rows_are_in_response_order_with_intervals() -> None:
    rows = timeline({**NORMAL, "at_staging": at(8)})
    assert [r.stamp for r in rows][:6] == [
        Stamp.PSAP_CALL,
        Stamp.UNIT_NOTIFIED,
        Stamp.DISPATCH_ACKNOWLEDGED,
        Stamp.EN_ROUTE,
        Stamp.AT_STAGING,  # eTimes.17 sits between 05 and 06
        Stamp.ON_SCENE,
    ]
    assert rows[0].since_previous_s is None and rows[0].since_call_s == 0
    assert rows[5].since_call_s == 600 and rows[5].since_previous_s == 120
    assert all(r.flagged is None for r in rows)


def test_timeline_flags_rows_in_a_problem() -> None:
    rows = {r.stamp: r for r in timeline({**NORMAL, "on_scene": at(1.8)})}
    assert rows[Stamp.ON_SCENE].flagged is Severity.ERROR
    assert rows[Stamp.EN_ROUTE].flagged is Severity.ERROR
    gap = rows[Stamp.ON_SCENE].since_previous_s
    assert gap is not None and gap < 0
    assert rows[Stamp.PSAP_CALL].flagged is None


def test_nasemso_intervals() -> None:
    got = {i.key: i.seconds for i in intervals(NORMAL)}
    assert got["chute"] == 30
    assert got["unit_response"] == 510
    assert got["response"] == 600
    assert got["scene"] == 15 * 60
    assert got["transport"] == 15 * 60
    assert got["wall"] == 15 * 60
    assert got["overall"] == 70 * 60
    assert "cancelled_response" not in got
    # Without eTimes.01, call-to-en-route starts at eTimes.02 (the NASEMSO fallback).
    fallback = {i.key: i for i in intervals({"dispatch_notified": at(1), "en_route": at(3)})}
    assert fallback["call_to_en_route"].start is Stamp.DISPATCH_NOTIFIED
    assert fallback["call_to_en_route"].seconds == 120


def test_times_are_read_from_the_model() -> None:
    incident = Incident.receive(
        id=7,
        location=Location(121.47, 31.23),
        address=None,
        complaint="chest pain",
        priority=1,
        at=T0,
    )
    incident.dispatched_at = at(1)
    incident.on_scene_at = at(9)
    times = times_of(incident)
    assert times == {Stamp.PSAP_CALL: T0, Stamp.UNIT_NOTIFIED: at(1), Stamp.ON_SCENE: at(9)}
    assert check_order(times) == []
