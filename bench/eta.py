"""Benchmark: road ETAs from many units to one incident, against a networkx baseline.

Usage::

    python bench/eta.py --map ../shared/data/osm/porto_portugal.osm.pbf --units 500 --queries 300

Prints one JSON object. The baseline answers the same queries the textbook way, with a
networkx single-source Dijkstra (on the reversed graph, from the incident's node), so
the speed-up is measured in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing import RoadNetwork, default_map_path, import_map  # noqa: E402


def percentile_ms(samples: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(samples) * 1000.0, q)), 3)


def random_points(
    net: RoadNetwork, count: int, rng: np.random.Generator
) -> list[tuple[float, float]]:
    """Points near random road nodes (about 10 m of GPS noise)."""
    g = net.graph
    nodes = rng.integers(g.node_count, size=count)
    return [
        (float(g.node_lon[n] + rng.normal(0, 1e-4)), float(g.node_lat[n] + rng.normal(0, 5e-5)))
        for n in nodes
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--map", type=Path, default=default_map_path(), help="an .osm.pbf extract")
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--baseline-queries",
        type=int,
        default=30,
        help="networkx is slow; it answers the first N queries only",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "map"
        started = time.perf_counter()
        import_map(args.map, cache)
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        net = RoadNetwork.load(cache)
        load_s = time.perf_counter() - started

    rng = np.random.default_rng(args.seed)
    units = random_points(net, args.units, rng)
    incidents = random_points(net, args.queries, rng)

    best_times, all_times = [], []
    for incident in incidents:
        t0 = time.perf_counter()
        net.best(units, incident, 10)
        t1 = time.perf_counter()
        net.etas(units, incident)
        t2 = time.perf_counter()
        best_times.append(t1 - t0)
        all_times.append(t2 - t1)

    # Baseline: same graph as networkx, nearest nodes from the same snapper (not timed),
    # one single-source Dijkstra per incident on the reversed graph.
    g = net.graph
    reverse = g.to_networkx().reverse(copy=True)
    unit_nodes = [int(g.edge_target[s.edge]) for s in net.snapper.snap_many(units) if s]
    base_times: list[float] = []
    for incident in incidents[: args.baseline_queries]:
        node = int(g.edge_source[net.snap(*incident).edge])
        t0 = time.perf_counter()
        reach = nx.single_source_dijkstra_path_length(reverse, node, weight="travel_time")
        sorted((reach.get(u, float("inf")), i) for i, u in enumerate(unit_nodes))[:10]
        base_times.append(time.perf_counter() - t0)

    result: dict[str, Any] = {
        "map": str(args.map),
        "nodes": g.node_count,
        "edges": g.edge_count,
        "units": args.units,
        "queries": args.queries,
        "import_s": round(import_s, 3),
        "cache_load_s": round(load_s, 3),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "best10_p50_ms": percentile_ms(best_times, 50),
        "best10_p99_ms": percentile_ms(best_times, 99),
        "all_units_p50_ms": percentile_ms(all_times, 50),
        "all_units_p99_ms": percentile_ms(all_times, 99),
        "networkx_queries": len(base_times),
        "networkx_p50_ms": percentile_ms(base_times, 50),
        "networkx_p99_ms": percentile_ms(base_times, 99),
        "speedup_p50": round(statistics.median(base_times) / statistics.median(all_times), 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
