"""Importing an extract: a sound graph, a complete cache, and safe failure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from routing_reference import OSM_DATA
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from routing import MapCacheError, MapImportError, RoadNetwork, default_map_path, import_map
from routing.access import entry_penalties
from routing.graph import RoadGraph
from routing.projection import haversine_m

CACHE_FILES = {"meta.json", "graph.npz", "pois.json", "geocoder.json"}


def digest(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_cache_layout_and_meta(helsinki_dir: Path, helsinki: RoadNetwork) -> None:
    assert {p.name for p in helsinki_dir.iterdir()} == CACHE_FILES
    meta = json.loads((helsinki_dir / "meta.json").read_text())
    assert meta["name"] == "Helsinki"
    assert meta["source"] == str(default_map_path().resolve())
    assert meta["node_count"] == helsinki.graph.node_count > 100
    assert meta["edge_count"] == helsinki.graph.edge_count > 200
    assert meta["dropped_nodes"] >= 0
    w, s, e, n = helsinki.bbox
    assert 24.9 < w < e < 25.0 and 60.1 < s < n < 60.2
    assert helsinki.center == pytest.approx(((w + e) / 2, (s + n) / 2))
    assert meta["addresses"] > 500 and meta["streets"] > 40


def test_graph_is_one_strongly_connected_component(helsinki: RoadNetwork) -> None:
    g = helsinki.graph
    matrix = csr_array(
        (np.ones(g.edge_count), (g.edge_source, g.edge_target)), shape=(g.node_count, g.node_count)
    )
    count, _ = connected_components(matrix, directed=True, connection="strong")
    assert count == 1


def test_edges_are_consistent(helsinki: RoadNetwork) -> None:
    g = helsinki.graph
    assert np.all(np.diff(g.edge_source) >= 0), "edges are sorted by source (CSR)"
    for node in range(g.node_count):
        assert all(g.edge_source[e] == node for e in g.out_edges(node))
    assert np.all(g.edge_travel_time_s > 0) and np.all(g.edge_length_m > 0)
    assert g.edge_restricted is not None
    penalty = entry_penalties(g.edge_source, g.edge_target, g.edge_restricted, g.node_count)
    assert 0 < np.count_nonzero(penalty) < np.count_nonzero(g.edge_restricted)
    for e in range(g.edge_count):
        lon, lat = g.geometry(e)
        s, t = g.edge_source[e], g.edge_target[e]
        assert (lon[0], lat[0]) == (g.node_lon[s], g.node_lat[s])
        assert (lon[-1], lat[-1]) == (g.node_lon[t], g.node_lat[t])
        length = sum(
            haversine_m(lon[i], lat[i], lon[i + 1], lat[i + 1]) for i in range(len(lon) - 1)
        )
        assert g.edge_length_m[e] == pytest.approx(length, rel=1e-9)
        # Helsinki centre is tagged 30-40 km/h: 25-45 km/h covers every public edge; service
        # roads run at 20 km/h or as tagged, and the way into a restricted road costs its
        # entry penalty.
        drive_s = g.edge_travel_time_s[e] - penalty[e]
        slowest = 5 if g.is_restricted(e) else 25  # private roads: living streets, walk pace
        assert slowest / 3.6 <= g.edge_length_m[e] / drive_s <= 45 / 3.6
        twin = g.edge_twin[e]
        if twin >= 0:
            assert g.edge_twin[twin] == e
            assert (g.edge_source[twin], g.edge_target[twin]) == (t, s)
            tlon, tlat = g.geometry(int(twin))
            assert np.array_equal(tlon, lon[::-1]) and np.array_equal(tlat, lat[::-1])
    one_way = int((g.edge_twin < 0).sum())
    assert 0 < one_way < g.edge_count, "the centre mixes one-way and two-way streets"
    assert "Mannerheimintie" in g.names
    assert {"primary", "residential"} <= set(g.highways)


def test_emergency_speed_factor_scales_times(tmp_path: Path, helsinki: RoadNetwork) -> None:
    summary = import_map(default_map_path(), tmp_path / "fast", emergency_speed_factor=1.25)
    fast = RoadNetwork.load(tmp_path / "fast")
    assert summary.emergency_speed_factor == 1.25
    g = helsinki.graph
    assert g.edge_restricted is not None
    # the speeds scale; the entry penalty of restricted roads (a gate, a barrier) does not
    penalty = entry_penalties(g.edge_source, g.edge_target, g.edge_restricted, g.node_count)
    np.testing.assert_allclose(
        (fast.graph.edge_travel_time_s - penalty) * 1.25, g.edge_travel_time_s - penalty, rtol=1e-9
    )


def test_graph_round_trip(tmp_path: Path, helsinki: RoadNetwork) -> None:
    helsinki.graph.save(tmp_path)
    again = RoadGraph.load(tmp_path)
    for name in (
        "node_lon",
        "indptr",
        "edge_target",
        "edge_travel_time_s",
        "edge_twin",
        "geom_offsets",
        "geom_lat",
        "edge_name",
    ):
        assert np.array_equal(getattr(again, name), getattr(helsinki.graph, name))
    assert again.names == helsinki.graph.names
    nxg = again.to_networkx()
    assert nxg.number_of_nodes() == again.node_count
    assert nxg.number_of_edges() == again.edge_count


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("empty.osm.pbf", b"", "not a readable OSM PBF"),
        ("text.osm.pbf", b"this is not OpenStreetMap data\n" * 10, "not a readable OSM PBF"),
        ("random.osm.pbf", bytes(range(256)) * 20, "not a readable OSM PBF"),
        ("roads.geojson", b'{"type": "FeatureCollection", "features": []}', "only OSM extracts"),
        ("empty.osm", b"", "not a readable OSM XML"),
        ("text.osm", b"this is not OpenStreetMap data\n", "not a readable OSM XML"),
        ("nothing.osm", b'<?xml version="1.0"?><osm version="0.6"></osm>', "OSM XML|no drivable"),
    ],
)
def test_bad_input_raises_and_keeps_the_existing_cache(
    tmp_path: Path, helsinki_dir: Path, filename: str, content: bytes, message: str
) -> None:
    out = tmp_path / "map"
    import_map(default_map_path(), out)
    before = digest(out)
    bad = tmp_path / filename
    bad.write_bytes(content)
    with pytest.raises(MapImportError, match=message) as info:
        import_map(bad, out)
    assert info.value.code == "map-import-failed"
    assert digest(out) == before
    assert RoadNetwork.load(out).graph.node_count > 100
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_missing_source_and_unsafe_target(tmp_path: Path) -> None:
    with pytest.raises(MapImportError, match="not found"):
        import_map(tmp_path / "nope.osm.pbf", tmp_path / "map")
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    with pytest.raises(MapImportError, match="not a map cache"):
        import_map(default_map_path(), precious)
    assert (precious / "thesis.txt").read_text() == "do not delete"
    with pytest.raises(ValueError, match="emergency_speed_factor"):
        import_map(default_map_path(), tmp_path / "map", emergency_speed_factor=0.0)


def test_loading_a_missing_or_foreign_cache_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(MapCacheError) as info:
        RoadNetwork.load(tmp_path / "missing")
    assert info.value.code == "map-cache-invalid"
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "meta.json").write_text('{"format": 0}')
    with pytest.raises(MapCacheError, match="re-import"):
        RoadNetwork.load(tmp_path / "old")


def test_progress_messages(tmp_path: Path) -> None:
    messages: list[str] = []
    import_map(default_map_path(), tmp_path / "map", progress=messages.append)
    assert any("nodes" in m for m in messages)
    assert messages[-1].startswith("done")


SHANGHAI_XML = OSM_DATA / "shanghai_center.osm"

TINY_XML = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
  <node id="1" lat="60.1700" lon="24.9400"/>
  <node id="2" lat="60.1710" lon="24.9400"/>
  <node id="3" lat="60.1710" lon="24.9420"/>
  <node id="4" lat="60.1700" lon="24.9420"/>
  <node id="5" lat="60.1690" lon="24.9410"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/><tag k="name" v="Testikatu"/></way>
  <way id="11"><nd ref="3"/><nd ref="4"/><nd ref="1"/>
    <tag k="highway" v="primary"/><tag k="oneway" v="yes"/><tag k="maxspeed" v="60"/></way>
  <way id="12"><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>
  <way id="13"><nd ref="1"/><nd ref="5"/><nd ref="4"/><tag k="building" v="yes"/></way>
</osm>
"""


def test_osm_xml_keeps_drivable_roads_and_one_ways(tmp_path: Path) -> None:
    source = tmp_path / "tiny.osm"
    source.write_text(TINY_XML)
    summary = import_map(source, tmp_path / "map")
    g = RoadNetwork.load(tmp_path / "map").graph
    assert summary.name == "tiny"
    assert set(g.highways) == {"residential", "primary"}  # no footway, no building
    assert int(g.node_osmid.min()) >= 1 and 5 not in g.node_osmid.tolist()
    primary = [e for e in range(g.edge_count) if g.highway_of(e) == "primary"]
    assert primary and all(g.edge_twin[e] < 0 for e in primary)  # one-way respected
    speeds = g.edge_length_m[primary] / g.edge_travel_time_s[primary] * 3.6
    np.testing.assert_allclose(speeds, 60.0)
    assert "Testikatu" in g.names


def test_shanghai_xml_matches_its_pbf_twin(tmp_path: Path) -> None:
    assert SHANGHAI_XML.is_file(), f"shared test data missing: {SHANGHAI_XML}"
    messages: list[str] = []
    summary = import_map(SHANGHAI_XML, tmp_path / "xml", progress=messages.append)
    assert "OSM XML" in messages[0] and messages[-1].startswith("done")
    net = RoadNetwork.load(tmp_path / "xml")
    # pyrosm reads the converted .pbf of the same data into 3,687 nodes / 8,768 edges.
    assert summary.node_count == pytest.approx(3687, rel=0.02)
    assert summary.edge_count == pytest.approx(8768, rel=0.02)
    assert summary.streets > 700
    assert "世纪大道" in net.graph.names
    g = net.graph
    matrix = csr_array(
        (np.ones(g.edge_count), (g.edge_source, g.edge_target)), shape=(g.node_count,) * 2
    )
    assert connected_components(matrix, directed=True, connection="strong")[0] == 1
    a = (float(g.node_lon[0]), float(g.node_lat[0]))
    b = (float(g.node_lon[-1]), float(g.node_lat[-1]))
    route = net.route(a, b)
    assert route.distance_m > 1000 and route.steps[-1].maneuver == "arrive"


def test_place_import_fails_clearly_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import osmnx as ox

    from routing import import_place

    # Whatever this machine's network, point osmnx at a closed local port.
    monkeypatch.setattr(ox.settings, "nominatim_url", "http://127.0.0.1:9/")
    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/")
    monkeypatch.setattr(ox.settings, "use_cache", False)
    monkeypatch.setattr(ox.settings, "requests_timeout", 2)
    out = tmp_path / "map"
    import_map(default_map_path(), out)
    before = digest(out)
    with pytest.raises(MapImportError, match="internet must be reachable") as info:
        import_place("Helsinki, Finland", out)
    assert info.value.code == "map-import-failed"
    assert digest(out) == before
    with pytest.raises(MapImportError, match="place name"):
        import_place("  ", out)
