"""Benchmark: dispatch policies on identical call streams, side by side (issue 7).

Usage::

    python bench/policies.py --map ../shared/data/osm/porto_portugal.osm.pbf --seeds 5

A busy day on the map: the fleet is one ambulance per ``--people-per-unit`` (30,000) of
``--population`` (Porto metropolitan area ~1.7 M -> 57 units, 40 % ALS), calls at
``--calls-per-1000`` per 1,000 people per day (0.25 -> ~425 calls a day: EMS systems in southern
Europe see 0.2-0.35 emergency ambulance calls per 1,000 inhabitants per day) with a diurnal
profile, over a 24 h day after a 3 h warm-up. Every policy runs the *same* call streams (same
seeds: same places, priorities, on-scene and hospital times) and the same fleet.

Prints a JSON document (``--json`` also writes it) and a table. Response time is PSAP call to
first unit on scene, pooled over all seeds; the protocol targets are 12/15/20/60 min for
priorities 1-4. Also measures the joint solver alone on 50 pending calls x 300 units.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures as cf
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dispatch.simulation.runner import (  # noqa: E402
    SimulationConfig,
    World,
    load_network,
    simulate_once,
    targets,
)

DEFAULT_POLICIES = (
    "closest",
    "coverage",
    "joint",
    "joint-coverage",
    "optimised",
    "joint-coverage+move-up",
    "closest+move-up",
)

_WORLD: World | None = None


def _config(args: argparse.Namespace) -> SimulationConfig:
    return SimulationConfig(
        map_path=args.map,
        cache_dir=args.cache_dir,
        population=args.population,
        people_per_unit=args.people_per_unit,
        calls_per_1000_per_day=args.calls_per_1000,
        als_share=args.als_share,
    )


def _init(args: argparse.Namespace) -> None:
    global _WORLD
    _WORLD = World.build(_config(args))


def _job(policy: str, seed: int) -> dict[str, Any]:
    assert _WORLD is not None
    summary, result = asyncio.run(simulate_once(_WORLD, policy, seed))
    warm = _WORLD.config.warmup_s
    end = warm + _WORLD.config.duration_s
    raw: dict[str, list[float | None]] = {}
    for record in result.calls:
        if not warm <= record.spec.t < end:
            continue
        incident = result.incidents[record.incident_id]
        value = (
            None
            if incident.on_scene_at is None
            else (incident.on_scene_at - incident.received_at).total_seconds()
        )
        raw.setdefault(str(record.spec.priority), []).append(value)
    hourly = summary["utilisation"]["hourly"]
    return {"policy": policy, "seed": seed, "summary": summary, "raw": raw, "hourly": hourly}


def _stats(values: list[float | None], target: float) -> dict[str, Any]:
    reached = np.array([v for v in values if v is not None])
    n = len(values)
    return {
        "calls": n,
        "median_s": round(float(np.median(reached)), 1),
        "p90_s": round(float(np.percentile(reached, 90)), 1),
        "mean_s": round(float(reached.mean()), 1),
        "within_target_pct": round(100.0 * float((reached <= target).sum()) / n, 2),
    }


def solver_timing(
    world: World, *, pending: int = 50, units: int = 300, runs: int = 200
) -> dict[str, Any]:
    """The joint solve alone (costs + min-cost flow), road times given, on real map points."""
    from dispatch.domain.model import Capability, UnitStatus
    from dispatch.policies.base import PendingCall, UnitState
    from dispatch.policies.joint import JointAssignment

    rng = np.random.default_rng(7)
    points = world.density.sample(rng, pending + units)
    now = world.config.start
    calls = [PendingCall(i + 1, points[i], int(rng.integers(1, 5)), now) for i in range(pending)]
    pool = [
        UnitState(
            100 + j,
            f"U{j}",
            Capability.ALS if j % 3 == 0 else Capability.BLS,
            UnitStatus.AVAILABLE,
            points[pending + j],
        )
        for j in range(units)
    ]
    started = time.perf_counter()
    from dispatch.policies.base import eta_matrix

    times = eta_matrix(calls, pool, world.travel.eta)
    eta_s = time.perf_counter() - started
    results = {}
    for label, coverage in (("joint", None), ("joint-coverage", world.coverage)):
        policy = JointAssignment(coverage=coverage, threaded=False)
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            decisions = policy.decide(calls, pool, units, times.copy(), now)
            samples.append(time.perf_counter() - t0)
        ms = np.array(samples) * 1000
        results[label] = {
            "assigned": len(decisions),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "max_ms": round(float(ms.max()), 2),
        }
    # The whole choose() with ETAs from cached incident searches (a re-solve).
    policy = JointAssignment(coverage=world.coverage, threaded=True, time_limit_s=1.0)
    samples = []
    for _ in range(20):
        t0 = time.perf_counter()
        policy.choose(calls, pool, world.travel.eta, now)
        samples.append(time.perf_counter() - t0)
    ms = np.array(samples) * 1000
    results["choose_with_cached_etas"] = {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }
    results["eta_matrix_cold_s"] = round(eta_s, 3)
    results["size"] = f"{pending} pending x {units} units"
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--map", required=True, help="OSM extract or import cache directory")
    parser.add_argument("--cache-dir", default=str(ROOT / "var" / "sim-cache"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--policies", default=",".join(DEFAULT_POLICIES))
    parser.add_argument("--population", type=float, default=1_700_000)
    parser.add_argument("--people-per-unit", type=float, default=30_000)
    parser.add_argument("--calls-per-1000", type=float, default=0.25)
    parser.add_argument("--als-share", type=float, default=0.4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--plots", type=Path, default=None, help="directory for PNG plots")
    parser.add_argument("--no-solver-timing", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    load_network(args.map, args.cache_dir)  # import once, before the workers
    policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    jobs = [(p, s) for s in range(1, args.seeds + 1) for p in policies]
    with cf.ProcessPoolExecutor(args.jobs, initializer=_init, initargs=(args,)) as pool:
        outcomes = list(pool.map(_job, *zip(*jobs, strict=True)))

    goal = targets()
    report: dict[str, Any] = {"policies": {}, "seeds": args.seeds}
    first = outcomes[0]["summary"]
    report["calls_per_day_mean"] = round(
        float(np.mean([o["summary"]["calls"] for o in outcomes if o["policy"] == policies[0]])), 1
    )
    report["window"] = first["window"]
    for policy in policies:
        mine = [o for o in outcomes if o["policy"] == policy]
        pooled: dict[str, list[float | None]] = {}
        for o in mine:
            for p, values in o["raw"].items():
                pooled.setdefault(p, []).extend(values)
        by_p = {p: _stats(v, goal[int(p)]) for p, v in sorted(pooled.items())}
        for p in by_p:
            by_p[p]["p90_s_per_seed"] = [o["summary"]["by_priority"][p]["p90_s"] for o in mine]
            by_p[p]["queued"] = sum(o["summary"]["by_priority"][p]["queued"] for o in mine)
        report["policies"][policy] = {
            "by_priority": by_p,
            "utilisation": round(
                float(np.mean([o["summary"]["utilisation"]["mean"] for o in mine])), 4
            ),
            "utilisation_als": round(
                float(np.mean([o["summary"]["utilisation"].get("als", 0) for o in mine])), 4
            ),
            "hourly_utilisation": [
                round(float(v), 4) for v in np.mean([o["hourly"] for o in mine], axis=0)
            ],
            "moves_per_day": round(float(np.mean([o["summary"]["moves"] for o in mine])), 1),
            "solver_p99_ms": max(o["summary"]["solver"].get("p99_ms") or 0 for o in mine),
            "moveup_p99_ms": max(o["summary"]["moveup_solver"].get("p99_ms") or 0 for o in mine),
            "sim_wall_s": round(float(np.mean([o["summary"]["wall_s"] for o in mine])), 1),
            "_raw": pooled,
        }
    base = report["policies"].get("closest")
    if base is not None:
        for data in report["policies"].values():
            delta = {}
            for p, s in data["by_priority"].items():
                b = base["by_priority"][p]
                delta[p] = {
                    "p90_change_pct": round(100.0 * (s["p90_s"] - b["p90_s"]) / b["p90_s"], 1),
                    "median_change_s": round(s["median_s"] - b["median_s"], 1),
                    "within_target_change_pts": round(
                        s["within_target_pct"] - b["within_target_pct"], 2
                    ),
                }
            data["vs_closest"] = delta
            d1 = delta.get("1")
            if d1 is not None:
                data["meets_target"] = bool(
                    (d1["p90_change_pct"] <= -10.0 or d1["within_target_change_pts"] >= 5.0)
                    and d1["median_change_s"] <= 0.0
                )
    if not args.no_solver_timing:
        world = World.build(_config(args))
        report["solver_timing"] = solver_timing(world)
    report["wall_s"] = round(time.perf_counter() - started, 1)
    if args.plots is not None:
        from dispatch.simulation.plots import cdf_plot, utilisation_plot

        args.plots.mkdir(parents=True, exist_ok=True)
        series = {
            name: [v for v in d["_raw"].get("1", []) if v is not None]
            for name, d in report["policies"].items()
        }
        cdf_plot(
            args.plots / "p1_response_cdf.png",
            series,
            title="P1 RESPONSE TIME CDF",
            target_s=goal[1],
        )
        utilisation_plot(
            args.plots / "utilisation_by_hour.png",
            {n: d["hourly_utilisation"] for n, d in report["policies"].items()},
        )
        report["plots"] = [
            str(args.plots / "p1_response_cdf.png"),
            str(args.plots / "utilisation_by_hour.png"),
        ]
    for data in report["policies"].values():
        data.pop("_raw")
    text = json.dumps(report, indent=1)
    print(text)
    if args.json is not None:
        args.json.write_text(text, encoding="utf-8")
    print(table(report), file=sys.stderr)


def table(report: dict[str, Any]) -> str:
    lines = [
        "policy                   | P  | median s | p90 s  | within % | d p90 % | d within"
        " | d median s",
        "-------------------------|----|----------|--------|----------|---------|----------"
        "|-----------",
    ]
    for policy, data in report["policies"].items():
        for p, s in data["by_priority"].items():
            d = data.get("vs_closest", {}).get(p, {})
            lines.append(
                f"{policy:<25}| P{p} | {s['median_s']:8.1f} | {s['p90_s']:6.1f} | "
                f"{s['within_target_pct']:8.2f} | {d.get('p90_change_pct', 0):7.1f} | "
                f"{d.get('within_target_change_pts', 0):8.2f} | {d.get('median_change_s', 0):9.1f}"
            )
        lines.append(
            f"{'':<25}| utilisation {data['utilisation']:.3f} (ALS {data['utilisation_als']:.3f}),"
            f" moves/day {data['moves_per_day']}, solver p99 {data['solver_p99_ms']} ms,"
            f" meets target: {data.get('meets_target')}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
