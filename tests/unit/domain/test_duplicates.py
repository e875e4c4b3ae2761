"""Duplicate calls are offered for linking, best first; repeat callers are recognised."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from dispatch.domain.duplicates import (
    CallFacts,
    OpenIncident,
    PriorCall,
    complaint_similarity,
    likely_duplicates,
    normalise_number,
    repeat_caller,
    tokens,
)
from dispatch.domain.geo import Location
from dispatch.domain.triage import load_protocol

NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
HERE = Location(121.4737, 31.2304)


def north(metres: float) -> Location:
    """A point ``metres`` due north of HERE."""
    return Location(HERE.lon, HERE.lat + metres / 111_195.0)


def incident(
    id: int,
    *,
    metres: float = 0.0,
    minutes: float = 5.0,
    code: str | None = None,
    text: str = "",
    accuracy_m: float | None = None,
) -> OpenIncident:
    return OpenIncident(
        id,
        CallFacts(
            location=north(metres),
            received_at=NOW - timedelta(minutes=minutes),
            complaint_code=code,
            complaint_text=text,
            accuracy_m=accuracy_m,
        ),
    )


def call(code: str | None = None, text: str = "", accuracy_m: float | None = None) -> CallFacts:
    return CallFacts(HERE, NOW, complaint_code=code, complaint_text=text, accuracy_m=accuracy_m)


def test_haversine_agrees_with_a_known_distance() -> None:
    # One degree of latitude is ~111.2 km on the mean sphere.
    assert Location(0, 0).distance_m(Location(0, 1)) == pytest.approx(111_195, rel=1e-4)
    assert HERE.distance_m(north(250)) == pytest.approx(250, abs=0.5)
    assert HERE.distance_m(HERE) == 0.0


def test_same_complaint_nearby_and_recent_is_offered() -> None:
    found = likely_duplicates(call("trauma_traffic"), [incident(1, code="trauma_traffic")], now=NOW)
    assert [c.incident_id for c in found] == [1]
    assert found[0].similarity == 1.0
    assert found[0].age_s == 300.0
    assert 0 < found[0].score <= 1


def test_too_far_too_old_or_unrelated_is_not_offered() -> None:
    incidents = [
        incident(1, metres=400, code="chest_pain"),
        incident(2, minutes=31, code="chest_pain"),
        incident(3, code="burns"),
    ]
    assert likely_duplicates(call("chest_pain"), incidents, now=NOW) == []


def test_thresholds_are_configurable() -> None:
    far = [incident(1, metres=400, minutes=40, code="chest_pain")]
    assert likely_duplicates(call("chest_pain"), far, now=NOW) == []
    found = likely_duplicates(call("chest_pain"), far, now=NOW, within_m=500, within_s=3600)
    assert [c.incident_id for c in found] == [1]


def test_best_candidate_first() -> None:
    incidents = [
        incident(1, metres=250, minutes=25, code="trauma_traffic"),
        incident(2, metres=20, minutes=2, code="trauma_traffic"),
        incident(3, metres=20, minutes=2, code="falls"),  # related, weaker
    ]
    related = load_protocol().related_pairs()
    found = likely_duplicates(call("trauma_traffic"), incidents, now=NOW, related=related)
    assert [c.incident_id for c in found] == [2, 3, 1]
    assert found[1].similarity == pytest.approx(0.6)


def test_related_codes_count_only_when_listed() -> None:
    collapse = call("unconscious_fainting")
    arrest = incident(1, code="cardiac_arrest")
    assert likely_duplicates(collapse, [arrest], now=NOW) == []
    related = load_protocol().related_pairs()
    assert likely_duplicates(collapse, [arrest], now=NOW, related=related)


def test_text_similarity_english_and_chinese() -> None:
    assert tokens("Man with CHEST pain, sweating") == {"chest", "pain", "sweating"}
    assert tokens("男子胸痛出汗") == {"子胸", "胸痛", "痛出", "出汗"}  # "男子" is filler
    a = CallFacts(HERE, NOW, complaint_text="胸痛")
    b = CallFacts(HERE, NOW, complaint_text="男子胸痛出汗")
    assert complaint_similarity(a, b) == 1.0
    c = CallFacts(HERE, NOW, complaint_text="老人摔倒")
    assert complaint_similarity(b, c) == 0.0
    d = CallFacts(HERE, NOW, complaint_text="car crash, 2 injured")
    e = CallFacts(HERE, NOW, complaint_text="crash on ring road")
    assert complaint_similarity(d, e) == pytest.approx(1 / 3)


def test_text_is_used_when_only_one_side_has_a_code() -> None:
    found = likely_duplicates(
        call("chest_pain", text="chest pain"),
        [incident(1, text="woman with chest pain")],
        now=NOW,
    )
    assert [c.incident_id for c in found] == [1]


def test_nothing_typed_yet_is_neutral_and_still_offered_when_close() -> None:
    found = likely_duplicates(call(), [incident(1, metres=30, minutes=1, text="fire")], now=NOW)
    assert [c.similarity for c in found] == [0.5]
    assert likely_duplicates(call(), [incident(1)], now=NOW, min_similarity=0.6) == []


def test_accuracy_radius_widens_the_search() -> None:
    rough = call("stroke", accuracy_m=1500)
    far = [incident(1, metres=1200, code="stroke")]
    found = likely_duplicates(rough, far, now=NOW)
    assert [c.incident_id for c in found] == [1]
    assert found[0].distance_m == pytest.approx(1200, abs=1)
    assert likely_duplicates(call("stroke"), far, now=NOW) == []


def test_no_location_no_candidates() -> None:
    blind = CallFacts(None, NOW, complaint_code="chest_pain")
    assert likely_duplicates(blind, [incident(1, code="chest_pain")], now=NOW) == []


# --- phone numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "0086 13812345678",
     "8613812345678", "+86-138-1234-5678", "１３８１２３４５６７８", "(+86) 138.1234.5678"],
)  # fmt: skip
def test_one_mobile_however_written(written: str) -> None:
    assert normalise_number(written) == "+8613812345678"


@pytest.mark.parametrize(
    "written", ["010-1234 5678", "+86 10 1234 5678", "0086 10 12345678", "+86 (0)10 12345678"]
)
def test_one_beijing_landline_however_written(written: str) -> None:
    assert normalise_number(written) == "+861012345678"


def test_local_landline_needs_the_area_code() -> None:
    assert normalise_number("1234 5678") == "12345678"
    assert normalise_number("1234 5678", area_code="010") == "+861012345678"
    assert normalise_number("0755 8765 4321") == "+8675587654321"


def test_other_numbers() -> None:
    assert normalise_number("+358 40 123 4567") == "+358401234567"
    assert normalise_number("00358401234567") == "+358401234567"
    assert normalise_number("120") == "120"
    assert normalise_number("") is None
    assert normalise_number("anonymous") is None
    assert normalise_number(None) is None


def test_repeat_caller_lists_recent_calls_from_the_same_phone_newest_first() -> None:
    prior = [
        PriorCall("138-1234-5678", 11, NOW - timedelta(hours=5)),
        PriorCall("+86 13812345678", 12, NOW - timedelta(hours=1)),
        PriorCall("13812345678", 10, NOW - timedelta(hours=7)),  # too old
        PriorCall("13900000000", 13, NOW - timedelta(minutes=10)),  # another phone
    ]
    found = repeat_caller("13812345678", prior, now=NOW)
    assert [c.incident_id for c in found] == [12, 11]
    wider = repeat_caller("13812345678", prior, now=NOW, within_s=7.5 * 3600)
    assert [c.incident_id for c in wider] == [12, 11, 10]


def test_withheld_numbers_never_match_each_other() -> None:
    prior = [PriorCall(None, 1, NOW - timedelta(minutes=5)), PriorCall("", 2, NOW)]
    assert repeat_caller(None, prior, now=NOW) == []
    assert repeat_caller("", prior, now=NOW) == []


def test_scores_are_finite_and_bounded() -> None:
    found = likely_duplicates(
        call("falls"),
        [incident(i, metres=i * 10, minutes=i, code="falls") for i in range(20)],
        now=NOW,
    )
    assert found and all(math.isfinite(c.score) and 0 <= c.score <= 1 for c in found)
    assert [c.incident_id for c in found] == sorted(c.incident_id for c in found)
