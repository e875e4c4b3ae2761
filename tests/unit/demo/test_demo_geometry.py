"""Great-circle lengths, walking along polylines and road sampling, against hand values."""

from __future__ import annotations

import math
import random

import pytest

from dispatch.demo.geometry import Polyline, RoadSampler, crossings, distance_m, nearest
from dispatch.domain.geo import EARTH_RADIUS_M

# One degree of arc on the sphere: R * pi / 180 = 6_371_008.8 * 0.017453292519943295
ONE_DEGREE_M = 111_195.080_234


def test_one_degree_along_equator_and_meridian() -> None:
    assert distance_m((0.0, 0.0), (1.0, 0.0)) == pytest.approx(ONE_DEGREE_M, abs=1e-5)
    assert distance_m((0.0, 0.0), (0.0, 1.0)) == pytest.approx(ONE_DEGREE_M, abs=1e-5)
    assert EARTH_RADIUS_M * math.pi / 180 == pytest.approx(ONE_DEGREE_M, abs=1e-5)


def test_longitude_shrinks_with_latitude() -> None:
    # At 60 degrees north a degree of longitude is about cos(60) = half as long.
    assert distance_m((24.0, 60.0), (25.0, 60.0)) == pytest.approx(ONE_DEGREE_M / 2, rel=2e-4)


def test_haversine_symmetric_and_zero() -> None:
    a, b = (24.94, 60.17), (24.75, 59.44)
    assert distance_m(a, b) == pytest.approx(distance_m(b, a))
    assert distance_m(a, a) == 0.0


def test_antipodes_are_half_the_circumference() -> None:
    assert distance_m((0.0, 0.0), (180.0, 0.0)) == pytest.approx(math.pi * EARTH_RADIUS_M)


L_PATH = Polyline.of([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])  # east one degree, then north one


def test_polyline_length_and_cumulative() -> None:
    assert L_PATH.length_m == pytest.approx(2 * ONE_DEGREE_M, abs=1e-5)
    assert L_PATH.cumulative_m[1] == pytest.approx(ONE_DEGREE_M, abs=1e-5)
    assert L_PATH.start == (0.0, 0.0) and L_PATH.end == (1.0, 1.0)


@pytest.mark.parametrize(
    ("distance_m", "expected"),
    [
        (0.0, (0.0, 0.0)),
        (0.25 * ONE_DEGREE_M, (0.25, 0.0)),
        (ONE_DEGREE_M, (1.0, 0.0)),
        (1.5 * ONE_DEGREE_M, (1.0, 0.5)),
        (1.9 * ONE_DEGREE_M, (1.0, 0.9)),
        (2 * ONE_DEGREE_M, (1.0, 1.0)),
    ],
)
def test_point_at_interpolates_by_distance(
    distance_m: float, expected: tuple[float, float]
) -> None:
    lon, lat = L_PATH.point_at(distance_m)
    assert lon == pytest.approx(expected[0], abs=1e-8)
    assert lat == pytest.approx(expected[1], abs=1e-8)


def test_point_at_clamps_to_the_ends() -> None:
    assert L_PATH.point_at(-10.0) == (0.0, 0.0)
    assert L_PATH.point_at(10 * ONE_DEGREE_M) == (1.0, 1.0)


def test_point_at_skips_repeated_vertices() -> None:
    path = Polyline.of([[0.0, 0.0], [0.0, 0.0], [0.002, 0.0], [0.002, 0.0]])
    assert path.length_m == pytest.approx(0.002 * ONE_DEGREE_M, abs=1e-6)
    assert path.point_at(path.length_m / 2) == pytest.approx((0.001, 0.0))


def test_single_point_polyline_stays_put() -> None:
    path = Polyline.of([[24.9, 60.1]])
    assert path.length_m == 0.0
    assert path.point_at(100.0) == (24.9, 60.1)


def test_polyline_from_geojson_checks_type() -> None:
    line = Polyline.from_geojson({"type": "LineString", "coordinates": [[0, 0], [0, 1, 12.5]]})
    assert line.end == (0.0, 1.0)
    with pytest.raises(ValueError):
        Polyline.from_geojson({"type": "Point", "coordinates": [0, 0]})
    with pytest.raises(ValueError):
        Polyline.of([])


def test_nearest_picks_the_closest_candidate() -> None:
    hospitals = [(25.0, 60.0), (24.95, 60.17), (24.0, 61.0)]
    assert nearest((24.94, 60.17), hospitals) == 1
    with pytest.raises(ValueError):
        nearest((0.0, 0.0), [])


def _on_segment(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> bool:
    cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
    inside = (
        min(a[0], b[0]) - 1e-12 <= p[0] <= max(a[0], b[0]) + 1e-12
        and min(a[1], b[1]) - 1e-12 <= p[1] <= max(a[1], b[1]) + 1e-12
    )
    return abs(cross) < 1e-12 and inside


def test_road_samples_lie_on_roads_in_proportion_to_length() -> None:
    long_road = [[0.0, 0.0], [0.003, 0.0]]  # 3 units of length along the equator
    short_road = [[0.0, 0.01], [0.0, 0.011]]  # 1 unit along a meridian
    sampler = RoadSampler([long_road, short_road])
    assert sampler.segment_count == 2
    assert sampler.total_length_m == pytest.approx(0.004 * ONE_DEGREE_M, abs=1e-6)
    rng = random.Random(7)
    n, on_long = 20_000, 0
    for _ in range(n):
        p = sampler.sample(rng)
        if _on_segment(p, (0.0, 0.0), (0.003, 0.0)):
            on_long += 1
        else:
            assert _on_segment(p, (0.0, 0.01), (0.0, 0.011))
    # Expected share 0.75; binomial sd = sqrt(.75 * .25 / 20000) ~ 0.003.
    assert on_long / n == pytest.approx(0.75, abs=0.012)


def test_road_sampler_reads_feature_collections() -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"geometry": {"type": "LineString", "coordinates": [[0, 0], [0.001, 0]]}},
            {
                "geometry": {
                    "type": "MultiLineString",
                    "coordinates": [[[1, 1], [1.001, 1]], [[2, 2], [2, 2.001], [2.001, 2.001]]],
                }
            },
            {"geometry": {"type": "Point", "coordinates": [5, 5]}},
            {"geometry": None},
        ],
    }
    sampler = RoadSampler.from_feature_collection(collection)
    assert sampler.segment_count == 4
    with pytest.raises(ValueError):
        RoadSampler.from_feature_collection({"features": []})


def test_road_sampling_is_deterministic_for_a_seed() -> None:
    sampler = RoadSampler([[[0, 0], [0.01, 0], [0.01, 0.01]]])
    first = [sampler.sample(random.Random(3)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    assert sampler.sample(random.Random(3)) != sampler.sample(random.Random(4))


def _road(coords: list[list[float]], name: str | None = None) -> dict[str, object]:
    return {
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {} if name is None else {"name": name},
    }


def test_crossings_are_shared_vertices_of_two_named_streets_once_per_pair() -> None:
    roads = [
        _road([[0.0, 0.0], [0.001, 0.0]], "A Street"),
        _road([[0.001, 0.0], [0.002, 0.0]], "A Street"),  # the same street goes on: no crossing
        _road([[0.001, -0.001], [0.001, 0.0], [0.001, 0.001]], "B Road"),
        # the other carriageway of A Street meets B Road again: still one crossing A/B
        _road([[0.0, 0.0002], [0.001, 0.0002]], "A Street"),
        _road([[0.001, 0.0002], [0.001, 0.0]], "B Road"),
        _road([[0.002, 0.0], [0.002, 0.001]]),  # an unnamed lane names no crossing
    ]
    found = crossings({"features": roads})
    assert [(c.location, c.streets) for c in found] == [((0.001, 0.0), ("A Street", "B Road"))]
    assert crossings({"features": roads[::-1]}) == found  # whatever the order of the features


def test_sampled_points_carry_the_name_of_their_street() -> None:
    sampler = RoadSampler.from_feature_collection(
        {"features": [_road([[0.0, 0.0], [0.001, 0.0]], "A Street"), _road([[0, 1], [0, 1.001]])]}
    )
    rng = random.Random(4)
    for _ in range(200):
        (lon, lat), name = sampler.sample_on_street(rng)
        assert name == ("A Street" if lat == 0.0 else None)
    again, other = random.Random(5), random.Random(5)
    assert sampler.sample(again) == sampler.sample_on_street(other)[0]  # the same two draws
