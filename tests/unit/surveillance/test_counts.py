"""Counts per syndrome x area x local day (and x hour), and the H3 areas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatch.surveillance import areas
from dispatch.surveillance.counts import CaseRecord, count_daily, count_hourly, local_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
PEOPLE_SQUARE = (121.4737, 31.2304)
PUDONG = (121.5447, 31.2216)  # ~7 km east: another resolution-7 cell


def rec(at: datetime, where: tuple[float, float], syndrome: str) -> CaseRecord:
    return CaseRecord(at, where[0], where[1], syndrome)


def test_days_are_the_centres_local_days() -> None:
    # 17:30 UTC on 1 March is 01:30 on 2 March in Shanghai (UTC+8).
    late = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
    assert local_day(late, SHANGHAI) == date(2026, 3, 2)
    assert local_day(late, UTC) == date(2026, 3, 1)
    with pytest.raises(ValueError):
        local_day(datetime(2026, 3, 1, 17, 30), SHANGHAI)


def test_daily_counts_per_syndrome_area_and_day() -> None:
    records = [
        rec(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), PEOPLE_SQUARE, "gastrointestinal"),
        rec(datetime(2026, 3, 1, 17, 30, tzinfo=UTC), PEOPLE_SQUARE, "gastrointestinal"),
        rec(datetime(2026, 3, 1, 18, 0, tzinfo=UTC), PUDONG, "gastrointestinal"),
        rec(datetime(2026, 3, 2, 3, 0, tzinfo=UTC), PEOPLE_SQUARE, "heat"),
        rec(datetime(2026, 2, 20, 3, 0, tzinfo=UTC), PEOPLE_SQUARE, "heat"),  # before the range
    ]
    counts = count_daily(records, SHANGHAI, first_day=date(2026, 3, 1), days=3)
    square, pudong = areas.cell_of(*PEOPLE_SQUARE), areas.cell_of(*PUDONG)
    assert square != pudong and set(counts.areas) == {square, pudong}
    assert counts.periods == (date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3))
    assert list(counts.series("gastrointestinal", square)) == [1, 1, 0]
    assert list(counts.series("gastrointestinal")) == [1, 2, 0]
    assert list(counts.series("heat", square)) == [0, 1, 0]
    assert counts.values.sum() == 4
    assert counts.rows() == sorted(
        [
            ("2026-03-01", "gastrointestinal", square, 1),
            ("2026-03-02", "gastrointestinal", square, 1),
            ("2026-03-02", "gastrointestinal", pudong, 1),
            ("2026-03-02", "heat", square, 1),
        ]
    )


def test_a_fixed_grid_keeps_empty_areas_and_drops_calls_outside() -> None:
    square = areas.cell_of(*PEOPLE_SQUARE)
    grid = areas.disk(square, 1)
    records = [
        rec(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), PEOPLE_SQUARE, "rash"),
        rec(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), PUDONG, "rash"),  # outside ring 1
    ]
    counts = count_daily(records, UTC, first_day=date(2026, 3, 1), days=1, areas=grid)
    assert counts.areas == tuple(grid) and len(grid) == 7
    assert int(counts.values.sum()) == 1
    with pytest.raises(ValueError):
        count_daily([rec(records[0].at, PUDONG, "flu")], UTC, first_day=date(2026, 3, 1), days=1)


def test_hourly_counts_on_the_utc_hour_grid() -> None:
    start = datetime(2026, 3, 1, 8, 0, tzinfo=SHANGHAI)  # 00:00 UTC
    records = [
        rec(datetime(2026, 3, 1, 0, 59, tzinfo=UTC), PEOPLE_SQUARE, "poisoning"),
        rec(datetime(2026, 3, 1, 1, 0, tzinfo=UTC), PEOPLE_SQUARE, "poisoning"),
        rec(datetime(2026, 3, 1, 1, 30, tzinfo=UTC), PEOPLE_SQUARE, "poisoning"),
    ]
    counts = count_hourly(records, start=start, hours=3)
    assert list(counts.series("poisoning")) == [1, 2, 0]
    assert counts.periods[1] == datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        count_hourly(records, start=start + timedelta(minutes=5), hours=3)


def test_areas_are_resolution_7_hexagons_in_lon_lat_order() -> None:
    cell = areas.cell_of(*PEOPLE_SQUARE)
    lon, lat = areas.centre(cell)
    assert abs(lon - PEOPLE_SQUARE[0]) < 0.02 and abs(lat - PEOPLE_SQUARE[1]) < 0.02
    ring = areas.boundary(cell)
    assert len(ring) == 7 and ring[0] == ring[-1]  # six corners, closed
    neighbours = [c for c in areas.disk(cell, 1) if c != cell]
    assert len(neighbours) == 6
    # neighbouring resolution-7 centres are about 2 km apart (edge ~1.2-1.4 km x sqrt 3)
    assert all(1800 < areas.distance_m(cell, n) < 2500 for n in neighbours)
    with pytest.raises(ValueError):
        areas.cell_of(31.2, 121.4)  # lat, lon swapped
