"""The bounds of input (issue 12): text, times, coordinates and the map's service area."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dispatch.domain.errors import InvalidLocation, OutsideMap
from dispatch.domain.geo import SERVICE_AREA_MARGIN_M, Extent, Location, service_area
from dispatch.domain.limits import (
    CONTROL_CHARACTERS,
    EARLIEST,
    LATEST,
    PLAIN_TEXT_PATTERN,
    control_character,
    time_out_of_range,
)


@pytest.mark.parametrize("char", [chr(c) for c in range(32) if chr(c) not in "\t\n"])
def test_every_c0_control_but_tab_and_newline_is_refused(char: str) -> None:
    found = control_character(f"chest{char}pain")
    assert found == f"control character U+{ord(char):04X} at position 5"


@pytest.mark.parametrize("text", ["", "chest pain", "a\tb\nc", "胸痛 ä ✓", "\x7f", "\u2028"])
def test_plain_text_passes(text: str) -> None:
    assert control_character(text) is None


def test_the_published_pattern_is_the_same_set() -> None:
    import re

    published = re.compile(PLAIN_TEXT_PATTERN)
    for code in range(256):
        char = chr(code)
        assert (published.match(char) is None) == bool(CONTROL_CHARACTERS.match(char)), code


@pytest.mark.parametrize(
    ("at", "refused"),
    [
        (EARLIEST, False),
        (EARLIEST - timedelta(microseconds=1), True),
        (LATEST - timedelta(microseconds=1), False),
        (LATEST, True),
        (datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-12))), True),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), True),
        (datetime(2026, 5, 1, tzinfo=UTC), False),
    ],
)
def test_times_from_2000_to_2099(at: datetime, refused: bool) -> None:
    assert (time_out_of_range(at) is not None) == refused


@pytest.mark.parametrize("pair", [["24.9", 60.1], [True, 60.1], [24.9, None], [24.9], "24.9,60.1"])
def test_a_location_is_two_numbers_never_converted(pair: object) -> None:
    with pytest.raises(InvalidLocation):
        Location.from_lonlat(pair)


def test_integers_are_numbers() -> None:
    assert Location.from_lonlat([25, 60]) == Location(25.0, 60.0)


def test_service_area_is_the_bbox_with_a_margin_on_every_side() -> None:
    bbox = (24.8, 60.1, 25.2, 60.3)
    area = service_area(bbox)
    for inside in (Location(24.8, 60.1), Location(25.25, 60.2), Location(25.0, 60.33)):
        area.require(inside)
    for outside in (Location(0.0, 0.0), Location(60.2, 25.0), Location(25.0, 60.36)):
        with pytest.raises(OutsideMap):
            area.require(outside)
    east_edge = Location(area.east, 60.3)
    assert east_edge.distance_m(Location(25.2, 60.3)) >= SERVICE_AREA_MARGIN_M * 0.999
    north_edge = Location(25.0, area.north)
    assert north_edge.distance_m(Location(25.0, 60.3)) == pytest.approx(SERVICE_AREA_MARGIN_M)


def test_a_margin_never_leaves_the_globe() -> None:
    area = Extent(-180.0, -90.0, 180.0, 90.0).grown(5_000)
    assert (area.west, area.south, area.east, area.north) == (-180.0, -90.0, 180.0, 90.0)
