"""CDC's Early Aberration Reporting System methods C1, C2 and C3 on a daily count series.

Source: Hutwagner L, Thompson W, Seeman GM, Treadwell T. "The bioterrorism preparedness and
response Early Aberration Reporting System (EARS)". J Urban Health 2003;80(2 Suppl 1):i89-i96;
the formulas as restated by Fricker RD, Hegler BL, Dunfee DA, "Comparing syndromic surveillance
detection methods: EARS' versus a CUSUM-based methodology", Stat Med 2008;27:3407-3429.

- **C1 (MILD)**: baseline = the 7 days just before day t (t-7 .. t-1, no gap);
  C1_t = (x_t - mean) / sd; flag when C1_t > 3.
- **C2 (MEDIUM)**: baseline = t-9 .. t-3 (7 days after a 2-day guard band, so the first
  days of an outbreak do not inflate their own baseline); C2_t = (x_t - mean) / sd; flag > 3.
- **C3 (ULTRA)**: C3_t = sum over i = t-2 .. t of max(0, C2_i - 1); flag when C3_t > 2.

sd is the sample standard deviation (n - 1) of the 7 baseline days. A baseline of equal days
has sd 0; ``min_sigma`` (0.2 here, our choice; R's ``surveillance::earsC`` calls it minSigma)
floors it so the statistic is defined. CDC's thresholds are the ``alert`` level; the
``warning`` level (C1/C2 > 2, C3 > 1) is this project's, an earlier look for a supervisor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from dispatch.surveillance.signals import Detection, Level

F64 = NDArray[np.float64]
BASELINE_DAYS = 7
GAP_DAYS = {"C1": 0, "C2": 2}
#: (warning, alert) thresholds per method; alert = CDC's.
THRESHOLDS: dict[str, tuple[float, float]] = {"C1": (2.0, 3.0), "C2": (2.0, 3.0), "C3": (1.0, 2.0)}
MIN_SIGMA = 0.2


@dataclass(frozen=True)
class EarsResult:
    """Per day of the input series: statistic (NaN until the baseline exists) and expected."""

    method: str
    statistic: F64
    expected: F64


def _shewhart(x: F64, gap: int, min_sigma: float) -> tuple[F64, F64]:
    n = len(x)
    stat = np.full(n, np.nan)
    mean = np.full(n, np.nan)
    first = BASELINE_DAYS + gap
    if n > first:
        windows = np.lib.stride_tricks.sliding_window_view(x, BASELINE_DAYS)
        # baseline of day t ends at t - 1 - gap: window index t - BASELINE_DAYS - gap
        base = windows[: n - first]
        mu = base.mean(axis=1)
        sd = np.maximum(base.std(axis=1, ddof=1), min_sigma)
        stat[first:] = (x[first:] - mu) / sd
        mean[first:] = mu
    return stat, mean


def ears(counts: Sequence[float] | F64, method: str, *, min_sigma: float = MIN_SIGMA) -> EarsResult:
    """The C1, C2 or C3 statistic for every day of a daily series."""
    x = np.asarray(counts, dtype=np.float64)
    if method in GAP_DAYS:
        stat, mean = _shewhart(x, GAP_DAYS[method], min_sigma)
        return EarsResult(method, stat, mean)
    if method != "C3":
        raise ValueError(f"EARS method must be C1, C2 or C3, not {method!r}")
    c2, mean = _shewhart(x, GAP_DAYS["C2"], min_sigma)
    excess = np.maximum(0.0, c2 - 1.0)
    stat = np.full(len(x), np.nan)
    for t in range(2, len(x)):
        window = excess[t - 2 : t + 1]
        if not np.isnan(window).any():
            stat[t] = window.sum()
    return EarsResult("C3", stat, mean)


def level_of(method: str, statistic: float) -> Level | None:
    warning, alert = THRESHOLDS[method]
    if np.isnan(statistic) or statistic <= warning:
        return None
    return Level.ALERT if statistic > alert else Level.WARNING


def detections(
    counts: Sequence[float] | F64,
    days: Sequence[date],
    *,
    method: str,
    syndrome: str,
    area: str,
    min_level: Level = Level.WARNING,
) -> list[Detection]:
    """A :class:`Detection` for every day at or above ``min_level``."""
    result = ears(counts, method)
    x = np.asarray(counts, dtype=np.float64)
    out: list[Detection] = []
    for t, day in enumerate(days):
        level = level_of(method, float(result.statistic[t]))
        if level is None or (min_level is Level.ALERT and level is Level.WARNING):
            continue
        out.append(
            Detection(
                method=f"ears-{method.lower()}",
                syndrome=syndrome,
                areas=frozenset({area}),
                day=day,
                observed=float(x[t]),
                expected=float(result.expected[t]),
                statistic=float(result.statistic[t]),
                level=level,
            )
        )
    return out
