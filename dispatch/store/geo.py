"""The two SQL expressions that move a Location in and out of PostGIS, so no query repeats them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.sql.elements import ColumnElement

from dispatch.domain.geo import Location


def point(location: Location | None) -> Any:
    if location is None:
        return None
    return func.ST_SetSRID(func.ST_MakePoint(location.lon, location.lat), 4326)


def line(coordinates: list[list[float]] | None) -> Any:
    if not coordinates or len(coordinates) < 2:
        return None
    wkt = "LINESTRING(" + ",".join(f"{x:.7f} {y:.7f}" for x, y in coordinates) + ")"
    return func.ST_GeomFromText(wkt, 4326)


def lon_lat(column: Any, name: str) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    return func.ST_X(column).label(f"{name}_lon"), func.ST_Y(column).label(f"{name}_lat")


def location_from(row: Any, name: str) -> Location | None:
    lon, lat = getattr(row, f"{name}_lon"), getattr(row, f"{name}_lat")
    return None if lon is None else Location(lon, lat)
