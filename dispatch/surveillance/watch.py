"""The detectors run the way a live centre runs them: one day at a time, each day judged only on
what was known by its end.

The bench (``bench/surveillance.py``) runs every method over a whole year at once; a server has
today's counts and a window of past days. :func:`judge` gives the detections *of one day* for
the chosen methods, each reading only the days it needs before that day (:attr:`Method.history`)
and only days the centre has data for: a day before the first imported or recorded call is
unknown, not zero, and a method whose history reaches into it is skipped that day (a baseline of
zeros would make the first real calls look like an outbreak).

Pure: counts in, detections out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from dispatch.surveillance import burst, ears, expectation, regression, scan
from dispatch.surveillance.counts import Counts
from dispatch.surveillance.signals import Detection

F64 = NDArray[np.float64]

#: Days of CUSUM run-in before the judged day: the statistic accumulates evidence over days, so
#: it is started four weeks back (a doubling over a week is built up inside it).
CUSUM_RUN_IN = 28
#: The scan's study window: its expected counts come from these days' margins.
SCAN_WINDOW = 56
SCAN_REPLICATES = 999

Run = Callable[[F64, tuple[date, ...], tuple[str, ...], str, int], list[Detection]]


@dataclass(frozen=True, slots=True)
class Method:
    """A detector as the watch runs it: ``history`` days before the judged day it reads."""

    name: str
    history: int
    run: Run  # (areas x days ending on the judged day, days, areas, syndrome, seed)


def _ears(method: str) -> Run:
    def run(
        x: F64, days: tuple[date, ...], areas: tuple[str, ...], syndrome: str, seed: int
    ) -> list[Detection]:
        found: list[Detection] = []
        for a, area in enumerate(areas):
            found += ears.detections(x[a], days, method=method, syndrome=syndrome, area=area)
        return found

    return run


def _regression(
    x: F64, days: tuple[date, ...], areas: tuple[str, ...], syndrome: str, seed: int
) -> list[Detection]:
    return regression.detections(
        x, days, areas, syndrome=syndrome, start=x.shape[1] - CUSUM_RUN_IN - 1
    )


def _expectation(
    x: F64, days: tuple[date, ...], areas: tuple[str, ...], syndrome: str, seed: int
) -> list[Detection]:
    return expectation.detections(
        x, days, areas, syndrome=syndrome, start=x.shape[1] - CUSUM_RUN_IN - 1
    )


def _scan(
    x: F64, days: tuple[date, ...], areas: tuple[str, ...], syndrome: str, seed: int
) -> list[Detection]:
    cluster = scan.scan(x, days, areas, replicates=SCAN_REPLICATES, seed=seed)
    found = scan.detection(cluster, syndrome=syndrome)
    return [] if found is None else [found]


#: Every method the watch can run, by the name its detections carry.
METHODS: dict[str, Method] = {
    "ears-c1": Method("ears-c1", ears.BASELINE_DAYS + ears.GAP_DAYS["C1"], _ears("C1")),
    "ears-c2": Method("ears-c2", ears.BASELINE_DAYS + ears.GAP_DAYS["C2"], _ears("C2")),
    "ears-c3": Method("ears-c3", ears.BASELINE_DAYS + ears.GAP_DAYS["C2"] + 2, _ears("C3")),
    regression.METHOD: Method(regression.METHOD, regression.FIT_DAYS + CUSUM_RUN_IN, _regression),
    scan.METHOD: Method(scan.METHOD, SCAN_WINDOW - 1, _scan),
    expectation.METHOD: Method(
        expectation.METHOD, regression.FIT_DAYS + CUSUM_RUN_IN, _expectation
    ),
}

#: Every method name a centre may configure: the daily ones and the within-day burst test
#: (:mod:`.burst`), which reads the last hour besides the daily counts (:func:`judge_burst`).
ALL_METHODS: tuple[str, ...] = (*METHODS, burst.METHOD)

#: What a centre runs unless configured otherwise: the daily method that finds most outbreaks
#: within the budget of one false alarm per syndrome per month on the bench (the expectation-
#: based scan on the regression baseline, docs/surveillance.md), and the burst test for today's
#: last hour. The CUSUM and the permutation scan stay within the budget too but find fewer, and
#: running several adds their false alarms up; EARS C2, the CDC baseline, raises tens a month at
#: city scale. All are there for a centre that asks (GOLDENHOUR_SURVEILLANCE_METHODS).
DEFAULT_METHODS: tuple[str, ...] = (expectation.METHOD, burst.METHOD)


def unknown_methods(names: Sequence[str]) -> list[str]:
    return [n for n in names if n not in ALL_METHODS]


def _history(name: str) -> int:
    return burst.BASELINE_DAYS if name == burst.METHOD else METHODS[name].history


def window_days(names: Sequence[str]) -> int:
    """How many days up to and including the judged day the chosen methods read."""
    return 1 + max((_history(n) for n in names), default=0)


def judge(counts: Counts, t: int, names: Sequence[str], *, known_from: int = 0) -> list[Detection]:
    """The detections of day ``counts.periods[t]``, from days ``known_from`` .. ``t`` only.

    A method is skipped when it would read a day before ``known_from``. Its detections of
    earlier days (the EARS functions score a whole series) are dropped: each day is judged once,
    on its own evening. The scan's random draws are seeded by the day and syndrome, so a round
    run twice gives the same answer."""
    day = counts.periods[t]
    if not isinstance(day, date):
        raise TypeError("judge needs daily counts")
    found: list[Detection] = []
    for name in names:
        method = METHODS.get(name)
        if method is None:  # the burst test: judge_burst
            continue
        first = t - method.history
        if first < known_from:
            continue
        days = tuple(counts.periods[first : t + 1])
        for s, syndrome in enumerate(counts.syndromes):
            x = counts.values[s, :, first : t + 1].astype(np.float64)
            if not x.any():
                continue
            seed = day.toordinal() * 100 + s
            found += [d for d in method.run(x, days, counts.areas, syndrome, seed) if d.day == day]
    return found


def judge_burst(
    counts: Counts, t: int, last_hour: Counter[tuple[str, str]], *, known_from: int = 0
) -> list[Detection]:
    """Bursts in the last hour of day ``counts.periods[t]`` (today), against the known days
    before it (:mod:`.burst`)."""
    day = counts.periods[t]
    if not isinstance(day, date):
        raise TypeError("judge_burst needs daily counts")
    first = max(known_from, t - burst.BASELINE_DAYS)
    found: list[Detection] = []
    for s, syndrome in enumerate(counts.syndromes):
        daily = counts.values[s, :, first:t].astype(np.float64)
        found += burst.detections(daily, counts.areas, last_hour, syndrome=syndrome, day=day)
    return found


def combine(
    history: Sequence[tuple[date, str, str, int]],
    cases: Counts,
) -> Counts:
    """The window's counts: a day that has imported history is read from it, every other day
    from the recorded calls (``cases``, daily, over the window). Never both for one day: an
    imported file and the calls it was made from must not be added together.

    Areas are those of either source, sorted; syndromes and days are ``cases``'."""
    days = tuple(cases.periods)
    index_of_day = {d: i for i, d in enumerate(days)}
    rows = [r for r in history if r[0] in index_of_day and r[1] in cases.syndromes]
    areas = tuple(sorted(set(cases.areas) | {r[2] for r in rows}))
    area_index = {a: i for i, a in enumerate(areas)}
    values = np.zeros((len(cases.syndromes), len(areas), len(days)), dtype=np.int64)
    for a, area in enumerate(cases.areas):
        values[:, area_index[area], :] = cases.values[:, a, :]
    imported = sorted({index_of_day[r[0]] for r in rows})
    values[:, :, imported] = 0
    for day, syndrome, area, calls in rows:
        values[cases.syndromes.index(syndrome), area_index[area], index_of_day[day]] += calls
    return Counts(cases.syndromes, areas, days, values)
