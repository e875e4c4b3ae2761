"""Benchmark: how far address points are from the road an ambulance stops at, before and after
private and service roads joined the ambulance graph (issue 14, routing.access).

Usage::

    python bench/snap.py                                   # the bundled Helsinki extract
    python bench/snap.py --map ../shared/data/osm/heidelberg.osm.pbf --map B.osm.pbf

Each map is imported twice in the same run, into temporary caches: ``before`` with public
roads only (``import_map(emergency_access=False)``, the rules before issue 14) and ``after``
with the ambulance rules. Every address point of the map (the geocoder's address entries,
whose labels are what a call-taker picks) is then snapped:

- ``before``: onto the nearest road of the public graph;
- ``after_nearest``: onto the nearest road of the ambulance graph;
- ``after``: as recommendations now do (:meth:`RoadNetwork.snap_call` with the address
  label): onto the street the address names when it lies within 150 m, else the nearest road.

For each: median, p90 and max snap distance in metres, and ``on_named_street``, the share of
addresses whose snapped road part carries the address's street name. ``snap_call_us`` times
the named-street snap per point. Prints one JSON list.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing import RoadNetwork, default_map_path, import_map  # noqa: E402
from routing.snap import Snap, names_street  # noqa: E402
from routing.text import normalize  # noqa: E402


def distances(snaps: list[Snap | None]) -> dict[str, Any]:
    d = np.array([s.distance_m for s in snaps if s is not None])
    if not len(d):
        return {"n": 0}
    return {
        "n": len(d),
        "median_m": round(float(np.median(d)), 1),
        "p90_m": round(float(np.percentile(d, 90)), 1),
        "max_m": round(float(d.max()), 1),
    }


def named_share(net: RoadNetwork, snaps: list[Snap | None], labels: list[str]) -> float | None:
    hits = [
        names_street(normalize(label), normalize(net.street_at(s)))
        for s, label in zip(snaps, labels, strict=True)
        if s is not None
    ]
    return round(sum(hits) / len(hits), 3) if hits else None


def measure(source: Path, work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"map": str(source)}
    nets: dict[str, RoadNetwork] = {}
    for variant, access in (("before", False), ("after", True)):
        started = time.perf_counter()
        summary = import_map(source, work / variant, emergency_access=access)
        nets[variant] = RoadNetwork.load(work / variant)
        g = nets[variant].graph
        assert g.edge_restricted is not None
        out[f"graph_{variant}"] = {
            "nodes": summary.node_count,
            "edges": summary.edge_count,
            "restricted_edges": int(g.edge_restricted.sum()),
            "import_s": round(time.perf_counter() - started, 1),
        }
    entries = [e for e in nets["after"].geocoder.entries if e.get("kind") == "address"]
    points = [(float(e["lon"]), float(e["lat"])) for e in entries]
    labels = [str(e.get("label", "")) for e in entries]
    before = nets["before"].snapper.snap_many(points, max_distance_m=5_000.0)
    nearest = nets["after"].snapper.snap_many(points, max_distance_m=5_000.0)
    after: list[Snap | None] = []
    timings: list[float] = []
    for (lon, lat), label in zip(points, labels, strict=True):
        started = time.perf_counter()
        try:
            after.append(nets["after"].snap_call(lon, lat, label, max_distance_m=5_000.0))
        except Exception:  # off-road: counted as missing, like snap_many's None
            after.append(None)
        timings.append(time.perf_counter() - started)
    for name, snaps, net in (
        ("before", before, nets["before"]),
        ("after_nearest", nearest, nets["after"]),
        ("after", after, nets["after"]),
    ):
        out[name] = {**distances(snaps), "on_named_street": named_share(net, snaps, labels)}
    if timings:
        t = np.array(timings) * 1e6
        out["snap_call_us"] = {
            "p50": round(float(np.median(t)), 1),
            "p99": round(float(np.percentile(t, 99)), 1),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--map", type=Path, action="append", default=[], help=".osm.pbf/.osm")
    args = parser.parse_args()
    results = []
    for source in args.map or [default_map_path()]:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(measure(Path(source), Path(tmp)))
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
