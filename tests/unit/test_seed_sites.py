"""Seeding reads a city right (issue 14): a point and an outline of one station or hospital are
one site, and ambulances are dealt over distinct sites. Pure: a fake map, no database."""

from __future__ import annotations

from dataclasses import dataclass, field

from dispatch.domain.geo import Location
from dispatch.seed import deal_units, merge_sites, plan_sites, spread_order
from routing import Poi, Snap

# About 11.1 m per 0.0001 degree of latitude.
LON, LAT = 8.69, 49.41


def north(metres: float) -> float:
    return LAT + metres / 111_195.0


def test_same_name_within_150_m_is_one_site_in_english_and_chinese() -> None:
    sites = merge_sites(
        [
            ("Feuerwache Heidelberg", LON, LAT),
            ("Feuerwache Heidelberg", LON, north(120)),  # the outline's centre
            ("浦东消防站", LON + 0.01, LAT),
            ("浦东消防站", LON + 0.01, north(60)),
        ]
    )
    assert sites == [("Feuerwache Heidelberg", LON, LAT), ("浦东消防站", LON + 0.01, LAT)]


def test_an_unnamed_entry_joins_the_named_site_and_gives_it_its_name() -> None:
    sites = merge_sites([("Fire station", LON, LAT), ("消防救援站", LON, north(100))])
    assert sites == [("消防救援站", LON, LAT)]


def test_different_names_or_far_apart_stay_separate() -> None:
    entries = [
        ("St. Josefskrankenhaus", LON, LAT),
        ("Bethanien-Krankenhaus", LON, north(50)),  # two hospitals next door
        ("St. Josefskrankenhaus", LON, north(400)),  # a second campus
        ("Hospital", LON + 0.05, LAT),  # unnamed, alone
    ]
    assert merge_sites(entries) == entries


def test_merging_is_transitive_over_a_chain_of_entries() -> None:
    sites = merge_sites(
        [
            ("Ambulance station", LON, LAT),
            ("仁济医院急救站", LON, north(140)),
            ("仁济医院急救站", LON, north(280)),
        ]
    )
    assert sites == [("仁济医院急救站", LON, LAT)]


def test_units_are_dealt_round_robin_and_farthest_first_when_sites_outnumber_them() -> None:
    assert deal_units(5, 2, [1, 0]) == [0, 1, 0, 1, 0]
    line = [Location(LON + i * 0.01, LAT) for i in range(5)]
    order = spread_order(line, center=Location(LON + 0.02, LAT))
    assert order[:3] == [2, 0, 4]  # the middle, then both ends
    assert sorted(order) == [0, 1, 2, 3, 4]
    assert deal_units(3, 5, order) == [2, 0, 4]
    assert deal_units(3, 0, []) == []


@dataclass
class FakeMap:
    """What plan_sites reads of a RoadNetwork: POIs, extent, and snapping (identity here)."""

    entries: list[Poi] = field(default_factory=list)
    bbox: tuple[float, float, float, float] = (LON - 0.05, LAT - 0.05, LON + 0.05, LAT + 0.05)
    center: tuple[float, float] = (LON, LAT)

    def pois(self, kind: str | None = None) -> list[Poi]:
        return [p for p in self.entries if kind is None or p.kind == kind]

    def snap(self, lon: float, lat: float, *, max_distance_m: float = 500.0) -> Snap:
        return Snap(lon, lat, 0.0, 0, 0.0)


def test_plan_sites_counts_the_duplicates_it_merged() -> None:
    fake = FakeMap(
        [
            Poi("Rettungswache Süd", LON, LAT, "ambulance_station"),
            Poi("Rettungswache Süd", LON, north(30), "fire_station"),
            Poi("Fire station", LON, north(90), "fire_station"),
            Poi("Feuerwache Nord", LON, north(3000), "fire_station"),
            Poi("Feuerwache West", LON - 0.03, LAT, "fire_station"),
            Poi("Feuerwache Ost", LON + 0.03, LAT, "fire_station"),
            Poi("瑞金医院", LON, north(-2000), "hospital"),
            Poi("Hospital", LON, north(-2100), "hospital"),
            Poi("瑞金医院", LON, north(-1950), "hospital"),
        ]
    )
    plan = plan_sites(fake)  # type: ignore[arg-type]
    assert [name for name, _ in plan.stations] == [
        "Rettungswache Süd",
        "Feuerwache Nord",
        "Feuerwache West",
        "Feuerwache Ost",
    ]
    assert [name for name, _ in plan.hospitals] == ["瑞金医院"]
    assert (plan.merged_stations, plan.merged_hospitals) == (2, 2)
