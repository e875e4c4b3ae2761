"""Global unit-to-incident assignment against brute force."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from routing import assign

Matrix = list[list[float | None]]


def brute_force(cost: Matrix) -> tuple[int, float]:
    """(most pairs, least total cost among assignments with that many pairs)."""
    rows, cols = len(cost), len(cost[0]) if cost else 0
    best = (0, 0.0)
    for size in range(1, min(rows, cols) + 1):
        for chosen_rows in itertools.combinations(range(rows), size):
            for chosen_cols in itertools.permutations(range(cols), size):
                values = [cost[r][c] for r, c in zip(chosen_rows, chosen_cols, strict=True)]
                if any(v is None or math.isinf(v) for v in values):
                    continue
                total = math.fsum(v for v in values if v is not None)
                if size > best[0] or (size == best[0] and total < best[1]):
                    best = (size, total)
    return best


def total(cost: Matrix, pairs: list[tuple[int, int]]) -> float:
    values = [cost[r][c] for r, c in pairs]
    assert all(v is not None for v in values)
    return math.fsum(v for v in values if v is not None)


@pytest.mark.parametrize("seed", range(60))
def test_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    rows, cols = rng.randint(1, 5), rng.randint(1, 5)
    forbid = rng.choice([0.0, 0.2, 0.5])
    cost: Matrix = [
        [
            None if rng.random() < forbid else round(rng.uniform(30, 1800), rng.choice([0, 3]))
            for _ in range(cols)
        ]
        for _ in range(rows)
    ]
    pairs = assign(cost)
    assert len({r for r, _ in pairs}) == len(pairs) == len({c for _, c in pairs})
    assert pairs == sorted(pairs)
    size, best = brute_force(cost)
    assert len(pairs) == size
    assert total(cost, pairs) == pytest.approx(best, rel=1e-9, abs=1e-6)


def test_global_beats_greedy() -> None:
    # Greedy would give incident 0 unit 0 (10 s) and leave incident 1 with unit 1 (100 s).
    cost: Matrix = [[10.0, 12.0], [11.0, 100.0]]
    assert assign(cost) == [(0, 1), (1, 0)]


def test_edge_cases() -> None:
    assert assign([]) == []
    assert assign([[None, None]]) == []
    assert assign([[math.inf, 5.0]]) == [(0, 1)]
    assert assign([[0.0, 0.0], [0.0, 0.0]]) in ([(0, 0), (1, 1)], [(0, 1), (1, 0)])
    with pytest.raises(ValueError, match="same length"):
        assign([[1.0, 2.0], [1.0]])
    with pytest.raises(ValueError, match="NaN"):
        assign([[math.nan]])
