"""Time-of-day speed profiles: re-weighted edges, same graph, same exactness."""

from __future__ import annotations

from datetime import datetime, time

import networkx as nx
import numpy as np
import pytest
from routing_reference import expected_time

from routing import RoadNetwork
from routing.profiles import RUSH_HOUR, SpeedProfile, TimeOfDayProfile, TimeWindow

TUESDAY_8AM = datetime(2026, 3, 3, 8, 0)
TUESDAY_NOON = datetime(2026, 3, 3, 12, 0)
SUNDAY_8AM = datetime(2026, 3, 8, 8, 0)


def test_windows() -> None:
    assert isinstance(RUSH_HOUR, SpeedProfile)
    assert RUSH_HOUR.factors(TUESDAY_8AM)["primary"] == 1.4
    assert RUSH_HOUR.factors(TUESDAY_NOON) == {}
    assert RUSH_HOUR.factors(SUNDAY_8AM) == {}
    night = TimeWindow(time(22, 0), time(6, 0), {"*": 0.9})
    assert night.covers(datetime(2026, 3, 3, 23, 30)) and night.covers(datetime(2026, 3, 4, 5))
    assert not night.covers(datetime(2026, 3, 4, 6, 0))


def test_rush_hour_reweights_without_rebuilding(
    heidelberg: RoadNetwork, heidelberg_nx: nx.MultiDiGraph
) -> None:
    net = heidelberg.with_speed_profile(RUSH_HOUR)
    rush = net.at(TUESDAY_8AM)
    assert rush.graph is net.graph and rush.snapper is net.snapper
    assert rush.engine is not net.engine
    assert net.at(datetime(2026, 3, 4, 8, 15)).engine is rush.engine  # cached
    assert net.at(TUESDAY_NOON).engine is heidelberg.engine
    g = net.graph
    factors = np.array([RUSH_HOUR.factors(TUESDAY_8AM).get(h, 1.1) for h in g.highways])
    np.testing.assert_allclose(
        rush.engine.travel_time_s, g.edge_travel_time_s * factors[g.edge_highway]
    )
    # Exact against networkx with the rush-hour weights.
    weighted = heidelberg_nx.copy()
    for u, v, k in weighted.edges(keys=True):
        weighted[u][v][k]["travel_time"] = float(rush.engine.travel_time_s[k])
    rng = np.random.default_rng(3)
    for _ in range(15):
        a, b = rng.integers(g.node_count, size=2)
        origin = (float(g.node_lon[a]), float(g.node_lat[a]))
        target = (float(g.node_lon[b]), float(g.node_lat[b]))
        [slow] = rush.etas([origin], target)
        [free] = net.etas([origin], target)
        assert slow is not None and free is not None
        assert slow.duration_s >= free.duration_s
        want = expected_time(
            weighted,
            g,
            rush.snap(*origin),
            rush.snap(*target),
            travel_time_s=rush.engine.travel_time_s,
        )
        assert slow.duration_s == pytest.approx(want, rel=1e-6)
        route = rush.route(origin, target)
        assert route.duration_s == pytest.approx(slow.duration_s, rel=1e-12)
        assert sum(s.duration_s for s in route.steps) == pytest.approx(slow.duration_s, rel=1e-9)


def test_bad_factors_are_refused(helsinki: RoadNetwork) -> None:
    broken = TimeOfDayProfile((TimeWindow(time(0), time(23, 59), {"*": 0.0}),))
    with pytest.raises(ValueError, match="positive"):
        helsinki.with_speed_profile(broken).at(TUESDAY_NOON)
