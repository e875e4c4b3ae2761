"""Location value object: WGS84 ``[lon, lat]`` (GeoJSON order) checked once, where it enters."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dispatch.domain.errors import InvalidLocation, OutsideMap

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
    def from_lonlat(cls, pair: object) -> Location:
        """``[lon, lat]`` as sent: two numbers. A string or a boolean is refused, not converted
        (``"24.9"`` or ``true`` as a coordinate is a client bug, not a position)."""
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise InvalidLocation("a location is exactly [lon, lat]")
        lon, lat = pair
        for name, value in (("longitude", lon), ("latitude", lat)):
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise InvalidLocation(f"{name} must be a number")
        return cls(float(lon), float(lat))

    def as_lonlat(self) -> list[float]:
        return [self.lon, self.lat]

    def distance_m(self, other: Location) -> float:
        """Great-circle distance in metres (:func:`haversine_m`)."""
        return haversine_m(self.lon, self.lat, other.lon, other.lat)


#: How far beyond the map's extent a GPS fix is still taken. The extent is the box of the imported
#: road extract, which is cut at a city or county line that ambulances cross (to a hospital or a
#: neighbouring station) and near which GPS error is tens of metres; a fix further out than a few
#: km is a device fault, (0, 0), a swapped [lat, lon] or a fix from another datum or city.
SERVICE_AREA_MARGIN_M = 5_000.0

_M_PER_DEGREE_LAT = math.pi * EARTH_RADIUS_M / 180.0


@dataclass(frozen=True, slots=True)
class Extent:
    """A [west, south, east, north] box in WGS84 degrees: the area a map covers."""

    west: float
    south: float
    east: float
    north: float

    def grown(self, margin_m: float) -> Extent:
        """This box with ``margin_m`` metres added on every side (longitude degrees are counted
        at the latitude furthest from the equator, so the margin is never short)."""
        dlat = margin_m / _M_PER_DEGREE_LAT
        widest = min(89.0, max(abs(self.south), abs(self.north)) + dlat)
        dlon = dlat / math.cos(math.radians(widest))
        return Extent(
            max(-180.0, self.west - dlon),
            max(-90.0, self.south - dlat),
            min(180.0, self.east + dlon),
            min(90.0, self.north + dlat),
        )

    def contains(self, location: Location) -> bool:
        return self.west <= location.lon <= self.east and self.south <= location.lat <= self.north

    def require(self, location: Location) -> None:
        """Refuse a GPS fix outside this box (:class:`OutsideMap`, ``outside-map``)."""
        if not self.contains(location):
            raise OutsideMap(
                f"[{location.lon}, {location.lat}] is outside the map's service area "
                f"[{self.west:.4f}, {self.south:.4f}, {self.east:.4f}, {self.north:.4f}]"
            )


def service_area(bbox: tuple[float, float, float, float] | list[float]) -> Extent:
    """The area GPS fixes are taken from: the map's bbox plus :data:`SERVICE_AREA_MARGIN_M`."""
    west, south, east, north = bbox
    return Extent(west, south, east, north).grown(SERVICE_AREA_MARGIN_M)
