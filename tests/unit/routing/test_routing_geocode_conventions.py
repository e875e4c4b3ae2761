"""The geocoder answers addresses typed the way call-takers in the US and in China or
Taiwan type them, on made-up towns built through the real index builder
(``address_town``), and on the real Heidelberg extract for areas, units and postcodes."""

from __future__ import annotations

import pytest
from address_town import FakeGraph, chinese_city, town, us_suburb

from routing import Geocoder, Place, RoadNetwork
from routing.projection import haversine_m


@pytest.fixture(scope="module")
def us() -> Geocoder:
    return us_suburb()


@pytest.fixture(scope="module")
def zh() -> Geocoder:
    return chinese_city()


def top(geocoder: Geocoder, query: str) -> Place:
    results = geocoder.search(query)
    assert results, f"nothing found for {query!r}"
    return results[0]


# --------------------------------------------------------------------------- US forms


def test_us_labels_are_number_first(us: Geocoder) -> None:
    labels = {e["label"] for e in us.entries if e["kind"] == "address"}
    assert {
        "16952 West Bell Road",
        "14502 West Meeker Boulevard",
        "17302 North 99th Avenue",
    } <= labels


@pytest.mark.parametrize(
    "query",
    [
        "14502 W Meeker Blvd",
        "14502 West Meeker Boulevard",
        "14502 w meeker blvd",
        "14502 W Meeker Blvd, Sun City West, AZ 85375",
        "14502 W Meeker Blvd Sun City West AZ 85375",
        "14502 W Meeker Blvd, Sun City West, Arizona",
        "W Meeker Blvd 14502",
    ],
)
def test_us_abbreviations_zip_and_city(us: Geocoder, query: str) -> None:
    place = top(us, query)
    assert (place.label, place.kind, place.score) == ("14502 West Meeker Boulevard", "address", 1.0)


def test_misspelling_with_abbreviations(us: Geocoder) -> None:
    for query in ("14502 W Meker Blvd", "14502 W Meeker Bvld", "16952 W Bel Rd"):
        place = top(us, query)
        assert place.kind == "address" and 0.6 <= place.score < 1.0, (query, place)
    assert top(us, "14502 W Meker Blvd").label == "14502 West Meeker Boulevard"
    assert top(us, "16952 W Bel Rd").label == "16952 West Bell Road"


@pytest.mark.parametrize(
    ("query", "unit", "label"),
    [
        ("12213 W Bell Rd #117", "#117", "12213 West Bell Road #117"),
        ("16952 W Bell Rd apt 5", "apt 5", "16952 West Bell Road apt 5"),
        ("16952 West Bell Road, Suite 200, Surprise, AZ 85374", "Suite 200", None),
        ("14502 W Meeker Blvd Unit B", "Unit B", "14502 West Meeker Boulevard Unit B"),
    ],
)
def test_units_are_kept_as_a_sub_address(
    us: Geocoder, query: str, unit: str, label: str | None
) -> None:
    place = top(us, query)
    assert place.kind == "address" and place.score == 1.0 and place.unit == unit
    if label is not None:
        assert place.label == label
    assert place.as_dict()["unit"] == unit


def test_a_direction_letter_after_the_number(us: Geocoder) -> None:
    for query in ("17302 N 99th Ave", "17302n 99th ave", "17302 North 99th Avenue"):
        place = top(us, query)
        assert (place.label, place.kind, place.score) == ("17302 North 99th Avenue", "address", 1.0)


def test_an_abbreviated_address_street_is_the_named_road(us: Geocoder) -> None:
    # "W Bell Rd" in an address tag is West Bell Road: no second street from address tags.
    streets = [e for e in us.entries if e["kind"] == "street" and "bell" in e["key"]]
    assert {e["label"] for e in streets} == {"West Bell Road"}
    place = top(us, "W Bell Rd")
    assert (place.label, place.kind, place.score) == ("West Bell Road", "street", 1.0)
    address = top(us, "12213 W Bell Rd")
    assert address.label == "12213 West Bell Road" and address.score == 1.0
    assert haversine_m(address.lon, address.lat, -112.309, 33.6403) < 1.0


def test_between_two_cross_streets(us: Geocoder) -> None:
    for query in (
        "W Bell Rd between N 103rd Ave and N 107th Ave",
        "West Bell Road btwn 107th Avenue & 103rd Avenue",
    ):
        place = top(us, query)
        assert place.kind == "street" and place.score >= 0.8
        assert place.label.startswith("West Bell Road (between North 10")
        assert abs(place.lon - (-112.33)) < 1e-4 and abs(place.lat - 33.64) < 1e-4


def test_zip_ranks_same_number_elsewhere(us: Geocoder) -> None:
    # 12213 and 12215 are both on Bell Road; the ZIP and city pick the right one first.
    place = top(us, "12215 W Bell Rd, Sun City, AZ 85351")
    assert place.label == "12215 West Bell Road" and place.score == 1.0


# --------------------------------------------------------------------------- Chinese forms


@pytest.mark.parametrize(
    "query",
    [
        "大學路1001號",
        "大学路1001号",
        "300新竹市東區大學路1001號",
        "新竹市東區大學路1001號",
        "新竹市东区大学路1001号",
        "台湾新竹市東區大學路１００１號",
        "大學路1001號, 新竹市東區",
        "大學路 1001",
    ],
)
def test_taiwan_address_with_prefix_postcode_and_either_script(zh: Geocoder, query: str) -> None:
    place = top(zh, query)
    assert (place.label, place.kind, place.score) == ("大學路1001號", "address", 1.0)


@pytest.mark.parametrize(
    "query", ["湖南省长沙市岳麓区麓山南路932号", "长沙市岳麓区麓山南路932号", "麓山南路932號"]
)
def test_mainland_address_with_province_city_district(zh: Geocoder, query: str) -> None:
    place = top(zh, query)
    assert (place.label, place.kind, place.score) == ("麓山南路932号", "address", 1.0)


def test_chinese_units_after_the_number(zh: Geocoder) -> None:
    place = top(zh, "湖南省长沙市岳麓区麓山南路932号3栋502室")
    assert place.kind == "address" and place.score == 1.0 and place.unit == "3栋502室"
    assert place.label == "麓山南路932号3栋502室"
    assert top(zh, "大學路1001號3樓之2").unit == "3樓之2"


def test_lanes_and_sections(zh: Geocoder) -> None:
    place = top(zh, "中山北路2段100巷3號")
    assert (place.label, place.kind, place.score) == ("中山北路二段100巷3号", "address", 1.0)
    # A number not mapped on the lane: its entrance, number 100 on the main street.
    entrance = top(zh, "中山北路二段100巷5弄9號")
    assert entrance.label == "中山北路二段100号" and 0.8 <= entrance.score < 1.0


def test_chinese_intersections_in_both_scripts(zh: Geocoder) -> None:
    for query in (
        "大學路與光復路",
        "大学路与光复路",
        "光復路和大學路",
        "大學路及光復路口",
        "大學路 & 光復路",
    ):
        place = top(zh, query)
        assert place.kind == "intersection" and place.score == 1.0, (query, place)
        assert (place.lon, place.lat) == (121.0, 24.78)


def test_chinese_between(zh: Geocoder) -> None:
    place = top(zh, "大學路（建功路與光復路之間）")
    assert place.kind == "street" and place.label == "大學路（建功路与光復路之间）"
    assert abs(place.lon - 120.995) < 1e-4


def test_campus_outranks_a_dock_with_the_same_words(zh: Geocoder) -> None:
    for query in ("交通大學", "交通大学", "陽明交通大學", "交大", "國立陽明交通大學"):
        place = top(zh, query)
        assert (place.label, place.category) == ("國立陽明交通大學", "university"), query
        assert place.outline is not None and len(place.outline) == 5
    # The dock is still found by its own name.
    assert top(zh, "交通大學YouBike站").label == "交通大學YouBike站"


# --------------------------------------------------------------------------- names along a road


def test_reverse_reports_the_name_under_the_point() -> None:
    """One merged edge, Avenue A for its first 60 %, then Side Street: a point on each
    part is reported on its own street (with only the first name kept, both were A)."""
    line = [(10.0, 50.0), (10.006, 50.0), (10.010, 50.0)]
    g = town(
        [("Avenue A", line), ("Cross Street", [(10.010, 50.0), (10.010, 50.005)])],
        parts={0: [(0.0, 0.6, "Avenue A"), (0.6, 1.0, "Side Street")]},
    )
    near_a, near_side = g.reverse(10.002, 50.0001), g.reverse(10.0085, 50.0001)
    assert near_a is not None and near_a.label == "Avenue A"
    assert near_side is not None and near_side.label == "Side Street"
    assert top(g, "Side Street & Cross Street").kind == "intersection"
    assert FakeGraph([line]).node_count == 2


# --------------------------------------------------------------------------- real map


def test_university_area_answers_with_its_outline(heidelberg: RoadNetwork) -> None:
    g = heidelberg.geocoder
    place = top(g, "Universität")
    assert place.kind == "poi" and place.category == "university" and place.outline
    assert place.label.startswith("Universität Heidelberg")
    entry = next(e for e in g.entries if e["label"] == place.label)
    assert entry["area_m2"] > 10_000


def test_heidelberg_postcode_city_and_unit(heidelberg: RoadNetwork) -> None:
    g = heidelberg.geocoder
    for query in (
        "Bergheimer Straße 128, 69115 Heidelberg",
        "Bergheimer Straße 128 69115 Heidelberg",
        "Bergheimer Str. 128, Heidelberg",
    ):
        place = top(g, query)
        assert (place.label, place.kind, place.score) == ("Bergheimer Straße 128", "address", 1.0)
    place = top(g, "Bergheimer Straße 128 Apt 5")
    assert place.label == "Bergheimer Straße 128 Apt 5" and place.unit == "Apt 5"
