"""Chinese datums: a GCJ-02 or BD-09 position becomes the right WGS-84 point, once."""

from __future__ import annotations

import math

import pytest

from dispatch.domain.crs import (
    CoordinateSystem,
    ReportedLocation,
    UnknownCoordinateSystem,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from dispatch.domain.errors import InvalidLocation
from dispatch.domain.geo import Location

# Points across the mainland: Beijing (Tiananmen), Shanghai (the Bund), Guangzhou, Urumqi,
# Harbin, Lhasa, Sanya: the offset varies with place, so test more than one.
CITIES = [
    (116.397128, 39.916527),
    (121.490317, 31.241701),
    (113.264385, 23.129112),
    (87.616848, 43.825592),
    (126.534967, 45.803775),
    (91.140856, 29.645554),
    (109.511909, 18.252847),
]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return Location(*a).distance_m(Location(*b))


@pytest.mark.parametrize("point", CITIES)
def test_wgs84_gcj02_round_trip_is_within_5_cm(point: tuple[float, float]) -> None:
    gcj = wgs84_to_gcj02(*point)
    assert 50 < metres(point, gcj) < 1000  # a real offset was applied ...
    assert metres(point, gcj02_to_wgs84(*gcj)) < 0.05  # ... and undone
    assert metres(point, gcj02_to_wgs84(*gcj)) < 0.01  # the promise is 1 cm


@pytest.mark.parametrize("point", CITIES)
def test_wgs84_bd09_round_trip_is_within_5_cm(point: tuple[float, float]) -> None:
    bd = wgs84_to_bd09(*point)
    assert metres(point, bd09_to_wgs84(*bd)) < 0.05


@pytest.mark.parametrize("point", CITIES)
def test_gcj02_bd09_round_trip_is_within_5_cm(point: tuple[float, float]) -> None:
    bd = gcj02_to_bd09(*point)
    assert 100 < metres(point, bd) < 1500  # Baidu's extra shift is several hundred metres
    assert metres(point, bd09_to_gcj02(*bd)) < 0.05


def test_forward_formulas_match_the_published_reference_values() -> None:
    # wandergis/coordtransform, test/app.js, input (116.404, 39.915) in Beijing
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-12
    )
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-12
    )
    # Their inverses are the one-step approximations; ours iterate, so they agree to ~1 m
    # and are exact against our own forward formula.
    assert metres(gcj02_to_wgs84(116.404, 39.915), (116.39775550083061, 39.91359571849836)) < 1
    assert metres(bd09_to_gcj02(116.404, 39.915), (116.39762729119315, 39.90865673957631)) < 1


def test_shanghai_point_computed_forward_inverts_exactly() -> None:
    wgs = (121.4737, 31.2304)  # People's Square
    gcj = wgs84_to_gcj02(*wgs)
    # The offset in Shanghai is about 0.0045 deg east and -0.002 deg north (~480 m).
    assert gcj[0] - wgs[0] == pytest.approx(0.00448, abs=2e-4)
    assert gcj[1] - wgs[1] == pytest.approx(-0.00203, abs=2e-4)
    location = to_wgs84(*gcj, CoordinateSystem.GCJ02)
    assert metres((location.lon, location.lat), wgs) < 0.01


@pytest.mark.parametrize(
    "point", [(24.9384, 60.1699), (-74.006, 40.7128), (139.6917, 35.6895), (151.2, -33.87)]
)
def test_outside_china_nothing_moves(point: tuple[float, float]) -> None:
    # Helsinki, New York, Tokyo (east of the box), Sydney (south of it)
    assert out_of_china(*point)
    for crs in CoordinateSystem:
        assert to_wgs84(*point, crs) == Location(*point)
        assert from_wgs84(Location(*point), crs) == point


@pytest.mark.parametrize("point", CITIES)
def test_to_and_from_wgs84_are_inverse_for_every_crs(point: tuple[float, float]) -> None:
    for crs in CoordinateSystem:
        shown = from_wgs84(Location(*point), crs)
        back = to_wgs84(*shown, crs)
        assert metres((back.lon, back.lat), point) < 0.05


def test_wgs84_is_identity_inside_china_too() -> None:
    assert to_wgs84(116.4, 39.9, "WGS-84") == Location(116.4, 39.9)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("WGS-84", CoordinateSystem.WGS84),
        ("wgs84", CoordinateSystem.WGS84),
        ("EPSG:4326", CoordinateSystem.WGS84),
        ("gcj02", CoordinateSystem.GCJ02),
        ("GCJ-02", CoordinateSystem.GCJ02),
        ("bd09ll", CoordinateSystem.BD09),
        (" BD-09 ", CoordinateSystem.BD09),
    ],
)
def test_tags_devices_send_are_understood(tag: str, expected: CoordinateSystem) -> None:
    assert CoordinateSystem.parse(tag) is expected


@pytest.mark.parametrize("tag", ["", "mars", "bd09mc", "EPSG:3857", "CGCS2000"])
def test_unknown_tags_are_refused_not_guessed(tag: str) -> None:
    with pytest.raises(UnknownCoordinateSystem) as caught:
        to_wgs84(116.4, 39.9, tag)
    assert caught.value.code == "unknown-crs"


def test_bad_coordinates_fail_as_invalid_location_before_conversion() -> None:
    with pytest.raises(InvalidLocation):
        to_wgs84(math.nan, 39.9, CoordinateSystem.GCJ02)
    with pytest.raises(InvalidLocation):
        to_wgs84(39.9, 116.4, CoordinateSystem.BD09)  # lat/lon swapped: latitude 116.4


def test_reported_location_keeps_raw_values_and_accuracy() -> None:
    gcj = wgs84_to_gcj02(121.4737, 31.2304)
    reported = ReportedLocation.received(*gcj, crs="gcj02", accuracy_m=35.0)
    assert reported.crs is CoordinateSystem.GCJ02
    assert (reported.raw_lon, reported.raw_lat) == gcj
    assert metres((reported.location.lon, reported.location.lat), (121.4737, 31.2304)) < 0.01
    assert reported.accuracy_m == 35.0
    with pytest.raises(InvalidLocation):
        ReportedLocation.received(121.47, 31.23, accuracy_m=-1.0)
