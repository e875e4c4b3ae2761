"""Turn-by-edge routes as GeoJSON-ready polylines.

A route is drawn for the crew and the console, so its line must start where the unit
is (the snapped point, not the nearest intersection) and end at the incident, cutting
the first and last edges part-way. Its time comes from the same reverse search as the
ETA ranking, so the number on the map always equals the number in the recommendation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .eta import Leg
from .graph import RoadGraph
from .projection import LocalProjection
from .snap import Snap

__all__ = ["Route", "Step", "build_route", "encode_polyline"]


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
    steps: tuple[Step, ...] = field(default=())
    """Street-by-street instructions for the crew, ending with the arrival."""

    def as_geojson(self) -> dict[str, Any]:
        return {"type": "LineString", "coordinates": self.coordinates}

    def polyline(self, precision: int = 5) -> str:
        """The line as an encoded polyline (Google's format; ``precision`` 5 or 6)."""
        return encode_polyline(self.coordinates, precision)

    def as_dict(self) -> dict[str, Any]:
        """Everything the crew app needs, JSON-ready."""
        return {
            "geometry": self.as_geojson(),
            "polyline": self.polyline(),
            "distance_m": round(self.distance_m, 1),
            "duration_s": round(self.duration_s, 1),
            "steps": [step.as_dict() for step in self.steps],
        }


@dataclass(frozen=True, slots=True)
class Step:
    """One instruction: a manoeuvre at ``location`` then ``distance_m`` along ``name``."""

    maneuver: str
    """``depart``, ``turn``, ``continue``, ``uturn`` or ``arrive``."""
    modifier: str
    """``left``, ``slight right``, ``straight``, ... or a compass heading for ``depart``."""
    name: str
    distance_m: float
    duration_s: float
    location: tuple[float, float]

    @property
    def instruction(self) -> str:
        onto = f" onto {self.name}" if self.name else ""
        if self.maneuver == "depart":
            return f"Head {self.modifier}" + (f" on {self.name}" if self.name else "")
        if self.maneuver == "arrive":
            return "Arrive at the destination"
        if self.maneuver == "uturn":
            return "Make a U-turn" + onto
        if self.maneuver == "continue":
            return "Continue" + onto
        return f"Turn {self.modifier}{onto}"

    @property
    def text(self) -> str:
        """What the crew app shows: ``"Turn left onto Mannerheimintie, 400 m"``."""
        if self.maneuver == "arrive":
            return self.instruction
        return f"{self.instruction}, {format_distance(self.distance_m)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "maneuver": self.maneuver,
            "modifier": self.modifier,
            "name": self.name,
            "instruction": self.instruction,
            "text": self.text,
            "distance_m": round(self.distance_m, 1),
            "duration_s": round(self.duration_s, 1),
            "location": list(self.location),
        }


def format_distance(metres: float) -> str:
    """Crew-friendly distance: ``"40 m"``, ``"400 m"``, ``"1.2 km"``, ``"12 km"``."""
    if metres < 95:
        return f"{max(round(metres / 10) * 10, 10):.0f} m"
    if metres < 950:
        return f"{round(metres / 50) * 50:.0f} m"
    if metres < 9950:
        return f"{metres / 1000:.1f} km"
    return f"{metres / 1000:.0f} km"


def encode_polyline(coordinates: list[list[float]], precision: int = 5) -> str:
    """Encode ``[lon, lat]`` pairs in Google's polyline format (which stores lat first)."""
    factor = 10**precision
    out: list[str] = []
    prev_lat = prev_lon = 0
    for lon, lat in coordinates:
        ilat, ilon = round(lat * factor), round(lon * factor)
        for delta in (ilat - prev_lat, ilon - prev_lon):
            value = ~(delta << 1) if delta < 0 else delta << 1
            while value >= 0x20:
                out.append(chr((0x20 | (value & 0x1F)) + 63))
                value >>= 5
            out.append(chr(value + 63))
        prev_lat, prev_lon = ilat, ilon
    return "".join(out)


def build_route(
    graph: RoadGraph,
    projection: LocalProjection,
    leg: Leg,
    origin: Snap,
    destination: Snap,
    travel_time_s: NDArray[np.float64] | None = None,
) -> Route:
    """Assemble the polyline and steps of ``leg`` (from :meth:`ReverseSearch.leg`);
    ``travel_time_s`` are the edge times the leg was searched with (default the graph's)."""
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
        steps=_steps(
            graph,
            graph.edge_travel_time_s if travel_time_s is None else travel_time_s,
            leg,
            first,
            last,
        ),
    )


_MODIFIERS = (
    (20.0, "straight"),
    (60.0, "slight"),
    (135.0, ""),
    (170.0, "sharp"),
)


def _steps(
    graph: RoadGraph,
    tt: NDArray[np.float64],
    leg: Leg,
    start: list[float],
    end: list[float],
) -> tuple[Step, ...]:
    """Group the driven pieces by street name; a step starts where the name changes,
    with the turn measured between the last bearing in and the first bearing out."""
    driven = [(e, f0, f1) for e, f0, f1 in leg.pieces if f1 > f0]
    groups: list[list[tuple[int, float, float]]] = []
    for piece in driven:
        if groups and graph.edge_name[groups[-1][-1][0]] == graph.edge_name[piece[0]]:
            groups[-1].append(piece)
        else:
            groups.append([piece])
    steps: list[Step] = []
    for i, group in enumerate(groups):
        first_edge = group[0][0]
        name = graph.name_of(first_edge)
        distance = sum((f1 - f0) * float(graph.edge_length_m[e]) for e, f0, f1 in group)
        duration = sum((f1 - f0) * float(tt[e]) for e, f0, f1 in group)
        out_bearing = _bearing(graph, first_edge, at_start=True)
        if i == 0:
            maneuver, modifier = "depart", _compass(out_bearing)
            location = (start[0], start[1])
        else:
            in_bearing = _bearing(graph, groups[i - 1][-1][0], at_start=False)
            maneuver, modifier = _turn(out_bearing - in_bearing)
            location = (
                float(graph.node_lon[graph.edge_source[first_edge]]),
                float(graph.node_lat[graph.edge_source[first_edge]]),
            )
        steps.append(Step(maneuver, modifier, name, distance, duration, location))
    steps.append(Step("arrive", "", "", 0.0, 0.0, (end[0], end[1])))
    return tuple(steps)


def _bearing(graph: RoadGraph, edge: int, *, at_start: bool) -> float:
    """Bearing (degrees from north) of an edge's first or last polyline segment."""
    lon, lat = graph.geometry(edge)
    i = 0 if at_start else len(lon) - 2
    dx = (float(lon[i + 1]) - float(lon[i])) * math.cos(math.radians(float(lat[i])))
    dy = float(lat[i + 1]) - float(lat[i])
    return math.degrees(math.atan2(dx, dy)) % 360.0


def _turn(delta: float) -> tuple[str, str]:
    delta = (delta + 540.0) % 360.0 - 180.0  # -180..180, positive turns right
    size = abs(delta)
    side = "right" if delta > 0 else "left"
    for limit, word in _MODIFIERS:
        if size < limit:
            if word == "straight":
                return "continue", "straight"
            return "turn", f"{word} {side}".strip()
    return "uturn", "uturn"


def _compass(bearing: float) -> str:
    names = ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest")
    return names[int(((bearing % 360.0) + 22.5) // 45.0) % 8]


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
