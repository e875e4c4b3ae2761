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

from .errors import OffRoadError
from .graph import RoadGraph
from .projection import LocalProjection

__all__ = ["DEFAULT_MAX_DISTANCE_M", "Snap", "Snapper"]

DEFAULT_MAX_DISTANCE_M = 500.0
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

    def _nearest_distance(self, lon: float, lat: float) -> float:
        if not (np.isfinite(lon) and np.isfinite(lat)):
            return float("inf")
        x, y = self._proj.to_xy(np.atleast_1d(lon), np.atleast_1d(lat))
        _, dist = self._tree.query_nearest(
            shapely.points(x, y), return_distance=True, all_matches=False
        )
        return float(dist[0]) if len(dist) else float("inf")
