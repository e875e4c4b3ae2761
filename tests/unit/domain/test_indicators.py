"""China's 120 indicators on hand-made periods with known answers."""

from __future__ import annotations

import pytest

from dispatch.domain.indicators import (
    IndicatorSamples,
    calls_per_unit,
    compute,
    percentile,
    response_times,
    within_limit,
)


def test_percentile_interpolates_like_postgres_percentile_cont() -> None:
    # percentile_cont(0.9) over 1..10 = 9.1; over one value = that value.
    assert percentile([float(v) for v in range(10, 0, -1)], 0.9) == pytest.approx(9.1)
    assert percentile([42.0], 0.9) == 42.0
    assert percentile([], 0.9) is None


def test_answered_within_10_s_excludes_calls_without_a_phone_record() -> None:
    # Ring -> answer: 3 s, 10 s (exactly the limit counts), 10.5 s, 25 s; two calls typed in
    # without a phone record; one answer stamped before its ring (a clock error).
    answered = within_limit([3.0, 10.0, 10.5, 25.0, None, None, -2.0], 10.0, 0.95)
    assert (answered.counted, answered.within, answered.excluded) == (4, 2, 3)
    assert answered.share == 0.5
    assert answered.as_dict()["share"] == 0.5
    assert within_limit([None], 10.0, 0.95).share is None


def test_departure_within_3_minutes_per_order() -> None:
    # eTimes.05 - eTimes.03 per order: 60, 180, 181 s; one order cancelled before departing.
    departed = within_limit([60.0, 180.0, 181.0, None], 180.0, 0.95)
    assert (departed.counted, departed.within, departed.excluded) == (3, 2, 1)
    assert departed.as_dict()["share"] == pytest.approx(0.6667)


def test_mean_and_p90_response_over_incidents_reached() -> None:
    times = response_times([300.0, 600.0, 900.0, 1200.0, None])
    assert (times.incidents, times.reached) == (5, 4)
    assert times.mean_s == 750.0
    assert times.p90_s == pytest.approx(1110.0)  # 900 + 0.7 * 300
    assert response_times([]).as_dict() == {
        "incidents": 0,
        "reached": 0,
        "mean_s": None,
        "p90_s": None,
    }


def test_calls_per_ambulance_counts_incidents_and_idle_units() -> None:
    # A01 sent to incidents 1, 2 and twice to 3 (re-sent): 3 calls; A02 one; A03 idle.
    per = calls_per_unit(
        ["A01", "A02", "A03"], [("A01", 1), ("A01", 2), ("A01", 3), ("A01", 3), ("A02", 2)]
    )
    assert dict(per.per_unit) == {"A01": 3, "A02": 1, "A03": 0}
    assert per.fleet == 3 and per.mean == pytest.approx(4 / 3)
    assert per.as_dict()["units"][0] == {"call_sign": "A01", "calls": 3}
    assert per.as_dict()["mean"] == 1.33
    assert calls_per_unit([], []).mean is None


def test_compute_gives_all_four() -> None:
    out = compute(
        IndicatorSamples(
            answer_delays=[4.0, None],
            departure_delays=[200.0],
            responses=[480.0],
            fleet=["A01"],
            sent=[("A01", 7)],
        )
    )
    assert out["answered_10s"]["share"] == 1.0 and out["answered_10s"]["excluded"] == 1
    assert out["departure_3min"]["within"] == 0 and out["departure_3min"]["limit_s"] == 180.0
    assert out["response"]["mean_s"] == 480.0 and out["response"]["p90_s"] == 480.0
    assert out["calls_per_unit"]["total"] == 1 and out["calls_per_unit"]["mean"] == 1.0
