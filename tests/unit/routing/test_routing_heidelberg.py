"""A real, larger extract (Heidelberg, ~46k raw drive nodes): import, ETAs vs networkx,
German street names."""

from __future__ import annotations

import time

import networkx as nx
import numpy as np
import pytest
from routing_reference import expected_time

from routing import RoadNetwork, Snap


def test_etas_match_networkx(heidelberg: RoadNetwork, heidelberg_nx: nx.MultiDiGraph) -> None:
    graph = heidelberg.graph
    reference = heidelberg_nx
    rng = np.random.default_rng(7)
    for _ in range(6):
        target = Snap(0.0, 0.0, 0.0, int(rng.integers(graph.edge_count)), float(rng.uniform()))
        origins = [
            Snap(0.0, 0.0, 0.0, int(e), float(f))
            for e, f in zip(
                rng.integers(graph.edge_count, size=8), rng.uniform(size=8), strict=True
            )
        ]
        got = heidelberg.engine.search(target).etas(origins)
        for origin, eta in zip(origins, got, strict=True):
            assert eta is not None
            want = expected_time(reference, graph, origin, target)
            assert eta.duration_s == pytest.approx(want, rel=1e-6)
    # And a whole-map query from node coordinates (one reverse search).
    nodes = rng.choice(graph.node_count, size=200, replace=False)
    points = [(float(graph.node_lon[n]), float(graph.node_lat[n])) for n in nodes]
    started = time.perf_counter()
    got = heidelberg.etas(points[1:], points[0])
    assert time.perf_counter() - started < 1.0
    lengths = nx.single_source_dijkstra_path_length(
        reference.reverse(copy=False), int(nodes[0]), weight="travel_time"
    )
    for n, eta in zip(nodes[1:].tolist(), got, strict=True):
        assert eta is not None
        assert eta.duration_s == pytest.approx(lengths[n], rel=1e-6, abs=1e-9)


def test_route_matches_eta(heidelberg: RoadNetwork) -> None:
    g = heidelberg.graph
    a, b = (
        (float(g.node_lon[10]), float(g.node_lat[10])),
        (float(g.node_lon[4000]), float(g.node_lat[4000])),
    )
    route = heidelberg.route(a, b)
    [eta] = heidelberg.etas([a], b)
    assert eta is not None and route.duration_s == eta.duration_s
    assert route.distance_m > 100


def test_german_addresses_and_hospitals(heidelberg: RoadNetwork) -> None:
    geo = heidelberg.geocoder
    assert geo.search("Neckarstr. 4")[0].label.startswith("Neckarstraße 4")
    assert geo.search("neckarstrasse 4")[0].label.startswith("Neckarstraße 4")
    hospital = geo.search("josefskrankenhaus")[0]
    assert (hospital.label, hospital.kind) == ("St. Josefskrankenhaus", "poi")
    names = [p.name for p in heidelberg.pois("hospital")]
    assert "Bethanien-Krankenhaus" in names
