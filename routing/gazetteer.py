"""Build the geocoder index (``geocoder.json`` entries) at import time.

One entry per street (per distinct place a name occurs), per house-number address, per
intersection of two named streets and per named place of interest. Streets carry their
own geometry (merged, simplified, packed as base64 int32 micro-degrees), so the
geocoder can interpolate missing house numbers along them and answer reverse queries
without loading the road graph a second time.

Entry fields: ``kind``, ``label``, ``key`` (normalised name), ``number``, ``lon``,
``lat``; streets add ``alt`` (other-language names), ``geom`` and ``length_m``;
addresses add ``street`` (index of their street entry or -1), ``keys`` (extra
searchable spellings, e.g. with the city), ``postcode`` and ``city`` when tagged;
intersections add ``streets`` (the two street keys); POIs add ``category``, ``alt``
(short and other names), and for areas (campuses, hospitals, parks) ``area_m2`` and
``outline`` (the packed outer ring), their point being the main entrance on the outline
when one is mapped, else a point inside the area.

Labels are written in the locale's order (:mod:`routing.address.labels`): "16952
West Bell Road", "Hauptstraße 12", "麓山南路932号".
"""

from __future__ import annotations

import base64
import json
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .address import (
    address_label,
    crossing_label,
    near_label,
    search_key,
    street_place_label,
)
from .projection import LocalProjection
from .text import clean_housenumber, has_cjk, normalize, normalize_housenumber

if TYPE_CHECKING:
    from .graph import RoadGraph
    from .pois import PoiSet

__all__ = [
    "AddressPoint",
    "GazetteerExtras",
    "NamedFeature",
    "build_geocoder_entries",
    "decode_line",
    "encode_line",
    "read_gazetteer_extras",
]

# Street pieces with one name closer than this are one street (dual carriageways,
# a gap where the name changes for one block); farther apart they are distinct streets.
_SAME_STREET_M = 300.0
_CITY_RADIUS_M = 2000.0
_PLACE_RADIUS_M = 3000.0
_SAME_ADDRESS_M = 150.0
_SAME_CROSSING_M = 200.0
_SAME_POI_M = 100.0
_ADDRESS_STREET_M = 300.0
_SIMPLIFY_DEG = 2e-6  # about 0.2 m: drops collinear vertices, keeps the shape

#: Other names of a street worth searching: English, Swedish (Helsinki is bilingual),
#: Chinese variants, and common alternatives.
ALIAS_TAGS = (
    "name:en",
    "name:sv",
    "name:fi",
    "name:de",
    "name:pt",
    "name:zh",
    "name:zh-Hans",
    "alt_name",
    "official_name",
)
_FEATURE_FILTER: dict[str, Any] = {
    "amenity": True,
    "shop": ["mall", "department_store", "supermarket"],
    "railway": ["station", "halt"],
    "public_transport": ["station"],
    "tourism": ["hotel", "museum", "attraction"],
    "leisure": ["stadium", "sports_centre", "park"],
}
#: Other names of a place of interest: what people call it ("交大", "TUM", "Uni-Klinik").
POI_ALIAS_TAGS = (
    "short_name",
    "alt_name",
    "official_name",
    "name:en",
    "name:zh",
    "name:zh-Hans",
    "name:zh-Hant",
)
#: A named feature this large (m²) is an area answer: a campus, a hospital, a park.
AREA_MIN_M2 = 500.0
_ENTRANCE_ON_OUTLINE_M = 5.0
_OUTLINE_SIMPLIFY_DEG = 1e-5  # about 1 m
_FEATURE_KEYS = ("amenity", "shop", "railway", "public_transport", "tourism", "leisure")
_PLACE_TYPES = ["city", "town", "village", "suburb", "quarter", "neighbourhood", "hamlet"]


@dataclass(frozen=True, slots=True)
class AddressPoint:
    """A house-number address read from the extract."""

    street: str
    housenumber: str
    city: str | None
    lon: float
    lat: float
    postcode: str | None = None


@dataclass(frozen=True, slots=True)
class NamedFeature:
    """A named point of interest or locality: ``category`` is its OSM value
    (school, station, mall, hospital, village ...)."""

    name: str
    category: str
    lon: float
    lat: float
    is_place: bool = False
    aliases: tuple[str, ...] = ()
    area_m2: float = 0.0
    outline: tuple[str, ...] = ()
    """The packed outer ring (:func:`encode_line`) of an area feature."""


@dataclass(frozen=True, slots=True)
class GazetteerExtras:
    """What the geocoder reads from the extract beyond roads and addresses."""

    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Street name -> its other names (``name:en`` and friends)."""
    features: tuple[NamedFeature, ...] = ()


# --------------------------------------------------------------------------- reading


def read_gazetteer_extras(osm: Any) -> GazetteerExtras:
    """Street aliases, named POIs and localities from a ``pyrosm.OSM`` reader; an
    extract without them (or no reader: OSM XML imports) simply yields empty parts."""
    if osm is None:
        return GazetteerExtras()
    return GazetteerExtras(aliases=_read_aliases(osm), features=tuple(_read_features(osm)))


def _read_aliases(osm: Any) -> dict[str, tuple[str, ...]]:
    try:
        frame = osm.get_data_by_custom_criteria(
            custom_filter={"highway": True},
            filter_type="keep",
            keep_nodes=False,
            keep_ways=True,
            keep_relations=False,
            extra_attributes=list(ALIAS_TAGS),
        )
    except Exception:
        return {}
    if frame is None or len(frame) == 0 or "name" not in frame.columns:
        return {}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    columns = [c for c in ALIAS_TAGS if c in frame.columns]
    tags = frame["tags"].tolist() if "tags" in frame.columns else [None] * len(frame)
    for i, name in enumerate(frame["name"].tolist()):
        if not isinstance(name, str) or not name.strip():
            continue
        extra = osm_tags(tags[i])
        for column in ALIAS_TAGS:
            value = frame[column].iloc[i] if column in columns else extra.get(column)
            for alias in _split_values(value):
                if normalize(alias) and normalize(alias) != normalize(name):
                    counts[name.strip()][alias] += 1
    return {name: tuple(a for a, _ in c.most_common(4)) for name, c in counts.items()}


def _read_features(osm: Any) -> list[NamedFeature]:
    out: list[NamedFeature] = []
    try:
        frame = osm.get_pois(custom_filter=_FEATURE_FILTER)
    except Exception:
        frame = None
    if frame is not None and len(frame) and "name" in frame.columns:
        points = frame.geometry.representative_point()
        entrances = _read_main_entrances(osm)
        tags = frame["tags"].tolist() if "tags" in frame.columns else [None] * len(frame)
        for i in range(len(frame)):
            name, pt = frame["name"].iloc[i], points.iloc[i]
            if not isinstance(name, str) or not name.strip() or pt is None or pt.is_empty:
                continue
            category = next(
                (
                    str(frame[k].iloc[i])
                    for k in _FEATURE_KEYS
                    if k in frame.columns and isinstance(frame[k].iloc[i], str)
                ),
                "poi",
            )
            extra = osm_tags(tags[i])
            aliases: list[str] = []
            for column in POI_ALIAS_TAGS:
                value = frame[column].iloc[i] if column in frame.columns else extra.get(column)
                aliases += [a for a in _split_values(value) if a != name.strip()]
            lon, lat = float(pt.x), float(pt.y)
            area, outline, entrance = _area_of(frame.geometry.iloc[i], entrances)
            if entrance is not None:
                lon, lat = entrance
            out.append(
                NamedFeature(
                    name.strip(),
                    category,
                    lon,
                    lat,
                    aliases=tuple(dict.fromkeys(aliases)),
                    area_m2=area,
                    outline=outline,
                )
            )
    try:
        places = osm.get_data_by_custom_criteria(
            custom_filter={"place": _PLACE_TYPES},
            filter_type="keep",
            keep_nodes=True,
            keep_ways=False,
            keep_relations=False,
        )
    except Exception:
        places = None
    if places is not None and len(places):
        for i in range(len(places)):
            tags = osm_tags(places["tags"].iloc[i]) if "tags" in places.columns else {}
            raw = places["name"].iloc[i] if "name" in places.columns else tags.get("name")
            pt = places.geometry.iloc[i]
            if isinstance(raw, str) and raw.strip() and pt is not None and not pt.is_empty:
                kind = str(places["place"].iloc[i])
                out.append(NamedFeature(raw.strip(), kind, float(pt.x), float(pt.y), True))
    return out


def _read_main_entrances(osm: Any) -> Any:
    """``entrance=main`` nodes as a shapely STR-tree of points (None when there are none)."""
    import shapely

    try:
        frame = osm.get_data_by_custom_criteria(
            custom_filter={"entrance": ["main"]},
            filter_type="keep",
            keep_nodes=True,
            keep_ways=False,
            keep_relations=False,
        )
    except Exception:
        return None
    if frame is None or len(frame) == 0:
        return None
    points = [g for g in frame.geometry.tolist() if g is not None and not g.is_empty]
    return shapely.STRtree(points) if points else None


def _area_of(
    geometry: Any, entrances: Any
) -> tuple[float, tuple[str, ...], tuple[float, float] | None]:
    """(area in m², packed outer ring, main entrance) of a polygon feature; (0, (), None)
    for points, lines and small outlines. The entrance is a mapped ``entrance=main`` on
    the outline (a gate), the one nearest the area's inner point when there are several."""
    import shapely

    if (
        geometry is None
        or geometry.is_empty
        or geometry.geom_type
        not in (
            "Polygon",
            "MultiPolygon",
        )
    ):
        return 0.0, (), None
    parts = list(getattr(geometry, "geoms", [geometry]))
    polygon = max(parts, key=lambda g: g.area)
    ring = polygon.exterior
    lon0, lat0 = float(polygon.centroid.x), float(polygon.centroid.y)
    proj = LocalProjection(lon0, lat0)
    coords = np.asarray(ring.coords)
    x, y = proj.to_xy(coords[:, 0], coords[:, 1])
    area = float(shapely.area(shapely.polygons(np.column_stack((x, y)))))
    if area < AREA_MIN_M2:
        return 0.0, (), None
    outline = shapely.get_coordinates(shapely.simplify(ring, _OUTLINE_SIMPLIFY_DEG))
    packed = (encode_line(outline[:, 0], outline[:, 1]),)
    entrance = None
    if entrances is not None:
        tolerance_deg = _ENTRANCE_ON_OUTLINE_M / 111_000.0
        near = entrances.query(ring, predicate="dwithin", distance=tolerance_deg)
        inner = polygon.representative_point()
        best = math.inf
        for k in near.tolist():
            gate = entrances.geometries[k]
            d = float(shapely.distance(gate, inner))
            if d < best:
                best, entrance = d, (float(gate.x), float(gate.y))
    return round(area, 1), packed, entrance


def _split_values(value: object) -> list[str]:
    if not isinstance(value, str):
        return []
    return [v.strip() for v in value.split(";") if v.strip()]


def osm_tags(value: object) -> dict[str, Any]:
    """The tags of an OSM element as pyrosm hands them over: a dict, a JSON string or nothing."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


# --------------------------------------------------------------------------- geometry


def encode_line(lon: Sequence[float] | np.ndarray[Any, Any], lat: Any) -> str:
    """Pack a polyline as base64 little-endian int32 micro-degrees (lon, lat pairs)."""
    xy = np.column_stack((np.asarray(lon), np.asarray(lat)))
    ints = np.round(xy * 1e6).astype("<i4")
    return base64.b64encode(ints.tobytes()).decode("ascii")


def decode_line(text: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The ``(n, 2)`` lon/lat array packed by :func:`encode_line`."""
    ints = np.frombuffer(base64.b64decode(text), dtype="<i4")
    out: np.ndarray[Any, np.dtype[np.float64]] = ints.reshape(-1, 2).astype(np.float64) / 1e6
    return out


# --------------------------------------------------------------------------- building


def build_geocoder_entries(
    graph: RoadGraph,
    names_per_edge: Sequence[Sequence[str]],
    addresses: Sequence[AddressPoint],
    pois: PoiSet,
    extras: GazetteerExtras | None = None,
) -> list[dict[str, Any]]:
    """The geocoder index (see the module docstring). Streets get a representative
    point on their own geometry, so a geocoded street always snaps onto that street."""
    import shapely

    extras = extras or GazetteerExtras()
    center_lon = float(graph.node_lon.mean()) if graph.node_count else 0.0
    center_lat = float(graph.node_lat.mean()) if graph.node_count else 0.0
    proj = LocalProjection(center_lon, center_lat)
    gx, gy = proj.to_xy(graph.geom_lon, graph.geom_lat)

    # Each name gets the part of an edge it is on: a merged edge whose polyline is an
    # avenue, then a side street, gives each name only its own stretch, so reverse
    # geocoding reports the name under the point.
    edges_by_name: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    for e in graph.canonical_edges().tolist():
        for start, end, name in _name_parts(graph, e, names_per_edge[e]):
            edges_by_name[name].append((e, start, end))

    places = [f for f in extras.features if f.is_place]
    localities = _Localities(addresses, places, proj)
    crossings = _crossings(graph, names_per_edge)

    entries: list[dict[str, Any]] = []
    street_lines: list[Any] = []  # projected geometry of entries[i] for streets
    for name, pieces in sorted(edges_by_name.items()):
        key = normalize(name)
        if not key:
            continue
        edges = [e for e, _, _ in pieces]
        lines = [_edge_line(graph, gx, gy, e, start, end) for e, start, end in pieces]
        clusters = _cluster(lines)
        merged = [_merge([lines[i] for i in members]) for members in clusters]
        points = [_point_on(m) for m in merged]
        labels = [name]
        if len(clusters) > 1:
            nodes = [
                {
                    int(n)
                    for m in members
                    for n in (graph.edge_source[edges[m]], graph.edge_target[edges[m]])
                }
                for members in clusters
            ]
            labels = _street_labels(name, key, points, nodes, localities, crossings)
        for multi, point, label in zip(merged, points, labels, strict=True):
            lon, lat = proj.to_lonlat(point[0], point[1])
            entries.append(
                {
                    "kind": "street",
                    "label": label,
                    "name": name,
                    "key": key,
                    "number": "",
                    "lon": round(float(lon), 7),
                    "lat": round(float(lat), 7),
                    "alt": list(extras.aliases.get(name, ())),
                    "length_m": round(float(shapely.length(multi)), 1),
                    "geom": _encode_parts(multi, proj),
                }
            )
            street_lines.append(multi)

    _add_address_streets(entries, street_lines, addresses, proj)
    street_tree = shapely.STRtree(street_lines) if street_lines else None
    _add_addresses(entries, addresses, proj, street_tree, street_lines)
    _add_intersections(entries, graph, crossings, proj, localities)
    _add_pois(entries, pois, extras.features, proj, street_tree)
    return entries


def _name_parts(
    graph: RoadGraph, edge: int, names: Sequence[str]
) -> list[tuple[float, float, str]]:
    """``(from, to, name)`` stretches of ``edge`` (fractions of its length): the graph's
    name parts when it has several named ones, else every name over the whole edge."""
    along = getattr(graph, "names_along", None)
    if along is not None:
        parts = [(a, b, n) for a, b, n in along(edge) if n and b > a]
        if len({n for _, _, n in parts}) > 1:
            return parts
    return [(0.0, 1.0, name) for name in names]


def _edge_line(
    graph: RoadGraph,
    gx: np.ndarray[Any, Any],
    gy: np.ndarray[Any, Any],
    edge: int,
    start: float = 0.0,
    end: float = 1.0,
) -> Any:
    """The projected polyline of ``edge`` between two fractions of its length."""
    import shapely
    from shapely.ops import substring

    a, b = graph.geom_offsets[edge], graph.geom_offsets[edge + 1]
    line = shapely.linestrings(np.column_stack((gx[a:b], gy[a:b])))
    if start <= 0.0 and end >= 1.0:
        return line
    part = substring(line, start, end, normalized=True)
    return part if part.geom_type == "LineString" and not part.is_empty else line


def _merge(lines: list[Any]) -> Any:
    """One street's segments joined into as few lines as possible (line_merge drops
    zero-length segments: a street made only of those keeps them unmerged)."""
    import shapely

    multi = shapely.multilinestrings(lines)
    merged = shapely.line_merge(multi)
    return multi if shapely.is_empty(merged) else merged


def _point_on(geometry: Any) -> tuple[float, float]:
    """The point of a street geometry nearest its centroid (on the street itself)."""
    import shapely

    centroid = shapely.centroid(geometry)
    line = None if shapely.is_empty(centroid) else shapely.shortest_line(geometry, centroid)
    if line is None or shapely.is_empty(line):
        x, y = shapely.get_coordinates(geometry)[0]
        return float(x), float(y)
    x, y = line.coords[0]
    return float(x), float(y)


def _encode_parts(multi: Any, proj: LocalProjection) -> list[str]:
    import shapely

    parts = shapely.get_parts(multi)
    out: list[str] = []
    for part in parts:
        xy = shapely.get_coordinates(part)
        lon, lat = proj.to_lonlat(xy[:, 0], xy[:, 1])
        line = shapely.simplify(shapely.linestrings(np.column_stack((lon, lat))), _SIMPLIFY_DEG)
        coords = shapely.get_coordinates(line)
        out.append(encode_line(coords[:, 0], coords[:, 1]))
    return out


class _Localities:
    """Names for telling apart streets of one name: the nearest ``addr:city`` of an
    address on that street, else the nearest locality (village, suburb) of the extract."""

    def __init__(
        self,
        addresses: Sequence[AddressPoint],
        places: Sequence[NamedFeature],
        proj: LocalProjection,
    ) -> None:
        self.by_street: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
        self.any_city: list[tuple[float, float, str]] = []
        for a in addresses:
            if a.city:
                x, y = proj.to_xy(a.lon, a.lat)
                item = (float(x), float(y), a.city)
                self.by_street[search_key(normalize(a.street))].append(item)
                self.any_city.append(item)
        self.places: list[tuple[float, float, str]] = []
        for p in places:
            x, y = proj.to_xy(p.lon, p.lat)
            self.places.append((float(x), float(y), p.name))

    def name_for(self, key: str, x: float, y: float) -> str | None:
        return (
            _nearest(self.by_street.get(search_key(key), []), x, y, _CITY_RADIUS_M)
            or _nearest(self.places, x, y, _PLACE_RADIUS_M)
            or _nearest(self.any_city, x, y, _CITY_RADIUS_M)
        )


def _nearest(
    points: list[tuple[float, float, str]], x: float, y: float, radius: float
) -> str | None:
    best: tuple[float, str] | None = None
    for px, py, name in points:
        d = (px - x) ** 2 + (py - y) ** 2
        if d <= radius**2 and (best is None or d < best[0]):
            best = (d, name)
    return best[1] if best else None


def _crossings(
    graph: RoadGraph, names_per_edge: Sequence[Sequence[str]]
) -> dict[int, dict[str, str]]:
    """Node -> {street key: street name} for every node where named edges meet."""
    at: dict[int, dict[str, str]] = defaultdict(dict)
    src, dst = graph.edge_source, graph.edge_target
    for e in graph.canonical_edges().tolist():
        for name in names_per_edge[e]:
            key = normalize(name)
            if key:
                at[int(src[e])].setdefault(key, name)
                at[int(dst[e])].setdefault(key, name)
    return {n: names for n, names in at.items() if len(names) > 1}


def _street_labels(
    name: str,
    key: str,
    points: list[tuple[float, float]],
    nodes: list[set[int]],
    localities: _Localities,
    crossings: dict[int, dict[str, str]],
) -> list[str]:
    """Labels telling apart the streets of one name: "Hauptstraße, Leimen"; where the
    locality is unknown or shared, a street it meets that the others do not:
    "Hauptstraße (near Bahnhofstraße)"."""
    labels = []
    for x, y in points:
        place = localities.name_for(key, x, y)
        labels.append(street_place_label(name, place) if place else name)
    met = [
        Counter(other for n in ns for k, other in crossings.get(n, {}).items() if k != key)
        for ns in nodes
    ]
    return _disambiguate(labels, met)


def _add_address_streets(
    entries: list[dict[str, Any]],
    street_lines: list[Any],
    addresses: Sequence[AddressPoint],
    proj: LocalProjection,
) -> None:
    """Streets known only from their addresses (pedestrian zones, tram streets, ways
    outside the drive network) become searchable streets too, at the address nearest
    the middle of their addresses; they have no geometry."""
    import shapely

    have = {search_key(e["key"]) for e in entries if e["kind"] == "street"}
    by_key: dict[str, list[AddressPoint]] = defaultdict(list)
    for a in addresses:
        key = normalize(a.street)
        # "W Bell Rd" in an address is the road "West Bell Road": not a street of its own.
        if key and search_key(key) not in have:
            by_key[key].append(a)
    for key, group in sorted(by_key.items()):
        xs, ys = proj.to_xy([a.lon for a in group], [a.lat for a in group])
        points = [shapely.points(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
        clusters = _cluster(points)
        for members in clusters:
            mx, my = float(np.mean(xs[members])), float(np.mean(ys[members]))
            mid = min(members, key=lambda i: (xs[i] - mx) ** 2 + (ys[i] - my) ** 2)
            a = group[mid]
            city = next((group[i].city for i in members if group[i].city), None)
            label = street_place_label(a.street, city) if len(clusters) > 1 and city else a.street
            entries.append(
                {
                    "kind": "street",
                    "label": label,
                    "key": key,
                    "number": "",
                    "lon": round(a.lon, 7),
                    "lat": round(a.lat, 7),
                    "alt": [],
                    "length_m": 0.0,
                    "geom": [],
                }
            )
            street_lines.append(shapely.multipoints([points[i] for i in members]))


def _add_addresses(
    entries: list[dict[str, Any]],
    addresses: Sequence[AddressPoint],
    proj: LocalProjection,
    street_tree: Any,
    street_lines: list[Any],
) -> None:
    import shapely

    for (key, number), group in _address_groups(addresses, proj).items():
        labels: set[str] = set()
        folded = search_key(key)
        for a in group:
            street = -1
            if street_tree is not None:
                x, y = proj.to_xy(a.lon, a.lat)
                pt = shapely.points(float(x), float(y))
                near = street_tree.query(pt, predicate="dwithin", distance=_ADDRESS_STREET_M)
                best = math.inf
                for i in near.tolist():
                    if search_key(entries[i]["key"]) == folded:
                        d = float(shapely.distance(street_lines[i], pt))
                        if d < best:
                            best, street = d, int(i)
            # The road's own spelling: an address tagged "W Bell Rd" is on "West Bell Road".
            name = entries[street].get("name", a.street) if street >= 0 else a.street
            label = address_label(name, clean_housenumber(a.housenumber))
            if len(group) > 1 and a.city:
                label = street_place_label(label, a.city)
            if label in labels:  # one big site tagged twice: one answer is enough
                continue
            labels.add(label)
            entry: dict[str, Any] = {
                "kind": "address",
                "label": label,
                "key": key,
                "number": number,
                "lon": round(a.lon, 7),
                "lat": round(a.lat, 7),
                "street": street,
                "name": name,
            }
            if a.city and normalize(a.city):
                entry["keys"] = [normalize(f"{a.street} {a.city}")]
                entry["city"] = a.city
            if a.postcode:
                entry["postcode"] = a.postcode
            entries.append(entry)


def _address_groups(
    addresses: Sequence[AddressPoint], proj: LocalProjection
) -> dict[tuple[str, str], list[AddressPoint]]:
    """Addresses by (street key, number), with duplicates of one place merged: OSM often
    tags both a building and its entrance, which must not show up as two answers."""
    groups: dict[tuple[str, str], list[AddressPoint]] = defaultdict(list)
    for a in addresses:
        # "W Bell Rd 5" and "West Bell Road 5" are one address.
        key = (
            search_key(normalize(a.street)),
            normalize_housenumber(clean_housenumber(a.housenumber)),
        )
        if not key[0] or not key[1]:
            continue
        x, y = proj.to_xy(a.lon, a.lat)
        if all(_far(proj, b, float(x), float(y), _SAME_ADDRESS_M) for b in groups[key]):
            groups[key].append(a)
    return groups


def _far(
    proj: LocalProjection, a: AddressPoint | NamedFeature, x: float, y: float, d: float
) -> bool:
    ax, ay = proj.to_xy(a.lon, a.lat)
    return bool((ax - x) ** 2 + (ay - y) ** 2 > d**2)


def _add_intersections(
    entries: list[dict[str, Any]],
    graph: RoadGraph,
    crossings: dict[int, dict[str, str]],
    proj: LocalProjection,
    localities: _Localities,
) -> None:
    """One entry per place where two differently named streets meet (nodes of one pair
    closer than _SAME_CROSSING_M, e.g. both carriageways of an avenue, are one place)."""
    nx, ny = proj.to_xy(graph.node_lon, graph.node_lat)
    pairs: dict[tuple[str, str], list[int]] = defaultdict(list)
    names: dict[str, str] = {}
    for node, at in crossings.items():
        names.update({k: v for k, v in at.items() if k not in names})
        keys = sorted(at)
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                pairs[(a, b)].append(node)
    for (a, b), nodes in sorted(pairs.items()):
        groups = _single_link(nodes, nx, ny, _SAME_CROSSING_M)
        reps = []
        for g in groups:
            mx, my = float(np.mean(nx[g])), float(np.mean(ny[g]))
            reps.append(min(g, key=lambda n: (nx[n] - mx) ** 2 + (ny[n] - my) ** 2))
        labels = [crossing_label(names[a], names[b])]
        if len(groups) > 1:
            labels = []
            for rep in reps:
                place = localities.name_for(a, float(nx[rep]), float(ny[rep]))
                base = crossing_label(names[a], names[b])
                labels.append(street_place_label(base, place) if place else base)
            near = [
                Counter(o for n in g for k, o in crossings[n].items() if k not in (a, b))
                for g in groups
            ]
            labels = _disambiguate(labels, near)
        for rep, label in zip(reps, labels, strict=True):
            entries.append(
                {
                    "kind": "intersection",
                    "label": label,
                    "key": "",
                    "number": "",
                    "lon": round(float(graph.node_lon[rep]), 7),
                    "lat": round(float(graph.node_lat[rep]), 7),
                    "streets": [a, b],
                    "names": [names[a], names[b]],  # as written, in the order of "streets"
                }
            )


def _single_link(
    nodes: list[int], x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], distance: float
) -> list[list[int]]:
    """Groups of ``nodes`` chained by hops shorter than ``distance`` metres."""
    if len(nodes) == 1:
        return [list(nodes)]
    ids = np.array(nodes)
    close = (x[ids, None] - x[None, ids]) ** 2 + (y[ids, None] - y[None, ids]) ** 2
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(close <= distance**2, directed=False)
    groups: dict[int, list[int]] = defaultdict(list)
    for n, label in zip(nodes, labels.tolist(), strict=True):
        groups[label].append(n)
    return list(groups.values())


def _disambiguate(labels: list[str], hints: list[Counter[str]]) -> list[str]:
    """Append "(near X)" to labels that are still shared, X being the most frequent hint
    of that item that no other item with the same label has."""
    count = Counter(labels)
    out = []
    for i, label in enumerate(labels):
        if count[label] > 1:
            others: set[str] = set()
            for j, other in enumerate(labels):
                if j != i and other == label:
                    others.update(hints[j])
            own = [(c, h) for h, c in hints[i].items() if h not in others]
            if own:
                label = near_label(label, min(own, key=lambda t: (-t[0], t[1]))[1])
        out.append(label)
    return out


def _add_pois(
    entries: list[dict[str, Any]],
    pois: PoiSet,
    features: Sequence[NamedFeature],
    proj: LocalProjection,
    street_tree: Any,
) -> None:
    """Emergency POIs first (their names are what the station lists show), then the
    other named features; one feature tagged twice (node and building) counts once, and
    keeps the outline, the area's point and the other names of whichever had them."""
    import shapely

    items = [NamedFeature(p.name, p.kind, p.lon, p.lat) for p in pois.all()]
    items += [f for f in features]
    kept: dict[str, list[NamedFeature]] = defaultdict(list)
    for f in items:
        key = normalize(f.name)
        if not key:
            continue
        x, y = proj.to_xy(f.lon, f.lat)
        for k, b in enumerate(kept[key]):
            if not _far(proj, b, float(x), float(y), _SAME_POI_M) or _inside(f, b):
                kept[key][k] = _merge_features(b, f)
                break
        else:
            kept[key].append(f)
    for key, group in sorted(kept.items()):
        for f in group:
            label = f.name
            if len(group) > 1 and street_tree is not None:
                x, y = proj.to_xy(f.lon, f.lat)
                i = street_tree.query_nearest(
                    shapely.points(float(x), float(y)), max_distance=300.0
                )
                if len(i):
                    label = f"{f.name}, {entries[int(i[0])]['label']}"
            entry: dict[str, Any] = {
                "kind": "poi",
                "label": label,
                "key": key,
                "number": "",
                "lon": round(f.lon, 7),
                "lat": round(f.lat, 7),
                "category": f.category,
            }
            alt = [*f.aliases, *_short_names(f.name)]
            if alt:
                entry["alt"] = list(dict.fromkeys(alt))
            if f.area_m2:
                entry["area_m2"] = f.area_m2
                entry["outline"] = list(f.outline)
            entries.append(entry)


def _inside(a: NamedFeature, b: NamedFeature) -> bool:
    """Whether either feature's point lies inside the other's outline (a hospital's
    node inside its grounds)."""
    import shapely

    for point, area in ((a, b), (b, a)):
        if area.outline:
            ring = decode_line(area.outline[0])
            if len(ring) >= 4 and shapely.contains_xy(shapely.polygons(ring), point.lon, point.lat):
                return True
    return False


def _merge_features(kept: NamedFeature, other: NamedFeature) -> NamedFeature:
    """One place from two tags of it: the first one's name and category (the emergency
    list's), the area's point and outline, every other name."""
    area = kept if kept.area_m2 >= other.area_m2 else other
    return NamedFeature(
        kept.name,
        kept.category,
        area.lon if area.area_m2 else kept.lon,
        area.lat if area.area_m2 else kept.lat,
        kept.is_place,
        tuple(dict.fromkeys(kept.aliases + other.aliases)),
        area.area_m2,
        area.outline,
    )


def _short_names(name: str) -> list[str]:
    """Names people shorten a landmark to: without "国立/市立..." and without the
    administrative prefix ("上海市第一人民医院" -> "第一人民医院")."""
    from .address.chinese import split_admin
    from .address.vocabulary import chinese

    out: list[str] = []
    if not has_cjk(name):
        return out
    short = name
    for prefix in chinese()["landmark_prefixes"]:
        if short.startswith(prefix) and len(short) > len(prefix) + 2:
            short = short[len(prefix) :]
            out.append(short)
    rest, admin, _ = split_admin(short)
    if admin and len(rest) >= 3:
        out.append(rest)
    return out


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
