"""Location value object: WGS84 ``[lon, lat]`` (GeoJSON order) checked once, where it enters."""

from __future__ import annotations

import math
from dataclasses import dataclass

from dispatch.domain.errors import InvalidLocation


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
