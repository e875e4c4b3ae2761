"""The fast reverse-search ETA engine must agree with networkx Dijkstra on the same graph."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from routing_reference import expected_time

from routing import Eta, OffRoadError, RoadNetwork, Snap
from routing.graph import RoadGraph

REL = 1e-6


def at_node(graph: RoadGraph, node: int) -> Snap:
    """A point exactly on ``node``: the start (fraction 0) of one of its out-edges."""
    edge = graph.out_edges(node)[0]
    return Snap(float(graph.node_lon[node]), float(graph.node_lat[node]), 0.0, edge, 0.0)


def on_edge(graph: RoadGraph, edge: int, fraction: float) -> Snap:
    return Snap(0.0, 0.0, 0.0, edge, fraction)


def test_node_pairs_match_networkx(helsinki: RoadNetwork, helsinki_nx: nx.MultiDiGraph) -> None:
    graph = helsinki.graph
    rng = np.random.default_rng(1)
    checked = 0
    for target in rng.choice(graph.node_count, size=25, replace=False).tolist():
        search = helsinki.engine.search(at_node(graph, target))
        origins = rng.choice(graph.node_count, size=20, replace=False).tolist()
        got = search.etas([at_node(graph, o) for o in origins])
        reference = nx.single_source_dijkstra_path_length(
            helsinki_nx.reverse(copy=False), target, weight="travel_time"
        )
        for origin, eta in zip(origins, got, strict=True):
            assert eta is not None
            assert eta.duration_s == pytest.approx(reference[origin], rel=REL, abs=1e-9)
            checked += 1
    assert checked == 500


def test_mid_edge_points_match_networkx(
    helsinki: RoadNetwork, helsinki_nx: nx.MultiDiGraph
) -> None:
    graph = helsinki.graph
    rng = np.random.default_rng(2)
    one_way = np.flatnonzero(graph.edge_twin < 0)
    assert len(one_way) > 20, "Helsinki centre has many one-way streets"
    for i in range(300):
        # Half the pairs start or end on a one-way street, where turning is not allowed.
        pool = one_way if i % 2 else np.arange(graph.edge_count)
        origin = on_edge(graph, int(rng.choice(pool)), float(rng.uniform()))
        target = on_edge(graph, int(rng.choice(pool)), float(rng.uniform()))
        [eta] = helsinki.engine.search(target).etas([origin])
        assert eta is not None
        want = expected_time(helsinki_nx, graph, origin, target)
        assert eta.duration_s == pytest.approx(want, rel=REL, abs=1e-9)


def test_same_edge_cases(helsinki: RoadNetwork, helsinki_nx: nx.MultiDiGraph) -> None:
    graph = helsinki.graph
    one_way = int(
        np.flatnonzero(graph.edge_twin < 0)[
            np.argmax(graph.edge_travel_time_s[graph.edge_twin < 0])
        ]
    )
    tt = float(graph.edge_travel_time_s[one_way])
    search = helsinki.engine.search(on_edge(graph, one_way, 0.8))
    behind, ahead = search.etas([on_edge(graph, one_way, 0.2), on_edge(graph, one_way, 0.9)])
    assert behind is not None and ahead is not None
    assert behind.duration_s == pytest.approx(0.6 * tt, rel=1e-12)
    assert behind.distance_m == pytest.approx(0.6 * graph.edge_length_m[one_way], rel=1e-12)
    # Past the incident on a one-way street: drive round the block, never reverse.
    assert ahead.duration_s > 0.1 * tt + 1.0
    want = expected_time(
        helsinki_nx, graph, on_edge(graph, one_way, 0.9), on_edge(graph, one_way, 0.8)
    )
    assert ahead.duration_s == pytest.approx(want, rel=REL)

    two_way = int(np.flatnonzero(graph.edge_twin >= 0)[0])
    twin = int(graph.edge_twin[two_way])
    search = helsinki.engine.search(on_edge(graph, two_way, 0.3))
    # On a two-way street a unit just past the incident turns round (drives the twin).
    [eta] = search.etas([on_edge(graph, two_way, 0.5)])
    assert eta is not None
    assert eta.duration_s == pytest.approx(0.2 * graph.edge_travel_time_s[twin], rel=1e-12)


def test_coordinates_are_snapped_then_match_networkx(
    helsinki: RoadNetwork, helsinki_nx: nx.MultiDiGraph
) -> None:
    graph = helsinki.graph
    rng = np.random.default_rng(3)
    nodes = rng.choice(graph.node_count, size=41, replace=False)
    # About 0-40 m off the road network, like GPS fixes and geocoded doors.
    points = [
        (
            float(graph.node_lon[n] + rng.normal(0, 2e-4)),
            float(graph.node_lat[n] + rng.normal(0, 1e-4)),
        )
        for n in nodes
    ]
    destination, origins = points[0], points[1:]
    got = helsinki.etas(origins, destination)
    target = helsinki.snap(*destination)
    for point, eta in zip(origins, got, strict=True):
        assert eta is not None
        want = expected_time(helsinki_nx, graph, helsinki.snap(*point), target)
        assert eta.duration_s == pytest.approx(want, rel=REL, abs=1e-9)
        assert eta.distance_m >= 0.0


def test_distance_is_the_length_of_the_fastest_path(helsinki: RoadNetwork) -> None:
    graph = helsinki.graph
    rng = np.random.default_rng(4)
    for _ in range(30):
        a, b = rng.choice(graph.node_count, size=2, replace=False)
        origin = (float(graph.node_lon[a]), float(graph.node_lat[a]))
        target = (float(graph.node_lon[b]), float(graph.node_lat[b]))
        [eta] = helsinki.etas([origin], target)
        route = helsinki.route(origin, target)
        assert eta is not None
        assert eta.distance_m == pytest.approx(route.distance_m, rel=1e-9)
        edges_length = sum(graph.edge_length_m[e] for e in route.edges)
        assert eta.distance_m == pytest.approx(edges_length, rel=1e-6)


def test_off_road_origins_give_none_and_off_road_destination_raises(
    helsinki: RoadNetwork,
) -> None:
    w, s, e, n = helsinki.bbox
    far = (e + 0.05, n + 0.05)  # ~4 km outside the map
    on_road = (float(helsinki.graph.node_lon[0]), float(helsinki.graph.node_lat[0]))
    got = helsinki.etas([far, on_road, (math.nan, 60.0)], on_road)
    assert got[0] is None and got[2] is None
    assert got[1] == Eta(duration_s=0.0, distance_m=0.0)
    with pytest.raises(OffRoadError) as info:
        helsinki.etas([on_road], far)
    assert info.value.code == "off-road"


def test_best_ranks_the_fastest_units(helsinki: RoadNetwork) -> None:
    graph = helsinki.graph
    rng = np.random.default_rng(5)
    units = [
        (float(graph.node_lon[i]), float(graph.node_lat[i]))
        for i in rng.choice(graph.node_count, size=30, replace=False)
    ]
    units.append((0.0, 0.0))  # a unit with a broken GPS fix is simply not ranked
    incident = (float(graph.node_lon[7]), float(graph.node_lat[7]))
    all_etas = helsinki.etas(units, incident)
    top = helsinki.best(units, incident, 5)
    assert len(top) == 5
    assert [eta for _, eta in top] == [all_etas[i] for i, _ in top]
    durations = sorted(eta.duration_s for eta in all_etas if eta is not None)
    assert [eta.duration_s for _, eta in top] == durations[:5]
    assert len(helsinki.best(units, incident, 100)) == 30
