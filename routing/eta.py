"""Road-time ETAs from many units to one incident with a single reverse Dijkstra.

Dispatch asks "which of my N units reaches this incident first?". Searching backwards
from the incident over the reversed graph answers it for every unit at once: one
scipy (C) Dijkstra per incident, then O(1) per unit. One-way streets are respected
because the reversed graph is the forward graph with every arc flipped.

Units and incidents sit part-way along edges. The incident on edge a->b at fraction f
is reached from a after ``f * t(a->b)``; it becomes a virtual node X joined from every
tail of its edge (and of the twin edge b->a at ``1 - f`` on a two-way street). A unit on
edge u->v at fraction g must first drive on to v (``(1 - g) * t``), or, on a two-way
street, turn and drive to u along the twin; if it is on the incident's own edge behind
the incident it simply drives ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from .errors import NoRouteError
from .graph import RoadGraph
from .snap import DEFAULT_MAX_DISTANCE_M, Snap, Snapper

__all__ = ["Eta", "EtaEngine", "Leg", "ReverseSearch"]

_NO_PRED = -9999  # scipy's marker for "no predecessor"


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


class EtaEngine:
    """Prepared reversed graph for repeated reverse searches (build once per map)."""

    def __init__(self, graph: RoadGraph, snapper: Snapper) -> None:
        self.graph = graph
        self.snapper = snapper
        n = graph.node_count
        s, t, tt = graph.edge_source, graph.edge_target, graph.edge_travel_time_s
        # Keep the fastest of parallel edges (the only one Dijkstra can use) and drop
        # self-loops (never on a shortest path), so each node pair maps to one edge id.
        candidates = np.flatnonzero(s != t)
        order = candidates[np.lexsort((tt[candidates], t[candidates], s[candidates]))]
        first = np.ones(len(order), dtype=bool)
        first[1:] = (s[order][1:] != s[order][:-1]) | (t[order][1:] != t[order][:-1])
        chosen = order[first]
        self._pair_key = s[chosen] * n + t[chosen]  # sorted: chosen is ordered by (s, t)
        self._pair_edge = chosen
        rev = chosen[np.lexsort((s[chosen], t[chosen]))]
        self._rev_indptr = np.concatenate(([0], np.cumsum(np.bincount(t[rev], minlength=n))))
        self._rev_indices = s[rev].astype(np.int32)
        self._rev_data = tt[rev].astype(np.float64)

    def search(self, target: Snap) -> ReverseSearch:
        """One reverse Dijkstra from a snapped incident to every node."""
        return ReverseSearch(self, target)

    def etas(
        self,
        origins: Sequence[tuple[float, float]],
        destination: tuple[float, float],
        *,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> list[Eta | None]:
        """ETA from every origin to ``destination``; ``None`` for an origin that is
        off-road or cannot reach it. Raises OffRoadError if the destination is off-road."""
        target = self.snapper.snap(*destination, max_distance_m=max_distance_m)
        snaps = self.snapper.snap_many(origins, max_distance_m=max_distance_m)
        return self.search(target).etas(snaps)

    def best(
        self,
        origins: Sequence[tuple[float, float]],
        destination: tuple[float, float],
        k: int,
        *,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> list[tuple[int, Eta]]:
        """The ``k`` fastest origins as ``(index into origins, Eta)``, fastest first;
        ties keep input order."""
        ranked = [
            (i, eta)
            for i, eta in enumerate(self.etas(origins, destination, max_distance_m=max_distance_m))
            if eta is not None
        ]
        ranked.sort(key=lambda item: item[1].duration_s)
        return ranked[: max(k, 0)]


class ReverseSearch:
    """Time (and, lazily, path length) from every node to one snapped incident."""

    def __init__(self, engine: EtaEngine, target: Snap) -> None:
        g = engine.graph
        self._engine = engine
        self._graph = g
        self.target = target
        n = g.node_count
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
                cost = (piece[2] - piece[1]) * float(g.edge_travel_time_s[edge])
                if node not in entry or cost < entry[node][0]:
                    entry[node] = (cost, piece)
        self._entry = entry
        tails = np.array(sorted(entry), dtype=np.int32)
        offsets = np.array([entry[int(x)][0] for x in tails])
        indptr = np.concatenate((engine._rev_indptr, [engine._rev_indptr[-1] + len(tails)]))
        matrix = csr_array(
            (
                np.concatenate((engine._rev_data, offsets)),
                np.concatenate((engine._rev_indices, tails)),
                indptr,
            ),
            shape=(n + 1, n + 1),
        )
        dist, pred = dijkstra(matrix, directed=True, indices=n, return_predecessors=True)
        self.time_s: NDArray[np.float64] = dist
        self._pred: NDArray[np.int32] = pred
        self._length: NDArray[np.float64] | None = None

    def _next_edge(self, nodes: NDArray[np.int64]) -> NDArray[np.int64]:
        """The graph edge from each node to its successor towards the incident."""
        n = self._graph.node_count
        key = nodes * n + self._pred[nodes].astype(np.int64)
        return self._engine._pair_edge[np.searchsorted(self._engine._pair_key, key)]

    def length_m(self) -> NDArray[np.float64]:
        """Length of the fastest path from every node (inf where unreachable).

        Computed by pointer jumping over the predecessor tree: log2(depth) vectorised
        passes instead of a Python walk per node.
        """
        if self._length is not None:
            return self._length
        g = self._graph
        n = g.node_count
        pred = self._pred.astype(np.int64)
        parent = np.full(n + 1, n, dtype=np.int64)
        weight = np.zeros(n + 1)
        inner = np.flatnonzero((pred[:n] >= 0) & (pred[:n] < n))
        parent[inner] = pred[inner]
        weight[inner] = g.edge_length_m[self._next_edge(inner)]
        for node, (_, (edge, start, end)) in self._entry.items():
            if pred[node] == n:
                weight[node] = (end - start) * float(g.edge_length_m[edge])
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            weight = weight + weight[parent]
            parent = grand
        # Every reachable node now points at X and carries its full path length.
        weight[:n][~np.isfinite(self.time_s[:n])] = np.inf
        self._length = weight
        return weight

    def etas(self, snaps: Sequence[Snap | None]) -> list[Eta | None]:
        """ETA for many snapped origins at once (``None`` passes through)."""
        found = [(i, s) for i, s in enumerate(snaps) if s is not None]
        out: list[Eta | None] = [None] * len(snaps)
        if not found:
            return out
        edges = np.array([s.edge for _, s in found], dtype=np.int64)
        frac = np.array([s.fraction for _, s in found])
        options = self._options(edges, frac)
        times = np.vstack([o.time for o in options])
        lengths = np.vstack([o.length for o in options])
        pick = np.argmin(times, axis=0)
        cols = np.arange(len(found))
        best_time, best_length = times[pick, cols], lengths[pick, cols]
        for j, (i, _) in enumerate(found):
            if np.isfinite(best_time[j]):
                out[i] = Eta(duration_s=float(best_time[j]), distance_m=float(best_length[j]))
        return out

    def _options(self, edges: NDArray[np.int64], frac: NDArray[np.float64]) -> list[_Option]:
        """Every way for origins at ``frac`` along ``edges`` to start, vectorised; shared
        by :meth:`etas` and :meth:`leg` so a route and an ETA can never disagree."""
        g = self._graph
        tt, ln = g.edge_travel_time_s, g.edge_length_m
        src, tgt = g.edge_source, g.edge_target
        time, length = self.time_s, self.length_m()
        inf = np.full(len(edges), np.inf)
        twin = g.edge_twin[edges]
        has = twin >= 0
        tw = np.where(has, twin, 0)
        at_source = frac <= 0.0
        options = [
            # Drive on to the edge's head node, then the tree path.
            _Option(
                (1.0 - frac) * tt[edges] + time[tgt[edges]],
                (1.0 - frac) * ln[edges] + length[tgt[edges]],
                "ahead",
            ),
            # Two-way street: turn and drive to the tail node along the twin.
            _Option(
                np.where(has, frac * tt[tw] + time[tgt[tw]], inf),
                np.where(has, frac * ln[tw] + length[tgt[tw]], inf),
                "twin",
            ),
            # Exactly on the tail node: leave it by any edge.
            _Option(
                np.where(at_source, time[src[edges]], inf),
                np.where(at_source, length[src[edges]], inf),
                "node",
            ),
        ]
        for p, (place_edge, place_frac) in enumerate(self._places):
            for flipped, on_edge, at in (
                (False, edges, frac),
                (True, np.where(has, twin, -1), 1.0 - frac),
            ):
                ahead = (on_edge == place_edge) & (at <= place_frac)
                options.append(
                    _Option(
                        np.where(ahead, (place_frac - at) * tt[place_edge], inf),
                        np.where(ahead, (place_frac - at) * ln[place_edge], inf),
                        "direct",
                        place=p,
                        flipped=flipped,
                    )
                )
        return options

    def leg(self, origin: Snap) -> Leg:
        """The fastest way from ``origin`` to the incident, piece by piece."""
        g = self._graph
        options = self._options(
            np.array([origin.edge], dtype=np.int64), np.array([origin.fraction])
        )
        best = options[int(np.argmin([o.time[0] for o in options]))]
        duration, distance = float(best.time[0]), float(best.length[0])
        if not np.isfinite(duration):
            raise NoRouteError("no drivable route between the two points")
        e, f = origin.edge, origin.fraction
        if best.kind == "direct":
            place_edge, place_frac = self._places[best.place]
            start = 1.0 - f if best.flipped else f
            return Leg(duration, distance, ((place_edge, start, place_frac),))
        pieces: list[tuple[int, float, float]]
        if best.kind == "ahead":
            pieces, node = [(e, f, 1.0)], int(g.edge_target[e])
        elif best.kind == "twin":
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


@dataclass(frozen=True, slots=True)
class _Option:
    """One way of starting, evaluated for a batch of origins."""

    time: NDArray[np.float64]
    length: NDArray[np.float64]
    kind: str
    place: int = 0
    flipped: bool = False
