"""Driving speeds for ambulances, from OSM ``maxspeed`` tags or road-class defaults.

The ETA is only as good as these numbers, so the rules are kept in one small, testable
place: a tagged limit wins; otherwise the highway class gives a typical free-flow urban
speed. An emergency factor (lights and sirens) scales both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

__all__ = ["DEFAULT_SPEED_KMH", "HIGHWAY_SPEED_KMH", "edge_speed_kmh", "parse_maxspeed"]

#: Free-flow speeds (km/h) by highway class when a road carries no usable ``maxspeed``.
HIGHWAY_SPEED_KMH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 30.0,
}
DEFAULT_SPEED_KMH = 30.0
_MIN_SPEED_KMH = 5.0

# Country zone codes ("DE:urban", "RU:rural", ...): the common European defaults.
_ZONE_SPEED_KMH = {
    "urban": 50.0,
    "rural": 90.0,
    "motorway": 120.0,
    "trunk": 100.0,
    "living_street": 10.0,
    "walk": 7.0,
    "zone30": 30.0,
    "zone20": 20.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def parse_maxspeed(value: object) -> float | None:
    """Return the speed limit in km/h written in an OSM ``maxspeed`` value, else None.

    Handles ``"50"``, ``"30 mph"``, zone codes (``"DE:urban"``), ``"walk"`` and
    multi-values (``"50;30"``, or a list from a merged edge: the lowest wins, since an
    ETA that is too optimistic sends the wrong ambulance). ``"none"``/``"signals"`` give None.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    parts: Iterable[object]
    parts = value if isinstance(value, list | tuple) else str(value).split(";")
    speeds = [s for s in (_parse_one(str(p)) for p in parts) if s is not None]
    return min(speeds) if speeds else None


def _parse_one(text: str) -> float | None:
    m = _NUMBER.match(text)
    if m:
        speed = float(m.group(1)) * (1.609344 if (m.group(2) or "").lower() == "mph" else 1.0)
        return speed if speed > 0 else None
    zone = text.strip().lower().split(":")[-1]
    return _ZONE_SPEED_KMH.get(zone)


def edge_speed_kmh(highway: str, maxspeed: object, *, emergency_speed_factor: float = 1.0) -> float:
    """Speed used for an edge: tagged limit, else the class default, times the factor."""
    base = parse_maxspeed(maxspeed)
    if base is None:
        base = HIGHWAY_SPEED_KMH.get(highway, DEFAULT_SPEED_KMH)
    return max(base * emergency_speed_factor, _MIN_SPEED_KMH)
