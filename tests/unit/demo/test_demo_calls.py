"""The call stream: reproducible for a seed, Poisson at the requested rate, sane content."""

from __future__ import annotations

import itertools
import random
import statistics
from collections import Counter

import pytest

from dispatch.demo.calls import COMPLAINTS, CROSSING_SHARE, Call, call_stream, pick_complaint
from dispatch.demo.geometry import RoadSampler, crossings

ROADS = RoadSampler([[[24.90, 60.16], [24.95, 60.16]], [[24.95, 60.16], [24.95, 60.19]]])


def take(seed: int, n: int, rate: float = 2.0) -> list[Call]:
    return list(itertools.islice(call_stream(random.Random(seed), rate, ROADS), n))


def test_same_seed_same_calls_different_seed_different_calls() -> None:
    first, again, other = take(42, 50), take(42, 50), take(43, 50)
    assert first == again
    assert first != other
    assert [c.at_s for c in first] == sorted(c.at_s for c in first)
    assert first[0].at_s > 0


def test_calls_land_on_the_roads() -> None:
    for call in take(1, 500):
        lon, lat = call.location
        on_first = lat == pytest.approx(60.16, abs=1e-12) and 24.90 <= lon <= 24.95
        on_second = lon == pytest.approx(24.95, abs=1e-12) and 60.16 <= lat <= 60.19
        assert on_first or on_second


def test_arrivals_are_poisson_at_the_requested_rate() -> None:
    rate = 2.0  # per minute: mean gap 30 s
    calls = take(2026, 20_000, rate)
    gaps = [b.at_s - a.at_s for a, b in itertools.pairwise([Call(0.0, (0, 0), "", 1), *calls])]
    mean = statistics.fmean(gaps)
    # sd of the mean gap: 30 / sqrt(20000) ~ 0.21 s, so 2 % is a ~3 sigma band.
    assert mean == pytest.approx(30.0, rel=0.02)
    # Exponential gaps: standard deviation equals the mean.
    assert statistics.stdev(gaps) / mean == pytest.approx(1.0, abs=0.05)
    # Counts in 10-minute windows: Poisson, mean 20 and variance 20.
    horizon = calls[-1].at_s
    windows = Counter(int(c.at_s // 600) for c in calls if c.at_s < horizon - 600)
    counts = [windows.get(i, 0) for i in range(int(horizon // 600) - 1)]
    assert statistics.fmean(counts) == pytest.approx(20.0, rel=0.03)
    assert statistics.variance(counts) / statistics.fmean(counts) == pytest.approx(1.0, abs=0.2)


def test_rate_scales_the_stream() -> None:
    slow, fast = take(5, 4000, rate=1.0), take(5, 4000, rate=6.0)
    assert slow[-1].at_s / fast[-1].at_s == pytest.approx(6.0, rel=0.05)


def test_complaint_mix_and_priorities() -> None:
    rng = random.Random(11)
    draws = [pick_complaint(rng) for _ in range(40_000)]
    by_text = Counter(text for text, _ in draws)
    total_weight = sum(c.weight for c in COMPLAINTS)
    for complaint in COMPLAINTS:
        share = by_text[complaint.text] / len(draws)
        assert share == pytest.approx(complaint.weight / total_weight, abs=0.01)
    assert {p for t, p in draws if t == "cardiac arrest"} == {1}
    assert {p for t, p in draws if t == "unconscious person"} == {1}
    assert {p for t, p in draws if t == "minor laceration"} == {4}
    assert {p for t, p in draws if t == "fall, hip injury"} == {3}
    chest = [p for t, p in draws if t == "chest pain"]
    assert chest.count(1) / len(chest) == pytest.approx(0.8, abs=0.03)
    assert {p for _, p in draws} == {1, 2, 3, 4}


def test_every_priority_mix_is_a_distribution() -> None:
    for complaint in COMPLAINTS:
        assert sum(w for _, w in complaint.priorities) == pytest.approx(1.0)
        assert all(1 <= p <= 4 for p, _ in complaint.priorities)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        next(call_stream(random.Random(0), 0.0, ROADS))


# --- the centre's language and the places callers name -------------------------------------------

#: Two named streets crossing at (24.95, 60.16), and an unnamed lane.
NAMED = {
    "features": [
        {
            "geometry": {"type": "LineString", "coordinates": [[24.90, 60.16], [24.95, 60.16]]},
            "properties": {"name": "延安西路"},
        },
        {
            "geometry": {"type": "LineString", "coordinates": [[24.95, 60.16], [24.95, 60.19]]},
            "properties": {"name": "江苏路"},
        },
        {
            "geometry": {"type": "LineString", "coordinates": [[24.95, 60.19], [24.96, 60.19]]},
            "properties": {},
        },
    ]
}


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_every_complaint_is_said_in_both_languages() -> None:
    for complaint in COMPLAINTS:
        assert complaint.said("en") == complaint.text and not has_cjk(complaint.text)
        assert has_cjk(complaint.said("zh")), complaint
    assert len({c.zh for c in COMPLAINTS}) == len(COMPLAINTS)


def test_callers_of_a_chinese_centre_speak_chinese_with_the_same_mix() -> None:
    zh_of = {c.zh: c.text for c in COMPLAINTS}
    roads = RoadSampler.from_feature_collection(NAMED)
    english = list(itertools.islice(call_stream(random.Random(3), 2.0, roads), 300))
    chinese = list(itertools.islice(call_stream(random.Random(3), 2.0, roads, language="zh"), 300))
    assert all(c.complaint in zh_of for c in chinese)
    # the same seed draws the same calls: only the words differ
    assert [zh_of[c.complaint] for c in chinese] == [c.complaint for c in english]
    assert [(c.at_s, c.priority, c.location) for c in chinese] == [
        (c.at_s, c.priority, c.location) for c in english
    ]


def test_calls_are_placed_at_crossings_and_along_named_streets() -> None:
    roads = RoadSampler.from_feature_collection(NAMED)
    junctions = crossings(NAMED)
    assert [(j.location, j.streets) for j in junctions] == [
        ((24.95, 60.16), ("延安西路", "江苏路"))
    ]
    calls = list(
        itertools.islice(
            call_stream(random.Random(8), 2.0, roads, crossings=junctions, language="zh"), 2000
        )
    )
    at_crossing = [c for c in calls if c.at_crossing]
    assert len(at_crossing) / len(calls) == pytest.approx(CROSSING_SHARE, abs=0.04)
    assert {(c.location, c.place) for c in at_crossing} == {((24.95, 60.16), "延安西路与江苏路")}
    for c in calls:
        if c.at_crossing:
            continue
        lon, lat = c.location
        if lat == pytest.approx(60.16, abs=1e-12) and lon < 24.95:
            assert c.place == "延安西路"
        elif lon == pytest.approx(24.95, abs=1e-12) and lat < 60.19:
            assert c.place == "江苏路"
        else:
            assert c.place is None, c  # the unnamed lane: the pin alone places the call
    english = next(
        c for c in call_stream(random.Random(8), 2.0, roads, crossings=junctions) if c.at_crossing
    )
    assert english.place == "延安西路 & 江苏路"
