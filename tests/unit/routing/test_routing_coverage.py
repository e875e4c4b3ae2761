"""Isochrones and coverage, checked against a networkx multi-source Dijkstra."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from routing import RoadNetwork


def reference_times(net: RoadNetwork, nxg: nx.MultiDiGraph, nodes: list[int]) -> np.ndarray:
    reach = nx.multi_source_dijkstra_path_length(nxg, set(nodes), weight="travel_time")
    out = np.full(net.graph.node_count, np.inf)
    for node, t in reach.items():
        out[node] = t
    return out


def reference_road_share(net: RoadNetwork, d: np.ndarray, seconds: float) -> float:
    g = net.graph
    canon = g.canonical_edges()
    tt = g.edge_travel_time_s

    def reach(e: np.ndarray) -> np.ndarray:
        return np.clip((seconds - d[g.edge_source[e]]) / tt[e], 0.0, 1.0)

    twin = g.edge_twin[canon]
    back = np.where(twin >= 0, reach(np.where(twin >= 0, twin, 0)), 0.0)
    covered = np.minimum(1.0, reach(canon) + back)
    lengths = g.edge_length_m[canon]
    return float((covered * lengths).sum() / lengths.sum())


@pytest.mark.parametrize("minutes", [2, 5, 10])
def test_coverage_matches_networkx(
    heidelberg: RoadNetwork, heidelberg_nx: nx.MultiDiGraph, minutes: int
) -> None:
    g = heidelberg.graph
    rng = np.random.default_rng(minutes)
    stations = rng.choice(g.node_count, size=4, replace=False).tolist()
    points = [(float(g.node_lon[n]), float(g.node_lat[n])) for n in stations]
    d = reference_times(heidelberg, heidelberg_nx, stations)
    seconds = 60.0 * minutes
    demand_nodes = rng.choice(g.node_count, size=300, replace=False)
    demand = [(float(g.node_lon[n]), float(g.node_lat[n])) for n in demand_nodes]
    weights = rng.uniform(1, 5, size=300)
    cov = heidelberg.coverage(points, seconds, demand=demand, weights=weights.tolist())
    assert cov.road_share == pytest.approx(reference_road_share(heidelberg, d, seconds), abs=1e-9)
    want = float(weights[d[demand_nodes] <= seconds].sum() / weights.sum())
    assert cov.demand_share == pytest.approx(want, abs=1e-9)
    assert cov.total_length_m == pytest.approx(float(g.edge_length_m[g.canonical_edges()].sum()))


def test_isochrone_polygons(heidelberg: RoadNetwork, heidelberg_nx: nx.MultiDiGraph) -> None:
    g = heidelberg.graph
    hospital = heidelberg.pois("hospital")[0]
    snap = heidelberg.snap(hospital.lon, hospital.lat)
    isos = heidelberg.isochrones([(hospital.lon, hospital.lat)], [180.0, 480.0])
    assert [i.seconds for i in isos] == [180.0, 480.0]
    small, big = (shape(i.geometry) for i in isos)
    assert small.is_valid and big.is_valid and small.area < big.area
    # Nested up to the simplification of the outlines (a quarter cell).
    assert small.difference(big).area < 0.02 * small.area
    assert isos[0].coverage.road_share < isos[1].coverage.road_share < 1.0
    feature = isos[1].as_feature()
    json.dumps(feature)
    assert feature["properties"]["minutes"] == 8.0
    # Nodes reached in time lie inside; nodes far beyond lie outside.
    start = int(g.edge_target[snap.edge]) if snap.fraction > 0.5 else int(g.edge_source[snap.edge])
    d = reference_times(heidelberg, heidelberg_nx, [start])
    pts = shapely.points(g.node_lon, g.node_lat)
    inside = shapely.contains(big.buffer(1e-5), pts)
    near = d <= 480.0 - 30.0
    far = d >= 480.0 * 2
    assert inside[near].mean() > 0.99
    assert inside[far].mean() < 0.02


def test_isochrone_validation(helsinki: RoadNetwork) -> None:
    g = helsinki.graph
    with pytest.raises(ValueError, match="no source"):
        helsinki.coverage([(0.0, 0.0)], 300.0)
    with pytest.raises(ValueError, match="non-negative"):
        helsinki.isochrones([(float(g.node_lon[0]), float(g.node_lat[0]))], [-5.0])
    everything = helsinki.coverage([(float(g.node_lon[0]), float(g.node_lat[0]))], 1e6)
    assert everything.road_share == pytest.approx(1.0)
    nothing = helsinki.coverage([(float(g.node_lon[0]), float(g.node_lat[0]))], 0.0)
    assert nothing.road_share == pytest.approx(0.0, abs=1e-12)
