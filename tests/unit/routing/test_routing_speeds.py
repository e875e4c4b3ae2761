"""Road speeds from OSM tags."""

from __future__ import annotations

import math

import pytest

from routing.speeds import HIGHWAY_SPEED_KMH, edge_speed_kmh, parse_maxspeed


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        (" 30 ", 30.0),
        ("30 mph", 30 * 1.609344),
        ("DE:urban", 50.0),
        ("RU:rural", 90.0),
        ("walk", 7.0),
        ("50;30", 30.0),
        (["40", "60"], 40.0),
        ("80 km/h", 80.0),
        ("none", None),
        ("signals", None),
        (None, None),
        (math.nan, None),
        ("0", None),
        ("", None),
    ],
)
def test_parse_maxspeed(value: object, kmh: float | None) -> None:
    got = parse_maxspeed(value)
    assert got == (None if kmh is None else pytest.approx(kmh))


def test_edge_speed() -> None:
    assert edge_speed_kmh("residential", "40") == 40.0
    assert edge_speed_kmh("primary", None) == HIGHWAY_SPEED_KMH["primary"]
    assert edge_speed_kmh("unknown_class", "none") == 30.0
    assert edge_speed_kmh("motorway", "100", emergency_speed_factor=1.2) == pytest.approx(120.0)
    assert edge_speed_kmh("living_street", "walk", emergency_speed_factor=0.1) == 5.0
