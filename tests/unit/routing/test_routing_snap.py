"""Snapping: nearest point on a road, honest distance, refusal far from any road."""

from __future__ import annotations

import math

import numpy as np
import pytest

from routing import OffRoadError, RoadNetwork
from routing.errors import RoutingError
from routing.projection import haversine_m

M_PER_DEG_LAT = 111_195.0


def test_point_beside_a_road_snaps_onto_it(helsinki: RoadNetwork) -> None:
    g = helsinki.graph
    edge = int(np.argmax(g.edge_length_m))
    lon, lat = g.geometry(edge)
    k = len(lon) // 2
    # Move 20 m perpendicular to the segment at vertex k.
    dx = (lon[k + 1] - lon[k - 1]) * math.cos(math.radians(lat[k]))
    dy = lat[k + 1] - lat[k - 1]
    norm = math.hypot(dx, dy)
    off_lon = lon[k] + (-dy / norm) * 20 / (M_PER_DEG_LAT * math.cos(math.radians(lat[k])))
    off_lat = lat[k] + (dx / norm) * 20 / M_PER_DEG_LAT
    snap = helsinki.snap(float(off_lon), float(off_lat))
    assert snap.edge in (edge, int(g.edge_twin[edge]))
    assert snap.distance_m == pytest.approx(20.0, abs=1.0)
    assert haversine_m(off_lon, off_lat, snap.lon, snap.lat) == pytest.approx(
        snap.distance_m, rel=0.01
    )
    assert haversine_m(lon[k], lat[k], snap.lon, snap.lat) < 2.0
    assert 0.0 < snap.fraction < 1.0


def test_point_on_a_node_snaps_to_an_end_of_an_edge(helsinki: RoadNetwork) -> None:
    g = helsinki.graph
    for node in range(0, g.node_count, 7):
        snap = helsinki.snap(float(g.node_lon[node]), float(g.node_lat[node]))
        assert snap.distance_m == pytest.approx(0.0, abs=1e-6)
        assert snap.fraction in (0.0, 1.0)
        end = g.edge_source[snap.edge] if snap.fraction == 0.0 else g.edge_target[snap.edge]
        assert haversine_m(g.node_lon[end], g.node_lat[end], snap.lon, snap.lat) < 0.01


def test_far_point_is_off_road(helsinki: RoadNetwork) -> None:
    w, s, e, n = helsinki.bbox
    lat = (s + n) / 2
    lon = e + 2000 / (M_PER_DEG_LAT * math.cos(math.radians(lat)))  # 2 km east of the map
    with pytest.raises(OffRoadError) as info:
        helsinki.snap(lon, lat)
    err = info.value
    assert isinstance(err, RoutingError)
    assert err.code == "off-road"
    assert err.max_distance_m == 500.0
    assert 2000.0 <= err.distance_m < 3000.0
    assert "off-road" in str(err)
    # A larger limit accepts it, and says how far the road is.
    snap = helsinki.snap(lon, lat, max_distance_m=5000.0)
    assert snap.distance_m == pytest.approx(err.distance_m, rel=1e-9)


def test_snap_many_tolerates_bad_points(helsinki: RoadNetwork) -> None:
    g = helsinki.graph
    good = (float(g.node_lon[3]), float(g.node_lat[3]))
    got = helsinki.snapper.snap_many([good, (0.0, 0.0), (math.nan, math.inf), good])
    assert got[1] is None and got[2] is None
    assert got[0] is not None and got[0] == got[3]
    assert helsinki.snapper.snap_many([]) == []
