"""Space-time permutation scan statistic: clusters of calls that cross area borders.

Source: Kulldorff M, Heffernan R, Hartman J, Assunção R, Mostashari F, "A space-time permutation
scan statistic for disease outbreak detection", PLoS Med 2005;2(3):e59 (used on New York City's
emergency department and ambulance dispatch data).

Only case counts are needed, no population: the expected count of a cylinder A (a set of cells
x a run of days) is what it would hold if space and time were independent,

    mu(A) = sum over (z, d) in A of  n(z, .) n(., d) / C,

with n(z, .) the cases of cell z over the study window, n(., d) the cases of day d, C all cases.
A cylinder with c(A) > mu(A) scores the generalised likelihood ratio (its Poisson approximation)

    LLR(A) = c ln(c / mu) + (C - c) ln((C - c) / (C - mu)),

and the most likely cluster is the cylinder with the highest LLR. Its p-value comes from Monte
Carlo replicates that permute the days of the cases among them (keeping both margins): a random
table with the same row and column totals, drawn here column by column with hypergeometric
draws, which is the same distribution as shuffling the day labels. p = (rank + 1) / (R + 1).

Prospective use (every day, as SaTScan's daily analyses): cylinders end on the last day of the
window and last 1..``max_days`` days; circles are each cell with its k nearest cells,
k = 1..``max_cells`` (and at most half of all cases). ``alert`` at p <= 0.01, ``warning`` at
p <= 0.05. Replicates stop early once the p-value cannot fall below the warning level (the
level is then exactly what the full run would give; only a larger p-value is less precise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from numpy.typing import NDArray

from dispatch.surveillance.areas import nearest_first
from dispatch.surveillance.signals import Detection, Level

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
METHOD = "space-time-scan"
ALERT_P = 0.01
WARNING_P = 0.05
MAX_DAYS = 7
MAX_CELLS = 7
MIN_CASES = 3
_BATCH = 99


@dataclass(frozen=True)
class Cluster:
    """The most likely cluster of one analysis, with its Monte Carlo p-value."""

    areas: tuple[str, ...]
    first_day: date
    last_day: date
    observed: int
    expected: float
    llr: float
    p_value: float
    replicates: int

    @property
    def level(self) -> Level | None:
        if self.p_value <= ALERT_P:
            return Level.ALERT
        return Level.WARNING if self.p_value <= WARNING_P else None


@cache
def _zones(areas: tuple[str, ...], max_cells: int) -> F64:
    """Membership matrix (zones x cells) of every distinct circle."""
    seen: dict[frozenset[int], None] = {}
    for order in nearest_first(areas):
        for k in range(1, min(max_cells, len(areas)) + 1):
            seen.setdefault(frozenset(order[:k]), None)
    matrix = np.zeros((len(seen), len(areas)), dtype=np.float64)
    for i, zone in enumerate(seen):
        matrix[i, sorted(zone)] = 1.0
    return matrix


def _llr(c: F64, mu: F64, total: float) -> F64:
    """LLR of every cylinder (0 where c <= mu or c < MIN_CASES)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = total - c
        value = c * np.log(c / mu) + np.where(rest > 0, rest * np.log(rest / (total - mu)), 0.0)
    return np.where((c > mu) & (c >= MIN_CASES), value, 0.0)


def _tails(counts: F64, max_days: int) -> F64:
    """Cases in the last w days, w = 1..max_days (cells x w)."""
    recent = counts[:, ::-1][:, :max_days]
    return np.cumsum(recent, axis=1)


def _replicate_tails(rng: np.random.Generator, cell_totals: I64, day_totals: I64, size: int) -> F64:
    """``size`` random tables with the observed margins; their last-w-days tails
    (size x cells x w). Only the last ``len(day_totals)`` day columns are drawn; older days
    take what is left."""
    remaining = np.tile(cell_totals, (size, 1))
    left = remaining.sum(axis=1)
    tails = np.zeros((size, len(cell_totals), len(day_totals)), dtype=np.float64)
    running = np.zeros((size, len(cell_totals)), dtype=np.int64)
    for j, need_total in enumerate(day_totals):
        need = np.full(size, int(need_total), dtype=np.int64)
        pool = left.copy()
        for z in range(len(cell_totals)):
            good = remaining[:, z].copy()
            y = rng.hypergeometric(good, pool - good, need)
            remaining[:, z] -= y
            running[:, z] += y
            need -= y
            pool -= good  # cells after z share what is left to draw
        left -= int(need_total)
        tails[:, :, j] = running
    return tails


def scan(
    counts: F64 | I64,
    days: Sequence[date],
    areas: Sequence[str],
    *,
    max_days: int = MAX_DAYS,
    max_cells: int = MAX_CELLS,
    replicates: int = 999,
    seed: int = 0,
) -> Cluster | None:
    """The most likely cluster ending on the last day of ``counts`` (cells x days, the study
    window), or None when no cylinder holds more cases than expected (and at least 3)."""
    x = np.asarray(counts, dtype=np.float64)
    if x.shape != (len(areas), len(days)):
        raise ValueError("counts must be cells x days")
    total = float(x.sum())
    if total <= 0:
        return None
    max_days = min(max_days, len(days))
    zones = _zones(tuple(areas), max_cells)
    cell_totals = x.sum(axis=1)
    day_tail = np.cumsum(x.sum(axis=0)[::-1][:max_days])
    zone_totals = zones @ cell_totals
    zones = zones[zone_totals <= total / 2] if (zone_totals <= total / 2).any() else zones
    mu = np.outer(zones @ cell_totals, day_tail) / total
    observed = zones @ _tails(x, max_days)
    llr = _llr(observed, mu, total)
    best = int(np.argmax(llr))
    z, w = divmod(best, max_days)
    best_llr = float(llr[z, w])
    if best_llr <= 0:
        return None
    rng = np.random.default_rng(seed)
    day_totals = x.sum(axis=0)[::-1][:max_days].astype(np.int64)
    exceed, done = 0, 0
    while done < replicates:
        size = min(_BATCH, replicates - done)
        tails = _replicate_tails(rng, cell_totals.astype(np.int64), day_totals, size)
        sims = np.einsum("kz,rzw->rkw", zones, tails)
        maxima = _llr(sims, mu[None, :, :], total).reshape(size, -1).max(axis=1)
        exceed += int((maxima >= best_llr).sum())
        done += size
        if exceed + 1 > WARNING_P * (replicates + 1):
            break
    members = np.flatnonzero(zones[z])
    return Cluster(
        areas=tuple(sorted(areas[int(i)] for i in members)),
        first_day=days[len(days) - 1 - w],
        last_day=days[-1],
        observed=int(observed[z, w]),
        expected=float(mu[z, w]),
        llr=best_llr,
        p_value=(exceed + 1) / (done + 1),
        replicates=done,
    )


def detection(cluster: Cluster | None, *, syndrome: str) -> Detection | None:
    """The cluster as a :class:`Detection` when its p-value reaches a level."""
    if cluster is None or cluster.level is None:
        return None
    return Detection(
        method=METHOD,
        syndrome=syndrome,
        areas=frozenset(cluster.areas),
        day=cluster.last_day,
        observed=float(cluster.observed),
        expected=cluster.expected,
        statistic=cluster.p_value,
        level=cluster.level,
        first_day=cluster.first_day,
    )
