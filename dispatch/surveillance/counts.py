"""Counts per syndrome x area x day (and x hour for fast signals), from classified calls.

Pure: records in, arrays out; where records come from (the incidents table, imported history,
the simulator) is the caller's business, so backfill and live counting are the same code.

Days are the centre's local days (``zone``): a public-health officer reads "Tuesday" as the
Tuesday on the wall clock, and the weekly pattern the detectors model is a local one. Hours are
counted on the UTC hour grid (one bucket per real hour, also across daylight-saving changes) and
labelled with their aware start time, which a screen shows in local time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

import numpy as np
from numpy.typing import NDArray

from dispatch.surveillance.areas import AREA_RESOLUTION, cell_of
from dispatch.surveillance.syndromes import SYNDROMES

I64 = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """One classified call: when (timezone-aware), where (WGS84), which syndrome. No personal
    data: this is all that surveillance keeps or exports."""

    at: datetime
    lon: float
    lat: float
    syndrome: str


@dataclass(frozen=True)
class Counts:
    """``values[s, a, t]``: calls of ``syndromes[s]`` in ``areas[a]`` in period ``t``."""

    syndromes: tuple[str, ...]
    areas: tuple[str, ...]
    periods: tuple[date, ...] | tuple[datetime, ...]
    values: I64

    def series(self, syndrome: str, area: str | None = None) -> I64:
        """One area's series, or the whole city's when ``area`` is None."""
        s = self.syndromes.index(syndrome)
        if area is None:
            return np.asarray(self.values[s].sum(axis=0), dtype=np.int64)
        return np.asarray(self.values[s, self.areas.index(area)], dtype=np.int64)

    def rows(self) -> list[tuple[str, str, str, int]]:
        """``(period ISO, syndrome, area, count)`` for every non-zero cell, in a stable order:
        the daily aggregated export a health authority receives."""
        out: list[tuple[str, str, str, int]] = []
        for s, a, t in zip(*np.nonzero(self.values), strict=True):
            period = self.periods[int(t)].isoformat()
            count = int(self.values[s, a, t])
            out.append((period, self.syndromes[int(s)], self.areas[int(a)], count))
        out.sort()
        return out


def local_day(at: datetime, zone: tzinfo) -> date:
    """The centre's calendar day of an aware instant."""
    if at.tzinfo is None:
        raise ValueError("surveillance needs timezone-aware times")
    return at.astimezone(zone).date()


def count_daily(
    records: Iterable[CaseRecord],
    zone: tzinfo,
    *,
    first_day: date,
    days: int,
    areas: Sequence[str] | None = None,
    resolution: int = AREA_RESOLUTION,
) -> Counts:
    """Daily counts over ``days`` local days from ``first_day``. Records outside the range are
    skipped. With ``areas`` given, calls elsewhere are skipped too (a fixed grid over the
    service area); without, the areas are those seen, sorted."""
    if days < 1:
        raise ValueError("days must be >= 1")
    keyed: list[tuple[int, str, int]] = []
    for record in records:
        t = (local_day(record.at, zone) - first_day).days
        if 0 <= t < days:
            keyed.append((_syndrome_index(record), cell_of(record.lon, record.lat, resolution), t))
    periods = tuple(first_day + timedelta(days=i) for i in range(days))
    return _fill(keyed, periods, areas)


def count_hourly(
    records: Iterable[CaseRecord],
    *,
    start: datetime,
    hours: int,
    areas: Sequence[str] | None = None,
    resolution: int = AREA_RESOLUTION,
) -> Counts:
    """Hourly counts over ``hours`` real hours from ``start`` (aware, on an hour boundary)."""
    if start.tzinfo is None or hours < 1:
        raise ValueError("start must be timezone-aware and hours >= 1")
    origin = start.astimezone(UTC)
    if origin.minute or origin.second or origin.microsecond:
        raise ValueError("start must be on the hour")
    keyed: list[tuple[int, str, int]] = []
    for record in records:
        if record.at.tzinfo is None:
            raise ValueError("surveillance needs timezone-aware times")
        offset = (record.at - origin).total_seconds()
        if 0 <= offset < hours * 3600:
            cell = cell_of(record.lon, record.lat, resolution)
            keyed.append((_syndrome_index(record), cell, int(offset // 3600)))
    periods = tuple(origin + timedelta(hours=i) for i in range(hours))
    return _fill(keyed, periods, areas)


def _syndrome_index(record: CaseRecord) -> int:
    try:
        return SYNDROMES.index(record.syndrome)
    except ValueError:
        raise ValueError(f"unknown syndrome {record.syndrome!r}") from None


def _fill(
    keyed: list[tuple[int, str, int]],
    periods: tuple[date, ...] | tuple[datetime, ...],
    areas: Sequence[str] | None,
) -> Counts:
    grid = tuple(areas) if areas is not None else tuple(sorted({cell for _, cell, _ in keyed}))
    index = {cell: i for i, cell in enumerate(grid)}
    values = np.zeros((len(SYNDROMES), len(grid), len(periods)), dtype=np.int64)
    for s, cell, t in keyed:
        a = index.get(cell)
        if a is not None:
            values[s, a, t] += 1
    return Counts(SYNDROMES, grid, periods, values)
