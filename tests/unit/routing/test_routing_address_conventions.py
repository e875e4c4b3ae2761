"""Address conventions read and written as people use them: US/English abbreviations,
units, ZIP and state; Chinese administrative prefixes, lanes, sections, units and
Traditional/Simplified spellings; labels in the locale's own order."""

from __future__ import annotations

import pytest

from routing.address import address_label, near_label, read_query, search_key
from routing.address.chinese import (
    lane_readings,
    section_numerals,
    split_admin,
    split_cjk_unit,
    to_simplified,
)
from routing.address.english import fold_words, is_english_street, split_unit, strip_region
from routing.address.labels import street_place_label, with_unit
from routing.address.query import split_between
from routing.text import normalize, parse_query, split_intersection


def key(text: str) -> str:
    return search_key(normalize(text))


# --------------------------------------------------------------------------- English


def test_abbreviations_and_full_words_meet_on_one_key() -> None:
    assert key("W Bell Rd") == key("West Bell Road") == key("w. bell rd.") == "west bell road"
    assert key("14502 W Meeker Blvd") == key("14502 West Meeker Boulevard")
    assert key("N 99th Ave") == "north 99th avenue"
    assert key("NE Sandy Blvd") == "northeast sandy boulevard"
    assert key("Sun City Pkwy") == key("Sun City Parkway")
    assert key("Main St") == "main street" and key("St Johns Rd") == "saint johns road"
    # Idempotent, and other languages' words are left alone.
    assert fold_words("west bell road") == "west bell road"
    assert key("Mannerheimintie") == "mannerheimintie"
    assert key("Bergheimer Str.") == "bergheimer strasse"


def test_english_street_names_are_recognised() -> None:
    assert is_english_street("West Bell Road") and is_english_street("Main St N")
    assert is_english_street("North 99th Avenue")
    assert not is_english_street("Hauptstraße") and not is_english_street("Rua de Santa Catarina")
    assert not is_english_street("延安西路") and not is_english_street("Road")


@pytest.mark.parametrize(
    ("query", "rest", "unit"),
    [
        ("12213 W Bell Rd #117", "12213 W Bell Rd", "#117"),
        ("12213 W Bell Rd # 117", "12213 W Bell Rd", "# 117"),
        ("16952 w bell rd apt 5", "16952 w bell rd", "apt 5"),
        ("16952 W Bell Rd, Apt. 5B, Surprise", "16952 W Bell Rd, Surprise", "Apt. 5B"),
        ("100 Main St Suite 200", "100 Main St", "Suite 200"),
        ("100 Main St Ste #3", "100 Main St", "Ste #3"),
        ("100 Main St Unit B", "100 Main St", "Unit B"),
        ("Hauptstraße 5 Apt 2", "Hauptstraße 5", "Apt 2"),
    ],
)
def test_units_are_read_off_as_a_sub_address(query: str, rest: str, unit: str) -> None:
    assert split_unit(query) == (rest, unit)


def test_text_without_a_unit_is_unchanged() -> None:
    for query in ("West Bell Road", "Unity Street 5", "Apt 5", "Aptweg 3"):
        assert split_unit(query) == (query, None)


def test_zip_and_state_are_read_off() -> None:
    assert strip_region("14502 W Meeker Blvd, Sun City West, AZ 85375") == (
        "14502 W Meeker Blvd, Sun City West",
        "85375",
    )
    assert strip_region("17302 N 99th Ave Sun City AZ 85373-1234") == (
        "17302 N 99th Ave Sun City",
        "85373-1234",
    )
    assert strip_region("100 Main St, Springfield, Illinois") == ("100 Main St, Springfield", None)
    # A state abbreviation that is a word of the name stays.
    assert strip_region("Rua de Santa Catarina 12") == ("Rua de Santa Catarina 12", None)
    assert strip_region("Main St") == ("Main St", None)


def test_a_direction_letter_after_the_number_is_read_both_ways() -> None:
    for query in ("17302 N 99th Ave", "17302n 99th ave"):
        readings = {(p.text, p.number) for p in parse_query(query)}
        assert ("n 99th ave", "17302") in readings  # the directional of the street
        assert ("99th ave", "17302n") in readings  # or a lettered number, as in Europe


def test_between_forms() -> None:
    assert split_between("Main St between 1st Ave and 2nd Ave") == ("main st", "1st ave", "2nd ave")
    assert split_between("W Bell Rd btwn 99th Ave & 103rd Ave") == (
        "w bell rd",
        "99th ave",
        "103rd ave",
    )
    assert split_between("延安西路（江苏路与镇宁路之间）") == ("延安西路", "江苏路", "镇宁路")
    assert split_between("大學路，光復路和建功路之間") == ("大學路", "光復路", "建功路")
    assert split_between("Main St & 1st Ave") is None
    assert split_between("延安西路") is None


def test_a_full_us_address_is_read_into_its_parts() -> None:
    q = read_query("14502 W Meeker Blvd #12, Sun City West, AZ 85375")
    assert q.unit == "#12" and q.postcode == "85375"
    assert "14502 W Meeker Blvd" in {r.text for r in q.readings}
    assert {"sun", "city", "west"} <= q.context


def test_a_european_postcode_and_town_are_read_off() -> None:
    for query in (
        "Bergheimer Straße 128, 69115 Heidelberg",
        "Bergheimer Straße 128 69115 Heidelberg",
    ):
        q = read_query(query)
        assert q.postcode == "69115" and "heidelberg" in q.context
        assert "Bergheimer Straße 128" in {r.text for r in q.readings}


# --------------------------------------------------------------------------- Chinese


def test_traditional_and_simplified_meet_on_one_key() -> None:
    assert to_simplified("大學路1001號") == "大学路1001号"
    assert key("國立陽明交通大學") == key("国立阳明交通大学")
    assert key("臺北市") == key("台北市")
    assert to_simplified("延安西路") == "延安西路"


def test_full_width_digits_and_sections() -> None:
    assert section_numerals("中山北路2段") == "中山北路二段"
    assert key("中山北路２段") == key("中山北路二段")
    readings = read_query("中山北路２段１２號").readings
    assert any(
        p.number == "12" and p.text == "中山北路二段" for r in readings for p in parse_query(r.text)
    )


@pytest.mark.parametrize(
    ("query", "street", "admin", "postcode"),
    [
        ("湖南省长沙市岳麓区麓山南路932号", "麓山南路932号", "湖南省长沙市岳麓区", None),
        ("300新竹市東區大學路1001號", "大學路1001號", "新竹市東區", "300"),
        (
            "上海市黄浦区南京东路街道南京东路100号",
            "南京东路100号",
            "上海市黄浦区南京东路街道",
            None,
        ),
        ("200040上海市静安区延安西路", "延安西路", "上海市静安区", "200040"),
        ("中国广东省广州市天河区天河路385号", "天河路385号", "中国广东省广州市天河区", None),
        ("大學路1001號, 新竹市東區", "大學路1001號", "新竹市東區", None),
        ("延安西路", "延安西路", "", None),
    ],
)
def test_administrative_prefixes_are_read_off(
    query: str, street: str, admin: str, postcode: str | None
) -> None:
    assert split_admin(query) == (street, admin, postcode)


def test_units_after_the_chinese_house_number() -> None:
    assert split_cjk_unit("麓山南路932号3栋502室") == ("麓山南路932号", "3栋502室")
    assert split_cjk_unit("大學路1001號3樓之2") == ("大學路1001號", "3樓之2")
    assert split_cjk_unit("南京东路100号2单元301室") == ("南京东路100号", "2单元301室")
    assert split_cjk_unit("麓山南路932号") == ("麓山南路932号", None)
    assert split_cjk_unit("中山路") == ("中山路", None)


def test_lanes_read_as_lane_streets_and_as_their_entrance() -> None:
    readings = {(r.text, r.weight) for r in lane_readings("中山北路二段100巷5弄3號")}
    assert ("中山北路二段100巷5弄3號", 1.0) in readings
    assert ("中山北路二段100号", 0.9) in readings
    assert {(r.text, r.weight) for r in lane_readings("南京西路1025弄5号")} == {
        ("南京西路1025弄5号", 1.0),
        ("南京西路1025号", 0.9),
    }
    assert lane_readings("南京西路1025号") == []


def test_intersection_separators_simplified_traditional_and_english() -> None:
    assert ("大學路", "光復路") in split_intersection("大學路與光復路")
    assert ("世纪大道", "浦东南路") in split_intersection("世纪大道与浦东南路")
    assert ("世纪大道", "浦东南路") in split_intersection("世纪大道及浦东南路")
    assert ("世纪大道", "浦东南路") in split_intersection("世纪大道和浦东南路交叉口")
    assert ("main street", "1st avenue") in split_intersection("Main Street & 1st Avenue")
    assert ("main street", "1st avenue") in split_intersection("Main Street and 1st Avenue")
    assert ("main street", "1st avenue") in split_intersection("Main Street / 1st Avenue")


def test_a_full_chinese_address_is_read_into_its_parts() -> None:
    q = read_query("300新竹市東區大學路1001號3樓")
    assert q.unit == "3樓" and q.postcode == "300"
    assert "大學路1001號" in {r.text for r in q.readings}
    assert "新竹市東區" in q.context


# --------------------------------------------------------------------------- labels


def test_labels_in_the_locale_order() -> None:
    assert address_label("West Bell Road", "16952") == "16952 West Bell Road"
    assert address_label("Hauptstraße", "12a") == "Hauptstraße 12a"
    assert address_label("Rua de Santa Catarina", "12") == "Rua de Santa Catarina 12"
    assert address_label("麓山南路", "932") == "麓山南路932号"
    assert address_label("大學路", "1001") == "大學路1001號"
    assert address_label("大學路", "1001號") == "大學路1001號"
    assert near_label("Hauptstraße", "Bahnhofstraße") == "Hauptstraße (near Bahnhofstraße)"
    assert near_label("延安西路", "江苏路") == "延安西路（江苏路附近）"
    assert street_place_label("Hauptstraße", "Leimen") == "Hauptstraße, Leimen"
    assert street_place_label("麓山南路", "岳麓区") == "岳麓区麓山南路"
    assert with_unit("12213 West Bell Road", "#117") == "12213 West Bell Road #117"
    assert with_unit("Hauptstraße 5, Leimen", "Apt 2") == "Hauptstraße 5 Apt 2, Leimen"
    assert with_unit("麓山南路932号", "3栋502室") == "麓山南路932号3栋502室"
