"""Travel-time adapters for the policies: the road network (with cached searches) and a
straight-line model for tests and quick experiments.

:class:`NetworkEta` keeps the reverse search of each recent destination (an incident stays
pending across several re-solves; stations and hospitals are asked again and again), so a
re-solve costs one vectorised evaluation per call instead of one Dijkstra.
:class:`NetworkZoneTimes` precomputes, once, the time from every road node to every zone, so
coverage of any position is an array lookup.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from dispatch.domain.geo import Location
from dispatch.policies.base import F64
from routing import RoadNetwork
from routing.errors import OffRoadError
from routing.eta import Placement, ReverseSearch


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


class StraightLineEta:
    """Straight-line distance x ``detour`` at ``speed_mps``: tests and what-if sketches.

    Implements both ``EtaProvider`` and ``ZoneTimes`` (zones given at construction)."""

    def __init__(
        self,
        speed_mps: float = 10.0,
        *,
        detour: float = 1.0,
        zones: Sequence[Location] = (),
    ) -> None:
        self.speed_mps = speed_mps
        self.detour = detour
        self.zones = list(zones)

    def _metres(self, a: Sequence[Location], b: Sequence[Location]) -> F64:
        lat0 = math.radians(sum(p.lat for p in [*a, *b]) / max(1, len(a) + len(b)))
        ax = np.array([[p.lon * math.cos(lat0), p.lat] for p in a]).reshape(-1, 2)
        bx = np.array([[p.lon * math.cos(lat0), p.lat] for p in b]).reshape(-1, 2)
        d = np.hypot(ax[:, None, 0] - bx[None, :, 0], ax[:, None, 1] - bx[None, :, 1])
        out: F64 = d * 111_195.0 * self.detour
        return out

    def matrix(self, origins: Sequence[Location], destinations: Sequence[Location]) -> F64:
        if not origins or not destinations:
            return np.full((len(destinations), len(origins)), np.inf)
        out: F64 = self._metres(destinations, origins) / self.speed_mps
        return out

    def time(self, origin: Location, destination: Location) -> float:
        return float(self.matrix([origin], [destination])[0, 0])

    def to_zones(self, positions: Sequence[Location]) -> F64:
        if not positions:
            return np.zeros((0, len(self.zones)))
        return self.matrix(self.zones, positions)
