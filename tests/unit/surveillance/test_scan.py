"""Space-time permutation scan: a small case with a known answer, and a null case."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from dispatch.surveillance import areas, scan
from dispatch.surveillance.signals import Level

CELLS = areas.disk(areas.cell_of(121.4737, 31.2304), 2)  # 19 cells
DAYS = [date(2026, 3, 1) + timedelta(days=i) for i in range(28)]


def background(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weight = rng.uniform(1.0, 3.0, len(CELLS))
    return rng.poisson(np.outer(weight, np.ones(len(DAYS)))).astype(np.int64)


def test_an_injected_cluster_is_found_with_its_cells_and_days() -> None:
    x = background(1)
    centre = CELLS.index(areas.cell_of(121.4737, 31.2304))
    hot = areas.nearest_first(CELLS)[centre][:3]  # a cell and its two nearest: one circle
    x[np.ix_(hot, range(25, 28))] += 6  # the last three days, three neighbouring cells
    cluster = scan.scan(x, DAYS, CELLS, replicates=199, seed=5)
    assert cluster is not None
    assert set(cluster.areas) == {CELLS[i] for i in hot}
    assert (cluster.first_day, cluster.last_day) == (DAYS[25], DAYS[27])
    assert cluster.p_value == pytest.approx(1 / 200)
    assert cluster.level is Level.ALERT
    assert cluster.observed > 2 * cluster.expected
    found = scan.detection(cluster, syndrome="gastrointestinal")
    assert found is not None and found.first_day == DAYS[25] and found.method == scan.METHOD


def test_no_significant_cluster_without_one() -> None:
    for seed in (2, 3, 4):
        cluster = scan.scan(background(seed), DAYS, CELLS, replicates=199, seed=seed)
        assert cluster is None or cluster.p_value > scan.WARNING_P
        assert scan.detection(cluster, syndrome="heat") is None


def test_expected_counts_assume_space_and_time_independent() -> None:
    # One cell doubles on every day: purely spatial, so no space-time cluster at all.
    x = np.ones((len(CELLS), len(DAYS)), dtype=np.int64) * 2
    x[0] *= 2
    assert scan.scan(x, DAYS, CELLS, replicates=19) is None


def test_the_same_seed_gives_the_same_p_value() -> None:
    x = background(7)
    x[3, -2:] += 5
    a = scan.scan(x, DAYS, CELLS, replicates=99, seed=11)
    b = scan.scan(x, DAYS, CELLS, replicates=99, seed=11)
    assert a is not None and b is not None and a.p_value == b.p_value


def test_replicate_tables_keep_both_margins() -> None:
    rng = np.random.default_rng(0)
    cells = np.array([5, 0, 7, 3], dtype=np.int64)
    days = np.array([4, 2, 6], dtype=np.int64)  # the last three days; 3 older cases
    tails = scan._replicate_tails(rng, cells, days, 50)
    per_day = np.diff(np.concatenate([np.zeros((50, 4, 1)), tails], axis=2), axis=2)
    assert (per_day.sum(axis=1) == days).all()
    assert (tails[:, :, -1] <= cells).all() and (tails[:, 1, :] == 0).all()
