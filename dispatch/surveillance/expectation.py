"""Expectation-based space-time scan: the regression baseline's expected counts, summed over a
cell and its neighbours and over the last days, against what was observed.

Source: Neill DB, Moore AW, Sabhnani M, Daniel K, "Detection of emerging space-time clusters",
Proc. KDD 2005:218-227 (the expectation-based Poisson scan statistic); Kulldorff's circles and
prospective windows as in :mod:`dispatch.surveillance.scan`.

Where the permutation scan (:mod:`~dispatch.surveillance.scan`) estimates what is expected from
the window's own margins (so a cluster must stand out against the rest of the city), this scan
takes the expected counts of :func:`dispatch.surveillance.regression.baseline` (weekday, trend,
outbreaks of the fit window imputed away). For a cylinder A (a circle: a cell and its k - 1
nearest cells, k = 1..``max_cells``; a window: the last w days, w = 1..``max_days``, ending on
the judged day) with c calls observed and b expected, the quasi-Poisson log-likelihood ratio of
"the mean is q b, q > 1" against "the mean is b" is

    LLR(A) = (c ln(c / b) - (c - b)) / phi    when c > b and c >= ``MIN_CASES``, else 0,

phi being the baseline's dispersion of the judged day (plus the baseline's own error, see
below). A day's clusters are the cylinders found
greedily: the highest LLR, then the highest whose cells are disjoint from those already taken
(SaTScan's non-overlapping secondary clusters), while LLR >= ``LLR_WARNING``; a cluster is an
``alert`` at LLR >= ``LLR_ALERT``. The threshold is on the LLR itself, no Monte Carlo: the
baseline is known, so the threshold is set once, by the false alarms it costs.

Before the scan, each day's expected counts are scaled by an estimate of that day's city-wide
factor (:func:`day_adjusted`): a warm day or an event moves every cell of a syndrome at once,
which a model fitted on past weeks cannot foresee and which otherwise shows as large "clusters"
of the big syndromes.

The LLR's dispersion also counts the baseline's own error (:func:`scores`): a week of seven
cells expects enough calls that a baseline a few per cent off would read as a cluster.

Calibration (``python bench/surveillance.py --calibrate --seed 18 --outbreaks 400``:
37 resolution-7 cells, 600 calls a day, a clean year, then 400 injected outbreaks; see
docs/surveillance.md): ``LLR_ALERT`` is the lowest threshold on a 0.5 grid whose false alerts
(signals opened after deduplication by :class:`~dispatch.surveillance.signals.SignalBook`) stay
at or below one per syndrome per month city-wide for *every* syndrome on seed 18 (7.0: at most
1.00, mean 0.65 a syndrome-month); ``LLR_WARNING`` the lowest at or below one a week (5.0: at
most 4.2 a month). ``MAX_CELLS`` = 7 (a cell and its ring, as the permutation scan) and
``MAX_DAYS`` = 7 were not tuned to the bench's outbreaks (circles of at most 3 cells did no
better). The figures in docs/surveillance.md are those of another seed (2026), not tuned on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from numpy.typing import NDArray

from dispatch.surveillance import regression
from dispatch.surveillance.areas import nearest_first
from dispatch.surveillance.signals import Detection, Level

F64 = NDArray[np.float64]
METHOD = "expectation-scan"
MAX_DAYS = 7
MAX_CELLS = 7
MIN_CASES = 3
#: Alert threshold on the LLR (calibrated on bench seed 18: see the module note).
LLR_ALERT = 7.0
#: Warning threshold on the LLR (calibrated on bench seed 18: see the module note).
LLR_WARNING = 5.0
#: Scale each day's expected counts by the estimated city-wide factor (:func:`day_adjusted`).
DAY_ADJUSTED = True
#: Count the baseline's own error in a cylinder's dispersion (:func:`scores`).
BASELINE_UNCERTAINTY = True
#: Fewest predicted days before a day to estimate the city-wide variance from.
MIN_HISTORY = 14


@dataclass(frozen=True)
class Cluster:
    """One cylinder of one judged day: its cells, days, counts and LLR."""

    areas: tuple[str, ...]
    first_day: date
    last_day: date
    observed: float
    expected: float
    llr: float

    def level(
        self, *, llr_warning: float = LLR_WARNING, llr_alert: float = LLR_ALERT
    ) -> Level | None:
        if self.llr >= llr_alert:
            return Level.ALERT
        return Level.WARNING if self.llr >= llr_warning else None


@cache
def zones(areas: tuple[str, ...], max_cells: int = MAX_CELLS) -> F64:
    """Membership matrix (zones x cells) of every distinct circle: each cell with its k - 1
    nearest cells, k = 1..``max_cells``."""
    seen: dict[frozenset[int], None] = {}
    for order in nearest_first(areas):
        for k in range(1, min(max_cells, len(areas)) + 1):
            seen.setdefault(frozenset(order[:k]), None)
    matrix = np.zeros((len(seen), len(areas)), dtype=np.float64)
    for i, zone in enumerate(seen):
        matrix[i, sorted(zone)] = 1.0
    return matrix


def llr(observed: F64, expected: F64, dispersion: F64 | float = 1.0) -> F64:
    """The quasi-Poisson LLR of every cylinder (0 where c <= b, c < ``MIN_CASES`` or b is
    unknown)."""
    c = np.asarray(observed, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    ok = (c > b) & (c >= MIN_CASES) & np.isfinite(b) & (b > 0)
    safe_b = np.where(ok, b, 1.0)
    safe_c = np.where(ok, c, 1.0)
    value = (safe_c * np.log(safe_c / safe_b) - (safe_c - safe_b)) / dispersion
    return np.where(ok, value, 0.0)


def scores(
    counts: F64,
    expected: F64,
    dispersion: F64,
    *,
    membership: F64,
    max_days: int = MAX_DAYS,
    log_variance: F64 | None = None,
    fit_days: int = regression.FIT_DAYS,
) -> tuple[F64, F64, F64]:
    """(LLR, observed, expected) of every cylinder ending on every day: arrays of
    windows x zones x days (window index w - 1 holds the last w days). A window reaching a day
    without a baseline (``expected`` NaN) scores 0.

    With ``log_variance`` (the baseline's own uncertainty, :class:`regression.Baseline`) the
    LLR's dispersion of a cylinder expecting b is phi + tau2 b, tau2 = the mean log-variance of
    the city curve over the window + 1 / (the zone's calls in the ``fit_days`` before it, at
    least 0.5: the error of its share). A count that is Poisson around an estimated mean has
    variance phi b + tau2 b^2: negligible for a cell-day, not for seven cells over a week,
    where a baseline 8 % too low would otherwise read as a cluster."""
    x = np.asarray(counts, dtype=np.float64)
    mu = np.asarray(expected, dtype=np.float64)
    n_days = x.shape[1]
    zx = membership @ x  # zones x days
    known = ~np.isnan(mu).any(axis=0)
    zmu = membership @ np.where(np.isnan(mu), 0.0, mu)
    cx = np.concatenate([np.zeros((zx.shape[0], 1)), np.cumsum(zx, axis=1)], axis=1)
    cmu = np.concatenate([np.zeros((zmu.shape[0], 1)), np.cumsum(zmu, axis=1)], axis=1)
    ck = np.concatenate([[0], np.cumsum(~known)])
    obs = np.zeros((max_days, zx.shape[0], n_days))
    exp = np.full((max_days, zx.shape[0], n_days), np.nan)
    phi = np.where(np.isnan(dispersion), 1.0, np.asarray(dispersion, dtype=np.float64))
    spread = np.broadcast_to(phi[None, None, :], obs.shape).copy()
    if log_variance is not None:
        lv = np.where(np.isnan(log_variance), 0.0, np.asarray(log_variance, dtype=np.float64))
        clv = np.concatenate([[0.0], np.cumsum(lv)])
    for w in range(1, max_days + 1):
        t = np.arange(w - 1, n_days)
        obs[w - 1, :, t] = (cx[:, t + 1] - cx[:, t + 1 - w]).T
        valid = (ck[t + 1] - ck[t + 1 - w]) == 0
        e = (cmu[:, t + 1] - cmu[:, t + 1 - w]).T
        exp[w - 1, :, t] = np.where(valid[:, None], e, np.nan)
        if log_variance is not None:
            first = t + 1 - w  # the window's first day; its share came from the days before
            history = cx[:, first] - cx[:, np.maximum(first - fit_days, 0)]  # zones x days
            tau2 = ((clv[t + 1] - clv[first]) / w)[:, None] + 1.0 / np.maximum(history, 0.5).T
            spread[w - 1, :, t] = phi[t, None] + tau2 * np.where(valid[:, None], e, 0.0)
    return llr(obs, exp, spread), obs, exp


def day_adjusted(
    counts: F64, base: regression.Baseline, *, history: int = regression.FIT_DAYS
) -> regression.Baseline:
    """The baseline times an estimate of each day's city-wide factor (weather, an event: what
    moves every cell of a syndrome at once, and what a per-cell model cannot know in advance).

    Empirical Bayes: the city total y(t) is Poisson with mean g(t) E(t), g gamma with mean 1 and
    squared coefficient of variation v, estimated by moments from the predicted days before t
    (at most ``history`` of them, at least ``MIN_HISTORY``, else no adjustment):
    v = mean((y - E)^2 - E) / E^2, floored at 0. The factor is the posterior mean
    (1 / v + y(t)) / (1 / v + E(t)): near 1 for a small syndrome (its totals are mostly Poisson
    noise) and near y / E for a large one. An outbreak raises y(t) too, by its own share, which
    is the price of the adjustment."""
    x = np.asarray(counts, dtype=np.float64)
    mu = base.expected
    known = ~np.isnan(mu).any(axis=0)
    y = x.sum(axis=0)
    e = np.where(known, np.where(np.isnan(mu), 0.0, mu).sum(axis=0), np.nan)
    excess = np.where(known & (e > 0), ((y - e) ** 2 - e) / np.where(e > 0, e, 1.0) ** 2, np.nan)
    factor = np.ones(x.shape[1])
    for t in np.flatnonzero(known):
        past = excess[max(0, t - history) : t]
        past = past[~np.isnan(past)]
        if len(past) < MIN_HISTORY:
            continue
        v = max(0.0, float(past.mean()))
        if v > 0:
            factor[t] = (1.0 / v + y[t]) / (1.0 / v + e[t])
    return regression.Baseline(mu * factor[None, :], base.dispersion, base.log_variance)


def day_clusters(
    score: F64,
    observed: F64,
    expected: F64,
    membership: F64,
    t: int,
    *,
    floor: float,
) -> list[tuple[int, int, float]]:
    """Greedy non-overlapping cylinders of day ``t`` with LLR >= ``floor``, best first, as
    (zone, window index, LLR)."""
    day = score[:, :, t]  # windows x zones
    order = np.argsort(day, axis=None)[::-1]
    taken = np.zeros(membership.shape[1], dtype=bool)
    out: list[tuple[int, int, float]] = []
    for flat in order:
        w, z = divmod(int(flat), day.shape[1])
        value = float(day[w, z])
        if value < floor or value <= 0:
            break
        cells = membership[z] > 0
        if (cells & taken).any():
            continue
        taken |= cells
        out.append((z, w, value))
    return out


def clusters(
    counts: F64,
    base: regression.Baseline,
    days: Sequence[date],
    areas: Sequence[str],
    *,
    start: int = 0,
    stop: int | None = None,
    max_days: int = MAX_DAYS,
    max_cells: int = MAX_CELLS,
    floor: float = LLR_WARNING,
    uncertainty: bool = BASELINE_UNCERTAINTY,
) -> dict[int, list[Cluster]]:
    """The clusters (LLR >= ``floor``) of days ``start`` .. ``stop - 1``, by day index
    (``uncertainty``: count the baseline's own error, see :func:`scores`)."""
    x = np.asarray(counts, dtype=np.float64)
    if x.shape != (len(areas), len(days)) or base.expected.shape != x.shape:
        raise ValueError("counts and expected must be areas x days")
    stop = x.shape[1] if stop is None else stop
    membership = zones(tuple(areas), max_cells)
    score, obs, exp = scores(
        x,
        base.expected,
        base.dispersion,
        membership=membership,
        max_days=max_days,
        log_variance=base.log_variance if uncertainty else None,
    )
    out: dict[int, list[Cluster]] = {}
    for t in range(start, stop):
        found = day_clusters(score, obs, exp, membership, t, floor=floor)
        if found:
            out[t] = [
                Cluster(
                    areas=tuple(sorted(areas[int(i)] for i in np.flatnonzero(membership[z]))),
                    first_day=days[t - w],
                    last_day=days[t],
                    observed=float(obs[w, z, t]),
                    expected=float(exp[w, z, t]),
                    llr=value,
                )
                for z, w, value in found
            ]
    return out


def detections(
    counts: F64,
    days: Sequence[date],
    areas: Sequence[str],
    *,
    syndrome: str,
    start: int,
    stop: int | None = None,
    llr_warning: float = LLR_WARNING,
    llr_alert: float = LLR_ALERT,
    day_adjust: bool = DAY_ADJUSTED,
    uncertainty: bool = BASELINE_UNCERTAINTY,
) -> list[Detection]:
    """Warnings and alerts of days ``start`` .. ``stop - 1`` (the regression baseline is fitted
    here, as :func:`dispatch.surveillance.regression.detections` does: ``start`` must leave
    ``regression.FIT_DAYS`` of history). The day adjustment needs ``MIN_HISTORY`` predicted days
    before a judged day: start a few weeks before the day that matters (as the watch does for
    the CUSUM)."""
    base = regression.baseline(counts, days, start=start, stop=stop)
    if day_adjust:
        base = day_adjusted(counts, base)
    out: list[Detection] = []
    found = clusters(
        counts,
        base,
        days,
        areas,
        start=start,
        stop=stop,
        floor=llr_warning,
        uncertainty=uncertainty,
    )
    for t in sorted(found):
        for c in found[t]:
            level = c.level(llr_warning=llr_warning, llr_alert=llr_alert)
            if level is None:
                continue
            out.append(
                Detection(
                    method=METHOD,
                    syndrome=syndrome,
                    areas=frozenset(c.areas),
                    day=c.last_day,
                    observed=c.observed,
                    expected=c.expected,
                    statistic=c.llr,
                    level=level,
                    first_day=c.first_day,
                )
            )
    return out
