"""Isochrones and coverage: what can be reached within T from a set of points.

One forward Dijkstra from all the sources at once (a virtual node joined to each
source's part-edges), bounded by the largest T, answers every question here:

- the share of the road network reachable within T (each street segment counted once,
  covered from either end and from a source standing on it);
- the share of a demand weight (calls, population points) within T;
- a polygon of the reachable area for the console: the reachable road is sampled every
  few metres, rasterised on a grid of ``cell_m`` cells, closed (so a city block
  surrounded by covered streets is covered) and turned into polygons.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

from .eta import EtaEngine, Placement
from .projection import LocalProjection

__all__ = ["Coverage", "Isochrone", "Reach", "reach_from"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much is reachable within ``seconds``."""

    seconds: float
    road_share: float
    """Covered share of the road length (each street segment counted once)."""
    covered_length_m: float
    total_length_m: float
    demand_share: float | None = None
    """Covered share of the demand weight, when demand was given."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "road_share": round(self.road_share, 6),
            "covered_length_m": round(self.covered_length_m, 1),
            "total_length_m": round(self.total_length_m, 1),
            "demand_share": None if self.demand_share is None else round(self.demand_share, 6),
        }


@dataclass(frozen=True, slots=True)
class Isochrone:
    """The area reachable within ``seconds`` as a GeoJSON (Multi)Polygon, with its coverage."""

    seconds: float
    geometry: dict[str, Any]
    coverage: Coverage

    def as_feature(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "geometry": self.geometry,
            "properties": {"minutes": self.seconds / 60.0, **self.coverage.as_dict()},
        }


class Reach:
    """Forward times from a set of placed sources to every node (``inf`` beyond ``limit``)."""

    def __init__(self, engine: EtaEngine, sources: Placement, *, limit: float) -> None:
        g = engine.graph
        self.engine = engine
        self.limit = limit
        tt = engine.travel_time_s
        ok = np.flatnonzero(sources.valid)
        if len(ok) == 0:
            raise ValueError("no source could be placed on the road network")
        self.edge = sources.edge[ok]
        self.fraction = sources.fraction[ok]
        self.locked = sources.locked[ok]
        entry: dict[int, float] = {}

        def enter(node: int, cost: float) -> None:
            if cost < entry.get(node, math.inf):
                entry[node] = cost

        for e, f, lock in zip(
            self.edge.tolist(), self.fraction.tolist(), self.locked.tolist(), strict=True
        ):
            enter(int(g.edge_target[e]), (1.0 - f) * float(tt[e]))
            twin = int(g.edge_twin[e])
            if twin >= 0 and not lock:
                enter(int(g.edge_target[twin]), f * float(tt[twin]))
            if f <= 0.0:
                enter(int(g.edge_source[e]), 0.0)
        dist, _ = engine.forward.run(sorted(entry.items()), limit=limit)
        self.time_s: F64 = dist

    def _direct(self, seconds: float) -> list[tuple[int, float, float]]:
        """Pieces driven straight from a source along its own edge (and the twin)."""
        g = self.engine.graph
        tt = self.engine.travel_time_s
        pieces = []
        for e, f, lock in zip(
            self.edge.tolist(), self.fraction.tolist(), self.locked.tolist(), strict=True
        ):
            ways = [(e, f)]
            twin = int(g.edge_twin[e])
            if twin >= 0 and not lock:
                ways.append((twin, 1.0 - f))
            for edge, at in ways:
                span = seconds / float(tt[edge]) if tt[edge] > 0 else 1.0
                pieces.append((edge, at, min(1.0, at + span)))
        return pieces

    def edge_reach(self, seconds: float) -> F64:
        """Per directed edge: the fraction from its tail reachable within ``seconds``."""
        g = self.engine.graph
        tt = self.engine.travel_time_s
        spare = seconds - self.time_s[g.edge_source]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(tt > 0, spare / np.where(tt > 0, tt, 1.0), np.where(spare >= 0, 1, 0))
        reach: F64 = np.clip(np.nan_to_num(frac, nan=0.0, neginf=0.0, posinf=1.0), 0.0, 1.0)
        return reach

    def coverage(
        self,
        seconds: float,
        *,
        demand: Placement | None = None,
        weights: Sequence[float] | None = None,
    ) -> Coverage:
        """Road (and demand) share reachable within ``seconds``."""
        g = self.engine.graph
        reach = self.edge_reach(seconds)
        canon = g.canonical_edges()
        twin = g.edge_twin[canon]
        back = np.where(twin >= 0, reach[np.where(twin >= 0, twin, 0)], 0.0)
        covered = np.minimum(1.0, reach[canon] + back)
        # Segments holding a source: exact union of the covered intervals.
        slot = {int(e): i for i, e in enumerate(canon.tolist())}
        extra: dict[int, list[tuple[float, float]]] = {}
        for edge, f0, f1 in self._direct(seconds):
            if edge in slot:
                extra.setdefault(slot[edge], []).append((f0, f1))
            else:
                extra.setdefault(slot[int(g.edge_twin[edge])], []).append((1.0 - f1, 1.0 - f0))
        for i, spans in extra.items():
            a = float(reach[canon[i]])
            b = float(back[i])
            covered[i] = _union_length([(0.0, a), (1.0 - b, 1.0), *spans])
        lengths = g.edge_length_m[canon]
        total = float(lengths.sum())
        done = float((covered * lengths).sum())
        share = None
        if demand is not None:
            w = np.ones(len(demand)) if weights is None else np.asarray(weights, dtype=float)
            if len(w) != len(demand):
                raise ValueError("weights must have one entry per demand point")
            times = self.times_to(demand)
            total_w = float(w[demand.valid].sum())
            share = float(w[times <= seconds].sum()) / total_w if total_w > 0 else 0.0
        return Coverage(
            seconds=float(seconds),
            road_share=done / total if total > 0 else 0.0,
            covered_length_m=done,
            total_length_m=total,
            demand_share=share,
        )

    def times_to(self, targets: Placement) -> F64:
        """Time from the nearest source to each placed target (``inf`` if unplaced or
        beyond the limit)."""
        g = self.engine.graph
        tt = self.engine.travel_time_s
        d = self.time_s
        valid = targets.valid
        e = np.where(valid, targets.edge, 0)
        f = targets.fraction
        best = d[g.edge_source[e]] + f * tt[e]
        twin = g.edge_twin[e]
        has = twin >= 0
        tw = np.where(has, twin, 0)
        best = np.minimum(best, np.where(has, d[g.edge_source[tw]] + (1.0 - f) * tt[tw], np.inf))
        best = np.minimum(best, np.where(f >= 1.0, d[g.edge_target[e]], np.inf))
        for se, sf, lock in zip(
            self.edge.tolist(), self.fraction.tolist(), self.locked.tolist(), strict=True
        ):
            ways = [(se, sf)]
            st = int(g.edge_twin[se])
            if st >= 0 and not lock:
                ways.append((st, 1.0 - sf))
            for edge, at in ways:
                same = (e == edge) & (f >= at)
                flip = has & (twin == edge) & ((1.0 - f) >= at)
                best = np.where(same, np.minimum(best, (f - at) * tt[edge]), best)
                best = np.where(flip, np.minimum(best, (1.0 - f - at) * tt[edge]), best)
        best[~valid] = np.inf
        best[best > self.limit] = np.inf
        out: F64 = best
        return out

    def polygon(
        self, seconds: float, projection: LocalProjection, *, cell_m: float = 100.0
    ) -> dict[str, Any]:
        """GeoJSON (Multi)Polygon of the area reachable within ``seconds``."""
        g = self.engine.graph
        reach = self.edge_reach(seconds)
        edges = np.flatnonzero(reach > 0)
        pieces = [(int(e), 0.0, float(reach[e])) for e in edges.tolist()]
        pieces += self._direct(seconds)
        x, y = _sample_pieces(
            g.geom_offsets, g.geom_lon, g.geom_lat, projection, pieces, step=cell_m / 2.0
        )
        if len(x) == 0:
            return {"type": "Polygon", "coordinates": []}
        geom = _raster_polygon(x, y, cell_m)
        geom = shapely.simplify(geom, cell_m / 4.0)

        def to_lonlat(xy: F64) -> F64:
            lon, lat = projection.to_lonlat(xy[:, 0], xy[:, 1])
            return np.column_stack((np.round(lon, 6), np.round(lat, 6)))

        out: dict[str, Any] = _listify(shapely.geometry.mapping(shapely.transform(geom, to_lonlat)))
        return out


def reach_from(engine: EtaEngine, sources: Placement, seconds: Sequence[float] | float) -> Reach:
    """One bounded forward search from ``sources`` for the largest of ``seconds``."""
    values = [float(seconds)] if isinstance(seconds, int | float) else [float(s) for s in seconds]
    if not values or min(values) < 0 or not all(math.isfinite(s) for s in values):
        raise ValueError("isochrone times must be finite, non-negative seconds")
    return Reach(engine, sources, limit=max(values))


def _union_length(spans: list[tuple[float, float]]) -> float:
    total, end = 0.0, 0.0
    for a, b in sorted((max(0.0, a), min(1.0, b)) for a, b in spans if b > a):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def _sample_pieces(
    offsets: I64,
    geom_lon: F64,
    geom_lat: F64,
    projection: LocalProjection,
    pieces: list[tuple[int, float, float]],
    *,
    step: float,
) -> tuple[F64, F64]:
    """Points every ``step`` metres along the pieces ``(edge, f0, f1)`` (vectorised)."""
    if not pieces:
        return np.zeros(0), np.zeros(0)
    edge = np.array([p[0] for p in pieces], dtype=np.int64)
    f0 = np.array([p[1] for p in pieces])
    f1 = np.array([p[2] for p in pieces])
    start, stop = offsets[edge], offsets[edge + 1]
    count = stop - start - 1  # segments per piece
    seg_piece = np.repeat(np.arange(len(edge)), count)
    first = np.repeat(start - np.concatenate(([0], np.cumsum(count)[:-1])), count)
    seg = first + np.arange(len(seg_piece))  # index of each segment's first vertex
    x, y = projection.to_xy(geom_lon, geom_lat)
    sx, sy = x[seg], y[seg]
    dx, dy = x[seg + 1] - sx, y[seg + 1] - sy
    seg_len = np.hypot(dx, dy)
    # Distance along the piece's edge where each segment starts, and the edge length.
    cum = np.cumsum(seg_len)
    piece_start = np.concatenate(([0], np.cumsum(count)))[:-1]
    before = cum - seg_len
    along0 = before - before[piece_start][seg_piece]
    total = np.zeros(len(edge))
    np.add.at(total, seg_piece, seg_len)
    lo = f0[seg_piece] * total[seg_piece]
    hi = f1[seg_piece] * total[seg_piece]
    # Samples at the segment start and every ``step`` metres along it.
    k = np.maximum(np.ceil(seg_len / step).astype(np.int64), 1) + 1
    owner = np.repeat(np.arange(len(seg)), k)
    idx = np.arange(len(owner)) - np.repeat(np.cumsum(k) - k, k)
    t = np.minimum(idx / (k[owner] - 1), 1.0)
    along = along0[owner] + t * seg_len[owner]
    keep = (along >= lo[owner] - 1e-9) & (along <= hi[owner] + 1e-9)
    px = sx[owner] + t * dx[owner]
    py = sy[owner] + t * dy[owner]
    return px[keep], py[keep]


def _raster_polygon(x: F64, y: F64, cell: float) -> shapely.Geometry:
    """Cells touched by the points, closed by one cell (fills blocks between covered
    streets), as one (Multi)Polygon."""
    # Cells aligned on multiples of ``cell``: isochrones of one map nest exactly.
    x0 = (math.floor(float(x.min()) / cell) - 2) * cell
    y0 = (math.floor(float(y.min()) / cell) - 2) * cell
    ix = ((x - x0) // cell).astype(np.int64)
    iy = ((y - y0) // cell).astype(np.int64)
    grid = np.zeros((int(iy.max()) + 3, int(ix.max()) + 3), dtype=bool)
    grid[iy, ix] = True
    grid = _erode(_dilate(grid))
    rows, cols = np.nonzero(grid)
    boxes = shapely.box(
        x0 + cols * cell, y0 + rows * cell, x0 + (cols + 1) * cell, y0 + (rows + 1) * cell
    )
    return shapely.coverage_union_all(boxes)


def _dilate(grid: NDArray[np.bool_]) -> NDArray[np.bool_]:
    out = grid.copy()
    out[1:, :] |= grid[:-1, :]
    out[:-1, :] |= grid[1:, :]
    wide = out.copy()
    wide[:, 1:] |= out[:, :-1]
    wide[:, :-1] |= out[:, 1:]
    return wide


def _erode(grid: NDArray[np.bool_]) -> NDArray[np.bool_]:
    return ~_dilate(~grid)


def _listify(value: Any) -> Any:
    """GeoJSON from shapely uses tuples; JSON and tests prefer lists."""
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_listify(v) for v in value]
    return value
