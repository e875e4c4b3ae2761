"""Benchmark: road ETAs from many units to one incident, against a networkx baseline.

Usage::

    python bench/eta.py --map ../shared/data/osm/porto_portugal.osm.pbf --units 500 --queries 300
    python bench/eta.py --synthetic 1000000
    python bench/eta.py --map A.osm.pbf --map B.osm.pbf --synthetic 1000000   # one JSON list

Every map runs in fresh processes: one imports (or generates) the cache, another loads
it and measures, so ``rss_mb`` is the serving process (cache + engine + queries), not
the import. The baseline answers the same queries the textbook way: networkx
single-source Dijkstra over the reversed graph from the same virtual incident node,
with the same cutoff, then the same per-unit arithmetic; the answers are compared
(``max_abs_diff_s``) and the speed-up is measured in the same run on the same machine.

Timed per query (units given as GPS coordinates, snapped through the engine's cache,
which is what the dispatch core does for units that did not move):

- ``best10``: :meth:`RoadNetwork.best` with k=10 (bounded search, early exit);
- ``all_units``: :meth:`EtaEngine.times`, every unit's duration within the cutoff
  (the coverage / optimisation query);
- ``all_units_etas``: :meth:`RoadNetwork.etas`, every unit's duration and distance;
- ``cold_snap``: snapping all units from scratch (no cache), reported separately.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def percentile_ms(samples: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(samples) * 1000.0, q)), 3)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def random_points(graph: Any, count: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Points near random road nodes (about 10 m of GPS noise)."""
    nodes = rng.integers(graph.node_count, size=count)
    return [
        (
            float(graph.node_lon[n] + rng.normal(0, 1e-4)),
            float(graph.node_lat[n] + rng.normal(0, 5e-5)),
        )
        for n in nodes
    ]


# -- child 1: build the cache -----------------------------------------------------------


def build(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    if args.synthetic:
        from synthetic import write_synthetic_map

        write_synthetic_map(args.synthetic, args.cache)
    else:
        from routing import import_map

        import_map(args.map, args.cache)
    return {"import_s": round(time.perf_counter() - started, 3), "import_rss_mb": peak_rss_mb()}


# -- child 2: load and measure ----------------------------------------------------------


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from routing import RoadNetwork

    started = time.perf_counter()
    net = RoadNetwork.load(args.cache)
    load_s = time.perf_counter() - started
    g = net.graph
    engine = net.engine
    cutoff = math.inf if args.cutoff <= 0 else args.cutoff

    rng = np.random.default_rng(args.seed)
    units = random_points(g, args.units, rng)
    incidents = random_points(g, args.queries, rng)

    started = time.perf_counter()
    engine.snapper.snap_many(units)
    cold_snap_s = time.perf_counter() - started
    net.best(units, incidents[0], 10, cutoff_s=cutoff)  # warm the snap cache

    best_times, all_times, etas_times = [], [], []
    for incident in incidents:
        t0 = time.perf_counter()
        top = net.best(units, incident, 10, cutoff_s=cutoff)
        t1 = time.perf_counter()
        placed = engine.place(units)
        durations = engine.times(placed, net.snap(*incident), cutoff_s=cutoff)
        t2 = time.perf_counter()
        full = net.etas(units, incident, cutoff_s=cutoff)
        t3 = time.perf_counter()
        best_times.append(t1 - t0)
        all_times.append(t2 - t1)
        etas_times.append(t3 - t2)
        # The early-exit ranking must equal the full answer.
        ranked = sorted((e.duration_s, i) for i, e in enumerate(full) if e is not None)[:10]
        assert [i for _, i in ranked] == [i for i, _ in top], "best-10 disagrees with all-units"
        assert all(
            (e is None and not np.isfinite(d)) or (e is not None and e.duration_s == d)
            for e, d in zip(full, durations.tolist(), strict=True)
        )
    rss = peak_rss_mb()

    base_times, diff = baseline(net, units, incidents[: args.baseline_queries], cutoff)
    result: dict[str, Any] = {
        "nodes": g.node_count,
        "edges": g.edge_count,
        "units": args.units,
        "queries": args.queries,
        "cutoff_s": None if math.isinf(cutoff) else cutoff,
        "cache_load_s": round(load_s, 3),
        "rss_mb": rss,
        "best10_p50_ms": percentile_ms(best_times, 50),
        "best10_p99_ms": percentile_ms(best_times, 99),
        "all_units_p50_ms": percentile_ms(all_times, 50),
        "all_units_p99_ms": percentile_ms(all_times, 99),
        "all_units_etas_p50_ms": percentile_ms(etas_times, 50),
        "all_units_etas_p99_ms": percentile_ms(etas_times, 99),
        "cold_snap_ms_per_500": round(cold_snap_s * 1000 * 500 / max(args.units, 1), 2),
        "networkx_queries": len(base_times),
        "networkx_p50_ms": percentile_ms(base_times, 50),
        "networkx_p99_ms": percentile_ms(base_times, 99),
        "networkx_max_abs_diff_s": diff,
        "speedup_all_units_p50": round(
            statistics.median(base_times) / statistics.median(all_times), 1
        ),
        "speedup_best10_p50": round(
            statistics.median(base_times) / statistics.median(best_times), 1
        ),
    }
    return result


def baseline(
    net: Any, units: list[tuple[float, float]], incidents: list[tuple[float, float]], cutoff: float
) -> tuple[list[float], float]:
    """networkx on the same (deduplicated, reversed) graph, the same virtual incident
    node and the same cutoff; returns the query times and the largest ETA difference."""
    import networkx as nx

    engine = net.engine
    g = net.graph
    n = g.node_count
    rev = nx.DiGraph()
    rev.add_nodes_from(range(n + 1))
    src, dst = engine._pair_source.tolist(), engine._pair_target.tolist()
    tt = engine.travel_time_s[engine._pair_edge].tolist()
    rev.add_weighted_edges_from(zip(dst, src, tt, strict=True))
    placed = engine.place(units)
    times: list[float] = []
    worst = 0.0
    for incident in incidents:
        target = net.snap(*incident)
        search = engine.search(target, limit=cutoff)
        entries = [(node, cost) for node, (cost, _) in search._entry.items()]
        nodes, off_t, _ = search._options(placed)
        t0 = time.perf_counter()
        rev.add_weighted_edges_from((n, node, cost) for node, cost in entries)
        reach = nx.single_source_dijkstra_path_length(
            rev, n, cutoff=None if math.isinf(cutoff) else cutoff
        )
        rev.remove_edges_from([(n, node) for node, _ in entries])
        eta = [
            min(
                (
                    float(off_t[r, j]) + reach[int(nodes[r, j])]
                    for r in range(nodes.shape[0])
                    if int(nodes[r, j]) in reach and math.isfinite(off_t[r, j])
                ),
                default=math.inf,
            )
            for j in range(len(units))
        ]
        eta = [t if t <= cutoff else math.inf for t in eta]
        times.append(time.perf_counter() - t0)
        fast, _, _ = search.evaluate(placed)
        for a, b in zip(fast.tolist(), eta, strict=True):
            if math.isfinite(a) != math.isfinite(b):
                worst = math.inf
            elif math.isfinite(a):
                worst = max(worst, abs(a - b))
    return times, round(worst, 9)


# -- parent: one pair of fresh processes per map ----------------------------------------


def run_child(mode: str, args: argparse.Namespace, cache: Path, target: dict[str, Any]) -> Any:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--cache", str(cache)]
    if "synthetic" in target:
        cmd += ["--synthetic", str(target["synthetic"])]
    else:
        cmd += ["--map", str(target["map"])]
    cmd += [
        "--units",
        str(args.units),
        "--queries",
        str(args.queries),
        "--cutoff",
        str(args.cutoff),
        "--baseline-queries",
        str(args.baseline_queries),
        "--seed",
        str(args.seed),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench child {mode} failed for {target}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--map", type=Path, action="append", default=[], help=".osm.pbf/.osm")
    parser.add_argument(
        "--synthetic",
        type=int,
        action="append",
        default=[],
        help="generate a road-like graph with this many nodes",
    )
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--cutoff",
        type=float,
        default=1800.0,
        help="seconds; units beyond it are not ranked (<= 0: no cutoff)",
    )
    parser.add_argument(
        "--baseline-queries",
        type=int,
        default=30,
        help="networkx is slow; it answers the first N queries only",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", choices=["build", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        args.map = args.map[0] if args.map else None
        args.synthetic = args.synthetic[0] if args.synthetic else 0
        result = build(args) if args.child == "build" else measure(args)
        print(json.dumps(result))
        return

    targets: list[dict[str, Any]] = [{"map": p} for p in args.map]
    targets += [{"synthetic": n} for n in args.synthetic]
    if not targets:
        from routing import default_map_path

        targets = [{"map": default_map_path()}]
    results = []
    for target in targets:
        with tempfile.TemporaryDirectory() as tmp:
            cache = Path(tmp) / "map"
            built = run_child("build", args, cache, target)
            measured = run_child("measure", args, cache, target)
        label = (
            {"map": str(target["map"])}
            if "map" in target
            else {"map": f"synthetic:{target['synthetic']}"}
        )
        results.append({**label, **built, **measured})
    print(json.dumps(results[0] if len(results) == 1 else results, indent=2))


if __name__ == "__main__":
    main()
