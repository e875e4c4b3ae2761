"""The road graph as compact numpy arrays, and its on-disk cache.

Why arrays and not networkx: a city graph as Python objects costs hundreds of MB and
seconds to load; as CSR arrays it loads in milliseconds and feeds scipy's C Dijkstra
directly. networkx is produced on demand only, as an independent test baseline.

Layout: nodes are ``0..n-1``; edges are directed, ``0..m-1``, sorted by source node so
that the out-edges of node ``i`` are the edge ids ``indptr[i]:indptr[i+1]`` (the CSR
column indices are ``edge_target`` and the CSR edge ids are the identity). Each edge
has a polyline running from its source to its target, stored flattened:
``geom_lon[geom_offsets[e]:geom_offsets[e+1]]``. ``edge_twin[e]`` is the opposite
direction of the same two-way street segment (same geometry reversed) or ``-1`` for a
one-way segment. ``edge_restricted[e]`` marks private and service roads (routing.access);
the names along an edge, part by part, are ``part_*`` (routing.roadnames).

Caches written before the access and name-part arrays existed still load: every edge is
then public and has one part under its :attr:`RoadGraph.edge_name`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .errors import MapCacheError

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["GRAPH_FILE", "RoadGraph"]

GRAPH_FILE = "graph.npz"

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
I32 = NDArray[np.int32]

_ARRAYS = (
    "node_lon",
    "node_lat",
    "node_osmid",
    "indptr",
    "edge_source",
    "edge_target",
    "edge_travel_time_s",
    "edge_length_m",
    "edge_twin",
    "edge_name",
    "edge_highway",
    "geom_offsets",
    "geom_lon",
    "geom_lat",
)
#: Arrays added later; absent from older caches (filled in by ``__post_init__``).
_OPTIONAL = ("edge_restricted", "part_offsets", "part_start", "part_name")


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A directed drivable road graph (see the module docstring for the layout)."""

    node_lon: F64
    node_lat: F64
    node_osmid: I64
    indptr: I64
    edge_source: I64
    edge_target: I64
    edge_travel_time_s: F64
    edge_length_m: F64
    edge_twin: I64
    edge_name: I32
    """Index into :attr:`names` (``0`` is the empty name)."""
    edge_highway: I32
    """Index into :attr:`highways`."""
    geom_offsets: I64
    geom_lon: F64
    geom_lat: F64
    names: tuple[str, ...]
    highways: tuple[str, ...]
    edge_restricted: NDArray[np.bool_] | None = None
    """Private or service road: entered for the last stretch only (``None``: all public)."""
    part_offsets: I64 | None = None
    """Name parts of edge ``e`` are ``part_offsets[e]:part_offsets[e+1]``."""
    part_start: F64 | None = None
    """Fraction of its edge's length where each part starts (0.0 for the first)."""
    part_name: I32 | None = None
    """Index into :attr:`names` of each part."""

    def __post_init__(self) -> None:
        m = self.edge_count
        if self.edge_restricted is None:
            object.__setattr__(self, "edge_restricted", np.zeros(m, dtype=bool))
        if self.part_offsets is None or self.part_start is None or self.part_name is None:
            object.__setattr__(self, "part_offsets", np.arange(m + 1, dtype=np.int64))
            object.__setattr__(self, "part_start", np.zeros(m, dtype=np.float64))
            object.__setattr__(self, "part_name", np.asarray(self.edge_name, dtype=np.int32))
        self._check()

    def _check(self) -> None:
        n, m = self.node_count, self.edge_count
        if len(self.node_lat) != n or len(self.indptr) != n + 1 or int(self.indptr[-1]) != m:
            raise MapCacheError("road graph arrays disagree on the node count")
        for name in (
            "edge_target",
            "edge_travel_time_s",
            "edge_length_m",
            "edge_twin",
            "edge_name",
            "edge_highway",
            "edge_restricted",
        ):
            if len(getattr(self, name)) != m:
                raise MapCacheError(f"road graph array {name} has the wrong length")
        if len(self.geom_offsets) != m + 1 or int(self.geom_offsets[-1]) != len(self.geom_lon):
            raise MapCacheError("road graph geometry offsets are inconsistent")
        parts = self.part_offsets
        assert parts is not None and self.part_start is not None and self.part_name is not None
        if (
            len(parts) != m + 1
            or int(parts[-1]) != len(self.part_start)
            or len(self.part_name) != len(self.part_start)
            or bool(np.any(np.diff(parts) < 1))
        ):
            raise MapCacheError("road graph name parts are inconsistent")

    @property
    def node_count(self) -> int:
        return len(self.node_lon)

    @property
    def edge_count(self) -> int:
        return len(self.edge_source)

    def out_edges(self, node: int) -> range:
        """Edge ids leaving ``node`` (contiguous, thanks to the source ordering)."""
        return range(int(self.indptr[node]), int(self.indptr[node + 1]))

    def geometry(self, edge: int) -> tuple[F64, F64]:
        """The (lon, lat) arrays of an edge's polyline, from its source to its target."""
        a, b = int(self.geom_offsets[edge]), int(self.geom_offsets[edge + 1])
        return self.geom_lon[a:b], self.geom_lat[a:b]

    def name_of(self, edge: int) -> str:
        """The edge's first name (a merged edge may have more: :meth:`names_along`)."""
        return self.names[int(self.edge_name[edge])]

    def names_along(self, edge: int) -> list[tuple[float, float, str]]:
        """``(from, to, name)`` for each part of the edge, as fractions of its length from
        its source node (``""`` where the part is unnamed)."""
        assert self.part_offsets is not None and self.part_start is not None
        assert self.part_name is not None
        a, b = int(self.part_offsets[edge]), int(self.part_offsets[edge + 1])
        starts = self.part_start[a:b].tolist()
        ends = [*starts[1:], 1.0]
        return [
            (float(s), float(e), self.names[int(k)])
            for s, e, k in zip(starts, ends, self.part_name[a:b].tolist(), strict=True)
        ]

    def name_at(self, edge: int, fraction: float) -> str:
        """The name of the part of ``edge`` under the point at ``fraction`` of its length
        (a snapped point's :attr:`routing.snap.Snap.fraction`); ``""`` if unnamed."""
        assert self.part_offsets is not None and self.part_start is not None
        assert self.part_name is not None
        a, b = int(self.part_offsets[edge]), int(self.part_offsets[edge + 1])
        k = a + max(int(np.searchsorted(self.part_start[a:b], fraction, side="right")) - 1, 0)
        return self.names[int(self.part_name[k])]

    def is_restricted(self, edge: int) -> bool:
        """A private or service road (routing.access)."""
        assert self.edge_restricted is not None
        return bool(self.edge_restricted[edge])

    def highway_of(self, edge: int) -> str:
        return self.highways[int(self.edge_highway[edge])]

    def canonical_edges(self) -> I64:
        """One directed edge per street segment: every one-way edge, and the lower id of
        each two-way pair (so a segment is indexed, drawn or searched once)."""
        ids = np.arange(self.edge_count, dtype=np.int64)
        return ids[(self.edge_twin < 0) | (ids < self.edge_twin)]

    def save(self, directory: Path) -> Path:
        """Write the arrays to ``directory/graph.npz`` (uncompressed: loading speed wins)."""
        path = Path(directory) / GRAPH_FILE
        arrays = {name: getattr(self, name) for name in (*_ARRAYS, *_OPTIONAL)}
        np.savez(
            path,
            names=np.array(self.names, dtype=str),
            highways=np.array(self.highways, dtype=str),
            **arrays,
        )
        return path

    @classmethod
    def load(cls, directory: Path) -> RoadGraph:
        """Read a graph written by :meth:`save`; never unpickles (the cache is data)."""
        path = Path(directory) / GRAPH_FILE
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in _ARRAYS}
                arrays |= {name: data[name] for name in _OPTIONAL if name in data.files}
                names = tuple(str(s) for s in data["names"])
                highways = tuple(str(s) for s in data["highways"])
        except (OSError, KeyError, ValueError) as exc:
            raise MapCacheError(f"cannot read road graph {path}: {exc}") from exc
        return cls(names=names, highways=highways, **arrays)

    def to_networkx(self) -> nx.MultiDiGraph:
        """An equivalent networkx MultiDiGraph: node keys are node indices, edge keys are
        edge ids; attributes ``travel_time`` (s), ``length`` (m), ``name``, ``highway``.

        Slow and memory-hungry by design; it is the reference the fast engine is tested
        against, never used on the query path.
        """
        import networkx as nx

        g = nx.MultiDiGraph()
        for i in range(self.node_count):
            g.add_node(i, x=float(self.node_lon[i]), y=float(self.node_lat[i]))
        for e in range(self.edge_count):
            g.add_edge(
                int(self.edge_source[e]),
                int(self.edge_target[e]),
                key=e,
                travel_time=float(self.edge_travel_time_s[e]),
                length=float(self.edge_length_m[e]),
                name=self.name_of(e),
                highway=self.highway_of(e),
            )
        return g
