"""The watch as a live centre runs it: one day judged at a time on what was known by its end,
unknown days are not zeros, imported history and live calls never added together, the burst test
on the last hour, and the counts file both ways."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import numpy as np
import pytest

from dispatch.surveillance import burst, watch
from dispatch.surveillance.counts import Counts
from dispatch.surveillance.export import HistoryImportFailed, parse_counts_csv, write_counts_csv
from dispatch.surveillance.syndromes import SYNDROMES

CELL = "871126d33ffffff"
OTHER = "871126d30ffffff"
FIRST = date(2026, 1, 1)


def _counts(fever: list[int], areas: tuple[str, ...] = (CELL,)) -> Counts:
    days = tuple(FIRST + timedelta(days=i) for i in range(len(fever)))
    values = np.zeros((len(SYNDROMES), len(areas), len(days)), dtype=np.int64)
    values[SYNDROMES.index("fever_respiratory"), 0, :] = fever
    return Counts(SYNDROMES, areas, days, values)


def _steady(days: int, seed: int = 3) -> list[int]:
    return [int(v) for v in np.random.default_rng(seed).poisson(4.0, days)]


def _two_cells(fever: list[int]) -> Counts:
    """``fever`` in CELL, and a neighbour cell with its own steady calls: the scan's day
    adjustment reads a city-wide surge from all cells, so one cell alone cannot stand out."""
    counts = _counts(fever, areas=(CELL, OTHER))
    counts.values[SYNDROMES.index("fever_respiratory"), 1, :] = _steady(len(fever), seed=5)
    return counts


def test_a_quiet_season_raises_nothing_and_a_tripled_day_is_an_alert() -> None:
    fever = _steady(100)
    quiet = _two_cells(fever)
    t = len(fever) - 1
    assert watch.judge(quiet, t, ["ears-c2", "regression-cusum", "expectation-scan"]) == []
    surge = _two_cells([*fever[:-1], 20])
    found = watch.judge(surge, t, ["ears-c2", "regression-cusum", "expectation-scan"])
    assert {d.method for d in found} == {"ears-c2", "regression-cusum", "expectation-scan"}
    assert all(d.day == surge.periods[t] and d.syndrome == "fever_respiratory" for d in found)
    assert all(d.areas == {CELL} for d in found), "the surge is in CELL only"
    assert any(d.level.value == "alert" for d in found)


def test_a_method_whose_baseline_reaches_before_the_first_known_day_is_skipped() -> None:
    """A centre that started ten days ago: the regression (84 days of history) waits; EARS (9)
    judges. Unknown days are not read as zero calls."""
    fever = [0] * 90 + [4, 3, 5, 4, 4, 3, 5, 4, 4, 20]
    counts = _counts(fever)
    t = len(fever) - 1
    found = watch.judge(counts, t, ["ears-c2", "regression-cusum"], known_from=90)
    assert {d.method for d in found} == {"ears-c2"}
    assert watch.judge(counts, t, ["regression-cusum"], known_from=90) == []
    assert watch.window_days(["ears-c1"]) == 8
    assert watch.window_days(watch.DEFAULT_METHODS) == 1 + 56 + watch.CUSUM_RUN_IN
    assert watch.DEFAULT_METHODS == ("expectation-scan", "hourly-burst")


def test_imported_days_replace_the_calls_of_that_day_never_add_to_them() -> None:
    live = _counts([1, 1, 1])
    history = [(FIRST, "fever_respiratory", CELL, 7), (FIRST, "injury", OTHER, 2)]
    both = watch.combine(history, live)
    fever, injury = SYNDROMES.index("fever_respiratory"), SYNDROMES.index("injury")
    assert both.areas == tuple(sorted((CELL, OTHER)))
    assert both.values[fever, both.areas.index(CELL)].tolist() == [7, 1, 1]
    assert both.values[injury, both.areas.index(OTHER)].tolist() == [2, 0, 0]
    # A day in the file with nothing for a cell means nothing there that day.
    other_day = watch.combine([(FIRST, "injury", OTHER, 2)], live)
    assert other_day.values[fever, other_day.areas.index(CELL)].tolist() == [0, 1, 1]


def test_a_burst_in_the_last_hour_is_found_and_an_ordinary_hour_is_not() -> None:
    daily = np.full((1, 28), 24.0)  # a busy cell: 24 fever calls a day, one an hour
    day = date(2026, 3, 2)
    ordinary = Counter({("fever_respiratory", CELL): 4})
    assert burst.detections(daily, [CELL], ordinary, syndrome="fever_respiratory", day=day) == []
    hour = Counter({("fever_respiratory", CELL): 14, ("injury", CELL): 30})
    [found] = burst.detections(daily, [CELL], hour, syndrome="fever_respiratory", day=day)
    assert found.level.value == "alert" and found.observed == 14
    assert found.expected == pytest.approx(24 / 24 * burst.PEAK_FACTOR)
    # fewer than a week of baseline: no verdict
    assert burst.detections(daily[:, :5], [CELL], hour, syndrome="fever_respiratory", day=day) == []
    # five calls where there were none in four weeks: an alert; four: nothing (MIN_CALLS)
    quiet = np.zeros((1, 28))
    new = Counter({("fever_respiratory", OTHER): 5})
    assert burst.detections(quiet, [CELL], new, syndrome="fever_respiratory", day=day)
    few = Counter({("fever_respiratory", OTHER): 4})
    assert burst.detections(quiet, [CELL], few, syndrome="fever_respiratory", day=day) == []


def test_judge_burst_reads_the_days_before_today_only() -> None:
    counts = _counts([24] * 30 + [3])  # today so far: 3 calls, already counted
    hour = Counter({("fever_respiratory", CELL): 14})
    [found] = watch.judge_burst(counts, 30, hour)
    assert found.day == counts.periods[30] and found.method == burst.METHOD
    assert watch.judge_burst(counts, 30, hour, known_from=25) == []  # 5 known days: too few


def test_the_counts_file_round_trips_and_a_bad_file_names_every_bad_cell() -> None:
    rows = [(FIRST, "fever_respiratory", CELL, 3), (FIRST, "heat", OTHER, 1)]
    assert parse_counts_csv(write_counts_csv(rows)) == rows
    bad = (
        "day,syndrome,area,calls\n"
        f"2026-02-30,fever_respiratory,{CELL},1\n"
        f"2026-02-01,flu,{CELL},1\n"
        "2026-02-01,heat,not-a-cell,-2\n"
        f"2026-02-01,heat,{CELL},1\n"
        f"2026-02-01,heat,{CELL},2\n"
    )
    with pytest.raises(HistoryImportFailed) as refused:
        parse_counts_csv(bad)
    assert [(e.row, e.column) for e in refused.value.errors] == [
        (2, "day"),
        (3, "syndrome"),
        (4, "area"),
        (4, "calls"),
        (6, "area"),
    ]
    with pytest.raises(HistoryImportFailed) as headless:
        parse_counts_csv("day,syndrome\n")
    assert {e.column for e in headless.value.errors} == {"area", "calls"}
