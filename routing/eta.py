"""Road-time ETAs from many units to one incident with a single reverse Dijkstra.

Dispatch asks "which of my N units reaches this incident first?". Searching backwards
from the incident over the reversed graph answers it for every unit at once: one
scipy (C) Dijkstra per incident, then O(1) vectorised work per unit. One-way streets
are respected because the reversed graph is the forward graph with every arc flipped.

Units and incidents sit part-way along edges. The incident on edge a->b at fraction f
is reached from a after ``f * t(a->b)``; it becomes a virtual node X joined from every
tail of its edge (and of the twin edge b->a at ``1 - f`` on a two-way street). A unit on
edge u->v at fraction g must first drive on to v (``(1 - g) * t``), or, on a two-way
street, turn and drive to u along the twin (not when its direction of travel is known:
then it keeps going); if it is on the incident's own edge behind the incident it simply
drives ahead.

Speed: the reversed graph is a CSR matrix built once per map (and per speed profile)
with a reserved row for X, so a query writes a handful of numbers and runs the C search;
``best`` bounds the search (``limit``) to the time the k-th unit needs and widens it only
when fewer than k units were inside; ``cutoff_s`` bounds "every unit" queries.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from .errors import NoRouteError
from .graph import RoadGraph
from .snap import DEFAULT_MAX_DISTANCE_M, Snap, Snapper

__all__ = ["Eta", "EtaEngine", "Leg", "Placement", "ReverseSearch", "SearchGraph"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Bools = NDArray[np.bool_]
LonLat = tuple[float, float]
Headings = Sequence[float | None] | None

_M_PER_DEG = 6_371_008.8 * math.pi / 180.0
# Option rows per origin: ahead, twin, at-source, then (place, flipped) direct ones.
_AHEAD, _TWIN, _AT_SOURCE, _DIRECT = 0, 1, 2, 3
_SNAP_CACHE_SIZE = 65_536


@dataclass(frozen=True, slots=True)
class Eta:
    """Fastest road time to the incident and the length of that fastest path."""

    duration_s: float
    distance_m: float


@dataclass(frozen=True, slots=True)
class Leg:
    """The fastest way from an origin to the incident as pieces of directed edges:
    ``(edge, from_fraction, to_fraction)``; whole edges in the middle are ``(e, 0, 1)``,
    the first and last pieces are usually partial and may be empty (at a node)."""

    duration_s: float
    distance_m: float
    pieces: tuple[tuple[int, float, float], ...]


@dataclass(frozen=True, slots=True)
class Placement:
    """Origins placed on directed edges, one row per origin (vectorised form of snaps).

    ``edge`` is ``-1`` for an origin that could not be placed (off-road, bad fix).
    ``locked`` marks origins whose direction of travel is known: they drive on along
    ``edge`` and never turn round mid-block.
    """

    edge: I64
    fraction: F64
    locked: Bools
    lon: F64
    lat: F64

    @property
    def valid(self) -> Bools:
        valid: Bools = self.edge >= 0
        return valid

    def __len__(self) -> int:
        return len(self.edge)

    @classmethod
    def from_snaps(
        cls, graph: RoadGraph, snaps: Sequence[Snap | None], headings: Headings = None
    ) -> Placement:
        """Place snaps on directed edges; with a heading (degrees clockwise from north)
        an origin on a two-way street is put on the direction it is driving and locked."""
        count = len(snaps)
        edge = np.full(count, -1, dtype=np.int64)
        frac = np.zeros(count)
        locked = np.zeros(count, dtype=bool)
        lon = np.full(count, np.nan)
        lat = np.full(count, np.nan)
        bearing = np.full(count, np.nan)
        for i, s in enumerate(snaps):
            if s is not None:
                edge[i], frac[i], lon[i], lat[i], bearing[i] = (
                    s.edge,
                    s.fraction,
                    s.lon,
                    s.lat,
                    s.bearing_deg,
                )
        if headings is not None:
            if len(headings) != count:
                raise ValueError("headings must have one entry per origin")
            heading = np.array([np.nan if h is None else float(h) for h in headings])
            known = np.isfinite(heading) & (edge >= 0)
            turn = np.abs((heading - bearing + 180.0) % 360.0 - 180.0)
            twin = graph.edge_twin[np.where(edge >= 0, edge, 0)]
            flip = known & np.isfinite(turn) & (turn > 90.0) & (twin >= 0)
            edge = np.where(flip, twin, edge)
            frac = np.where(flip, 1.0 - frac, frac)
            locked = known
        return cls(edge=edge, fraction=frac, locked=locked, lon=lon, lat=lat)


class SearchGraph:
    """A CSR matrix over nodes ``0..n-1`` plus a virtual node ``n`` whose out-arcs live
    in reserved slots, so a query joins it to the graph by writing a few numbers instead
    of copying the matrix. Concurrent queries serialise on a lock (the C search holds
    the GIL anyway)."""

    def __init__(
        self,
        n: int,
        rows: I64,
        cols: I64,
        weights: F64,
        *,
        slots: int,
    ) -> None:
        self.n = n
        self.slots = slots
        # ``rows`` must be sorted (callers pass CSR order).
        counts = np.bincount(rows, minlength=n).astype(np.int64)
        indptr = np.concatenate(([0], np.cumsum(counts), [len(rows) + slots])).astype(np.int32)
        indices = np.concatenate((cols, np.full(slots, n))).astype(np.int32)
        data = np.concatenate((weights, np.zeros(slots))).astype(np.float64)
        self._base = len(rows)
        self.matrix = csr_array((data, indices, indptr), shape=(n + 1, n + 1))
        self._lock = threading.Lock()

    def run(
        self, entries: Sequence[tuple[int, float]], *, limit: float = math.inf
    ) -> tuple[F64, NDArray[np.int32]]:
        """Distances and predecessors from the virtual node, which reaches each
        ``(node, cost)`` of ``entries`` at that cost; nodes beyond ``limit`` get ``inf``."""
        if not entries:
            raise ValueError("a search needs at least one entry node")
        nodes = np.array([e[0] for e in entries], dtype=np.int32)
        costs = np.array([e[1] for e in entries], dtype=np.float64)
        n = self.n
        if len(entries) <= self.slots:
            pad = self.slots - len(entries)
            with self._lock:
                fill_nodes = np.concatenate((nodes, np.repeat(nodes[:1], pad)))
                fill_costs = np.concatenate((costs, np.repeat(costs[:1], pad)))
                self.matrix.indices[self._base :] = fill_nodes
                self.matrix.data[self._base :] = fill_costs
                dist, pred = dijkstra(
                    self.matrix, directed=True, indices=n, return_predecessors=True, limit=limit
                )
        else:
            m = self.matrix
            base = self._base
            matrix = csr_array(
                (
                    np.concatenate((m.data[:base], costs)),
                    np.concatenate((m.indices[:base], nodes)),
                    np.concatenate((m.indptr[:-1], [base + len(entries)])).astype(np.int32),
                ),
                shape=(n + 1, n + 1),
            )
            dist, pred = dijkstra(
                matrix, directed=True, indices=n, return_predecessors=True, limit=limit
            )
        return dist, pred


class EtaEngine:
    """Prepared forward and reversed graphs for repeated searches (build once per map,
    and once per set of travel times: see :meth:`with_travel_times`)."""

    def __init__(
        self,
        graph: RoadGraph,
        snapper: Snapper,
        *,
        travel_time_s: F64 | None = None,
        snap_cache: _SnapCache | None = None,
    ) -> None:
        self.graph = graph
        self.snapper = snapper
        n = graph.node_count
        tt = graph.edge_travel_time_s if travel_time_s is None else travel_time_s
        if len(tt) != graph.edge_count or not np.all(tt >= 0):
            raise ValueError("travel times must be one non-negative number per edge")
        self.travel_time_s: F64 = np.asarray(tt, dtype=np.float64)
        chosen = _fastest_of_parallel(graph, self.travel_time_s)
        s, t = graph.edge_source[chosen], graph.edge_target[chosen]
        # Each (source, target) pair maps to its one searched edge (sorted keys).
        self._pair_key: I64 = s * n + t
        self._pair_edge: I64 = chosen
        self._pair_source = s.astype(np.int32)
        self._pair_target = t.astype(np.int32)
        self._chosen = np.zeros(graph.edge_count, dtype=bool)
        self._chosen[chosen] = True
        self.forward = SearchGraph(n, s, t, self.travel_time_s[chosen], slots=64)
        rev = chosen[np.argsort(t, kind="stable")]  # by target, then source (stable)
        self.reverse = SearchGraph(
            n,
            graph.edge_target[rev],
            graph.edge_source[rev],
            self.travel_time_s[rev],
            slots=8,
        )
        total_len = float(graph.edge_length_m.sum())
        total_time = float(self.travel_time_s.sum())
        # Seconds per straight-line metre: the first guess of a best-k search radius,
        # then learnt from answered queries.
        mean_speed = total_len / total_time if total_time > 0 else 10.0
        self._s_per_m = 1.4 / max(mean_speed, 0.1)
        self._max_time = max(total_time, 1.0)
        self._snaps = snap_cache if snap_cache is not None else _SnapCache(_SNAP_CACHE_SIZE)

    def with_travel_times(self, travel_time_s: F64) -> EtaEngine:
        """An engine on the same graph and snapper with other edge travel times (a
        time-of-day profile); the graph itself is not rebuilt."""
        return EtaEngine(
            self.graph, self.snapper, travel_time_s=travel_time_s, snap_cache=self._snaps
        )

    # -- placing origins ------------------------------------------------------------

    def snap_many(
        self,
        points: Sequence[LonLat],
        *,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> list[Snap | None]:
        """Snap many points, remembering recent answers: parked and slow units report
        the same position again and again, and one STRtree lookup costs ~15 us."""
        return self._snaps.snap_many(self.snapper, points, max_distance_m)

    def place(
        self,
        origins: Sequence[LonLat],
        *,
        headings: Headings = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> Placement:
        """Snap origins (cached) and place them on directed edges."""
        return Placement.from_snaps(
            self.graph, self.snap_many(origins, max_distance_m=max_distance_m), headings
        )

    # -- queries --------------------------------------------------------------------

    def search(self, target: Snap, *, limit: float = math.inf) -> ReverseSearch:
        """One reverse Dijkstra from a snapped incident (to every node within ``limit``)."""
        return ReverseSearch(self, target, limit=limit)

    def etas(
        self,
        origins: Sequence[LonLat],
        destination: LonLat,
        *,
        cutoff_s: float | None = None,
        headings: Headings = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> list[Eta | None]:
        """ETA from every origin to ``destination``; ``None`` for an origin that is
        off-road, cannot reach it, or needs more than ``cutoff_s``. Raises OffRoadError
        if the destination is off-road."""
        target = self.snapper.snap(*destination, max_distance_m=max_distance_m)
        placed = self.place(origins, headings=headings, max_distance_m=max_distance_m)
        limit = math.inf if cutoff_s is None else float(cutoff_s)
        return self.search(target, limit=limit).etas_placed(placed)

    def times(
        self,
        origins: Placement,
        target: Snap,
        *,
        cutoff_s: float | None = None,
    ) -> F64:
        """Durations only (``inf`` where unplaced, unreachable or beyond the cutoff):
        the fast path for coverage and optimisation."""
        limit = math.inf if cutoff_s is None else float(cutoff_s)
        time, _, _ = self.search(target, limit=limit).evaluate(origins)
        return time

    def matrix(
        self,
        origins: Sequence[LonLat],
        destinations: Sequence[LonLat],
        *,
        cutoff_s: float | None = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> F64:
        """Durations ``[destination, origin]`` (one reverse search per destination);
        ``inf`` for an off-road point, no route or beyond the cutoff. Feeds
        :func:`routing.assign` (incidents as rows, units as columns)."""
        placed = self.place(origins, max_distance_m=max_distance_m)
        out = np.full((len(destinations), len(origins)), np.inf)
        for row, snap in enumerate(self.snap_many(destinations, max_distance_m=max_distance_m)):
            if snap is not None:
                out[row] = self.times(placed, snap, cutoff_s=cutoff_s)
        return out

    def best(
        self,
        origins: Sequence[LonLat],
        destination: LonLat,
        k: int,
        *,
        cutoff_s: float | None = None,
        headings: Headings = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> list[tuple[int, Eta]]:
        """The ``k`` fastest origins as ``(index into origins, Eta)``, fastest first;
        ties keep input order. Origins beyond ``cutoff_s`` are never ranked."""
        target = self.snapper.snap(*destination, max_distance_m=max_distance_m)
        placed = self.place(origins, headings=headings, max_distance_m=max_distance_m)
        return self.best_placed(placed, target, k, cutoff_s=cutoff_s)

    def best_placed(
        self,
        placed: Placement,
        target: Snap,
        k: int,
        *,
        cutoff_s: float | None = None,
    ) -> list[tuple[int, Eta]]:
        """:meth:`best` for origins already placed.

        Early exit: the search is bounded by a guess of the k-th unit's time (from its
        straight-line distance); when fewer than k units fall inside, the bound doubles.
        Every unit inside a bound has its exact time (any shorter path would only use
        nodes inside the bound too), so the answer equals an unbounded search.
        """
        valid = np.flatnonzero(placed.valid)
        want = min(max(k, 0), len(valid))
        if want == 0:
            return []
        cutoff = math.inf if cutoff_s is None else float(cutoff_s)
        kx, ky = _local_xy(target.lon, target.lat, placed.lon[valid], placed.lat[valid])
        crow = np.hypot(kx, ky)
        kth = float(np.partition(crow, want - 1)[want - 1])
        limit = min(max(kth * self._s_per_m * 1.25, 60.0), cutoff)
        while True:
            search = self.search(target, limit=limit)
            time, chosen_node, chosen_len = search.evaluate(placed)
            inside = np.flatnonzero(time <= limit)
            if len(inside) >= want or math.isinf(limit) or limit >= cutoff or search.complete:
                break
            limit = limit * 2.0 if limit * 2.0 < self._max_time else math.inf
            limit = min(limit, cutoff)
        order = inside[np.lexsort((inside, time[inside]))][:want]
        if len(order) == want and kth > 0:
            ratio = float(time[order[-1]]) / kth
            if ratio > 0 and math.isfinite(ratio):
                self._s_per_m = 0.8 * self._s_per_m + 0.2 * max(ratio, 1e-3)
        lengths = search.lengths_at(chosen_node[order]) + chosen_len[order]
        return [
            (int(i), Eta(duration_s=float(time[i]), distance_m=float(d)))
            for i, d in zip(order.tolist(), lengths.tolist(), strict=True)
        ]


class ReverseSearch:
    """Time (and, lazily, path length) from every node to one snapped incident.

    Nodes beyond ``limit`` have ``inf`` time; every finite time is exact.
    """

    def __init__(self, engine: EtaEngine, target: Snap, *, limit: float = math.inf) -> None:
        g = engine.graph
        self._engine = engine
        self._graph = g
        self.target = target
        self.limit = limit
        tt = engine.travel_time_s
        places = [(target.edge, target.fraction)]
        twin = int(g.edge_twin[target.edge])
        if twin >= 0:
            places.append((twin, 1.0 - target.fraction))
        self._places = places
        # The virtual incident node X = n is entered from each placement's tail node
        # after the part-edge ``(edge, 0, frac)``; an incident exactly on a node is also
        # entered from that node for free (a one-way edge's head has no twin to do it).
        entry: dict[int, tuple[float, tuple[int, float, float]]] = {}
        for edge, frac in places:
            ways = [(int(g.edge_source[edge]), (edge, 0.0, frac))]
            if frac >= 1.0:
                ways.append((int(g.edge_target[edge]), (edge, 1.0, 1.0)))
            for node, piece in ways:
                cost = (piece[2] - piece[1]) * float(tt[edge])
                if node not in entry or cost < entry[node][0]:
                    entry[node] = (cost, piece)
        self._entry = entry
        dist, pred = engine.reverse.run(
            [(node, cost) for node, (cost, _) in entry.items()], limit=limit
        )
        self.time_s: F64 = dist
        self._pred: NDArray[np.int32] = pred
        self._length: F64 | None = None

    @property
    def complete(self) -> bool:
        """True when no node was cut off by the limit (the search saw the whole map)."""
        return math.isinf(self.limit) or bool(np.isfinite(self.time_s).all())

    def _next_edge(self, nodes: I64) -> I64:
        """The graph edge from each node to its successor towards the incident."""
        n = self._graph.node_count
        key = nodes * n + self._pred[nodes].astype(np.int64)
        e = self._engine
        found: I64 = e._pair_edge[np.searchsorted(e._pair_key, key)]
        return found

    def length_m(self) -> F64:
        """Length of the fastest path from every node (inf where not reached).

        Pointer jumping over the predecessor tree of the reached nodes only:
        log2(depth) vectorised passes instead of a Python walk per node.
        """
        if self._length is not None:
            return self._length
        g = self._graph
        e = self._engine
        n = g.node_count
        time, pred = self.time_s, self._pred
        reached = np.flatnonzero(np.isfinite(time[:n]))
        size = len(reached)
        up = pred[reached].astype(np.int64)
        up = np.where(up < 0, n, up)
        parent = np.empty(size + 1, dtype=np.int64)
        weight = np.zeros(size + 1)
        if size * 8 > len(e._pair_edge):
            # Most of the map: a dense compact index (``size`` stands for the root) and
            # one sequential scan that finds every tree arc v -> pred[v].
            compact = np.full(n + 1, size, dtype=np.int64)
            compact[reached] = np.arange(size)
            parent[:size] = compact[up]
            arc = pred[e._pair_source] == e._pair_target
            edges = e._pair_edge[arc]
            weight[compact[g.edge_source[edges]]] = g.edge_length_m[edges]
        else:
            # A bounded search: stay proportional to the nodes it reached.
            inner = up != n
            parent[:size] = size
            parent[:size][inner] = np.searchsorted(reached, up[inner])
            weight[:size][inner] = g.edge_length_m[self._next_edge(reached[inner])]
        parent[size] = size
        for node, (_, (edge, start, end)) in self._entry.items():
            if np.isfinite(time[node]) and pred[node] == n:
                weight[np.searchsorted(reached, node)] = (end - start) * float(
                    g.edge_length_m[edge]
                )
        weight[size] = 0.0
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            weight += weight[parent]
            parent = grand
        length = np.full(n + 1, np.inf)
        length[reached] = weight[:size]
        length[n] = 0.0
        self._length = length
        return length

    def lengths_at(self, nodes: I64) -> F64:
        """Path lengths from a few nodes (``n`` is the incident itself, length 0)."""
        out: F64 = self.length_m()[nodes]
        return out

    def evaluate(self, placed: Placement) -> tuple[F64, I64, F64]:
        """For every placed origin: its time (inf where unplaced, unreachable or
        beyond the limit), the node its path enters the search tree at, and the length
        driven before that node. Shared by the ETA, ranking and route code paths so a
        route and an ETA can never disagree."""
        nodes, off_t, off_l = self._options(placed)
        times = off_t + self.time_s[nodes]
        pick = np.argmin(times, axis=0)
        cols = np.arange(len(placed))
        time: F64 = times[pick, cols]
        time[~placed.valid] = np.inf
        time[time > self.limit] = np.inf
        return time, nodes[pick, cols], off_l[pick, cols]

    def etas_placed(self, placed: Placement) -> list[Eta | None]:
        time, node, before = self.evaluate(placed)
        ok = np.flatnonzero(np.isfinite(time))
        out: list[Eta | None] = [None] * len(placed)
        if len(ok):
            lengths = self.lengths_at(node[ok]) + before[ok]
            for i, t, d in zip(ok.tolist(), time[ok].tolist(), lengths.tolist(), strict=True):
                out[i] = Eta(duration_s=t, distance_m=d)
        return out

    def etas(self, snaps: Sequence[Snap | None]) -> list[Eta | None]:
        """ETA for many snapped origins at once (``None`` passes through)."""
        return self.etas_placed(Placement.from_snaps(self._graph, snaps))

    def _options(self, placed: Placement) -> tuple[I64, F64, F64]:
        """Every way for the origins to start, as ``(node, time before it, length
        before it)`` rows; the node ``n`` is the incident itself (driving straight to it
        on its own edge). Impossible options cost ``inf``."""
        g = self._graph
        n = g.node_count
        tt, ln = self._engine.travel_time_s, g.edge_length_m
        src, tgt = g.edge_source, g.edge_target
        valid = placed.valid
        edges = np.where(valid, placed.edge, 0)
        frac = placed.fraction
        twin = g.edge_twin[edges]
        has = (twin >= 0) & ~placed.locked
        tw = np.where(has, twin, 0)
        inf = np.full(len(edges), np.inf)
        rows = 3 + 2 * len(self._places)
        nodes = np.full((rows, len(edges)), n, dtype=np.int64)
        off_t = np.full((rows, len(edges)), np.inf)
        off_l = np.zeros((rows, len(edges)))
        # Drive on to the edge's head node, then the tree path.
        nodes[_AHEAD], off_t[_AHEAD], off_l[_AHEAD] = (
            tgt[edges],
            (1.0 - frac) * tt[edges],
            (1.0 - frac) * ln[edges],
        )
        # Two-way street, direction unknown: turn and drive to the tail along the twin.
        nodes[_TWIN] = tgt[tw]
        off_t[_TWIN] = np.where(has, frac * tt[tw], inf)
        off_l[_TWIN] = frac * ln[tw]
        # Exactly on the tail node: leave it by any edge.
        nodes[_AT_SOURCE] = src[edges]
        off_t[_AT_SOURCE] = np.where(frac <= 0.0, 0.0, inf)
        for p, (place_edge, place_frac) in enumerate(self._places):
            for flipped, on_edge, at in (
                (False, np.where(valid, placed.edge, -1), frac),
                (True, np.where(has, twin, -1), 1.0 - frac),
            ):
                row = _DIRECT + 2 * p + int(flipped)
                ahead = (on_edge == place_edge) & (at <= place_frac)
                off_t[row] = np.where(ahead, (place_frac - at) * tt[place_edge], inf)
                off_l[row] = np.where(ahead, (place_frac - at) * ln[place_edge], 0.0)
        return nodes, off_t, off_l

    def leg(self, origin: Snap, *, heading: float | None = None) -> Leg:
        """The fastest way from ``origin`` to the incident, piece by piece."""
        g = self._graph
        placed = Placement.from_snaps(g, [origin], None if heading is None else [heading])
        nodes, off_t, off_l = self._options(placed)
        times = off_t[:, 0] + self.time_s[nodes[:, 0]]
        row = int(np.argmin(times))
        duration = float(times[row])
        if not np.isfinite(duration) or duration > self.limit:
            raise NoRouteError("no drivable route between the two points")
        distance = float(off_l[row, 0] + self.lengths_at(nodes[row : row + 1, 0])[0])
        e, f = int(placed.edge[0]), float(placed.fraction[0])
        if row >= _DIRECT:
            place_edge, place_frac = self._places[(row - _DIRECT) // 2]
            start = 1.0 - f if (row - _DIRECT) % 2 else f
            return Leg(duration, distance, ((place_edge, start, place_frac),))
        pieces: list[tuple[int, float, float]]
        if row == _AHEAD:
            pieces, node = [(e, f, 1.0)], int(g.edge_target[e])
        elif row == _TWIN:
            twin = int(g.edge_twin[e])
            pieces, node = [(twin, 1.0 - f, 1.0)], int(g.edge_target[twin])
        else:
            pieces, node = [(e, 0.0, 0.0)], int(g.edge_source[e])
        n = g.node_count
        while int(self._pred[node]) != n:
            edge = int(self._next_edge(np.array([node], dtype=np.int64))[0])
            pieces.append((edge, 0.0, 1.0))
            node = int(g.edge_target[edge])
        pieces.append(self._entry[node][1])
        return Leg(duration, distance, tuple(pieces))


class _SnapCache:
    """A small LRU of snapped positions keyed by the exact coordinates and limit."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[float, float, float], Snap | None] = OrderedDict()
        self._lock = threading.Lock()

    def snap_many(
        self, snapper: Snapper, points: Sequence[LonLat], max_distance_m: float
    ) -> list[Snap | None]:
        keys = [(float(p[0]), float(p[1]), float(max_distance_m)) for p in points]
        out: list[Snap | None] = [None] * len(keys)
        missing: list[int] = []
        with self._lock:
            items = self._items
            for i, key in enumerate(keys):
                if key in items:
                    items.move_to_end(key)
                    out[i] = items[key]
                else:
                    missing.append(i)
        if missing:
            fresh = snapper.snap_many([points[i] for i in missing], max_distance_m=max_distance_m)
            with self._lock:
                for i, snap in zip(missing, fresh, strict=True):
                    out[i] = snap
                    self._items[keys[i]] = snap
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return out


def _fastest_of_parallel(graph: RoadGraph, tt: F64) -> I64:
    """One edge per (source, target) pair, the fastest, and no self-loops (never on a
    shortest path): each tree arc then maps back to exactly one edge id. Sorted by
    (source, target)."""
    n = graph.node_count
    s, t = graph.edge_source, graph.edge_target
    key = s * n + t
    if len(key) > 1 and not bool(np.all(key[1:] >= key[:-1])):
        order = np.lexsort((tt, key))  # not in import order: sort (rare)
    else:
        order = np.arange(len(key), dtype=np.int64)
    order = order[s[order] != t[order]]
    k = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    if bool(first.all()):
        every: I64 = order
        return every
    # Parallel edges are contiguous: keep the first fastest edge of each group.
    starts = np.flatnonzero(first)
    group = np.cumsum(first) - 1
    fastest = np.minimum.reduceat(tt[order], starts)
    candidates = np.flatnonzero(tt[order] == fastest[group])
    keep = np.ones(len(candidates), dtype=bool)
    keep[1:] = group[candidates[1:]] != group[candidates[:-1]]
    chosen: I64 = order[candidates[keep]]
    return chosen


def _local_xy(lon0: float, lat0: float, lon: F64, lat: F64) -> tuple[F64, F64]:
    kx = _M_PER_DEG * math.cos(math.radians(lat0))
    x: F64 = (lon - lon0) * kx
    y: F64 = (lat - lat0) * _M_PER_DEG
    return x, y
