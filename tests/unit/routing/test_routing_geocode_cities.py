"""The geocoder on two more real extracts: Heidelberg (German names, villages sharing
street names, hospitals and stations) and central Shanghai (Chinese names without
spaces, English aliases, intersections, no house numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from routing_reference import OSM_DATA

from routing import Geocoder, Place, RoadNetwork, import_map
from routing.projection import haversine_m


@pytest.fixture(scope="module")
def heidelberg(tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    out: Path = tmp_path_factory.mktemp("maps") / "heidelberg"
    import_map(OSM_DATA / "heidelberg.osm.pbf", out)
    return RoadNetwork.load(out)


@pytest.fixture(scope="module")
def shanghai(tmp_path_factory: pytest.TempPathFactory) -> RoadNetwork:
    out: Path = tmp_path_factory.mktemp("maps") / "shanghai"
    import_map(OSM_DATA / "shanghai_center.osm.pbf", out)
    return RoadNetwork.load(out)


def top(geocoder: Geocoder, query: str) -> Place:
    results = geocoder.search(query)
    assert results, f"nothing found for {query!r}"
    return results[0]


# --------------------------------------------------------------------------- Heidelberg


def test_german_addresses_in_any_order_and_spelling(heidelberg: RoadNetwork) -> None:
    g = heidelberg.geocoder
    for query in ("Bergheimer Straße 128", "bergheimer str. 128", "128 Bergheimer Straße"):
        place = top(g, query)
        assert (place.label, place.kind, place.score) == ("Bergheimer Straße 128", "address", 1.0)
    typo = top(g, "Bergheimer Strase")
    assert (typo.label, typo.kind) == ("Bergheimer Straße", "street")
    assert 0.6 <= typo.score < 1.0
    snap = heidelberg.snap(typo.lon, typo.lat)
    assert snap.distance_m < 1.0 and heidelberg.graph.name_of(snap.edge) == "Bergheimer Straße"


def test_same_street_name_in_several_villages(heidelberg: RoadNetwork) -> None:
    g = heidelberg.geocoder
    hits = g.search("Hauptstraße", limit=10)
    assert len(hits) >= 5 and all(p.score == 1.0 and p.kind == "street" for p in hits)
    labels = {p.label for p in hits}
    assert len(labels) == len(hits)  # told apart by their village
    assert {"Hauptstraße, Dossenheim", "Hauptstraße, Bammental"} <= labels
    spread = max(haversine_m(a.lon, a.lat, b.lon, b.lat) for a in hits for b in hits)
    assert spread > 5000
    # Typing the village picks that one.
    assert top(g, "Hauptstraße Dossenheim").label == "Hauptstraße, Dossenheim"


def test_interpolation_keeps_the_village(heidelberg: RoadNetwork) -> None:
    g = heidelberg.geocoder
    place = top(g, "Neckargemünder Straße 8")  # 6 and 10 are mapped in Neckarsteinach
    assert place.kind == "address" and place.interpolated
    # Told apart by a street it meets; merged road segments now keep every name along
    # them, so the most frequent unique neighbour is Hauptstraße (it was Burgenweg).
    assert place.label == "Neckargemünder Straße 8, Neckarsteinach (near Hauptstraße)"
    six, ten = top(g, "Neckargemünder Straße 6"), top(g, "Neckargemünder Straße 10")
    span = haversine_m(six.lon, six.lat, ten.lon, ten.lat)
    assert haversine_m(place.lon, place.lat, six.lon, six.lat) <= span
    assert haversine_m(place.lon, place.lat, ten.lon, ten.lat) <= span


def test_german_intersections(heidelberg: RoadNetwork) -> None:
    g = heidelberg.geocoder
    for query in (
        "Bergheimer Straße & Bismarckstraße",
        "Bismarckstraße und Bergheimer Straße",
        "bergheimer str / bismarckstr",
    ):
        place = top(g, query)
        assert (place.label, place.kind) == ("Bergheimer Straße & Bismarckstraße", "intersection")
    assert top(g, "Bergheimer Straße & Bismarckstraße").score == 1.0


def test_hospitals_schools_and_stations(heidelberg: RoadNetwork) -> None:
    g = heidelberg.geocoder
    expected = {
        "St. Josefskrankenhaus": "hospital",
        "Bethanien-Krankenhaus": "hospital",
        "Feuerwache Heidelberg": "fire_station",
        "Heidelberg Hauptbahnhof": "station",
        "Grundschule Schlierbach": "school",
        "Ruprecht-Karls-Universität": "university",
    }
    for name, category in expected.items():
        place = top(g, name)
        assert (place.label, place.kind, place.category, place.score) == (
            name,
            "poi",
            category,
            1.0,
        )
    assert top(g, "josefskrankenhaus").label == "St. Josefskrankenhaus"
    assert top(g, "St. Josefskrankenhas").label == "St. Josefskrankenhaus"


def test_reverse_matches_the_snapper(heidelberg: RoadNetwork) -> None:
    g, graph = heidelberg.geocoder, heidelberg.graph
    rng = np.random.default_rng(3)
    checked = 0
    for n in rng.choice(graph.node_count, size=60, replace=False).tolist():
        lon, lat = float(graph.node_lon[n]) + 2e-4, float(graph.node_lat[n])
        place = g.reverse(lon, lat)
        snap = heidelberg.snap(lon, lat)
        if place is None or place.kind != "street" or not graph.name_of(snap.edge):
            continue
        # The nearest named street is never nearer than the nearest road of any name,
        # and when the nearest road is named, it is that street at that distance.
        assert place.distance_m is not None and place.distance_m >= snap.distance_m - 0.5
        if place.label.split(",")[0].split(" (")[0] == graph.name_of(snap.edge):
            assert place.distance_m == pytest.approx(snap.distance_m, abs=0.5)
            checked += 1
    assert checked >= 10


# --------------------------------------------------------------------------- Shanghai


def test_chinese_streets_without_spaces(shanghai: RoadNetwork) -> None:
    g = shanghai.geocoder
    place = top(g, "延安西路")
    assert (place.label, place.kind, place.score) == ("延安西路", "street", 1.0)
    snap = shanghai.snap(place.lon, place.lat)
    assert snap.distance_m < 1.0 and shanghai.graph.name_of(snap.edge) == "延安西路"
    prefix = top(g, "延安西")  # typeahead on a name with no word breaks
    assert prefix.label == "延安西路" and 0.8 < prefix.score < 1.0
    assert top(g, "陆家嘴环岛").label == "陆家嘴环岛"
    assert top(g, "世纪大道").label == "世纪大道"
    assert top(g, "延安西路100号").label == "延安西路"  # no house numbers here: the street


def test_homophone_typos_and_pinyin(shanghai: RoadNetwork) -> None:
    g = shanghai.geocoder
    for query in ("延按西路", "yananxilu", "yan an xi lu"):
        place = top(g, query)
        assert place.label == "延安西路" and 0.8 < place.score < 1.0


def test_english_names_of_chinese_streets(shanghai: RoadNetwork) -> None:
    g = shanghai.geocoder
    place = top(g, "West Yan'an Road")
    assert (place.label, place.kind, place.score) == ("West Yan'an Road (延安西路)", "street", 1.0)
    assert (place.lon, place.lat) == (top(g, "延安西路").lon, top(g, "延安西路").lat)
    swapped = top(g, "Yan'an West Road")
    assert swapped.label == "West Yan'an Road (延安西路)" and swapped.score >= 0.9
    assert top(g, "Century Avenue").label == "Century Avenue (世纪大道)"


def test_chinese_intersections(shanghai: RoadNetwork) -> None:
    g = shanghai.geocoder
    for query in (
        "世纪大道与浦东南路",
        "世纪大道和浦东南路",
        "浦东南路与世纪大道",
        "世纪大道/浦东南路",
        "世纪大道 & 浦东南路",
        "Century Avenue & South Pudong Road",
    ):
        place = top(g, query)
        assert (place.label, place.kind, place.score) == (
            "世纪大道与浦东南路",  # written as a 120 form prints a crossing
            "intersection",
            1.0,
        )
    corner = top(g, "世纪大道与浦东南路")
    graph = shanghai.graph
    node = int(((graph.node_lon - corner.lon) ** 2 + (graph.node_lat - corner.lat) ** 2).argmin())
    names = {graph.name_of(e) for e in graph.out_edges(node)}
    names |= {graph.name_of(e) for e in np.flatnonzero(graph.edge_target == node).tolist()}
    assert {"世纪大道", "浦东南路"} <= names
    # A typo on one side still finds the corner, a little less sure.
    typo = top(g, "世纪大到与浦东南路")
    assert typo.label == "世纪大道与浦东南路" and 0.6 < typo.score < 1.0


def test_chinese_nonsense_is_not_confident(shanghai: RoadNetwork) -> None:
    g = shanghai.geocoder
    for query in ("的的的的", "我爱北京天安门", "马马虎虎"):
        assert all(p.score < 0.6 for p in g.search(query)), query


def test_reverse_without_addresses_gives_the_street(shanghai: RoadNetwork) -> None:
    g = shanghai.geocoder
    street = top(g, "延安西路")
    on = g.reverse(street.lon, street.lat)
    assert on is not None and (on.label, on.kind, on.score) == ("延安西路", "street", 1.0)
    assert on.distance_m is not None and on.distance_m < 0.5
    assert g.reverse(121.0, 31.0) is None  # 40 km out of the map
