"""EARS C1/C2/C3: CDC's baselines, guard band and thresholds, worked by hand."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from dispatch.surveillance import ears
from dispatch.surveillance.signals import Level

# A baseline week alternating 2 and 4 (mean 20/7, sample sd over n - 1 = 6), then the judged day.
WEEK = [2, 4, 2, 4, 2, 4, 2]
MEAN = sum(WEEK) / 7
SD = math.sqrt(sum((v - MEAN) ** 2 for v in WEEK) / 6)


def test_c1_uses_the_seven_days_just_before() -> None:
    series = [*WEEK, 9]
    result = ears.ears(series, "C1")
    assert np.isnan(result.statistic[:7]).all()
    assert result.statistic[7] == pytest.approx((9 - MEAN) / SD)
    assert result.expected[7] == pytest.approx(MEAN)


def test_c2_skips_a_two_day_guard_band() -> None:
    # The two days before the judged day are huge: C1 sees them, C2 must not.
    series = [*WEEK, 50, 50, 9]
    c1 = ears.ears(series, "C1").statistic[9]
    c2 = ears.ears(series, "C2").statistic[9]
    assert c2 == pytest.approx((9 - MEAN) / SD)
    assert c1 < 1  # 50s in its baseline
    assert np.isnan(ears.ears(series, "C2").statistic[:9]).all()


def test_c3_sums_the_c2_excess_over_one_for_three_days() -> None:
    series = [3, 3, 2, 4, 3, 3, 2, 4, 3, 3, 5, 6, 7, 3, 3, 3, 3, 3, 3, 3]
    c2 = ears.ears(series, "C2").statistic
    c3 = ears.ears(series, "C3").statistic
    for t in range(11, len(series)):
        want = sum(max(0.0, c2[i] - 1) for i in (t - 2, t - 1, t))
        assert c3[t] == pytest.approx(want)
    assert np.isnan(c3[:11]).all()  # needs C2 on days t-2 .. t


def test_a_flat_baseline_uses_the_sigma_floor() -> None:
    stat = ears.ears([1] * 7 + [2], "C1").statistic[7]
    assert stat == pytest.approx(1 / ears.MIN_SIGMA)


def test_levels_follow_the_cdc_thresholds() -> None:
    assert ears.level_of("C2", 3.01) is Level.ALERT
    assert ears.level_of("C2", 3.0) is Level.WARNING  # "greater than 3"
    assert ears.level_of("C2", 2.0) is None
    assert ears.level_of("C3", 2.5) is Level.ALERT
    assert ears.level_of("C3", 1.5) is Level.WARNING
    assert ears.level_of("C1", float("nan")) is None
    with pytest.raises(ValueError):
        ears.ears([1] * 10, "C4")


def test_detections_name_the_day_and_area() -> None:
    series = [*WEEK, 2, 4, 20]
    days = [date(2026, 7, 1) + timedelta(days=i) for i in range(len(series))]
    found = ears.detections(series, days, method="C2", syndrome="heat", area="cellA")
    assert [(d.day, d.level, d.method) for d in found] == [(days[9], Level.ALERT, "ears-c2")]
    assert found[0].observed == 20 and found[0].expected == pytest.approx(MEAN)
    assert found[0].areas == frozenset({"cellA"})
