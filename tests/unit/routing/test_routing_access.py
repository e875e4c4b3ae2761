"""Emergency access (issue 14): ambulances use private and service roads for the last stretch
only, never as shortcuts; merged road segments keep every name along them; an address snaps
onto the street it names. A tiny OSM XML map keeps these tests fast (no extract import)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from routing import RoadNetwork, import_map
from routing.access import ENTRY_PENALTY_S, PUBLIC, RESTRICTED, entry_penalties, road_access
from routing.roadnames import name_parts
from routing.snap import names_street
from routing.text import normalize

# A(1) --- private road "Privatweg" (way 20) --- B(2), 222 m straight east;
# the public detour A -> E(3) "Kaivokatu" then E -> B "中山路" (two ways, one merged edge,
# 248 m); a hospital drive (service, "医院路") from A north to H(4); a driveway, a parking
# aisle and an access=no road that must stay out (nodes 5, 6, 7 only on them).
# At 30 km/h the private road (26.6 s) beats the detour (29.8 s) unless it costs its entry.
ACCESS_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="60.1700" lon="24.9400"/>
  <node id="2" lat="60.1700" lon="24.9440"/>
  <node id="3" lat="60.1705" lon="24.9420"/>
  <node id="4" lat="60.1715" lon="24.9400"/>
  <node id="5" lat="60.1695" lon="24.9440"/>
  <node id="6" lat="60.1695" lon="24.9400"/>
  <node id="7" lat="60.1690" lon="24.9420"/>
  <way id="10"><nd ref="1"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name" v="Kaivokatu"/></way>
  <way id="11"><nd ref="3"/><nd ref="2"/>
    <tag k="highway" v="residential"/><tag k="name" v="中山路"/></way>
  <way id="20"><nd ref="1"/><nd ref="2"/>
    <tag k="highway" v="residential"/><tag k="access" v="private"/>
    <tag k="name" v="Privatweg"/></way>
  <way id="21"><nd ref="1"/><nd ref="4"/>
    <tag k="highway" v="service"/><tag k="name" v="医院路"/></way>
  <way id="30"><nd ref="2"/><nd ref="5"/>
    <tag k="highway" v="service"/><tag k="service" v="driveway"/></way>
  <way id="31"><nd ref="1"/><nd ref="6"/>
    <tag k="highway" v="service"/><tag k="service" v="parking_aisle"/></way>
  <way id="32"><nd ref="6"/><nd ref="7"/><nd ref="2"/>
    <tag k="highway" v="residential"/><tag k="access" v="no"/></way>
</osm>
"""

A, B, H = (24.9400, 60.1700), (24.9440, 60.1700), (24.9400, 60.1715)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    folder = tmp_path_factory.mktemp("access")
    (folder / "access.osm").write_text(ACCESS_XML, encoding="utf-8")
    import_map(folder / "access.osm", folder / "map")
    return RoadNetwork.load(folder / "map")


def _edges_named(net: RoadNetwork, name: str) -> list[int]:
    g = net.graph
    return [e for e in range(g.edge_count) if any(n == name for _, _, n in g.names_along(e))]


# -- the rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential"}, PUBLIC),
        ({"highway": "residential", "access": "private"}, RESTRICTED),
        ({"highway": "residential", "access": "destination"}, RESTRICTED),
        ({"highway": "unclassified", "access": "customers"}, RESTRICTED),
        ({"highway": "residential", "access": "private;delivery"}, RESTRICTED),
        ({"highway": "service"}, RESTRICTED),
        ({"highway": "service", "service": "alley"}, RESTRICTED),
        ({"highway": "service", "service": "emergency_access"}, RESTRICTED),
        ({"highway": "service", "service": "driveway"}, None),
        ({"highway": "service", "service": "parking_aisle"}, None),
        ({"highway": "service", "service": "parking"}, None),
        ({"highway": "residential", "access": "no"}, None),
        ({"highway": "residential", "access": "no", "emergency": "yes"}, RESTRICTED),
        ({"highway": "residential", "emergency": "no"}, None),
        # the most specific access key decides: motor vehicles no, even if access=yes
        ({"highway": "residential", "access": "yes", "motor_vehicle": "no"}, None),
        ({"highway": "residential", "access": "no", "motorcar": "yes"}, PUBLIC),
        ({"highway": "residential", "motor_vehicle": "destination"}, RESTRICTED),
        ({"highway": "residential", "access": "agricultural"}, None),
        ({"highway": "footway"}, None),
        ({"highway": "pedestrian", "name": "南京东路"}, None),
        ({"highway": "service", "area": "yes"}, None),
        ({"highway": ["residential", "service"], "access": float("nan")}, PUBLIC),
    ],
)
def test_road_access_rules(tags: dict[str, object], expected: str | None) -> None:
    assert road_access(tags) == expected


def test_entry_penalty_only_on_the_way_in_from_a_public_road() -> None:
    # 0 -public- 1 -restricted- 2 -restricted- 3, both directions
    s = np.array([0, 1, 1, 2, 2, 3], dtype=np.int64)
    t = np.array([1, 0, 2, 1, 3, 2], dtype=np.int64)
    restricted = np.array([False, False, True, True, True, True])
    extra = entry_penalties(s, t, restricted, 4, penalty_s=60.0)
    assert extra.tolist() == [0.0, 0.0, 60.0, 0.0, 0.0, 0.0]  # in at 1; inside and out free


def test_name_parts_split_a_merged_polyline_where_the_name_changes() -> None:
    xy = np.array([[0.0, 0.0], [0.001, 0.0], [0.002, 0.0], [0.004, 0.0]])
    parts = name_parts(xy, ["Unioninkatu", "Unioninkatu", "延安西路"])
    assert [n for _, n in parts] == ["Unioninkatu", "延安西路"]
    assert parts[0][0] == 0.0 and parts[1][0] == pytest.approx(0.5, abs=1e-3)
    assert name_parts(xy, ["", "", ""]) == [(0.0, "")]
    assert name_parts(xy, ["A"]) == [(0.0, "A")]  # misaligned: one part


@pytest.mark.parametrize(
    ("address", "street", "expected"),
    [
        ("Hauptstraße 5, Heidelberg", "Hauptstraße", True),
        ("West Bell Road 16952", "Bell Road", True),
        ("Springweg 3", "Ring", False),  # whole words only in Latin scripts
        ("湖南省长沙市岳麓区麓山南路932号", "麓山南路", True),
        ("延安西路100号", "延安东路", False),
    ],
)
def test_an_address_names_its_street(address: str, street: str, expected: bool) -> None:
    assert names_street(normalize(address), normalize(street)) is expected


# -- the graph --------------------------------------------------------------------------


def test_private_service_roads_are_in_parking_and_closed_roads_are_out(
    tiny: RoadNetwork,
) -> None:
    g = tiny.graph
    assert g.edge_restricted is not None
    assert set(g.node_osmid.tolist()) == {1, 2, 4}  # E merged away; 5, 6, 7 never in
    private = _edges_named(tiny, "Privatweg")
    drive = _edges_named(tiny, "医院路")
    assert len(private) == 2 and len(drive) == 2  # both directions
    assert all(g.edge_restricted[e] for e in private + drive)
    assert not any(g.edge_restricted[e] for e in _edges_named(tiny, "Kaivokatu"))


def test_public_only_import_leaves_them_out(tmp_path: Path) -> None:
    (tmp_path / "access.osm").write_text(ACCESS_XML, encoding="utf-8")
    import_map(tmp_path / "access.osm", tmp_path / "map", emergency_access=False)
    g = RoadNetwork.load(tmp_path / "map").graph
    assert set(g.node_osmid.tolist()) == {1, 2}
    assert "Privatweg" not in g.names and "医院路" not in g.names


def test_entering_a_restricted_road_costs_the_penalty_leaving_it_does_not(
    tiny: RoadNetwork,
) -> None:
    g = tiny.graph
    for e in _edges_named(tiny, "Privatweg") + _edges_named(tiny, "医院路"):
        plain = g.edge_length_m[e] / (30.0 if g.highway_of(e) == "residential" else 20.0) * 3.6
        # every end of these roads touches a public road, so both directions are entries,
        # except leaving the dead-end drive from H
        at_h = int(g.node_osmid[g.edge_source[e]]) == 4
        extra = 0.0 if at_h else ENTRY_PENALTY_S
        assert g.edge_travel_time_s[e] == pytest.approx(plain + extra)


def test_a_private_road_is_never_a_shortcut(tiny: RoadNetwork) -> None:
    route = tiny.route(A, B)
    public = sum(tiny.graph.edge_travel_time_s[e] for e in _edges_named(tiny, "中山路")[:1])
    assert route.duration_s == pytest.approx(public)  # the 248 m detour, not the 222 m road
    assert route.distance_m > 240


def test_a_call_on_a_service_road_is_reached_paying_the_entry_once(tiny: RoadNetwork) -> None:
    (eta,) = tiny.etas([B], H)
    assert eta is not None
    detour = tiny.route(B, A).duration_s
    drive = 166.8 / (20.0 / 3.6)  # A -> H, 0.0015 deg of latitude at 20 km/h
    assert eta.duration_s == pytest.approx(detour + drive + ENTRY_PENALTY_S, rel=0.01)
    (back,) = tiny.etas([H], B)
    assert back is not None and back.duration_s == pytest.approx(detour + drive, rel=0.01)


# -- names ----------------------------------------------------------------------------


def test_a_merged_segment_keeps_every_name_and_reports_the_one_under_the_point(
    tiny: RoadNetwork,
) -> None:
    g = tiny.graph
    (edge, twin) = sorted(_edges_named(tiny, "中山路"))
    for e in (edge, twin):
        names = [n for _, _, n in g.names_along(e)]
        assert sorted(names) == sorted(["Kaivokatu", "中山路"])
    near_e_b = tiny.snap(24.9432, 60.17035)  # beside the 中山路 half
    near_a_e = tiny.snap(24.9408, 60.17035)  # beside the Kaivokatu half
    assert tiny.street_at(near_e_b) == "中山路"
    assert tiny.street_at(near_a_e) == "Kaivokatu"


# -- snapping an address ----------------------------------------------------------------


def test_an_address_snaps_onto_the_street_it_names_not_the_nearer_road(
    tiny: RoadNetwork,
) -> None:
    point = (24.9410, 60.17003)  # 3 m from the private road, ~20 m from Kaivokatu
    nearest = tiny.snap(*point)
    assert tiny.street_at(nearest) == "Privatweg" and nearest.distance_m < 5
    english = tiny.snap_call(*point, "Kaivokatu 12, Helsinki")
    assert tiny.street_at(english) == "Kaivokatu" and 10 < english.distance_m < 30
    chinese = tiny.snap_call(*point, "中山路12号")
    assert tiny.street_at(chinese) == "中山路" and english.distance_m < chinese.distance_m < 150
    assert tiny.snap_call(*point, "Unknown Road 5") == nearest
    assert tiny.snap_call(*point, None) == nearest


def test_the_named_street_is_only_preferred_within_its_radius(tiny: RoadNetwork) -> None:
    far = (24.9410, 60.1690)  # 111 m south of the private road, far from 中山路
    assert tiny.street_at(tiny.snap_call(*far, "中山路12号")) == "Privatweg"
    assert tiny.snapper.snap_to_street(*far, "中山路12号", radius_m=500.0).distance_m > 150


def test_recommendation_etas_and_routes_end_on_the_named_street(tiny: RoadNetwork) -> None:
    point = (24.9410, 60.17003)
    (plain,) = tiny.etas([B], point)
    (named,) = tiny.etas([B], point, address="Kaivokatu 12")
    assert plain is not None and named is not None
    assert named.duration_s != pytest.approx(plain.duration_s)
    route = tiny.route(B, point, address="Kaivokatu 12")
    assert route.duration_s == pytest.approx(named.duration_s)
    (best,) = tiny.best([B], point, 1, address="Kaivokatu 12")
    assert best[1].duration_s == pytest.approx(named.duration_s)


# -- the real extract ---------------------------------------------------------------------


def test_helsinki_has_service_roads_and_merged_names(helsinki: RoadNetwork) -> None:
    g = helsinki.graph
    assert g.edge_restricted is not None
    assert "service" in g.highways and int(g.edge_restricted.sum()) > 50
    multi = [e for e in range(g.edge_count) if len(g.names_along(e)) > 1]
    assert multi
    for e in multi:
        parts = g.names_along(e)
        assert parts[0][0] == 0.0 and parts[-1][1] == 1.0
        assert all(a < b for a, b, _ in parts)
        assert {n for _, _, n in parts} - {""}
