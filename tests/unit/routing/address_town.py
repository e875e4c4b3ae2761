"""Small made-up towns for the address-convention tests: a US suburb grid and a Chinese
city block, built through the real index builder (:func:`build_geocoder_entries`) from a
fake road graph. The coordinates and names are invented test inputs, not map data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from routing import Geocoder
from routing.gazetteer import AddressPoint, GazetteerExtras, NamedFeature, encode_line
from routing.geocode import build_geocoder_entries
from routing.pois import PoiSet

Line = list[tuple[float, float]]


@dataclass
class FakeGraph:
    """What the index builder reads of a :class:`routing.graph.RoadGraph`: one edge per
    polyline, nodes at the polyline ends, optional name parts per edge."""

    lines: Sequence[Line]
    parts: dict[int, list[tuple[float, float, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        nodes: dict[tuple[float, float], int] = {}
        src, dst = [], []
        for line in self.lines:
            for end, out in ((line[0], src), (line[-1], dst)):
                out.append(nodes.setdefault(end, len(nodes)))
        self.node_lon = np.array([p[0] for p in nodes])
        self.node_lat = np.array([p[1] for p in nodes])
        self.edge_source, self.edge_target = np.array(src), np.array(dst)
        self.geom_lon = np.array([p[0] for line in self.lines for p in line])
        self.geom_lat = np.array([p[1] for line in self.lines for p in line])
        self.geom_offsets = np.cumsum([0, *(len(line) for line in self.lines)])

    @property
    def node_count(self) -> int:
        return len(self.node_lon)

    def canonical_edges(self) -> np.ndarray[Any, Any]:
        return np.arange(len(self.lines))

    def names_along(self, edge: int) -> list[tuple[float, float, str]]:
        return self.parts.get(edge, [])


def town(
    streets: Sequence[tuple[str, Line]],
    addresses: Sequence[AddressPoint] = (),
    features: Sequence[NamedFeature] = (),
    parts: dict[int, list[tuple[float, float, str]]] | None = None,
) -> Geocoder:
    graph = FakeGraph([line for _, line in streets], parts or {})
    names = [[name] if name else [] for name, _ in streets]
    for edge, along in (parts or {}).items():  # a merged edge carries every name along it
        names[edge] = list(dict.fromkeys(n for _, _, n in along if n))
    entries = build_geocoder_entries(
        graph,  # type: ignore[arg-type]
        names,
        list(addresses),
        PoiSet(),
        GazetteerExtras(features=tuple(features)),
    )
    return Geocoder(entries)


def ring(lon0: float, lat0: float, lon1: float, lat1: float) -> str:
    lons = [lon0, lon1, lon1, lon0, lon0]
    lats = [lat0, lat0, lat1, lat1, lat0]
    return encode_line(lons, lats)


def us_suburb() -> Geocoder:
    """A made-up Arizona-style grid: Bell Road and Meeker Boulevard run east-west, the
    numbered avenues north-south; one address is tagged with the abbreviated street."""
    bell, meeker = 33.640, 33.660
    avenues = {
        "North 99th Avenue": -112.300,
        "North 103rd Avenue": -112.320,
        "North 107th Avenue": -112.340,
    }
    streets: list[tuple[str, Line]] = [
        ("West Bell Road", [(-112.36, bell), (-112.34, bell)]),
        ("West Bell Road", [(-112.34, bell), (-112.32, bell)]),
        ("West Bell Road", [(-112.32, bell), (-112.30, bell)]),
        ("West Meeker Boulevard", [(-112.36, meeker), (-112.30, meeker)]),
    ]
    for name, lon in avenues.items():
        streets.append((name, [(lon, 33.62), (lon, bell)]))
        streets.append((name, [(lon, bell), (lon, 33.68)]))
    addresses = [
        AddressPoint("West Bell Road", "16952", "Surprise", -112.331, bell + 0.0003, "85374"),
        AddressPoint("W Bell Rd", "12213", "Sun City", -112.309, bell + 0.0003, "85351"),
        AddressPoint("West Bell Road", "12215", "Sun City", -112.3088, bell + 0.0003, "85351"),
        AddressPoint(
            "West Meeker Boulevard", "14502", "Sun City West", -112.35, meeker + 0.0003, "85375"
        ),
        AddressPoint("North 99th Avenue", "17302", "Sun City", -112.3003, 33.655, "85373"),
    ]
    return town(streets, addresses)


def chinese_city() -> Geocoder:
    """A made-up block in both scripts: 大學路 (Traditional, as in Taiwan) crossing
    光復路, 麓山南路 (Simplified), a lane 中山北路二段100巷, a campus and a bike dock
    named like the campus at its gate."""
    streets: list[tuple[str, Line]] = [
        ("大學路", [(120.990, 24.780), (121.000, 24.780)]),
        ("大學路", [(121.000, 24.780), (121.010, 24.780)]),
        ("光復路", [(121.000, 24.770), (121.000, 24.780)]),
        ("光復路", [(121.000, 24.780), (121.000, 24.790)]),
        ("建功路", [(120.990, 24.770), (120.990, 24.780)]),
        ("建功路", [(120.990, 24.780), (120.990, 24.790)]),
        ("麓山南路", [(121.020, 24.760), (121.020, 24.800)]),
        ("中山北路二段", [(121.030, 24.760), (121.030, 24.800)]),
        ("中山北路二段100巷", [(121.030, 24.770), (121.040, 24.770)]),
    ]
    addresses = [
        AddressPoint("大學路", "1001號", "新竹市", 121.005, 24.7802, "300"),
        AddressPoint("麓山南路", "932", "长沙市", 121.0202, 24.780),
        AddressPoint("中山北路二段100巷", "3", None, 121.035, 24.7702),
        AddressPoint("中山北路二段", "100", None, 121.0302, 24.770),
    ]
    campus = NamedFeature(
        "國立陽明交通大學",
        "university",
        121.0045,
        24.7855,
        aliases=("交大",),
        area_m2=500_000.0,
        outline=(ring(121.001, 24.781, 121.009, 24.789),),
    )
    dock = NamedFeature("交通大學YouBike站", "bicycle_rental", 121.0046, 24.7808)
    shed = NamedFeature("交通大學機車棚", "motorcycle_parking", 121.0050, 24.7809)
    return town(streets, addresses, [campus, dock, shed])
