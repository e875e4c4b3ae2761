"""A synthetic, road-like map of any size, written as a routing cache.

The shape is a metro grid rather than a lattice: intersections every ~120 m with
jitter, about 10 % of residential links missing, 20 % of them one-way (alternating
by row and column, like a downtown grid), an arterial (50-60 km/h) every 8th row and
column, a motorway-class road (100 km/h) every 64th, all kept to the largest strongly
connected part like a real import. One million intersections cover ~120 x 120 km.

Usage: ``python bench/synthetic.py 1000000 /tmp/synthetic-1m`` (the bench calls
:func:`write_synthetic_map`).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing.cache import CACHE_FORMAT, META_FILE  # noqa: E402
from routing.geocode import GEOCODER_FILE  # noqa: E402
from routing.graph import RoadGraph  # noqa: E402
from routing.pois import PoiSet  # noqa: E402

BLOCK_M = 120.0
LON0, LAT0 = 10.0, 45.0
_M_PER_DEG = 6_371_008.8 * math.pi / 180.0


def synthetic_graph(nodes: int, *, seed: int = 0) -> RoadGraph:
    """A road-like :class:`RoadGraph` with about ``nodes`` intersections."""
    rng = np.random.default_rng(seed)
    side = max(int(math.ceil(math.sqrt(nodes))), 4)
    rows, cols = side, side
    count = rows * cols
    r, c = np.divmod(np.arange(count), cols)
    x = c * BLOCK_M + rng.uniform(-25, 25, count)
    y = r * BLOCK_M + rng.uniform(-25, 25, count)
    lon = LON0 + x / (_M_PER_DEG * math.cos(math.radians(LAT0)))
    lat = LAT0 + y / _M_PER_DEG

    # Links: east (horizontal, along row r) and north (vertical, along column c).
    east = np.flatnonzero(c < cols - 1)
    north = np.flatnonzero(r < rows - 1)
    a = np.concatenate((east, north))
    b = np.concatenate((east + 1, north + cols))
    horizontal = np.concatenate((np.ones(len(east), bool), np.zeros(len(north), bool)))
    line = np.where(horizontal, r[a], c[a])  # the row or column the link runs along
    klass = np.zeros(len(a), dtype=np.int32)  # 0 residential, 1 primary, 2 motorway
    klass[line % 8 == 0] = 1
    klass[line % 64 == 0] = 2
    residential = klass == 0
    keep = ~residential | (rng.uniform(size=len(a)) > 0.10)
    a, b, horizontal, line, klass = a[keep], b[keep], horizontal[keep], line[keep], klass[keep]
    residential = klass == 0
    one_way = residential & (rng.uniform(size=len(a)) < 0.20)
    backwards = one_way & (line % 2 == 1)  # alternate directions street by street
    a, b = np.where(backwards, b, a), np.where(backwards, a, b)

    # Directed edges: every link forward, two-way links backward too.
    src = np.concatenate((a, b[~one_way]))
    dst = np.concatenate((b, a[~one_way]))
    link = np.concatenate((np.arange(len(a)), np.flatnonzero(~one_way)))

    keep_node = _largest_scc(src, dst, count)
    keep_edge = keep_node[src] & keep_node[dst]
    src, dst, link = src[keep_edge], dst[keep_edge], link[keep_edge]
    new_index = np.cumsum(keep_node) - 1
    src, dst = new_index[src], new_index[dst]
    order = np.lexsort((dst, src))
    src, dst, link = src[order], dst[order], link[order]
    n = int(keep_node.sum())
    m = len(src)

    lon, lat = lon[keep_node], lat[keep_node]
    kx = _M_PER_DEG * math.cos(math.radians(LAT0))
    length = np.hypot((lon[dst] - lon[src]) * kx, (lat[dst] - lat[src]) * _M_PER_DEG)
    speed_kmh = np.array([30.0, 55.0, 100.0])[klass[link]]
    # Twins: the opposite edge of the same link (pair by link id).
    twin = np.full(m, -1, dtype=np.int64)
    by_link = np.argsort(link, kind="stable")
    same = link[by_link[1:]] == link[by_link[:-1]]
    first, second = by_link[:-1][same], by_link[1:][same]
    twin[first], twin[second] = second, first
    geom_lon = np.column_stack((lon[src], lon[dst])).ravel()
    geom_lat = np.column_stack((lat[src], lat[dst])).ravel()
    names = ("", *(f"Row {i}" for i in range(rows)), *(f"Column {i}" for i in range(cols)))
    name = np.where(horizontal[link], 1 + line[link], 1 + rows + line[link]).astype(np.int32)
    return RoadGraph(
        node_lon=lon,
        node_lat=lat,
        node_osmid=np.flatnonzero(keep_node).astype(np.int64),
        indptr=np.concatenate(([0], np.cumsum(np.bincount(src, minlength=n)))).astype(np.int64),
        edge_source=src.astype(np.int64),
        edge_target=dst.astype(np.int64),
        edge_travel_time_s=length / (speed_kmh / 3.6),
        edge_length_m=length,
        edge_twin=twin,
        edge_name=name,
        edge_highway=klass[link].astype(np.int32),
        geom_offsets=np.arange(0, 2 * m + 1, 2, dtype=np.int64),
        geom_lon=geom_lon,
        geom_lat=geom_lat,
        names=names,
        highways=("residential", "primary", "motorway"),
    )


def _largest_scc(src: np.ndarray, dst: np.ndarray, n: int) -> np.ndarray:
    matrix = csr_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    keep: np.ndarray = labels == np.bincount(labels).argmax()
    return keep


def write_synthetic_map(nodes: int, out_dir: Path, *, seed: int = 0) -> RoadGraph:
    """Generate and write a complete cache directory (empty geocoder, no POIs)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    graph = synthetic_graph(nodes, seed=seed)
    graph.save(out_dir)
    PoiSet().save(out_dir)
    (out_dir / GEOCODER_FILE).write_text(json.dumps({"entries": []}))
    bbox = (
        float(graph.node_lon.min()),
        float(graph.node_lat.min()),
        float(graph.node_lon.max()),
        float(graph.node_lat.max()),
    )
    meta = {
        "format": CACHE_FORMAT,
        "name": f"synthetic-{nodes}",
        "source": "bench/synthetic.py",
        "out_dir": str(out_dir.resolve()),
        "bbox": bbox,
        "center": ((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2),
        "node_count": graph.node_count,
        "edge_count": graph.edge_count,
        "dropped_nodes": nodes - graph.node_count,
        "seconds": round(time.perf_counter() - started, 3),
    }
    (out_dir / META_FILE).write_text(json.dumps(meta, indent=2))
    return graph


if __name__ == "__main__":
    write_synthetic_map(int(sys.argv[1]), Path(sys.argv[2]))
