"""The one gateway to the ``routing`` library: nothing else in ``dispatch`` imports it.

Here routing's types and errors are translated into the dispatch vocabulary, for
- the services' ``Roads`` and ``Geocoder`` ports (:class:`RoadsAdapter`, :class:`GeocoderAdapter`);
- the policies' ``EtaProvider`` and ``ZoneTimes`` (:class:`NetworkEta`, :class:`NetworkZoneTimes`):
  :class:`NetworkEta` keeps the reverse search of each recent destination (an incident stays
  pending across several re-solves; stations and hospitals are asked again and again), so a
  re-solve costs one vectorised evaluation per call instead of one Dijkstra;
  :class:`NetworkZoneTimes` precomputes, once, the time from every road node to every zone, so
  coverage of any position is an array lookup;
- the offline simulation's travel model (:class:`RoadTravel`: a unit's simulated drive takes
  exactly the ETA a policy was shown; its position part-way is read off the fastest path);
- loading and importing maps (:func:`load_network`, :func:`import_map`) for the composition
  root, the seed and the CLI.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dispatch.domain.errors import OffRoad
from dispatch.domain.geo import Location
from dispatch.policies.base import F64
from dispatch.services.ports import Place, RoadEta, RoadRoute
from routing import Geocoder as MapGeocoder
from routing import Place as MapPlace
from routing import RoadNetwork, default_map_path, import_map, import_place
from routing.errors import NoRouteError, OffRoadError, RoutingError
from routing.eta import Placement, ReverseSearch

__all__ = [
    "GeocoderAdapter",
    "NetworkEta",
    "NetworkZoneTimes",
    "RoadNetwork",
    "RoadTravel",
    "RoadsAdapter",
    "RoutingError",
    "default_map_path",
    "import_map",
    "import_place",
    "load_network",
]


def load_network(map_dir: Path | str) -> RoadNetwork:
    """The imported map (graph, geocoder, caches) from ``map_dir``."""
    return RoadNetwork.load(Path(map_dir))


class RoadsAdapter:
    def __init__(self, network: RoadNetwork, *, max_snap_distance_m: float) -> None:
        self.network = network
        self._max = max_snap_distance_m

    def check_on_road(self, location: Location) -> str | None:
        try:
            snap = self.network.snap(location.lon, location.lat, max_distance_m=self._max)
        except OffRoadError as exc:
            raise OffRoad(
                f"[{location.lon}, {location.lat}] is {exc.distance_m:.0f} m from the nearest road "
                f"of this map (limit {self._max:.0f} m)"
            ) from exc
        # the name of the part of a merged road segment under the point, not its first name
        return self.network.street_at(snap) or None

    def etas(
        self, origins: Sequence[Location], destination: Location, *, address: str | None = None
    ) -> list[RoadEta | None]:
        try:
            raw = self.network.etas(
                [(o.lon, o.lat) for o in origins],
                (destination.lon, destination.lat),
                address=address,
            )
        except OffRoadError as exc:
            raise OffRoad(f"destination is {exc.distance_m:.0f} m from any road") from exc
        return [None if e is None else RoadEta(e.duration_s, e.distance_m) for e in raw]

    def route(
        self, origin: Location, destination: Location, *, address: str | None = None
    ) -> RoadRoute:
        """The fastest route; it ends where the ambulance stops for ``destination`` (on the
        street ``address`` names, if near), with that point's snap distance and street."""
        end = (destination.lon, destination.lat)
        try:
            r = self.network.route((origin.lon, origin.lat), end, address=address)
            stop = self.network.snap_call(*end, address)
        except OffRoadError as exc:
            raise OffRoad(f"a route end is {exc.distance_m:.0f} m from any road") from exc
        except NoRouteError as exc:
            raise OffRoad(str(exc)) from exc
        return RoadRoute(
            [list(c) for c in r.coordinates],
            r.duration_s,
            r.distance_m,
            tuple(step.as_dict() for step in r.steps),
            snap_distance_m=round(stop.distance_m, 1),
            street=self.network.street_at(stop) or None,
        )

    def durations_from(
        self, origin: Location, destinations: Sequence[Location]
    ) -> list[float | None]:
        if not destinations:
            return []
        try:
            matrix = self.network.matrix(
                [(origin.lon, origin.lat)], [(d.lon, d.lat) for d in destinations]
            )
        except OffRoadError as exc:
            raise OffRoad(f"a point is {exc.distance_m:.0f} m from any road") from exc
        return [None if not math.isfinite(v) else float(v) for v in matrix[:, 0]]

    def best(
        self,
        origins: Sequence[Location],
        destination: Location,
        k: int,
        *,
        address: str | None = None,
    ) -> list[tuple[int, RoadEta]]:
        try:
            ranked = self.network.best(
                [(o.lon, o.lat) for o in origins],
                (destination.lon, destination.lat),
                k,
                address=address,
            )
        except OffRoadError as exc:
            raise OffRoad(f"destination is {exc.distance_m:.0f} m from any road") from exc
        return [(i, RoadEta(e.duration_s, e.distance_m)) for i, e in ranked]


class GeocoderAdapter:
    def __init__(self, geocoder: MapGeocoder) -> None:
        self._geocoder = geocoder

    def search(self, query: str, *, limit: int = 5) -> list[Place]:
        return [_place(p) for p in self._geocoder.search(query, limit=limit)]

    def reverse(self, location: Location) -> Place | None:
        found = self._geocoder.reverse(location.lon, location.lat)
        return None if found is None else _place(found)


def _place(p: MapPlace) -> Place:
    outline = None if p.outline is None else tuple(Location(lon, lat) for lon, lat in p.outline)
    return Place(
        p.label,
        Location(p.lon, p.lat),
        p.kind,
        p.score,
        p.interpolated,
        p.distance_m,
        unit=p.unit,
        outline=outline,
    )


class NetworkEta:
    """``EtaProvider`` over a :class:`routing.RoadNetwork`.

    ``speed_factor`` > 1 shortens every trip (lights and sirens); ``pinned`` destinations
    (stations, hospitals) are never evicted from the search cache.
    """

    def __init__(
        self,
        network: RoadNetwork,
        *,
        cache_size: int = 512,
        speed_factor: float = 1.0,
        max_snap_m: float = 2_000.0,
    ) -> None:
        self.network = network
        self.engine = network.engine
        self.speed_factor = speed_factor
        self.max_snap_m = max_snap_m
        self._cache: OrderedDict[tuple[float, float], ReverseSearch | None] = OrderedDict()
        self._pinned: dict[tuple[float, float], ReverseSearch | None] = {}
        self._size = cache_size
        self._lock = threading.Lock()
        self.searches = 0

    @staticmethod
    def _key(p: Location) -> tuple[float, float]:
        return (round(p.lon, 7), round(p.lat, 7))

    def search(self, destination: Location, *, pin: bool = False) -> ReverseSearch | None:
        key = self._key(destination)
        with self._lock:
            if key in self._pinned:
                return self._pinned[key]
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            snap = self.network.snap(
                destination.lon, destination.lat, max_distance_m=self.max_snap_m
            )
            found: ReverseSearch | None = self.engine.search(snap)
            self.searches += 1
        except OffRoadError:
            found = None
        with self._lock:
            if pin:
                self._pinned[key] = found
            else:
                self._cache[key] = found
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        return found

    def place(self, origins: Sequence[Location]) -> Placement:
        return self.engine.place([(o.lon, o.lat) for o in origins], max_distance_m=self.max_snap_m)

    def times_to(self, placed: Placement, destination: Location) -> F64:
        found = self.search(destination)
        if found is None:
            return np.full(len(placed), np.inf)
        time, _, _ = found.evaluate(placed)
        out: F64 = np.asarray(time, dtype=np.float64) / self.speed_factor
        return out

    def matrix(self, origins: Sequence[Location], destinations: Sequence[Location]) -> F64:
        out = np.full((len(destinations), len(origins)), np.inf)
        if not origins:
            return out
        placed = self.place(origins)
        for row, dest in enumerate(destinations):
            out[row] = self.times_to(placed, dest)
        return out

    def time(self, origin: Location, destination: Location) -> float:
        return float(self.matrix([origin], [destination])[0, 0])


class NetworkZoneTimes:
    """``ZoneTimes`` over a road network: one reverse search per zone, done once.

    Memory: zones x nodes float32 (150 zones on a 50,000-node city: 30 MB).
    """

    def __init__(
        self,
        network: RoadNetwork,
        zones: Sequence[Location],
        *,
        speed_factor: float = 1.0,
        max_snap_m: float = 2_000.0,
    ) -> None:
        self.network = network
        self.max_snap_m = max_snap_m
        g = network.graph
        self._tt = network.engine.travel_time_s / speed_factor
        self._src = g.edge_source
        self._dst = g.edge_target
        self._twin = g.edge_twin
        node_times = np.full((len(zones), g.node_count), np.inf, dtype=np.float32)
        for z, loc in enumerate(zones):
            try:
                snap = network.snap(loc.lon, loc.lat, max_distance_m=max_snap_m)
            except OffRoadError:
                continue
            search = network.engine.search(snap)
            node_times[z] = search.time_s[: g.node_count] / speed_factor
        self.node_times = node_times

    def to_zones(self, positions: Sequence[Location]) -> F64:
        placed = self.network.engine.place(
            [(p.lon, p.lat) for p in positions], max_distance_m=self.max_snap_m
        )
        out = np.full((len(positions), self.node_times.shape[0]), np.inf)
        ok = np.flatnonzero(placed.valid)
        if not len(ok):
            return out
        e = placed.edge[ok]
        f = placed.fraction[ok]
        ahead = (1.0 - f)[:, None] * self._tt[e][:, None] + self.node_times[:, self._dst[e]].T
        twin = self._twin[e]
        back = np.where(
            (twin >= 0)[:, None],
            f[:, None] * self._tt[np.maximum(twin, 0)][:, None]
            + self.node_times[:, self._src[e]].T,
            np.inf,
        )
        out[ok] = np.minimum(ahead, back)
        return out


@dataclass
class RoadTrip:
    origin: Location
    destination: Location
    duration_s: float
    travel: RoadTravel = field(repr=False)
    _marks: list[float] | None = field(default=None, repr=False)
    _points: list[tuple[float, float]] | None = field(default=None, repr=False)

    def _trace(self) -> None:
        marks: list[float] = [0.0]
        points: list[tuple[float, float]] = [(self.origin.lon, self.origin.lat)]
        try:
            pieces = self.travel.leg(self.origin, self.destination)
        except (NoRouteError, OffRoadError):
            pieces = ()
        g = self.travel.network.graph
        tt = self.travel.network.engine.travel_time_s
        total = sum((b - a) * float(tt[e]) for e, a, b in pieces) or 1.0
        scale = self.duration_s / total
        clock = 0.0
        for e, a, b in pieces:
            s, t = int(g.edge_source[e]), int(g.edge_target[e])
            x0, y0, x1, y1 = g.node_lon[s], g.node_lat[s], g.node_lon[t], g.node_lat[t]
            clock += (b - a) * float(tt[e]) * scale
            marks.append(clock)
            points.append((float(x0 + b * (x1 - x0)), float(y0 + b * (y1 - y0))))
        marks.append(max(clock, self.duration_s))
        points.append((self.destination.lon, self.destination.lat))
        self._marks, self._points = marks, points

    def position(self, elapsed_s: float) -> Location:
        if elapsed_s <= 0:
            return self.origin
        if elapsed_s >= self.duration_s:
            return self.destination
        if self._marks is None:
            self._trace()
        assert self._marks is not None and self._points is not None
        i = bisect.bisect_right(self._marks, elapsed_s)
        i = min(max(i, 1), len(self._marks) - 1)
        t0, t1 = self._marks[i - 1], self._marks[i]
        f = 0.0 if t1 <= t0 else (elapsed_s - t0) / (t1 - t0)
        (x0, y0), (x1, y1) = self._points[i - 1], self._points[i]
        return Location(x0 + f * (x1 - x0), y0 + f * (y1 - y0))


class RoadTravel:
    def __init__(self, eta: NetworkEta) -> None:
        self.eta = eta
        self.network = eta.network

    def leg(self, origin: Location, destination: Location) -> tuple[tuple[int, float, float], ...]:
        search = self.eta.search(destination)
        if search is None:
            return ()
        snap = self.network.snap(origin.lon, origin.lat, max_distance_m=self.eta.max_snap_m)
        return search.leg(snap).pieces

    def trip(self, origin: Location, destination: Location) -> RoadTrip:
        duration = float(self.eta.matrix([origin], [destination])[0, 0])
        if not np.isfinite(duration):
            # An unreachable pair should not happen on a strongly connected map; drive on
            # regardless at 30 km/h so the simulation cannot stall.
            duration = origin.distance_m(destination) / 8.3
        return RoadTrip(origin, destination, duration, self)

    def times(self, origins: Sequence[Location], destination: Location) -> F64:
        out: F64 = self.eta.matrix(origins, [destination])[0]
        return out
