"""An offline geocoder over the extract's streets, addresses, intersections and POIs.

Dispatchers type fast, under stress, often misspelled: "manerheimintie 5",
"5 Mannerheimintie", "manner", "Hauptstr. 12a", "Yan'an West Road", "延安西",
"世纪大道与浦东南路". The index is built at import (:mod:`routing.gazetteer`); a query
is read as a name, as a name plus a house number, and as two crossing streets; each
name part is looked up fuzzily in an inverted gram index (:mod:`routing.nameindex`),
so nothing scans every entry. Address conventions (:mod:`routing.address`) come first:
"12213 W Bell Rd #117, Sun City West, AZ 85375", "300新竹市東區大學路1001號" and
"Main St between 1st Ave and 2nd Ave" are read into the street, the number, the unit
(returned with the answer), and the postcode and city (which rank the answers).

Scores are confidences in 0..1 (1.0 = exact). Callers should treat answers below
about 0.6 as "not found": a nonsense query returns nothing or only low scores. A
missing house number between two known ones on the same street is interpolated along
the street's geometry and flagged ``interpolated``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from rapidfuzz import fuzz

from .address import read_query, search_key
from .address.labels import address_label, with_unit
from .errors import MapCacheError
from .gazetteer import (
    AREA_MIN_M2,
    AddressPoint,
    GazetteerExtras,
    build_geocoder_entries,
    decode_line,
)
from .nameindex import NameIndex
from .projection import LocalProjection, haversine_m
from .reverse import ADDRESS_RADIUS_M, ReverseIndex, reverse_score
from .text import has_cjk, normalize, parse_query, pinyin_key, split_intersection

__all__ = [
    "GEOCODER_FILE",
    "AddressPoint",
    "GazetteerExtras",
    "Geocoder",
    "Place",
    "PlaceKind",
    "build_geocoder_entries",
]

GEOCODER_FILE = "geocoder.json"

PlaceKind = Literal["address", "street", "intersection", "poi"]

# How much of the name's score each kind of answer keeps.
_INTERPOLATED = 0.9  # a missing number between two known ones
_NUMBER_PREFIX = 0.85  # typeahead on the number: "Mannerheimintie 1" -> 10, 12a
_STREET_FOR_NUMBER = 0.8  # the street itself when a number was asked for
_NOT_CROSSING = 0.5  # two streets were named but they never meet
_NAME_MATCHES = 12
_PINYIN = 0.92  # same sound, other characters (or pinyin typed for Chinese)
_MAX_NUMBER_GAP = 40
_MAX_INTERPOLATION_M = 1500.0
_AREA_BONUS = 0.05  # a campus or a park over a bike dock or a shed of the same words
_KIND_ORDER = {"address": 0, "intersection": 1, "street": 2, "poi": 3}
_LEADING_INT = re.compile(r"^(\d+)")


@dataclass(frozen=True, slots=True)
class Place:
    """A geocoding answer: a label for people and a point on the map.

    ``interpolated`` marks a house number that is not in the map but placed between
    its neighbours; ``distance_m`` is set by reverse geocoding; ``category`` tells what
    a POI is (hospital, school, station ...); ``unit`` is the apartment, suite or room
    typed after the address (also written into ``label``); ``outline`` is the outer
    ring ``[[lon, lat], ...]`` of an area answer (campus, hospital, park), whose point
    is then its main entrance or a point inside it.
    """

    label: str
    lon: float
    lat: float
    kind: PlaceKind
    score: float
    interpolated: bool = False
    distance_m: float | None = None
    category: str | None = None
    unit: str | None = None
    outline: tuple[tuple[float, float], ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The ``GET /geocode`` item shape."""
        out: dict[str, Any] = {
            "label": self.label,
            "location": [self.lon, self.lat],
            "kind": self.kind,
            "score": self.score,
            "interpolated": self.interpolated,
        }
        if self.distance_m is not None:
            out["distance_m"] = self.distance_m
        if self.category is not None:
            out["category"] = self.category
        if self.unit is not None:
            out["unit"] = self.unit
        if self.outline is not None:
            out["outline"] = [list(p) for p in self.outline]
        return out


class Geocoder:
    """Searches the index written at import time (``geocoder.json``)."""

    def __init__(self, entries: Sequence[dict[str, Any]]) -> None:
        self._entries = list(entries)
        names: dict[str, int] = {}
        self._direct: list[list[tuple[int, str]]] = []
        self._street_keys: list[set[str]] = []

        def name_id(key: str) -> int:
            i = names.get(key)
            if i is None:
                i = names[key] = len(names)
                self._direct.append([])
                self._street_keys.append(set())
            return i

        self._addresses: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._numbers_of: dict[str, list[int]] = defaultdict(list)
        self._pairs: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._streets_of: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(self._entries):
            kind, key = e["kind"], search_key(e.get("key", ""))
            if kind == "address":
                for k in [key, *(search_key(k) for k in e.get("keys", ()))]:
                    self._street_keys[name_id(k)].add(k)
                    self._addresses[(k, e["number"])].append(i)
                    self._numbers_of[k].append(i)
            elif kind == "intersection":
                a, b = sorted(search_key(k) for k in e["streets"])
                self._pairs[(a, b)].append(i)
            elif key:
                self._direct[name_id(key)].append((i, ""))
                label_key = search_key(normalize(e["label"]))
                if label_key != key:
                    self._direct[name_id(label_key)].append((i, ""))
                if kind == "street":
                    self._streets_of[key].append(i)
                    self._street_keys[name_id(key)].add(key)
                for alt in e.get("alt", ()):
                    alt_key = search_key(normalize(alt))
                    if alt_key and alt_key != key:
                        # A street found by another name says so; a landmark by its short
                        # name answers with its own name.
                        self._direct[name_id(alt_key)].append((i, alt if kind == "street" else ""))
                        if kind == "street":
                            self._street_keys[name_id(alt_key)].add(key)
        self._index = NameIndex(list(names))
        # Chinese names also by their pinyin (homophone typos, pinyin typed directly).
        by_pinyin: dict[str, list[int]] = defaultdict(list)
        if any(has_cjk(name) for name in names):
            for name, nid in names.items():
                key = pinyin_key(name)
                if key:
                    by_pinyin[key].append(nid)
        self._pinyin_names = list(by_pinyin.values())
        self._pinyin = NameIndex(list(by_pinyin))
        self._geometry: dict[int, list[np.ndarray[Any, np.dtype[np.float64]]]] = {}
        self._reverse: ReverseIndex | None = None
        self._label_keys: dict[int, str] = {}

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

    @property
    def entries(self) -> Sequence[dict[str, Any]]:
        """The raw index entries (read-only use: benchmarks, diagnostics)."""
        return self._entries

    # ------------------------------------------------------------------ search

    def search(self, q: str, *, limit: int = 5) -> list[Place]:
        """Best matches for ``q``, highest score first: a street, "street number" or
        "number street" (either order, typos, prefixes, abbreviations), a POI or
        locality name, two crossing streets ("A & B", "A and B", "A/B", "A与B",
        "A與B"), or a stretch of street ("X between A and B"). A unit ("#117", "apt 5",
        "3栋502室") comes back in the answers; a ZIP, postcode, city or Chinese
        administrative prefix ranks them. Empty for an empty query or when nothing is
        close."""
        if limit <= 0 or len(q) > 500:
            return []
        query = read_query(q)
        parses: dict[tuple[str, str | None], float] = {}
        for reading in query.readings:
            for parse in parse_query(reading.text):
                pk = (search_key(parse.text), parse.number)
                parses[pk] = max(parses.get(pk, 0.0), reading.weight)
        if not parses:
            return []
        found: dict[object, tuple[Place, float]] = {}

        def offer(key: object, place: Place, importance: float = 0.0) -> None:
            old = found.get(key)
            # Ties go to the shorter label: the primary name over "alias (name)".
            if old is None or (place.score, -len(place.label)) > (
                old[0].score,
                -len(old[0].label),
            ):
                found[key] = (place, importance)

        def offer_entry(i: int, score: float, via: str = "", text: str = "") -> None:
            score = self._landmark_score(i, score, text)
            offer(i, self._place(i, score, via), self._importance(i))

        has_number = any(number for _, number in parses)
        for (text, number), weight in parses.items():
            matches = [(nid, score * weight) for nid, score in self._match(text, _NAME_MATCHES)]
            if number is None:
                for nid, score in matches:
                    if has_number and score < 1.0:  # "Hauptstraße 5" is no street name
                        score *= _STREET_FOR_NUMBER
                    for i, via in self._direct[nid]:
                        offer_entry(i, score, via, text)
                continue
            streets: dict[str, float] = {}
            for nid, score in matches:
                for skey in self._street_keys[nid]:
                    streets[skey] = max(score, streets.get(skey, 0.0))
                for i, via in self._direct[nid]:
                    if self._entries[i]["kind"] == "street":
                        offer_entry(i, score * _STREET_FOR_NUMBER, via)
            for skey, score in streets.items():
                self._offer_number(skey, number, score, offer, offer_entry)

        texts = [r.text for r in query.readings]
        cap = self._crossings(texts, offer_entry)
        if cap is not None:  # two streets named that never meet: nothing else is sure
            for k, (p, importance) in list(found.items()):
                if p.kind != "intersection" and p.score < 1.0:
                    found[k] = (_with_score(p, min(p.score, cap)), importance)
        if query.between is not None:
            self._between(query.between, offer)

        # Equal scores: the answer in the postcode or city typed, then the label closest
        # to what was typed ("Burgweg" over "Burgweg, Schriesheim"), then addresses
        # before streets, then longer streets and larger areas.
        typed = normalize(q)
        top = sorted(found.items(), key=lambda kv: -kv[1][0].score)
        if len(top) > 4 * limit + 20:  # keep every answer tied with the last one kept
            floor = top[4 * limit + 20][1][0].score
            top = [kv for kv in top if kv[1][0].score >= floor]

        def closeness(key: object, label: str) -> float:
            norm = self._label_key(key) if isinstance(key, int) else normalize(label)
            return fuzz.ratio(typed, norm)

        def in_context(key: object) -> bool:
            if not isinstance(key, int) or not (query.postcode or query.context):
                return False
            e = self._entries[key]
            if query.postcode and e.get("postcode") == query.postcode:
                return True
            city = normalize(e.get("city") or "")
            return bool(city) and set(city.split()) <= query.context

        as_typed = q.strip()
        ranked = sorted(
            top,
            key=lambda kv: (
                -kv[1][0].score,
                not in_context(kv[0]),
                kv[1][0].label != as_typed,
                -closeness(kv[0], kv[1][0].label),
                _KIND_ORDER[kv[1][0].kind],
                -kv[1][1],
                kv[1][0].label,
            ),
        )
        places: list[Place] = []
        seen: set[tuple[str, str]] = set()
        for _, (p, _) in ranked:
            if (p.label, p.kind) not in seen:
                seen.add((p.label, p.kind))
                if query.unit and p.kind in ("address", "poi", "street"):
                    p = _with_unit(p, query.unit)
                places.append(p)
                if len(places) == limit:
                    break
        return places

    def _landmark_score(self, i: int, score: float, text: str) -> float:
        """A landmark's score: Chinese names put the kind of place last, so a name that
        ends with the query (陽明交通大學 for 交通大學) is that place, while one that
        only starts with it (交通大學YouBike站) is something at it; and an area (a
        campus, a park) outranks a small feature carrying the same words."""
        e = self._entries[i]
        if e["kind"] != "poi" or score >= 1.0:
            return score
        if text and has_cjk(text) and len(text) >= 2:
            key = search_key(e.get("key", ""))
            if key.endswith(text):
                score = max(score, 0.85 + 0.1 * len(text) / max(len(key), 1))
        if float(e.get("area_m2", 0.0)) >= AREA_MIN_M2:
            score = min(score + _AREA_BONUS, 0.99)
        return score

    def _label_key(self, i: int) -> str:
        key = self._label_keys.get(i)
        if key is None:
            key = self._label_keys[i] = normalize(self._entries[i]["label"])
        return key

    def _match(self, text: str, limit: int) -> list[tuple[int, float]]:
        """Name ids for ``text`` with scores: by spelling, and for Chinese maps also by
        pinyin (of a Chinese query, or of a Latin one typed as pinyin)."""
        text = search_key(text)
        matches = self._index.match(text, limit=limit)
        if not len(self._pinyin):
            return matches
        key = pinyin_key(text) if has_cjk(text) else text.replace(" ", "")
        if not key.isascii() or len(key) < 4:
            return matches
        best = dict(matches)
        for pid, score in self._pinyin.match(key, limit=limit, min_score=0.8):
            for nid in self._pinyin_names[pid]:
                best[nid] = max(best.get(nid, 0.0), score * _PINYIN)
        return sorted(best.items(), key=lambda t: -t[1])[:limit]

    def _place(self, i: int, score: float, via: str = "") -> Place:
        e = self._entries[i]
        label = f"{via} ({e['label']})" if via else e["label"]
        outline = None
        if e.get("outline"):
            ring = decode_line(e["outline"][0])
            outline = tuple((float(x), float(y)) for x, y in ring.tolist())
        return Place(
            label,
            float(e["lon"]),
            float(e["lat"]),
            e["kind"],
            round(min(score, 1.0), 4),
            category=e.get("category"),
            outline=outline,
        )

    def _importance(self, i: int) -> float:
        e = self._entries[i]
        return float(e.get("length_m", 0.0)) + float(e.get("area_m2", 0.0))

    def _offer_number(
        self, skey: str, number: str, score: float, offer: Any, offer_entry: Any
    ) -> None:
        exact = self._addresses.get((skey, number))
        if exact:
            for i in exact:
                offer_entry(i, score)
            return
        for place in self._interpolate(skey, number, score * _INTERPOLATED):
            offer(("interpolated", place.label), place)
        shown = 0
        for i in self._numbers_of.get(skey, ()):
            if self._entries[i]["number"].startswith(number) and shown < 5:
                offer_entry(i, score * _NUMBER_PREFIX)
                shown += 1

    def _crossings(self, texts: Sequence[str], offer_entry: Any) -> float | None:
        """Offer intersections for every "A <separator> B" reading of the query
        ``texts``. Returns a score cap for the other answers when both sides are clearly
        streets that do not meet, else None."""
        cap: float | None = None
        pairs = dict.fromkeys(ab for t in texts for ab in split_intersection(t))
        for a, b in pairs:
            left = self._street_scores(a)
            right = self._street_scores(b)
            if not left or not right:
                continue
            met = False
            for ka, sa in left.items():
                for kb, sb in right.items():
                    if ka == kb:
                        continue
                    for i in self._pairs.get((min(ka, kb), max(ka, kb)), ()):
                        offer_entry(i, math.sqrt(sa * sb))
                        met = True
            if not met and max(left.values()) >= 0.8 and max(right.values()) >= 0.8:
                cap = _NOT_CROSSING
        return cap

    def _street_scores(self, text: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for nid, score in self._match(text, 8):
            for skey in self._street_keys[nid]:
                if score > out.get(skey, 0.0):
                    out[skey] = score
        return out

    def _between(self, between: tuple[str, str, str], offer: Any) -> None:
        """ "X between A and B": the middle of X between its crossings with A and B (the
        nearest such pair), on X itself."""
        x, a, b = between
        along = self._street_scores(x)
        sides = [self._street_scores(a), self._street_scores(b)]
        best: tuple[float, float, int, int, str] | None = None
        for kx, sx in along.items():
            ends: list[list[tuple[int, float]]] = [[], []]
            for side, scores in enumerate(sides):
                for kc, sc in scores.items():
                    if kc != kx:
                        for i in self._pairs.get((min(kx, kc), max(kx, kc)), ()):
                            ends[side].append((i, sc))
            for i, sa in ends[0]:
                for j, sb in ends[1]:
                    ei, ej = self._entries[i], self._entries[j]
                    d = haversine_m(
                        float(ei["lon"]), float(ei["lat"]), float(ej["lon"]), float(ej["lat"])
                    )
                    score = (sx * sa * sb) ** (1 / 3)
                    if i != j and (best is None or (score, -d) > (best[0], -best[1])):
                        best = (score, d, i, j, kx)
        if best is None:
            return
        score, _, i, j, kx = best
        ei, ej = self._entries[i], self._entries[j]
        pa = (float(ei["lon"]), float(ei["lat"]))
        pb = (float(ej["lon"]), float(ej["lat"]))
        mid = ((pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2)
        street = min(
            self._streets_of.get(kx, [-1]),
            key=lambda k: (
                haversine_m(
                    mid[0], mid[1], float(self._entries[k]["lon"]), float(self._entries[k]["lat"])
                )
                if k >= 0
                else 0.0
            ),
        )
        lon, lat = self._along(street, pa, pb, 0.5)
        name = self._entries[street]["label"] if street >= 0 else x
        cross = [self._other_street(e, kx) for e in (ei, ej)]
        if has_cjk(name):
            label = f"{name}（{cross[0]}与{cross[1]}之间）"
        else:
            label = f"{name} (between {cross[0]} and {cross[1]})"
        place = Place(label, round(lon, 7), round(lat, 7), "street", round(min(score, 1.0), 4))
        offer(("between", label), place)

    def _other_street(self, crossing: dict[str, Any], key: str) -> str:
        """The name of the street of an intersection entry that is not ``key``."""
        names = crossing.get("names")
        if names:
            a, b = names
        else:  # an index built before entries kept their names: read them off the label
            label = crossing["label"]
            sep = " & " if " & " in label else "与" if "与" in label else None
            a, b = label.split(sep, 1) if sep else ("", "")
            b = b.split(",")[0].split(" (")[0].split("（")[0]
        return str(b) if search_key(normalize(a)) == key else str(a)

    # ------------------------------------------------------------ interpolation

    def _interpolate(self, skey: str, number: str, score: float) -> list[Place]:
        """Place ``number`` between the nearest known numbers below and above it on
        the same street (same side first: odd and even numbers usually face each other),
        along the street's geometry when both neighbours lie on one piece of it."""
        m = _LEADING_INT.match(number)
        if m is None:
            return []
        n = int(m.group(1))
        by_street: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for i in self._numbers_of.get(skey, ()):
            e = self._entries[i]
            k = _LEADING_INT.match(e["number"])
            if k is not None:
                by_street[int(e.get("street", -1))].append((int(k.group(1)), i))
        out: list[Place] = []
        for street, known in by_street.items():
            pair = _neighbours(n, known)
            if pair is None:
                continue
            (lo, i), (hi, j) = pair
            a, b = self._entries[i], self._entries[j]
            alon, alat, blon, blat = (
                float(a["lon"]),
                float(a["lat"]),
                float(b["lon"]),
                float(b["lat"]),
            )
            if haversine_m(alon, alat, blon, blat) > _MAX_INTERPOLATION_M:
                continue
            if i == j:  # inside a tagged range ("22-24") or a lettered one ("12" of "12a")
                lon, lat = alon, alat
            else:
                f = (n - lo) / (hi - lo) if hi != lo else 0.0
                lon, lat = self._along(street, (alon, alat), (blon, blat), f)
            label = address_label(
                a.get("name") or a["label"].split(",")[0].rsplit(" ", 1)[0], number
            )
            if street >= 0:  # "Hauptstraße, Leimen" -> "Hauptstraße 5, Leimen"
                street_label = self._entries[street]["label"]
                name = a.get("name", "")
                if name and street_label.startswith(name):
                    label += street_label[len(name) :]
            out.append(Place(label, round(lon, 7), round(lat, 7), "address", round(score, 4), True))
        return out

    def _along(
        self, street: int, a: tuple[float, float], b: tuple[float, float], f: float
    ) -> tuple[float, float]:
        import shapely

        straight = (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))
        parts = self._street_geometry(street)
        if not parts:
            return straight
        proj = LocalProjection(a[0], a[1])
        pa = shapely.points(*(float(v) for v in proj.to_xy(*a)))
        pb = shapely.points(*(float(v) for v in proj.to_xy(*b)))
        lines = []
        for lonlat in parts:
            x, y = proj.to_xy(lonlat[:, 0], lonlat[:, 1])
            lines.append(shapely.linestrings(np.column_stack((x, y))))
        da = [float(shapely.distance(line, pa)) for line in lines]
        db = [float(shapely.distance(line, pb)) for line in lines]
        k = int(np.argmin(da))
        if int(np.argmin(db)) == k:
            line = lines[k]
            ma = float(shapely.line_locate_point(line, pa))
            mb = float(shapely.line_locate_point(line, pb))
            # Both carriageways of an avenue can merge into one U-shaped line: only walk
            # along it when that is about as short as the straight way.
            if abs(mb - ma) <= 1.3 * float(shapely.distance(pa, pb)) + 20.0:
                pt = shapely.line_interpolate_point(line, ma + f * (mb - ma))
                lon, lat = proj.to_lonlat(float(shapely.get_x(pt)), float(shapely.get_y(pt)))
                return float(lon), float(lat)
        # Otherwise the straight-line guess, moved onto the nearest piece of the street.
        ps = shapely.points(*(float(v) for v in proj.to_xy(*straight)))
        nearest = min(lines, key=lambda line: float(shapely.distance(line, ps)))
        if float(shapely.distance(nearest, ps)) > 60.0:
            return straight
        pt = shapely.shortest_line(nearest, ps).coords[0]
        lon, lat = proj.to_lonlat(pt[0], pt[1])
        return float(lon), float(lat)

    def _street_geometry(self, street: int) -> list[np.ndarray[Any, np.dtype[np.float64]]]:
        if street < 0 or street >= len(self._entries):
            return []
        parts = self._geometry.get(street)
        if parts is None:
            geom = self._entries[street].get("geom") or []
            parts = [p for p in (decode_line(t) for t in geom) if len(p) >= 2]
            self._geometry[street] = parts
        return parts

    # ------------------------------------------------------------------ reverse

    def reverse(self, lon: float, lat: float, *, max_distance_m: float = 500.0) -> Place | None:
        """What is at ``(lon, lat)``: the nearest address within 50 m, else the nearest
        named street within ``max_distance_m`` (its point nearest to the query), else
        None. ``distance_m`` tells how far; ``score`` falls with distance (1.0 at 0 m,
        about 0.6 at 50 m)."""
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return None
        index = self._reverse
        if index is None:
            index = self._reverse = ReverseIndex(self._entries)
        hit = index.nearest_address(lon, lat, min(ADDRESS_RADIUS_M, max_distance_m))
        if hit is not None:
            e = self._entries[hit.entry]
            return Place(
                e["label"],
                float(e["lon"]),
                float(e["lat"]),
                "address",
                reverse_score(hit.distance_m),
                distance_m=round(hit.distance_m, 1),
            )
        hit = index.nearest_street(lon, lat, max_distance_m)
        if hit is None:
            return None
        e = self._entries[hit.entry]
        return Place(
            e["label"],
            round(hit.lon, 7),
            round(hit.lat, 7),
            "street",
            reverse_score(hit.distance_m),
            distance_m=round(hit.distance_m, 1),
        )


def _neighbours(
    n: int, known: list[tuple[int, int]]
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The nearest known numbers at or below and above ``n``, same parity if possible."""
    for pool in ([k for k in known if k[0] % 2 == n % 2], known):
        below = [k for k in pool if k[0] <= n]
        above = [k for k in pool if k[0] >= n]
        if below and above:
            lo, hi = max(below), min(above)
            if hi[0] - lo[0] <= _MAX_NUMBER_GAP:
                return lo, hi
    return None


def _with_score(p: Place, score: float) -> Place:
    return dataclasses.replace(p, score=round(score, 4))


def _with_unit(p: Place, unit: str) -> Place:
    return dataclasses.replace(p, label=with_unit(p.label, unit), unit=unit)
