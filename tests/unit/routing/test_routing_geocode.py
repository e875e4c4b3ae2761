"""The offline geocoder finds real Helsinki streets and addresses from the extract."""

from __future__ import annotations

import pytest

from routing import Geocoder, Place, RoadNetwork
from routing.projection import haversine_m
from routing.text import normalize


@pytest.fixture(scope="module")
def geocoder(helsinki: RoadNetwork) -> Geocoder:
    return helsinki.geocoder


def top(geocoder: Geocoder, query: str) -> Place:
    results = geocoder.search(query)
    assert results, f"nothing found for {query!r}"
    return results[0]


def test_address_in_either_order(geocoder: Geocoder, helsinki: RoadNetwork) -> None:
    first = top(geocoder, "Mannerheimintie 5")
    assert (first.label, first.kind, first.score) == ("Mannerheimintie 5", "address", 1.0)
    assert top(geocoder, "5 Mannerheimintie") == first
    assert top(geocoder, "mannerheimintie 5") == first
    w, s, e, n = helsinki.bbox
    assert w - 0.01 < first.lon < e + 0.01 and s - 0.01 < first.lat < n + 0.01
    # The address point is by the street it names.
    street = top(geocoder, "Mannerheimintie")
    assert haversine_m(first.lon, first.lat, street.lon, street.lat) < 500


def test_street_exact_case_and_diacritics(geocoder: Geocoder) -> None:
    for query in ("Mannerheimintie", "MANNERHEIMINTIE", "  mannerheimintie  "):
        place = top(geocoder, query)
        assert (place.label, place.kind, place.score) == ("Mannerheimintie", "street", 1.0)
    assert top(geocoder, "yrjonkatu").label == "Yrjönkatu"
    assert top(geocoder, "Saastopankinranta 6").label == "Säästöpankinranta 6"
    assert top(geocoder, "etelaesplanadi").label == "Eteläesplanadi"


def test_typos_and_prefixes(geocoder: Geocoder) -> None:
    typo = top(geocoder, "Manerheimintie")
    assert typo.label == "Mannerheimintie" and 0.0 < typo.score < 1.0
    assert top(geocoder, "Mannerhiemintie 5").label == "Mannerheimintie 5"
    assert top(geocoder, "manner").label == "Mannerheimintie"
    assert top(geocoder, "mannerh").label == "Mannerheimintie"
    assert top(geocoder, "manerh").label == "Mannerheimintie"
    assert top(geocoder, "yrjon").label == "Yrjönkatu"


def test_street_points_lie_on_the_street(geocoder: Geocoder, helsinki: RoadNetwork) -> None:
    place = top(geocoder, "Yrjönkatu")
    snap = helsinki.snap(place.lon, place.lat)
    assert snap.distance_m < 1.0
    assert helsinki.graph.name_of(snap.edge) == "Yrjönkatu"


def test_pois_are_searchable(geocoder: Geocoder) -> None:
    place = top(geocoder, "erottajan paloasema")
    assert place.kind == "poi" and place.label == "Erottajan paloasema"


def test_limits_scores_and_empty_answers(geocoder: Geocoder) -> None:
    results = geocoder.search("ete", limit=3)
    assert len(results) == 3
    assert all(p.label.startswith("Etel") for p in results)
    assert all(0.0 < p.score <= 1.0 for p in results)
    assert [p.score for p in results] == sorted((p.score for p in results), reverse=True)
    assert geocoder.search("") == []
    assert geocoder.search("   \t ") == []
    assert geocoder.search("!!!") == []
    assert geocoder.search("xqzvwj") == []
    assert geocoder.search("Mannerheimintie", limit=0) == []
    assert top(geocoder, "Mannerheimintie 5").as_dict()["location"] == [
        top(geocoder, "Mannerheimintie 5").lon,
        top(geocoder, "Mannerheimintie 5").lat,
    ]


def test_normalize() -> None:
    assert normalize("  Hauptstraße 5 ") == "hauptstrasse 5"
    assert normalize("Hauptstr. 5") == "hauptstrasse 5"
    assert normalize("Töölöntori") == "toolontori"
    assert normalize("世纪大道") == "世纪大道"
    assert normalize("St.-Josef's") == "st josef s"


def test_a_later_word_of_a_name_matches(geocoder: Geocoder) -> None:
    labels = {p.label for p in geocoder.search("teatterikuja")}
    assert {"Itäinen Teatterikuja", "Läntinen Teatterikuja"} <= labels


# --- issue 4: intersections, interpolation, aliases, POIs, reverse, confidence ---------


def test_intersections_in_every_spelling(geocoder: Geocoder, helsinki: RoadNetwork) -> None:
    queries = (
        "Mannerheimintie & Kaivokatu",
        "kaivokatu ja mannerheimintie",
        "Kaivokatu and Mannerheimintie",
        "Mannerheimintie/Kaivokatu",
        "Kaivokatu + Manerheimintie",  # a typo on one side still finds the corner
    )
    for query in queries:
        place = top(geocoder, query)
        assert (place.label, place.kind) == ("Kaivokatu & Mannerheimintie", "intersection")
        assert place.score >= 0.9
    assert top(geocoder, "Mannerheimintie & Kaivokatu").score == 1.0
    # The corner is a road node where both streets leave.
    g = helsinki.graph
    node = int(((g.node_lon - place.lon) ** 2 + (g.node_lat - place.lat) ** 2).argmin())
    assert haversine_m(place.lon, place.lat, g.node_lon[node], g.node_lat[node]) < 0.1
    names = {g.name_of(e) for e in g.out_edges(node)}
    names |= {g.name_of(e) for e in range(g.edge_count) if g.edge_target[e] == node}
    assert {"Kaivokatu", "Mannerheimintie"} <= names


def test_streets_that_never_meet_are_not_confident(geocoder: Geocoder) -> None:
    # Both are real streets, at opposite ends of the centre: no corner to send a unit to.
    results = geocoder.search("Mannerheimintie & Liisankatu")
    assert results and all(p.kind != "intersection" for p in results)
    assert all(p.score < 0.6 for p in results)


def test_missing_house_number_is_interpolated_along_the_street(
    geocoder: Geocoder, helsinki: RoadNetwork
) -> None:
    assert [p.label for p in geocoder.search("Eteläranta 10")].count("Eteläranta 10") == 1
    place = top(geocoder, "Eteläranta 10")  # 8 and 12 are in the map, 10 is not
    assert (place.label, place.kind, place.interpolated) == ("Eteläranta 10", "address", True)
    assert 0.6 <= place.score < 1.0
    lo, hi = top(geocoder, "Eteläranta 8"), top(geocoder, "Eteläranta 12")
    assert not lo.interpolated and not hi.interpolated and lo.score == hi.score == 1.0
    span = haversine_m(lo.lon, lo.lat, hi.lon, hi.lat)
    assert haversine_m(place.lon, place.lat, lo.lon, lo.lat) < span
    assert haversine_m(place.lon, place.lat, hi.lon, hi.lat) < span
    snap = helsinki.snap(place.lon, place.lat)  # on the street itself
    assert snap.distance_m < 1.0 and helsinki.graph.name_of(snap.edge) == "Eteläranta"
    assert place.as_dict()["interpolated"] is True
    # A number inside a tagged range ("22-24") is placed at that building.
    within = top(geocoder, "Mannerheimintie 22")
    assert (within.label, within.interpolated) == ("Mannerheimintie 22", True)
    building = top(geocoder, "Mannerheimintie 22-24")
    assert building.score == 1.0 and not building.interpolated
    assert haversine_m(within.lon, within.lat, building.lon, building.lat) < 1.0
    # No neighbours on both sides: no guess, the street instead.
    far = top(geocoder, "Mannerheimintie 999")
    assert (far.label, far.kind, far.interpolated) == ("Mannerheimintie", "street", False)


def test_house_number_spellings(geocoder: Geocoder) -> None:
    assert top(geocoder, "Erottajankatu 7 A").label == "Erottajankatu 7 A"
    assert top(geocoder, "erottajankatu 7a").label == "Erottajankatu 7 A"
    assert top(geocoder, "1 Lönnrotinkatu").label == "Lönnrotinkatu 1"  # "1 L..." is not "1l"
    assert top(geocoder, "Lönnrotinkatu 1").score == 1.0


def test_swedish_names_find_the_finnish_street(geocoder: Geocoder) -> None:
    place = top(geocoder, "Mannerheimvägen")
    assert (place.label, place.kind, place.score) == (
        "Mannerheimvägen (Mannerheimintie)",
        "street",
        1.0,
    )
    street = top(geocoder, "Mannerheimintie")
    assert (place.lon, place.lat) == (street.lon, street.lat)
    assert top(geocoder, "Mannerheimvägen 5").label == "Mannerheimintie 5"


def test_named_pois_have_categories(geocoder: Geocoder) -> None:
    expected = {
        "Helsingin päärautatieasema": "station",
        "Stockmann": "department_store",
        "Kauppakeskus Kluuvi": "mall",
        "Ressun lukio": "school",
        "Ateneum": "museum",
        "Erottajan paloasema": "fire_station",
    }
    for name, category in expected.items():
        place = top(geocoder, name)
        assert (place.label, place.kind, place.category, place.score) == (
            name,
            "poi",
            category,
            1.0,
        )
    assert top(geocoder, "kauppakeskus kluuv").label == "Kauppakeskus Kluuvi"
    assert top(geocoder, "Stockmann").as_dict()["category"] == "department_store"


def test_streets_known_only_from_addresses(geocoder: Geocoder) -> None:
    # Aleksanterinkatu is a tram and pedestrian street: not drivable, still an address.
    place = top(geocoder, "Aleksanterinkatu")
    assert (place.label, place.kind) == ("Aleksanterinkatu", "street")
    assert top(geocoder, "Aleksanterinkatu 22").label == "Aleksanterinkatu 22"


def test_confidence_separates_answers_from_nonsense(geocoder: Geocoder) -> None:
    for query in ("Mannerheimintie", "Mannerheimintie 5", "Kaivokatu & Mannerheimintie"):
        assert top(geocoder, query).score == 1.0
    for query in ("Manerheimintie", "Mannerhiemintie 5", "yrjonktu"):
        assert 0.6 <= top(geocoder, query).score < 1.0
    for query in ("qwxzv", "zzkrbl pfft", "1234567", "Heidelberger Landstraße", "!!! ???"):
        assert all(p.score < 0.6 for p in geocoder.search(query)), query


def test_reverse_geocoding(geocoder: Geocoder, helsinki: RoadNetwork) -> None:
    address = top(geocoder, "Mannerheimintie 5")
    here = geocoder.reverse(address.lon, address.lat)
    assert here is not None
    assert (here.label, here.kind, here.distance_m, here.score) == (
        "Mannerheimintie 5",
        "address",
        0.0,
        1.0,
    )
    # 20 m east of the address point: an address (that one or a closer one), less sure.
    east = address.lon + 20.0 / (111_320.0 * 0.4986)
    near = geocoder.reverse(east, address.lat)
    assert near is not None and near.kind == "address"
    assert 5.0 < (near.distance_m or 0.0) <= 20.5 and 0.6 < near.score < 1.0
    assert haversine_m(east, address.lat, near.lon, near.lat) == pytest.approx(
        near.distance_m, abs=0.2
    )
    # Far from every address: the nearest named street, at its nearest point.
    street = top(geocoder, "Pitkänsillanranta")
    far = geocoder.reverse(street.lon, street.lat)
    assert far is not None
    if far.kind == "street":
        assert far.label == "Pitkänsillanranta" and (far.distance_m or 0.0) < 1.0
    assert geocoder.reverse(0.0, 0.0) is None
    assert geocoder.reverse(float("nan"), 60.0) is None


def test_query_parsing() -> None:
    from routing.text import clean_housenumber, grams, parse_query, split_intersection

    assert [(p.text, p.number) for p in parse_query("Hauptstr. 12 a")] == [
        ("hauptstrasse 12 a", None),
        ("hauptstrasse", "12a"),
    ]
    assert parse_query("5 Mannerheimintie")[1].number == "5"
    assert parse_query("26 Bühler Straße")[1].number == "26"
    assert parse_query("延安西路100号")[1].text == "延安西路"
    assert parse_query("B3") == parse_query("b3")[:1]  # a road ref is no house number
    assert clean_housenumber("4, 5. krs. / Floor 5") == "4"
    assert clean_housenumber("11 B 9") == "11 B"
    assert ("kaivokatu", "mannerheimintie") in split_intersection("Kaivokatu ja Mannerheimintie")
    assert ("世纪大道", "浦东南路") in split_intersection("世纪大道与浦东南路")
    assert split_intersection("Mannerheimintie") == []
    assert {"延安", "安西", "西路"} <= grams("延安西路")
    assert " ma" in grams("manner", typeahead=True) and "er " not in grams("manner", typeahead=True)


def test_an_index_without_the_new_fields_still_works() -> None:
    """Caches written before issue 4 have only kind/label/key/number/lon/lat."""
    old = Geocoder(
        [
            {"kind": "street", "label": "Yrjönkatu", "key": "yrjonkatu", "number": "",
             "lon": 24.938, "lat": 60.167},
            {"kind": "address", "label": "Yrjönkatu 3", "key": "yrjonkatu", "number": "3",
             "lon": 24.9381, "lat": 60.1671},
        ]
    )  # fmt: skip
    assert [p.label for p in old.search("yrjonkatu 3")][:1] == ["Yrjönkatu 3"]
    assert top(old, "yrjönkatu").kind == "street"
    rev = old.reverse(24.9381, 60.1671)
    assert rev is not None and rev.label == "Yrjönkatu 3"
    assert old.reverse(24.95, 60.17) is None  # no street geometry in an old cache
