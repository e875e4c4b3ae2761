"""Routes: same time as the ETA ranking, drawn from the snapped unit to the snapped incident."""

from __future__ import annotations

import numpy as np
import pytest
from shapely import LineString

from routing import RoadNetwork
from routing.projection import haversine_m


def polyline_length(coords: list[list[float]]) -> float:
    return sum(haversine_m(*a, *b) for a, b in zip(coords, coords[1:], strict=False))


def random_points(net: RoadNetwork, count: int, seed: int) -> list[tuple[float, float]]:
    g = net.graph
    rng = np.random.default_rng(seed)
    edges = rng.choice(g.edge_count, size=count)
    points = []
    for e in edges.tolist():
        lon, lat = g.geometry(e)
        k = int(rng.integers(len(lon)))
        points.append((float(lon[k] + rng.normal(0, 1e-4)), float(lat[k] + rng.normal(0, 5e-5))))
    return points


def test_route_time_equals_eta_and_geometry_is_consistent(helsinki: RoadNetwork) -> None:
    points = random_points(helsinki, 61, seed=10)
    destination = points[0]
    etas = helsinki.etas(points[1:], destination)
    target = helsinki.snap(*destination)
    for origin, eta in zip(points[1:], etas, strict=True):
        route = helsinki.route(origin, destination)
        assert eta is not None
        assert route.duration_s == eta.duration_s  # same search, same arithmetic
        assert route.distance_m == eta.distance_m
        start = helsinki.snap(*origin)
        assert route.coordinates[0] == [start.lon, start.lat]
        assert route.coordinates[-1] == [target.lon, target.lat]
        # The drawn line is the driven path: its length is the reported distance.
        assert polyline_length(route.coordinates) == pytest.approx(
            route.distance_m, rel=2e-3, abs=0.5
        )
        # No jumps: consecutive vertices are never farther apart than the longest edge.
        steps = [
            haversine_m(*a, *b)
            for a, b in zip(route.coordinates, route.coordinates[1:], strict=False)
        ]
        assert max(steps, default=0.0) <= float(helsinki.graph.edge_length_m.max()) + 1.0


def test_route_geojson(helsinki: RoadNetwork) -> None:
    a, b = random_points(helsinki, 2, seed=11)
    geo = helsinki.route(a, b).as_geojson()
    assert geo["type"] == "LineString"
    assert len(geo["coordinates"]) >= 2
    assert all(len(c) == 2 and isinstance(c[0], float) for c in geo["coordinates"])


def test_route_on_one_edge_is_cut_at_both_points(helsinki: RoadNetwork) -> None:
    g = helsinki.graph
    edge = int(np.argmax(g.edge_length_m * (g.edge_twin < 0)))  # the longest one-way edge
    lon, lat = g.geometry(edge)
    line = LineString(zip(lon.tolist(), lat.tolist(), strict=True))
    behind = helsinki.snap(*line.interpolate(0.3, normalized=True).coords[0])
    ahead = helsinki.snap(*line.interpolate(0.7, normalized=True).coords[0])
    assert behind.edge == ahead.edge == edge
    assert behind.fraction == pytest.approx(0.3, abs=0.01)
    assert ahead.fraction == pytest.approx(0.7, abs=0.01)
    forward = helsinki.route((behind.lon, behind.lat), (ahead.lon, ahead.lat))
    assert forward.edges == (edge,)
    assert forward.distance_m == pytest.approx(
        (ahead.fraction - behind.fraction) * g.edge_length_m[edge], rel=1e-9
    )
    assert polyline_length(forward.coordinates) == pytest.approx(forward.distance_m, rel=2e-3)
    # Backwards along a one-way street the route must leave the edge and come round.
    back = helsinki.route((ahead.lon, ahead.lat), (behind.lon, behind.lat))
    assert len(back.edges) > 2
    assert back.distance_m > forward.distance_m


def test_route_to_itself_is_empty(helsinki: RoadNetwork) -> None:
    [point] = random_points(helsinki, 1, seed=12)
    route = helsinki.route(point, point)
    assert route.duration_s == 0.0 and route.distance_m == 0.0
    snapped = helsinki.snap(*point)
    assert route.coordinates[0] == route.coordinates[-1] == [snapped.lon, snapped.lat]
