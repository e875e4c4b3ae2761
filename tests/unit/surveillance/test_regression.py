"""Regression baseline (weekday, trend) and the CUSUM on it."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from dispatch.surveillance import regression
from dispatch.surveillance.signals import Level

N = 120
DAYS = [date(2026, 1, 5) + timedelta(days=i) for i in range(N)]  # a Monday
WEEKDAY = np.array([1.3, 1.0, 1.0, 1.0, 1.0, 0.8, 0.7])


def truth(shares: tuple[float, ...] = (0.25, 0.75), city: float = 40.0) -> np.ndarray:
    t = np.arange(N)
    curve = city * WEEKDAY[[d.weekday() for d in DAYS]] * np.exp(0.004 * t)
    return np.outer(np.array(shares), curve)


def test_the_baseline_learns_weekdays_and_trend() -> None:
    mean = truth()
    base = regression.baseline(np.round(mean), DAYS, start=56)
    assert np.isnan(base.expected[:, :56]).all()
    ratio = base.expected[:, 56:] / mean[:, 56:]
    assert np.abs(ratio - 1).max() < 0.03  # Mondays high, Sundays low, slowly rising
    assert base.dispersion[56] == pytest.approx(1.0)  # rounding is under-dispersed: floor 1


def test_a_past_outbreak_does_not_raise_the_baseline() -> None:
    mean = truth()
    x = np.round(mean)
    x[0, 40:47] *= 4  # an outbreak inside the fit window of day 56
    base = regression.baseline(x, DAYS, start=56, stop=63)
    assert np.abs(base.expected[0, 56:63] / mean[0, 56:63] - 1).max() < 0.08


def test_the_cusum_stays_quiet_in_control_and_alerts_on_a_doubling() -> None:
    rng = np.random.default_rng(3)
    mean = truth()
    x = rng.poisson(mean).astype(float)
    base = regression.baseline(x, DAYS, start=56)
    _, quiet = regression.cusum(x, base)
    assert (quiet == 0).all()
    x[1, 90:] = rng.poisson(2 * mean[1, 90:])  # area 1 (about 30 a day) doubles on day 90
    base = regression.baseline(x, DAYS, start=56)
    stat, level = regression.cusum(x, base)
    first = int(np.flatnonzero(level[1] == 2)[0])
    assert 90 <= first <= 91
    assert (level[0] == 0).all()
    # S(t) = max(0, S(t-1) + (x ln 2 - mu) / phi), restarted after an alert
    t = 90
    want = max(
        0.0, stat[1, t - 1] + (x[1, t] * math.log(2) - base.expected[1, t]) / base.dispersion[t]
    )
    assert stat[1, t] == pytest.approx(want)


def test_detections_carry_observed_and_expected() -> None:
    rng = np.random.default_rng(4)
    mean = truth()
    x = rng.poisson(mean).astype(float)
    x[0, 100] += 40
    found = regression.detections(x, DAYS, ["cellA", "cellB"], syndrome="rash", start=56)
    alerts = [d for d in found if d.level is Level.ALERT]
    assert [(d.day, d.areas) for d in alerts] == [(DAYS[100], frozenset({"cellA"}))]
    assert alerts[0].observed == x[0, 100]
    assert alerts[0].expected == pytest.approx(mean[0, 100], rel=0.15)


def test_an_area_without_history_expects_half_a_call_per_window() -> None:
    x = np.round(truth())
    x[0, :] = 0
    base = regression.baseline(x, DAYS, start=56, stop=60)
    assert base.expected[0, 56] == pytest.approx(0.5 / regression.FIT_DAYS)
    with pytest.raises(ValueError):
        regression.baseline(x, DAYS, start=10)


def test_the_baseline_knows_its_own_uncertainty() -> None:
    small = regression.baseline(np.round(truth(city=40.0)), DAYS, start=56, stop=63)
    large = regression.baseline(np.round(truth(city=400.0)), DAYS, start=56, stop=63)
    assert small.log_variance is not None and large.log_variance is not None
    assert (small.log_variance[56:63] > 0).all() and np.isnan(small.log_variance[:56]).all()
    # the variance of an estimated log-mean falls as 1 / calls: ten times the calls, a tenth
    ratio = small.log_variance[56:63] / large.log_variance[56:63]
    assert ratio == pytest.approx(np.full(7, 10.0), rel=0.1)
    # a week ahead of a 56-day fit: a few per cent on the log scale at 40 calls a day
    assert 0.01 < math.sqrt(small.log_variance[56]) < 0.15
