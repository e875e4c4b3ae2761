"""The RoadNetwork facade: map metadata, road layer and POIs for the console."""

from __future__ import annotations

import json

from routing import RoadNetwork


def test_roads_geojson_has_each_segment_once(helsinki: RoadNetwork) -> None:
    roads = helsinki.roads_geojson()
    json.dumps(roads)  # serialisable as is
    assert roads["type"] == "FeatureCollection"
    features = roads["features"]
    g = helsinki.graph
    two_way_pairs = int((g.edge_twin >= 0).sum()) // 2
    assert len(features) == g.edge_count - two_way_pairs
    for f in features:
        assert f["type"] == "Feature"
        assert f["geometry"]["type"] == "LineString"
        assert len(f["geometry"]["coordinates"]) >= 2
        assert set(f["properties"]) >= {"highway", "name"}
    names = {f["properties"]["name"] for f in features}
    assert "Mannerheimintie" in names
    w, s, e, n = helsinki.bbox
    for f in features:
        for lon, lat in f["geometry"]["coordinates"]:
            assert w - 0.01 <= lon <= e + 0.01 and s - 0.01 <= lat <= n + 0.01


def test_pois(helsinki: RoadNetwork) -> None:
    stations = helsinki.pois("fire_station")
    assert [p.name for p in stations] == ["Erottajan paloasema"]
    station = stations[0]
    assert station.as_dict() == {
        "name": "Erottajan paloasema",
        "location": [station.lon, station.lat],
    }
    assert helsinki.snap(station.lon, station.lat).distance_m < 200
    assert helsinki.pois("hospital") == []
    assert helsinki.pois() == stations


def test_map_metadata(helsinki: RoadNetwork) -> None:
    assert helsinki.name == "Helsinki"
    w, s, e, n = helsinki.bbox
    lon, lat = helsinki.center
    assert w < lon < e and s < lat < n


def test_routing_never_imports_dispatch() -> None:
    import ast
    from pathlib import Path

    import routing

    for path in Path(routing.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                assert not any(a.name.split(".")[0] == "dispatch" for a in node.names), path
            elif isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] != "dispatch", path
