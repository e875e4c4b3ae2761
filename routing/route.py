"""Turn-by-edge routes as GeoJSON-ready polylines.

A route is drawn for the crew and the console, so its line must start where the unit
is (the snapped point, not the nearest intersection) and end at the incident, cutting
the first and last edges part-way. Its time comes from the same reverse search as the
ETA ranking, so the number on the map always equals the number in the recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .eta import Leg
from .graph import RoadGraph
from .projection import LocalProjection
from .snap import Snap

__all__ = ["Route", "build_route"]


@dataclass(frozen=True, slots=True)
class Route:
    """A drivable path: ``coordinates`` are ``[lon, lat]`` from origin to destination."""

    coordinates: list[list[float]]
    distance_m: float
    duration_s: float
    origin: Snap
    destination: Snap
    edges: tuple[int, ...] = field(default=())
    """Directed edge ids driven, in order (partial first and last included)."""

    def as_geojson(self) -> dict[str, Any]:
        return {"type": "LineString", "coordinates": self.coordinates}


def build_route(
    graph: RoadGraph, projection: LocalProjection, leg: Leg, origin: Snap, destination: Snap
) -> Route:
    """Assemble the polyline of ``leg`` (from :meth:`ReverseSearch.leg`)."""
    coords: list[list[float]] = []
    for edge, f0, f1 in leg.pieces:
        if f0 <= 0.0 and f1 >= 1.0:
            lon, lat = graph.geometry(edge)
            piece = np.column_stack((lon, lat))
        elif f1 > f0:
            piece = _cut(graph, projection, edge, f0, f1)
        else:
            continue
        for point in piece.tolist():
            if not coords or coords[-1] != point:
                coords.append(point)
    # Pin the ends to the snapped points exactly (interpolation rounding aside).
    first, last = [origin.lon, origin.lat], [destination.lon, destination.lat]
    coords = [first, *coords[1:-1], last] if len(coords) >= 2 else [first, last]
    return Route(
        coordinates=coords,
        distance_m=leg.distance_m,
        duration_s=leg.duration_s,
        origin=origin,
        destination=destination,
        edges=tuple(edge for edge, f0, f1 in leg.pieces if f1 > f0),
    )


def _cut(
    graph: RoadGraph, projection: LocalProjection, edge: int, f0: float, f1: float
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The part of an edge's polyline between two fractions of its (projected) length,
    the same measure the snapper uses, so a cut lands exactly on a snapped point."""
    lon, lat = graph.geometry(edge)
    x, y = projection.to_xy(lon, lat)
    seg = np.hypot(np.diff(x), np.diff(y))
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    total = cum[-1]
    d0, d1 = f0 * total, f1 * total
    inside = np.flatnonzero((cum > d0) & (cum < d1))
    px = np.concatenate(([np.interp(d0, cum, x)], x[inside], [np.interp(d1, cum, x)]))
    py = np.concatenate(([np.interp(d0, cum, y)], y[inside], [np.interp(d1, cum, y)]))
    out_lon, out_lat = projection.to_lonlat(px, py)
    # Whole vertices keep their exact stored coordinates.
    out_lon[1:-1], out_lat[1:-1] = lon[inside], lat[inside]
    if f0 <= 0.0:
        out_lon[0], out_lat[0] = lon[0], lat[0]
    if f1 >= 1.0:
        out_lon[-1], out_lat[-1] = lon[-1], lat[-1]
    return np.column_stack((out_lon, out_lat))
