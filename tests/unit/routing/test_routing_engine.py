"""The metro-scale ETA engine: early-exit ranking, cutoffs, direction of travel, the
matrix for assignment, and the snap cache; all checked against networkx or the full
unbounded answer."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from routing_reference import expected_time

from routing import RoadNetwork, Snap
from routing.eta import Placement

REL = 1e-6


def node_points(net: RoadNetwork, count: int, seed: int) -> list[tuple[float, float]]:
    g = net.graph
    rng = np.random.default_rng(seed)
    return [
        (float(g.node_lon[n] + rng.normal(0, 1e-4)), float(g.node_lat[n] + rng.normal(0, 5e-5)))
        for n in rng.integers(g.node_count, size=count)
    ]


@pytest.mark.parametrize("k", [1, 3, 10, 40])
def test_best_with_early_exit_equals_the_full_ranking(heidelberg: RoadNetwork, k: int) -> None:
    units = node_points(heidelberg, 120, seed=20 + k)
    for incident in node_points(heidelberg, 15, seed=40 + k):
        full = heidelberg.etas(units, incident)
        ranked = sorted((e.duration_s, i) for i, e in enumerate(full) if e is not None)[:k]
        top = heidelberg.best(units, incident, k)
        assert [i for i, _ in top] == [i for _, i in ranked]
        for i, eta in top:
            assert eta == full[i]  # same duration and same path length


def test_best_on_an_empty_or_unplaceable_fleet(helsinki: RoadNetwork) -> None:
    incident = node_points(helsinki, 1, seed=1)[0]
    assert helsinki.best([], incident, 5) == []
    assert helsinki.best([(0.0, 0.0)], incident, 5) == []
    assert helsinki.best(node_points(helsinki, 3, seed=2), incident, 0) == []


def test_cutoff_keeps_exact_times_inside_and_drops_the_rest(
    heidelberg: RoadNetwork, heidelberg_nx: nx.MultiDiGraph
) -> None:
    units = node_points(heidelberg, 200, seed=3)
    incident = node_points(heidelberg, 1, seed=4)[0]
    full = heidelberg.etas(units, incident)
    cutoff = float(np.median([e.duration_s for e in full if e is not None]))
    bounded = heidelberg.etas(units, incident, cutoff_s=cutoff)
    inside = 0
    for a, b in zip(full, bounded, strict=True):
        assert a is not None
        if a.duration_s <= cutoff:
            assert b == a
            inside += 1
        else:
            assert b is None
    assert 50 < inside < 150
    top = heidelberg.best(units, incident, 500, cutoff_s=cutoff)
    assert len(top) == inside
    # And the same numbers from networkx for a few bounded pairs.
    target = heidelberg.snap(*incident)
    for point, eta in list(zip(units, bounded, strict=True))[:40]:
        if eta is not None:
            want = expected_time(heidelberg_nx, heidelberg.graph, heidelberg.snap(*point), target)
            assert eta.duration_s == pytest.approx(want, rel=REL)


def test_direction_of_travel_is_respected(
    heidelberg: RoadNetwork, heidelberg_nx: nx.MultiDiGraph
) -> None:
    g = heidelberg.graph
    rng = np.random.default_rng(5)
    two_way = np.flatnonzero((g.edge_twin >= 0) & (g.edge_length_m > 150))
    checked = turned = 0
    for _ in range(40):
        edge = int(rng.choice(two_way))
        snap_edge = min(edge, int(g.edge_twin[edge]))  # the snapper's canonical edge
        lon, lat = g.geometry(snap_edge)
        mid = len(lon) // 2
        point = (float(lon[mid] + lon[mid - 1]) / 2, float(lat[mid] + lat[mid - 1]) / 2)
        snap = heidelberg.snap(*point)
        if snap.edge != snap_edge or not 0.05 < snap.fraction < 0.95:
            continue
        incident = node_points(heidelberg, 1, seed=int(rng.integers(1 << 30)))[0]
        target = heidelberg.snap(*incident)
        free = heidelberg.etas([point], incident)[0]
        for heading, directed, frac in (
            (snap.bearing_deg, snap.edge, snap.fraction),
            ((snap.bearing_deg + 180.0) % 360.0, int(g.edge_twin[snap.edge]), 1 - snap.fraction),
        ):
            [eta] = heidelberg.etas([point], incident, headings=[heading])
            assert eta is not None and free is not None
            assert eta.duration_s >= free.duration_s - 1e-9
            origin = Snap(snap.lon, snap.lat, 0.0, directed, frac)
            want = expected_time(heidelberg_nx, g, origin, target, locked=True)
            assert eta.duration_s == pytest.approx(want, rel=REL)
            route = heidelberg.route(point, incident, heading=heading)
            assert route.duration_s == pytest.approx(eta.duration_s, rel=1e-12)
            assert route.edges[0] == directed
            turned += eta.duration_s > free.duration_s + 1.0
            checked += 1
    assert checked >= 30
    assert turned > 0, "some units must lose time by not turning round mid-block"


def test_matrix_rows_are_reverse_searches(helsinki: RoadNetwork) -> None:
    units = node_points(helsinki, 12, seed=6) + [(0.0, 0.0)]
    incidents = node_points(helsinki, 4, seed=7)
    matrix = helsinki.matrix(units, incidents)
    assert matrix.shape == (4, 13)
    for row, incident in enumerate(incidents):
        etas = helsinki.etas(units, incident)
        got = [None if math.isinf(v) else v for v in matrix[row].tolist()]
        assert got == [None if e is None else e.duration_s for e in etas]


def test_placement_arrays_and_many_entry_searches(helsinki: RoadNetwork) -> None:
    engine = helsinki.engine
    units = node_points(helsinki, 30, seed=8)
    placed = engine.place(units)
    assert isinstance(placed, Placement) and len(placed) == 30 and placed.valid.all()
    target = helsinki.snap(*node_points(helsinki, 1, seed=9)[0])
    times = engine.times(placed, target)
    etas = engine.search(target).etas(engine.snap_many(units))
    assert times.tolist() == [e.duration_s for e in etas if e is not None]
    # More entries than the reserved slots take the copying path: same answers.
    entries = [(int(n), 0.0) for n in range(20)]
    fast = engine.reverse.run(entries[:8])[0]
    slow = engine.reverse.run(entries[:8] + entries[:8] + [(0, 1e9)] * 5)[0]
    np.testing.assert_array_equal(fast, slow)


def test_snap_cache_reuses_answers(helsinki: RoadNetwork) -> None:
    points = node_points(helsinki, 5, seed=10)
    first = helsinki.snap_many(points)
    again = helsinki.snap_many(points)
    assert all(a is b for a, b in zip(first, again, strict=True))
    assert helsinki.snap_many(points, max_distance_m=1.0) != first or all(
        s is not None and s.distance_m <= 1.0 for s in first
    )
