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
    # fractions are of the length in metres: interpolate in the map's local projection
    x, y = helsinki.projection.to_xy(lon, lat)
    line = LineString(zip(x.tolist(), y.tolist(), strict=True))

    def at(fraction: float) -> tuple[float, float]:
        px, py = line.interpolate(fraction, normalized=True).coords[0]
        plon, plat = helsinki.projection.to_lonlat(px, py)
        return float(plon), float(plat)

    behind = helsinki.snap(*at(0.3))
    ahead = helsinki.snap(*at(0.7))
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


def decode_polyline(text: str, precision: int = 5) -> list[list[float]]:
    """Reference decoder (Google's algorithm), written independently of the encoder."""
    coords, index, lat, lon = [], 0, 0, 0
    while index < len(text):
        deltas = []
        for _ in range(2):
            shift = result = 0
            while True:
                byte = ord(text[index]) - 63
                index += 1
                result |= (byte & 0x1F) << shift
                shift += 5
                if byte < 0x20:
                    break
            deltas.append(~(result >> 1) if result & 1 else result >> 1)
        lat += deltas[0]
        lon += deltas[1]
        coords.append([lon / 10**precision, lat / 10**precision])
    return coords


def test_polyline_round_trip(heidelberg: RoadNetwork) -> None:
    from routing.route import encode_polyline

    assert encode_polyline([[-120.2, 38.5], [-120.95, 40.7], [-126.453, 43.252]]) == (
        "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
    )
    a, b = random_points(heidelberg, 2, seed=13)
    route = heidelberg.route(a, b)
    for precision in (5, 6):
        decoded = decode_polyline(route.polyline(precision), precision)
        assert len(decoded) == len(route.coordinates)
        np.testing.assert_allclose(decoded, route.coordinates, atol=0.6 / 10**precision)


def test_steps_add_up_and_read_well(heidelberg: RoadNetwork) -> None:
    g = heidelberg.graph
    seen_turns = set()
    for a, b in zip(
        random_points(heidelberg, 20, 14), random_points(heidelberg, 20, 15), strict=True
    ):
        route = heidelberg.route(a, b)
        steps = route.steps
        assert steps[0].maneuver == "depart" and steps[-1].maneuver == "arrive"
        assert steps[0].location == tuple(route.coordinates[0])
        assert steps[-1].location == tuple(route.coordinates[-1])
        assert sum(s.distance_m for s in steps) == pytest.approx(route.distance_m, rel=1e-9)
        assert sum(s.duration_s for s in steps) == pytest.approx(route.duration_s, rel=1e-9)
        for before, step in zip(steps, steps[1:-1], strict=False):
            assert step.name != before.name or step.maneuver != "continue"
            seen_turns.add(step.modifier)
            if step.name:
                assert f" onto {step.name}, " in step.text
        data = route.as_dict()
        assert data["geometry"]["type"] == "LineString"
        assert [s["text"] for s in data["steps"]] == [s.text for s in steps]
    assert {"left", "right"} <= seen_turns
    assert any(n.endswith("straße") for n in g.names)


def test_step_text_format() -> None:
    from routing.route import Step, format_distance

    step = Step("turn", "left", "Mannerheimintie", 412.0, 50.0, (24.94, 60.17))
    assert step.text == "Turn left onto Mannerheimintie, 400 m"
    assert Step("depart", "north", "Aleksanterinkatu", 38.0, 5.0, (0, 0)).text == (
        "Head north on Aleksanterinkatu, 40 m"
    )
    assert Step("arrive", "", "", 0.0, 0.0, (0, 0)).text == "Arrive at the destination"
    assert [format_distance(m) for m in (3, 96, 1234, 15400)] == [
        "10 m",
        "100 m",
        "1.2 km",
        "15 km",
    ]
