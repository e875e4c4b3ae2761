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
