"""Independent reference answers for the routing tests (networkx, textbook Dijkstra).

Kept out of conftest.py so test modules can import it by a name no other test folder uses.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
from numpy.typing import NDArray

from routing import Snap
from routing.graph import RoadGraph

#: Real OSM extracts shipped next to the repository (never copied into it).
OSM_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "osm"


def expected_time(
    g: nx.MultiDiGraph,
    graph: RoadGraph,
    origin: Snap,
    target: Snap,
    *,
    travel_time_s: NDArray[np.float64] | None = None,
    locked: bool = False,
) -> float:
    """Reference travel time by networkx Dijkstra, with the two points inserted as
    virtual nodes joined by part-edges (the fraction of the edge's travel time):

    - an origin at fraction g of u->v drives on to v, or (two-way street) along the
      twin v->u to u, or, exactly at u (g == 0), leaves u by any edge;
    - an incident at fraction f of a->b is reached from a after f of the edge (and
      from b along the twin), or, exactly at b (f == 1), from b;
    - both on one directed edge with the origin behind: straight there.

    ``locked``: the origin's direction of travel is known (it is on ``origin.edge``
    heading to its target): no turning round on its edge. ``travel_time_s`` must match
    the weights of ``g`` when given (time-of-day tests).
    """
    tt = graph.edge_travel_time_s if travel_time_s is None else travel_time_s
    src, tgt, twin = graph.edge_source, graph.edge_target, graph.edge_twin
    o, d = "origin", "incident"
    edges: list[tuple[object, object, float]] = []
    e, gf = origin.edge, origin.fraction
    edges.append((o, int(tgt[e]), (1 - gf) * tt[e]))
    if twin[e] >= 0 and not locked:
        edges.append((o, int(src[e]), gf * tt[twin[e]]))
    if gf == 0.0:
        edges.append((o, int(src[e]), 0.0))
    places = [(target.edge, target.fraction)]
    if twin[target.edge] >= 0:
        places.append((int(twin[target.edge]), 1 - target.fraction))
    for pe, pf in places:
        edges.append((int(src[pe]), d, pf * tt[pe]))
        if pf == 1.0:
            edges.append((int(tgt[pe]), d, 0.0))
        starts = [(e, gf)] + ([(int(twin[e]), 1 - gf)] if twin[e] >= 0 and not locked else [])
        for oe, og in starts:
            if oe == pe and og <= pf:
                edges.append((o, d, (pf - og) * tt[pe]))
    g.add_nodes_from([o, d])
    try:
        for a, b, w in edges:
            g.add_edge(a, b, travel_time=float(w))
        return float(nx.shortest_path_length(g, o, d, weight="travel_time"))
    finally:
        g.remove_nodes_from([o, d])
