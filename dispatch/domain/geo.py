"""Location value object: WGS84 ``[lon, lat]`` (GeoJSON order) checked once, where it enters."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dispatch.domain.errors import InvalidLocation

EARTH_RADIUS_M = 6_371_008.8
"""IUGG mean Earth radius; the same sphere most routing engines use for haversine."""


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine on the mean sphere): plenty for a city.

    The one distance function of the dispatch package (``routing`` keeps its own vectorised
    one, as it must not import ``dispatch``).
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class Location:
    """A WGS84 point. Constructing one validates it, so a bad coordinate never reaches storage."""

    lon: float
    lat: float

    def __post_init__(self) -> None:
        for name, value, limit in (("longitude", self.lon, 180.0), ("latitude", self.lat, 90.0)):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise InvalidLocation(f"{name} must be a number")
            if not math.isfinite(value) or not -limit <= value <= limit:
                raise InvalidLocation(f"{name} {value} is outside [-{limit:g}, {limit:g}]")

    @classmethod
    def from_lonlat(cls, pair: tuple[float, float] | list[float]) -> Location:
        if len(pair) != 2:
            raise InvalidLocation("a location is exactly [lon, lat]")
        return cls(float(pair[0]), float(pair[1]))

    def as_lonlat(self) -> list[float]:
        return [self.lon, self.lat]

    def distance_m(self, other: Location) -> float:
        """Great-circle distance in metres (:func:`haversine_m`)."""
        return haversine_m(self.lon, self.lat, other.lon, other.lat)
