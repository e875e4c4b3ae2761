"""Expectation-based space-time scan on the regression baseline: known answers and null cases."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from dispatch.surveillance import areas, expectation, regression
from dispatch.surveillance.signals import Level, SignalBook

CENTRE = areas.cell_of(121.4737, 31.2304)
RING = areas.disk(CENTRE, 1)  # 7 cells
CELLS = areas.disk(CENTRE, 2)  # 19 cells
N = 112
DAYS = [date(2026, 1, 5) + timedelta(days=i) for i in range(N)]  # a Monday
START = regression.FIT_DAYS


def flat(cells: list[str], mean: float, seed: int, cv: float = 0.0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    shock = rng.gamma(1 / cv**2, cv**2, N) if cv else np.ones(N)
    mu = np.full((len(cells), N), mean) * shock
    return rng.poisson(mu).astype(np.float64), mu


def test_the_llr_of_a_cylinder() -> None:
    value = expectation.llr(np.array([10.0, 10.0, 2.0, 3.0]), np.array([4.0, 4.0, 0.1, 5.0]))
    assert value[0] == pytest.approx(10 * math.log(10 / 4) - 6)
    assert value[2] == 0.0  # fewer than MIN_CASES
    assert value[3] == 0.0  # fewer than expected
    halved = expectation.llr(np.array([10.0]), np.array([4.0]), 2.0)
    assert halved[0] == pytest.approx(value[0] / 2)  # quasi-Poisson: divided by phi
    assert expectation.llr(np.array([5.0]), np.array([np.nan]))[0] == 0.0


def test_the_circles_are_each_cell_with_its_nearest() -> None:
    zones = expectation.zones(tuple(RING), 7)
    sizes = zones.sum(axis=1)
    assert (zones[sizes == 1].sum(axis=0) == 1).all()  # every cell alone
    assert (sizes == 7).sum() == 1  # the whole ring, once (duplicates removed)
    assert sizes.max() == 7 and expectation.zones(tuple(RING), 1).shape == (7, 7)


def test_a_flat_poisson_series_stays_within_the_false_alarm_budget() -> None:
    # 10 runs x 7 cells x 56 days = 3,920 cell-days, 3.5 months of a 37-cell city: the budget
    # of one false signal per month city-wide allows 3 (a threshold of 5 opens 11, of 4, 22)
    opened = 0
    for seed in range(10):
        x, _ = flat(RING, 3.0, seed)
        found = expectation.detections(x, DAYS, RING, syndrome="rash", start=START)
        book = SignalBook()
        for t in range(START, N):
            alerts = [d for d in found if d.day == DAYS[t] and d.level is Level.ALERT]
            opened += len(book.update(DAYS[t], alerts))
    assert opened <= 3


def test_a_doubling_is_alerted_within_two_days_with_its_cell() -> None:
    x, mu = flat(RING, 10.0, seed=4)
    k, hot = 90, 3
    rng = np.random.default_rng(5)
    x[hot, k:] = rng.poisson(2 * mu[hot, k:])
    found = expectation.detections(x, DAYS, RING, syndrome="gastrointestinal", start=START)
    alerts = [d for d in found if d.level is Level.ALERT]
    assert alerts, "the doubling was missed"
    first = min(alerts, key=lambda d: d.day)
    assert DAYS[k] <= first.day <= DAYS[k + 2]
    assert RING[hot] in first.areas
    assert first.method == expectation.METHOD and first.first_day is not None
    assert DAYS[k - 1] <= first.first_day <= first.day
    assert first.observed > first.expected
    assert first.statistic >= expectation.LLR_ALERT


def test_two_separate_outbreaks_on_one_day_are_two_clusters() -> None:
    x, _ = flat(CELLS, 4.0, seed=6)
    far = areas.nearest_first(CELLS)[0][-1]  # the farthest cell from cell 0
    x[[0, far], 100] += 25
    base = regression.baseline(x, DAYS, start=START)
    found = expectation.clusters(x, base, DAYS, CELLS, start=100, stop=101)
    assert len(found[100]) >= 2
    first, second = found[100][:2]
    assert first.llr >= second.llr >= expectation.LLR_WARNING
    assert not set(first.areas) & set(second.areas)
    assert {CELLS[0], CELLS[far]} <= set(first.areas) | set(second.areas)


def test_a_city_wide_busy_day_is_not_a_cluster_once_adjusted() -> None:
    x, mu = flat(RING, 5.0, seed=7, cv=0.15)
    x[:, 100] = np.random.default_rng(8).poisson(2.0 * mu[:, 100])  # every cell doubles
    raw = expectation.detections(x, DAYS, RING, syndrome="other", start=START, day_adjust=False)
    assert any(d.day == DAYS[100] and d.level is Level.ALERT for d in raw)
    adjusted = expectation.detections(x, DAYS, RING, syndrome="other", start=START)
    assert not any(d.day == DAYS[100] and d.level is Level.ALERT for d in adjusted)


def test_the_day_adjustment_needs_history_and_shrinks_small_totals() -> None:
    x, _ = flat(RING, 5.0, seed=9, cv=0.15)
    base = regression.baseline(x, DAYS, start=START)
    adjusted = expectation.day_adjusted(x, base)
    factor = adjusted.expected.sum(axis=0) / base.expected.sum(axis=0)
    early = slice(START, START + expectation.MIN_HISTORY)
    assert factor[early] == pytest.approx(1.0)  # too few predicted days: no adjustment
    later = slice(START + expectation.MIN_HISTORY, N)
    raw = x.sum(axis=0)[later] / base.expected.sum(axis=0)[later]
    # the posterior mean lies between 1 and the day's observed / expected
    assert ((factor[later] - 1) * (raw - 1) >= 0).all()
    assert (np.abs(factor[later] - 1) <= np.abs(raw - 1) + 1e-12).all()


def test_the_baseline_error_weighs_on_large_cylinders_not_on_one_cell_day() -> None:
    ring = expectation.zones(tuple(RING), 7)
    whole = int(np.flatnonzero(ring.sum(axis=1) == 7)[0])
    single = int(np.flatnonzero((ring.sum(axis=1) == 1) & (ring[:, 0] == 1))[0])
    x = np.full((7, 70), 3.0)
    x[:, 63:] = 4.0  # the last week a third above expected, everywhere
    mu = np.full((7, 70), 3.0)
    phi = np.ones(70)
    lv = np.full(70, 0.01)  # the baseline 10 % uncertain on the log scale
    plain, _, _ = expectation.scores(x, mu, phi, membership=ring)
    careful, _, _ = expectation.scores(x, mu, phi, membership=ring, log_variance=lv)
    # one cell-day: 4 vs 3; its share from the 56 days before (50 x 3 + 6 x 4 = 174 calls):
    # tau2 = 0.01 + 1 / 174, the dispersion grows by 5 %
    assert careful[0, single, 69] == pytest.approx(
        plain[0, single, 69] / (1 + 3 * (0.01 + 1 / 174))
    )
    # seven cells x seven days (expected 147): the dispersion more than doubles
    tau2 = 0.01 + 1 / (7 * 3 * 56)
    assert careful[6, whole, 69] == pytest.approx(plain[6, whole, 69] / (1 + 147 * tau2))
    assert careful[6, whole, 69] < plain[6, whole, 69] / 2
