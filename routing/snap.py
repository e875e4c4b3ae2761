"""Snap WGS84 points onto the nearest drivable road segment.

Units report GPS positions and callers give addresses that are never exactly on the
road centre line; routing starts from the nearest point on a street segment, at a
fraction along it, so a unit halfway down a long block is not teleported to a corner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops

from .errors import OffRoadError
from .graph import RoadGraph
from .projection import LocalProjection
from .text import has_cjk, normalize

__all__ = ["DEFAULT_MAX_DISTANCE_M", "NAMED_STREET_RADIUS_M", "Snap", "Snapper", "names_street"]

DEFAULT_MAX_DISTANCE_M = 500.0
#: How far from an address point its own named street may be and still be preferred over a
#: nearer road: a deep plot, a building set back behind a car park or a side lane. Beyond it
#: the named street is probably another stretch of the same name, and the nearest road wins.
NAMED_STREET_RADIUS_M = 150.0
_AT_NODE = 1e-9


@dataclass(frozen=True, slots=True)
class Snap:
    """Where a point lands on the road network.

    ``edge`` is one directed edge of the segment (for a two-way street its twin is the
    same segment driven the other way, at fraction ``1 - fraction``); ``fraction`` is
    the share of the edge's length from its source node to the snapped point.
    """

    lon: float
    lat: float
    distance_m: float
    edge: int
    fraction: float
    bearing_deg: float = math.nan
    """Direction of ``edge`` at the snapped point, degrees clockwise from north (to
    place a moving unit on the side of a two-way street it is driving along)."""


class Snapper:
    """Nearest-segment lookups over an STRtree of the edge polylines in local metres."""

    def __init__(self, graph: RoadGraph, projection: LocalProjection) -> None:
        self._graph = graph
        self._proj = projection
        self._edges = graph.canonical_edges()
        x, y = projection.to_xy(graph.geom_lon, graph.geom_lat)
        offsets = graph.geom_offsets
        starts, ends = offsets[self._edges], offsets[self._edges + 1]
        # One linestring per canonical edge, built in a single vectorised call.
        counts = ends - starts
        first = np.repeat(starts - (np.cumsum(counts) - counts), counts)
        take = first + np.arange(int(counts.sum()))
        part = np.repeat(np.arange(len(self._edges)), counts)
        self._lines = shapely.linestrings(np.column_stack((x[take], y[take])), indices=part)
        self._lengths = shapely.length(self._lines)
        self._tree = shapely.STRtree(self._lines)
        self._keys: dict[str, str] = {}

    def snap(
        self, lon: float, lat: float, *, max_distance_m: float = DEFAULT_MAX_DISTANCE_M
    ) -> Snap:
        """The nearest road point; raises :class:`OffRoadError` beyond ``max_distance_m``."""
        result = self.snap_many([(lon, lat)], max_distance_m=max_distance_m)[0]
        if result is None:
            raise OffRoadError(
                lon, lat, distance_m=self._nearest_distance(lon, lat), max_distance_m=max_distance_m
            )
        return result

    def snap_many(
        self,
        points: Sequence[tuple[float, float]],
        *,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> list[Snap | None]:
        """Snap many points at once (vectorised); ``None`` for a point that is off-road
        or not a finite coordinate, so one bad GPS fix cannot fail a whole batch."""
        out: list[Snap | None] = [None] * len(points)
        if not points:
            return out
        coords = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        finite = np.flatnonzero(np.isfinite(coords).all(axis=1))
        if len(finite) == 0:
            return out
        x, y = self._proj.to_xy(coords[finite, 0], coords[finite, 1])
        pts = shapely.points(x, y)
        (src, hit), dist = self._tree.query_nearest(
            pts, max_distance=max_distance_m, return_distance=True, all_matches=False
        )
        lines = self._lines[hit]
        along = shapely.line_locate_point(lines, pts[src])
        on_road = shapely.line_interpolate_point(lines, along)
        lengths = self._lengths[hit]
        fraction = np.where(lengths > 0, along / np.where(lengths > 0, lengths, 1.0), 0.0)
        # A point on a node lands exactly on 0 or 1: the ETA engine then lets it leave
        # (or reach) that node by any edge, not only along the edge the tree picked.
        fraction = np.clip(fraction, 0.0, 1.0)
        fraction[fraction < _AT_NODE] = 0.0
        fraction[fraction > 1.0 - _AT_NODE] = 1.0
        lon, lat = self._proj.to_lonlat(shapely.get_x(on_road), shapely.get_y(on_road))
        # Road direction at the point: the chord over +-1 m around it.
        behind = shapely.line_interpolate_point(lines, np.maximum(along - 1.0, 0.0))
        beyond = shapely.line_interpolate_point(lines, np.minimum(along + 1.0, lengths))
        bearing = (
            np.degrees(
                np.arctan2(
                    shapely.get_x(beyond) - shapely.get_x(behind),
                    shapely.get_y(beyond) - shapely.get_y(behind),
                )
            )
            % 360.0
        )
        for j, i in enumerate(src.tolist()):
            out[int(finite[i])] = Snap(
                lon=float(lon[j]),
                lat=float(lat[j]),
                distance_m=float(dist[j]),
                edge=int(self._edges[hit[j]]),
                fraction=float(fraction[j]),
                bearing_deg=float(bearing[j]),
            )
        return out

    def snap_to_street(
        self,
        lon: float,
        lat: float,
        address: str,
        *,
        radius_m: float = NAMED_STREET_RADIUS_M,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> Snap:
        """Snap an address point onto the street its text names ("Hauptstraße 5",
        "麓山南路932号") when a part of a road with that name lies within ``radius_m``,
        even if another road is nearer: the crew drives to the door on that street, not to
        the back of the plot. The longest name found in the text wins (so "West Bell Road"
        beats a nearby "Bell Road"), then the nearest. Otherwise :meth:`snap`."""
        nearest = self.snap(lon, lat, max_distance_m=max_distance_m)
        text = normalize(address)
        if not text or not (np.isfinite(lon) and np.isfinite(lat)):
            return nearest
        x, y = self._proj.to_xy(np.atleast_1d(lon), np.atleast_1d(lat))
        pt = shapely.points(float(x[0]), float(y[0]))
        near = self._tree.query(pt, predicate="dwithin", distance=radius_m)
        whole = shapely.distance(self._lines[near], pt)
        best: tuple[int, float, int, float, float] | None = None  # -len, dist, k, from, to
        g = self._graph
        assert g.part_offsets is not None
        for k, line_dist in zip(near.tolist(), whole.tolist(), strict=True):
            edge = int(self._edges[k])
            parts = g.names_along(edge)
            for start, end, name in parts:
                key = self._key(name)
                if not names_street(text, key):
                    continue
                dist = line_dist
                if len(parts) > 1:  # a merged edge: the distance to this part only
                    length = float(self._lengths[k])
                    part = shapely.ops.substring(self._lines[k], start * length, end * length)
                    dist = float(shapely.distance(part, pt))
                rank = (-len(key), dist)
                if dist <= radius_m and (best is None or rank < best[:2]):
                    best = (-len(key), dist, k, start, end)
        if best is None:
            return nearest
        _, dist, k, start, end = best
        line, length = self._lines[k], float(self._lengths[k])
        # The nearest point of that part (on a merged edge, the nearest point of the whole
        # line may lie on a part with another name).
        part = shapely.ops.substring(line, start * length, end * length)
        on_part = shapely.ops.nearest_points(part, pt)[0]
        return self._snap_at(k, float(shapely.line_locate_point(line, on_part)), dist)

    def _key(self, name: str) -> str:
        """A road name normalised once (a dict: names are few, lookups many)."""
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = normalize(name)
        return key

    def _snap_at(self, k: int, along: float, distance_m: float) -> Snap:
        line, length = self._lines[k], float(self._lengths[k])
        fraction = min(max(along / length, 0.0), 1.0) if length > 0 else 0.0
        if fraction < _AT_NODE:
            fraction = 0.0
        elif fraction > 1.0 - _AT_NODE:
            fraction = 1.0
        point = shapely.line_interpolate_point(line, along)
        behind = shapely.line_interpolate_point(line, max(along - 1.0, 0.0))
        beyond = shapely.line_interpolate_point(line, min(along + 1.0, length))
        bearing = math.degrees(
            math.atan2(
                shapely.get_x(beyond) - shapely.get_x(behind),
                shapely.get_y(beyond) - shapely.get_y(behind),
            )
        )
        slon, slat = self._proj.to_lonlat(
            np.atleast_1d(shapely.get_x(point)), np.atleast_1d(shapely.get_y(point))
        )
        return Snap(
            lon=float(slon[0]),
            lat=float(slat[0]),
            distance_m=float(distance_m),
            edge=int(self._edges[k]),
            fraction=float(fraction),
            bearing_deg=bearing % 360.0,
        )

    def _nearest_distance(self, lon: float, lat: float) -> float:
        if not (np.isfinite(lon) and np.isfinite(lat)):
            return float("inf")
        x, y = self._proj.to_xy(np.atleast_1d(lon), np.atleast_1d(lat))
        _, dist = self._tree.query_nearest(
            shapely.points(x, y), return_distance=True, all_matches=False
        )
        return float(dist[0]) if len(dist) else float("inf")


def names_street(address_key: str, street_key: str) -> bool:
    """Whether a normalised address names a normalised street: as whole words in Latin
    scripts ("hauptstrasse" in "hauptstrasse 5", never "ring" in "springweg"), as a
    substring in CJK ones, which have no spaces ("麓山南路" in "岳麓区麓山南路932号")."""
    if not street_key or not address_key:
        return False
    if has_cjk(street_key):
        return street_key in address_key
    return f" {street_key} " in f" {address_key} "
