"""An offline geocoder over the extract's streets, house-number addresses and POIs.

Dispatchers type fast, under stress, often misspelled: "manerheimintie 5",
"5 Mannerheimintie", "manner". The index is a few thousand normalised names, so a
plain scan with prefix rules and difflib similarity answers in milliseconds and needs
no search server. Scores are in 0..1: exact 1.0, prefix ~0.8-0.95, typo <= 0.75.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from .errors import MapCacheError
from .projection import LocalProjection
from .text import HOUSE_NUMBER, normalize

if TYPE_CHECKING:
    from .graph import RoadGraph
    from .pois import PoiSet

__all__ = ["GEOCODER_FILE", "AddressPoint", "Geocoder", "Place", "build_geocoder_entries"]

GEOCODER_FILE = "geocoder.json"

PlaceKind = Literal["address", "street", "poi"]

_MIN_SIMILARITY = 0.75
# Street pieces with one name closer than this are one street (dual carriageways,
# a gap where the name changes for one block); farther apart they are distinct streets.
_SAME_STREET_M = 300.0
_CITY_RADIUS_M = 2000.0
_SAME_ADDRESS_M = 150.0


@dataclass(frozen=True, slots=True)
class AddressPoint:
    """A house-number address read from the extract."""

    street: str
    housenumber: str
    city: str | None
    lon: float
    lat: float


@dataclass(frozen=True, slots=True)
class Place:
    """A geocoding answer: a label for people and a point on the map."""

    label: str
    lon: float
    lat: float
    kind: PlaceKind
    score: float

    def as_dict(self) -> dict[str, Any]:
        """The ``GET /geocode`` item shape."""
        return {
            "label": self.label,
            "location": [self.lon, self.lat],
            "kind": self.kind,
            "score": self.score,
        }


class Geocoder:
    """Searches the index written at import time (``geocoder.json``)."""

    def __init__(self, entries: Sequence[dict[str, Any]]) -> None:
        self._entries = list(entries)
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._by_street_number: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._numbers_of: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(self._entries):
            if entry["kind"] == "address":
                self._by_street_number[(entry["key"], entry["number"])].append(i)
                self._numbers_of[entry["key"]].append(i)
            else:
                self._by_key[entry["key"]].append(i)
        self._keys = sorted(set(self._by_key) | set(self._numbers_of))

    @classmethod
    def load(cls, directory: Path) -> Geocoder:
        path = Path(directory) / GEOCODER_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(data["entries"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise MapCacheError(f"cannot read geocoder index {path}: {exc}") from exc

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, q: str, *, limit: int = 5) -> list[Place]:
        """Best matches for ``q`` (street, "street number", "number street" or a POI
        name), highest score first; empty for an empty query or when nothing is close."""
        query = normalize(q)
        if not query or limit <= 0:
            return []
        tokens = query.split()
        parses: list[tuple[str, str | None]] = [(query, None)]
        if len(tokens) > 1 and HOUSE_NUMBER.match(tokens[-1]):
            parses.append((" ".join(tokens[:-1]), tokens[-1]))
        if len(tokens) > 1 and HOUSE_NUMBER.match(tokens[0]):
            parses.append((" ".join(tokens[1:]), tokens[0]))

        best: dict[int, float] = {}

        def offer(index: int, score: float) -> None:
            if score > best.get(index, 0.0):
                best[index] = score

        for text, number in parses:
            for key, score in self._match_keys(text).items():
                if number is None:
                    for i in self._by_key.get(key, ()):
                        offer(i, score)
                    continue
                exact = self._by_street_number.get((key, number), [])
                for i in exact:
                    offer(i, score)
                if not exact:  # typeahead on the number: "Mannerheimintie 1" -> 1, 10, 12a
                    for i in self._numbers_of.get(key, ()):
                        if self._entries[i]["number"].startswith(number):
                            offer(i, score * 0.9)
                for i in self._by_key.get(key, ()):  # the street itself, below its addresses
                    offer(i, score * 0.8)

        ranked = sorted(best.items(), key=lambda kv: (-kv[1], self._entries[kv[0]]["label"]))
        places: list[Place] = []
        seen: set[tuple[str, str]] = set()
        for i, score in ranked:
            e = self._entries[i]
            if (e["label"], e["kind"]) in seen:
                continue
            seen.add((e["label"], e["kind"]))
            places.append(
                Place(
                    e["label"],
                    float(e["lon"]),
                    float(e["lat"]),
                    e["kind"],
                    round(min(score, 1.0), 4),
                )
            )
            if len(places) == limit:
                break
        return places

    def _match_keys(self, text: str) -> dict[str, float]:
        if not text:
            return {}
        matcher = SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(text)
        scores: dict[str, float] = {}
        for key in self._keys:
            score = _similarity(text, key, matcher)
            if score > 0.0:
                scores[key] = score
        return scores


def _similarity(q: str, key: str, matcher: SequenceMatcher[str]) -> float:
    """Score ``key`` against query ``q`` (``matcher`` already holds ``q`` as seq2)."""
    if key == q:
        return 1.0
    if key.startswith(q):
        return 0.8 + 0.15 * len(q) / len(key)
    if f" {q}" in f" {key}":  # a later word starts with it: "keskuskatu" -> "Pieni Keskuskatu"
        return 0.7 + 0.15 * len(q) / len(key)
    if len(q) < 3:
        return 0.0
    similarity = 0.0
    matcher.set_seq1(key)
    if matcher.real_quick_ratio() >= _MIN_SIMILARITY and matcher.quick_ratio() >= _MIN_SIMILARITY:
        similarity = matcher.ratio()
    if len(key) > len(q) >= 4:  # a typo inside a typed prefix: "manerh" -> "mannerheimintie"
        matcher.set_seq1(key[: len(q)])
        if matcher.quick_ratio() >= _MIN_SIMILARITY:
            similarity = max(similarity, matcher.ratio() * 0.95)
        matcher.set_seq1(key[: len(q) + 1])
        if matcher.quick_ratio() >= _MIN_SIMILARITY:
            similarity = max(similarity, matcher.ratio() * 0.95)
    return 0.75 * similarity if similarity >= _MIN_SIMILARITY else 0.0


def build_geocoder_entries(
    graph: RoadGraph,
    names_per_edge: Sequence[Sequence[str]],
    addresses: Sequence[AddressPoint],
    pois: PoiSet,
) -> list[dict[str, Any]]:
    """The geocoder index: one entry per street (per distinct place the name occurs),
    per address and per POI. Streets get a representative point on their own geometry,
    so a geocoded street always snaps onto that street."""
    import shapely
    import shapely.ops

    center_lon = float(graph.node_lon.mean()) if graph.node_count else 0.0
    center_lat = float(graph.node_lat.mean()) if graph.node_count else 0.0
    proj = LocalProjection(center_lon, center_lat)
    gx, gy = proj.to_xy(graph.geom_lon, graph.geom_lat)

    edges_by_name: dict[str, list[int]] = defaultdict(list)
    for e in graph.canonical_edges():
        for name in names_per_edge[int(e)]:
            edges_by_name[name].append(int(e))

    city_points = _city_lookup(addresses, proj)
    any_city = [p for points in city_points.values() for p in points]
    entries: list[dict[str, Any]] = []
    for name, edges in sorted(edges_by_name.items()):
        key = normalize(name)
        if not key:
            continue
        lines = [
            shapely.linestrings(
                np.column_stack(
                    (
                        gx[graph.geom_offsets[e] : graph.geom_offsets[e + 1]],
                        gy[graph.geom_offsets[e] : graph.geom_offsets[e + 1]],
                    )
                )
            )
            for e in edges
        ]
        clusters = _cluster(lines)
        for members in clusters:
            multi = shapely.multilinestrings([lines[i] for i in members])
            point = shapely.ops.nearest_points(multi, multi.centroid)[0]
            lon, lat = proj.to_lonlat(point.x, point.y)
            label = name
            if len(clusters) > 1:
                city = _nearest_city(city_points.get(key, []), point.x, point.y)
                city = city or _nearest_city(any_city, point.x, point.y)
                label = f"{name}, {city}" if city else name
            entries.append(
                {
                    "kind": "street",
                    "label": label,
                    "key": key,
                    "number": "",
                    "lon": round(float(lon), 7),
                    "lat": round(float(lat), 7),
                }
            )

    for (key, number), group in _address_groups(addresses, proj).items():
        labels: set[str] = set()
        for a in group:
            label = f"{a.street} {a.housenumber}"
            if len(group) > 1 and a.city:
                label = f"{label}, {a.city}"
            if label in labels:  # one big site tagged twice: one answer is enough
                continue
            labels.add(label)
            entries.append(
                {
                    "kind": "address",
                    "label": label,
                    "key": key,
                    "number": number,
                    "lon": round(a.lon, 7),
                    "lat": round(a.lat, 7),
                }
            )

    for p in pois.all():
        entries.append(
            {
                "kind": "poi",
                "label": p.name,
                "key": normalize(p.name),
                "number": "",
                "lon": round(p.lon, 7),
                "lat": round(p.lat, 7),
            }
        )
    return entries


def _address_groups(
    addresses: Sequence[AddressPoint], proj: LocalProjection
) -> dict[tuple[str, str], list[AddressPoint]]:
    """Addresses by (street key, number), with duplicates of one place merged: OSM often
    tags both a building and its entrance, which must not show up as two answers."""
    groups: dict[tuple[str, str], list[AddressPoint]] = defaultdict(list)
    for a in addresses:
        key = (normalize(a.street), normalize(a.housenumber))
        x, y = proj.to_xy(a.lon, a.lat)
        if not all(_far(proj, b, float(x), float(y)) for b in groups[key]):
            continue
        groups[key].append(a)
    return groups


def _far(proj: LocalProjection, a: AddressPoint, x: float, y: float) -> bool:
    ax, ay = proj.to_xy(a.lon, a.lat)
    return bool((ax - x) ** 2 + (ay - y) ** 2 > _SAME_ADDRESS_M**2)


def _cluster(lines: list[Any]) -> list[list[int]]:
    """Group one name's segments into streets: single-link clustering at _SAME_STREET_M."""
    import shapely

    if len(lines) == 1:
        return [[0]]
    tree = shapely.STRtree(lines)
    left, right = tree.query(lines, predicate="dwithin", distance=_SAME_STREET_M)
    parent = list(range(len(lines)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        parent[find(a)] = find(b)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(lines)):
        groups[find(i)].append(i)
    return list(groups.values())


def _city_lookup(
    addresses: Sequence[AddressPoint], proj: LocalProjection
) -> dict[str, list[tuple[float, float, str]]]:
    out: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for a in addresses:
        if a.city:
            x, y = proj.to_xy(a.lon, a.lat)
            out[normalize(a.street)].append((float(x), float(y), a.city))
    return out


def _nearest_city(points: list[tuple[float, float, str]], x: float, y: float) -> str | None:
    best: tuple[float, str] | None = None
    for px, py, city in points:
        d = (px - x) ** 2 + (py - y) ** 2
        if d <= _CITY_RADIUS_M**2 and (best is None or d < best[0]):
            best = (d, city)
    return best[1] if best else None
