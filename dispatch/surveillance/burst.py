"""A fast signal inside the day: the last hour's calls of a syndrome in an area against what an
hour there brings.

Why: the daily methods judge a whole day against whole days, so a burst of fever calls from one
street this morning shows at its full weight only once the day's count has outgrown a day's
baseline (in the evening). A 120/911 centre sees an outbreak first, so it should be told within
the hour: the count of the last 60 minutes is compared, per syndrome and area, with a Poisson
expectation taken from the area's recent daily counts.

The expectation: the mean daily count over the last ``BASELINE_DAYS`` known days, divided by 24
and multiplied by ``PEAK_FACTOR`` (the busiest hour of an EMS day carries about 1.6 times the mean
hour's calls; taking the peak for every hour makes night bursts slightly easier to miss, never
daytime noise an alarm). An area with no calls in the baseline gets half a call over the window.

The thresholds are strict because the test is repeated for every area and syndrome on every
round of the watch (every 10 minutes): with ``ALERT_P`` = 1e-7, a city of 300 cells and 9
syndromes judged 144 times a day makes 300 x 9 x 144 x 30 x 1e-7 = 1.2 alerts a month by chance
across all syndromes if every test were independent (overlapping hours are not, so fewer). Only a
blatant burst fires: with a baseline of 2 calls a day, 6 calls in an hour; with 24 a day, 12.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import numpy as np
from numpy.typing import NDArray
from scipy.stats import poisson

from dispatch.surveillance.areas import cell_of
from dispatch.surveillance.counts import CaseRecord
from dispatch.surveillance.signals import Detection, Level

F64 = NDArray[np.float64]

METHOD = "hourly-burst"
BASELINE_DAYS = 28
MIN_BASELINE_DAYS = 7
PEAK_FACTOR = 1.6
ALERT_P = 1e-7
WARNING_P = 1e-5
MIN_CALLS = 5


def recent(records: Iterable[CaseRecord], since: datetime) -> Counter[tuple[str, str]]:
    """Calls at or after ``since`` per (syndrome, area)."""
    return Counter((r.syndrome, cell_of(r.lon, r.lat)) for r in records if r.at >= since)


def expected_per_hour(daily: F64) -> F64:
    """Per area: the expected calls in one (busy) hour from its daily counts (areas x days)."""
    days = daily.shape[1]
    mean = np.maximum(daily.mean(axis=1), 0.5 / days)
    return np.asarray(mean / 24.0 * PEAK_FACTOR, dtype=np.float64)


def detections(
    daily: F64,
    areas: Sequence[str],
    last_hour: Counter[tuple[str, str]],
    *,
    syndrome: str,
    day: date,
) -> list[Detection]:
    """Bursts of ``syndrome`` on ``day``: ``daily`` is the known days before it (areas x days,
    oldest first); ``last_hour`` the calls of the last 60 minutes. Nothing without
    ``MIN_BASELINE_DAYS`` of baseline."""
    base = np.asarray(daily, dtype=np.float64)[:, -BASELINE_DAYS:]
    if base.shape[1] < MIN_BASELINE_DAYS:
        return []
    index = {a: i for i, a in enumerate(areas)}
    floor = float(expected_per_hour(np.zeros((1, base.shape[1])))[0])
    lam_of = expected_per_hour(base)
    out: list[Detection] = []
    for (s, area), observed in sorted(last_hour.items()):
        if s != syndrome or observed < MIN_CALLS:
            continue
        i = index.get(area)
        lam = floor if i is None else float(lam_of[i])
        p = float(poisson.sf(observed - 1, lam))
        level = Level.ALERT if p < ALERT_P else Level.WARNING if p < WARNING_P else None
        if level is None:
            continue
        out.append(
            Detection(
                method=METHOD,
                syndrome=syndrome,
                areas=frozenset({area}),
                day=day,
                observed=float(observed),
                expected=lam,
                statistic=p,
                level=level,
            )
        )
    return out
