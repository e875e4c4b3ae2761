"""Great-circle geometry for the simulator: lengths, walking along polylines, road sampling.

Pure functions and immutable values only, so crews and callers can be tested without a server.
Coordinates are ``(lon, lat)`` in WGS84 degrees; lengths are metres.  Between two vertices of
a road polyline (metres to a few hundred metres apart) we interpolate linearly in lon/lat: the
error against a true great-circle interpolation is far below GPS noise at city scale.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from dispatch.domain.geo import haversine_m

LonLat = tuple[float, float]


def distance_m(a: LonLat, b: LonLat) -> float:
    """Great-circle distance in metres between two ``(lon, lat)`` points."""
    return haversine_m(a[0], a[1], b[0], b[1])


def lerp(a: LonLat, b: LonLat, fraction: float) -> LonLat:
    """Point ``fraction`` (0..1) of the way from ``a`` to ``b``, linear in lon/lat."""
    return (a[0] + (b[0] - a[0]) * fraction, a[1] + (b[1] - a[1]) * fraction)


@dataclass(frozen=True)
class Polyline:
    """A path with precomputed cumulative lengths, so ``point_at`` is a binary search.

    Crews ask "where am I after driving d metres" once a second; recomputing every segment
    length each time would make long routes quadratic.
    """

    points: tuple[LonLat, ...]
    cumulative_m: tuple[float, ...]

    @classmethod
    def of(cls, coordinates: Iterable[Sequence[float]]) -> Polyline:
        """Build from GeoJSON-style ``[[lon, lat], ...]`` (extra ordinates are ignored)."""
        points = tuple((float(c[0]), float(c[1])) for c in coordinates)
        if not points:
            raise ValueError("a polyline needs at least one point")
        cumulative = [0.0]
        for a, b in zip(points, points[1:], strict=False):
            cumulative.append(cumulative[-1] + distance_m(a, b))
        return cls(points, tuple(cumulative))

    @classmethod
    def from_geojson(cls, geometry: dict[str, Any]) -> Polyline:
        """Build from a GeoJSON LineString object (the API's ``route``)."""
        if geometry.get("type") != "LineString":
            raise ValueError(f"expected a LineString, got {geometry.get('type')!r}")
        return cls.of(geometry["coordinates"])

    @property
    def length_m(self) -> float:
        """Total length along the path in metres."""
        return self.cumulative_m[-1]

    @property
    def start(self) -> LonLat:
        return self.points[0]

    @property
    def end(self) -> LonLat:
        return self.points[-1]

    def point_at(self, distance_m: float) -> LonLat:
        """Position after ``distance_m`` metres along the path, clamped to its ends."""
        if distance_m <= 0 or len(self.points) == 1:
            return self.points[0]
        if distance_m >= self.length_m:
            return self.points[-1]
        # Index of the segment whose far end is the first vertex beyond distance_m.
        i = bisect.bisect_right(self.cumulative_m, distance_m)
        seg_start, seg_end = self.cumulative_m[i - 1], self.cumulative_m[i]
        span = seg_end - seg_start
        fraction = 0.0 if span == 0 else (distance_m - seg_start) / span
        return lerp(self.points[i - 1], self.points[i], fraction)


def nearest(origin: LonLat, candidates: Sequence[LonLat]) -> int:
    """Index of the candidate closest to ``origin`` as the crow flies.

    Good enough to choose the hospital to route to; the road ETA comes from the server.
    """
    if not candidates:
        raise ValueError("no candidates")
    return min(range(len(candidates)), key=lambda i: distance_m(origin, candidates[i]))


def _named_lines(collection: dict[str, Any]) -> list[tuple[Sequence[Sequence[float]], str | None]]:
    """The lines of ``GET /map/roads`` (LineStrings and MultiLineStrings) with their street name
    (None for an unnamed road)."""
    lines: list[tuple[Sequence[Sequence[float]], str | None]] = []
    for feature in collection.get("features", []):
        geometry = feature.get("geometry") or {}
        name = str((feature.get("properties") or {}).get("name") or "").strip() or None
        kind = geometry.get("type")
        if kind == "LineString":
            lines.append((geometry["coordinates"], name))
        elif kind == "MultiLineString":
            lines.extend((part, name) for part in geometry["coordinates"])
    return lines


class RoadSampler:
    """Draws points uniformly along the road network (every metre of road equally likely).

    Choosing a segment with probability proportional to its length and then a uniform point on
    it gives exactly that; calls then land on streets, where the router can snap them. Each
    segment keeps the name of its street, which is what a caller standing there would say.
    """

    def __init__(
        self,
        lines: Iterable[Sequence[Sequence[float]]],
        names: Iterable[str | None] | None = None,
    ) -> None:
        self._segments: list[tuple[LonLat, LonLat]] = []
        self._names: list[str | None] = []
        self._cumulative: list[float] = []
        total = 0.0
        named: Iterable[tuple[Sequence[Sequence[float]], str | None]] = (
            zip(lines, names, strict=True) if names is not None else ((ln, None) for ln in lines)
        )
        for line, name in named:
            pts = [(float(c[0]), float(c[1])) for c in line]
            for a, b in zip(pts, pts[1:], strict=False):
                length = distance_m(a, b)
                if length <= 0:
                    continue
                total += length
                self._segments.append((a, b))
                self._names.append(name)
                self._cumulative.append(total)
        if not self._segments:
            raise ValueError("no road segments with positive length")

    @classmethod
    def from_feature_collection(cls, collection: dict[str, Any]) -> RoadSampler:
        """Build from ``GET /map/roads`` (LineStrings; MultiLineStrings are accepted too)."""
        named = _named_lines(collection)
        return cls([line for line, _ in named], [name for _, name in named])

    def near(self, centre: LonLat, radius_m: float) -> RoadSampler:
        """The roads within ``radius_m`` of ``centre`` (by segment midpoint): one neighbourhood,
        where the demo's outbreak callers live."""
        kept = [
            (segment, name)
            for segment, name in zip(self._segments, self._names, strict=True)
            if distance_m(centre, lerp(segment[0], segment[1], 0.5)) <= radius_m
        ]
        if not kept:
            raise ValueError(f"no road within {radius_m:g} m of {centre}")
        return RoadSampler([list(s) for s, _ in kept], [n for _, n in kept])

    @property
    def total_length_m(self) -> float:
        return self._cumulative[-1]

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    def sample(self, rng: random.Random) -> LonLat:
        """A uniformly random point on the roads, drawn from ``rng`` (two draws)."""
        return self.sample_on_street(rng)[0]

    def sample_on_street(self, rng: random.Random) -> tuple[LonLat, str | None]:
        """A uniformly random point on the roads and the name of its street (None: unnamed),
        with the same two draws as :meth:`sample`."""
        target = rng.random() * self.total_length_m
        i = min(bisect.bisect_right(self._cumulative, target), len(self._segments) - 1)
        a, b = self._segments[i]
        return lerp(a, b, rng.random()), self._names[i]


@dataclass(frozen=True)
class Crossing:
    """Where two named streets meet: a vertex both share on the road network."""

    location: LonLat
    streets: tuple[str, str]


def crossings(collection: dict[str, Any]) -> list[Crossing]:
    """The intersections of named streets in ``GET /map/roads``, one per pair of names.

    A vertex shared by roads of two different names is a crossing; a pair that meets at several
    vertices (dual carriageways, a wide junction) counts once, at its first vertex in coordinate
    order, so that every junction is equally likely to be drawn and the choice never depends on
    the order of the features. The names of a pair are sorted, for the same reason.
    """
    names_at: dict[LonLat, set[str]] = {}
    for line, name in _named_lines(collection):
        if name is None:
            continue
        for c in line:
            names_at.setdefault((float(c[0]), float(c[1])), set()).add(name)
    found: dict[tuple[str, str], LonLat] = {}
    for point in sorted(names_at):
        names = sorted(names_at[point])
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                found.setdefault((a, b), point)
    return [Crossing(point, pair) for pair, point in sorted(found.items())]
