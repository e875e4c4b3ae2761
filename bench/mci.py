"""Benchmark: the MCI distribution plan against "nearest capable hospital first" (issue 17).

Usage::

    python bench/mci.py --map ../shared/data/osm/porto_portugal.osm.pbf --seeds 1,2,3,4,5

**Scenario** (per seed; everything seeded, road times from the Porto road graph): an explosion
at Praça da Liberdade, Porto centre (:data:`SITE`). 40 patients with a START mix of exact
counts (20 % immediate, 30 % delayed, 40 % minor, 5 % expectant, 5 % dead; shuffled), needs on
immediate and delayed patients (trauma 50 %, burns 15 %, paediatric 10 %, obstetric 3 %).
15 ambulances at random road points 1-10 km from the site. 12 hospitals at random road points
1.5-16 km from the site, at least 2.5 km apart, with a fixed set of capability profiles
(one level I trauma + burns centre, two level II, one level III, paediatric, obstetric, burns,
five general EDs) shuffled over the points, and small surge capacities (immediate 1-3 per
hospital) so that the nearest hospitals fill up.

**Time model** (the planner uses the same): 180 s loading at the scene per trip, 600 s
handover at the hospital, drives at the routing engine's road times (no lights-and-sirens
factor). Both strategies are run by the same discrete-event loop: whenever a unit is ready at
the scene the strategy is asked again with the current state (re-planning as units arrive)
and the unit takes its next transport; that transport is then confirmed (the transport
officer's yes), loaded, driven, handed over, and the unit drives back.

**Definitive care** is arrival at a capable hospital (one meeting the patient's needs, or the
best available when none does) **with a declared place left** for the patient's category,
places being claimed in time order. A patient delivered to a full ED is not at definitive
care: after ``--transfer-delay-s`` (1,200 s: stabilise and arrange an inter-facility
transfer, by a unit outside this incident) it is driven to the nearest capable hospital with
a place left (or, if none has one, counted as cared for at the full ED after the delay).
This is what makes overloading the nearest hospital expensive; it is an assumption, so the
report also gives the raw first-arrival times.

**Report** (JSON on stdout, ``--json`` also writes it): per seed and strategy, the time until
the last immediate patient reaches definitive care (and raw arrival), the largest overload of
any hospital over its declared capacity (per category and total), hospitals over capacity,
mean time to care per category, secondary transfers, solver times; the improvement of the plan
over nearest-first; and the solver timing on 100 patients x 30 units x 15 hospitals
(``--timing-runs`` seeded instances on the same map, the production planner with its 1 s
guard), p50/p99.

Targets (issue 17): 0 hospitals over capacity where the capable capacity allows it; at least
20 % less time-to-last-immediate than nearest-first; solver p99 <= 1 s at 100 x 30 x 15.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dispatch.adapters.roads import NetworkEta  # noqa: E402
from dispatch.domain.geo import Location  # noqa: E402
from dispatch.domain.hospitals import EdStatus  # noqa: E402
from dispatch.domain.mci import (  # noqa: E402
    CAPACITY_CATEGORIES,
    Need,
    SurgeCapacity,
    TriageCategory,
    can_receive,
    capacity_category,
    needs_met,
)
from dispatch.policies.mci_plan import (  # noqa: E402
    ConfirmedTransport,
    MciPlan,
    MciPlanner,
    MciState,
    PlanHospital,
    PlanParams,
    PlanPatient,
    PlanUnit,
    greedy,
    nearest_first,
)
from dispatch.simulation.runner import load_network  # noqa: E402

C = TriageCategory

#: Praça da Liberdade (Avenida dos Aliados), the centre of Porto.
SITE = Location(-8.6112, 41.1466)
DEFAULT_MAP = ROOT.parent / "shared" / "data" / "osm" / "porto_portugal.osm.pbf"

#: START mix as exact counts per 40 patients (shuffled per seed).
MIX: tuple[tuple[TriageCategory, float], ...] = (
    (C.IMMEDIATE, 0.20),
    (C.DELAYED, 0.30),
    (C.MINOR, 0.40),
    (C.EXPECTANT, 0.05),
    (C.DEAD, 0.05),
)

#: Capability profiles and (immediate, delayed, minor) surge places, shuffled over the points.
PROFILES: tuple[tuple[frozenset[str], tuple[int, int, int]], ...] = (
    (frozenset({"trauma_1", "burns"}), (3, 4, 6)),
    (frozenset({"trauma_2", "pediatric", "obstetric"}), (2, 3, 5)),
    (frozenset({"trauma_2"}), (2, 3, 5)),
    (frozenset({"trauma_3", "obstetric"}), (1, 3, 4)),
    (frozenset({"pediatric"}), (1, 2, 4)),
    (frozenset({"obstetric"}), (1, 2, 4)),
    (frozenset({"burns"}), (1, 2, 3)),
    (frozenset(), (1, 2, 4)),
    (frozenset(), (1, 2, 4)),
    (frozenset(), (1, 2, 3)),
    (frozenset(), (1, 2, 3)),
    (frozenset(), (1, 1, 3)),
)


@dataclass
class Scenario:
    seed: int
    site: Location
    patients: list[PlanPatient]
    units: list[tuple[int, Location]]
    hospitals: list[tuple[int, Location, frozenset[str], SurgeCapacity]]
    unit_to_scene: dict[int, float]
    scene_to_h: dict[int, float]
    h_to_scene: dict[int, float]
    h_to_h: dict[tuple[int, int], float]  # (from, to) seconds


def _metres(lon: np.ndarray, lat: np.ndarray, p: Location) -> np.ndarray:
    k = 111_195.0
    dx = (lon - p.lon) * k * math.cos(math.radians(p.lat))
    dy = (lat - p.lat) * k
    out: np.ndarray = np.hypot(dx, dy)
    return out


def _road_points(
    network: Any,
    rng: np.random.Generator,
    centre: Location,
    n: int,
    lo_m: float,
    hi_m: float,
    spacing_m: float = 0.0,
) -> list[Location]:
    """``n`` graph nodes lo..hi metres from ``centre``, at least ``spacing_m`` apart."""
    g = network.graph
    lon, lat = np.asarray(g.node_lon), np.asarray(g.node_lat)
    d = _metres(lon, lat, centre)
    pool = np.flatnonzero((d >= lo_m) & (d <= hi_m))
    order = rng.permutation(pool)
    chosen: list[Location] = []
    for i in order:
        p = Location(float(lon[i]), float(lat[i]))
        if all(p.distance_m(q) >= spacing_m for q in chosen):
            chosen.append(p)
            if len(chosen) == n:
                return chosen
    raise RuntimeError(f"only {len(chosen)} of {n} road points found {lo_m}-{hi_m} m away")


def _patients(rng: np.random.Generator, n: int) -> list[PlanPatient]:
    counts = [round(share * n) for _, share in MIX]
    counts[2] += n - sum(counts)  # rounding goes to minor
    cats = [c for (c, _), k in zip(MIX, counts, strict=True) for _ in range(k)]
    cats = [cats[i] for i in rng.permutation(len(cats))]
    out = []
    for i, c in enumerate(cats):
        needs: set[Need] = set()
        if c in (C.IMMEDIATE, C.DELAYED):
            if rng.random() < 0.5:
                needs.add(Need.TRAUMA)
            if rng.random() < 0.15:
                needs.add(Need.BURNS)
            if rng.random() < 0.10:
                needs.add(Need.PEDIATRIC)
            elif rng.random() < 0.03:
                needs.add(Need.OBSTETRIC)
        out.append(PlanPatient(f"P{i + 1:03d}", c, frozenset(needs)))
    return out


def build_scenario(
    network: Any,
    eta: NetworkEta,
    seed: int,
    *,
    site: Location = SITE,
    n_patients: int = 40,
    n_units: int = 15,
    n_hospitals: int = 12,
    unit_range_m: tuple[float, float] = (1_000.0, 10_000.0),
    hospital_range_m: tuple[float, float] = (1_500.0, 16_000.0),
    spacing_m: float = 2_500.0,
    profiles: Sequence[tuple[frozenset[str], tuple[int, int, int]]] = PROFILES,
) -> Scenario:
    rng = np.random.default_rng(seed)
    patients = _patients(rng, n_patients)
    unit_points = _road_points(network, rng, site, n_units, *unit_range_m)
    hosp_points = _road_points(network, rng, site, n_hospitals, *hospital_range_m, spacing_m)
    picks = [profiles[i % len(profiles)] for i in rng.permutation(n_hospitals)]
    units = [(101 + j, p) for j, p in enumerate(unit_points)]
    hospitals = [
        (1 + j, p, caps, SurgeCapacity(1 + j, *places))
        for j, (p, (caps, places)) in enumerate(zip(hosp_points, picks, strict=True))
    ]
    to_scene = eta.matrix(unit_points, [site])[0]
    out = eta.matrix([site], hosp_points)[:, 0]
    back = eta.matrix(hosp_points, [site])[0]
    hh = eta.matrix(hosp_points, hosp_points)  # [destination, origin]
    ids = [h[0] for h in hospitals]
    return Scenario(
        seed,
        site,
        patients,
        units,
        hospitals,
        {u: float(to_scene[j]) for j, (u, _) in enumerate(units)},
        {h: float(out[j]) for j, h in enumerate(ids)},
        {h: float(back[j]) for j, h in enumerate(ids)},
        {(a, b): float(hh[j, i]) for i, a in enumerate(ids) for j, b in enumerate(ids)},
    )


# -- the discrete-event run ----------------------------------------------------------------

Strategy = Callable[[MciState], MciPlan]


@dataclass
class Outcome:
    arrivals: dict[str, tuple[int, float]]  # tag -> (hospital, first arrival second)
    solver_ms: list[float]
    methods: dict[str, int]
    fallbacks: int
    idle_units: int


def run(sc: Scenario, strategy: Strategy, params: PlanParams) -> Outcome:
    """Units drive to the scene, load, drive, hand over, drive back; at every unit ready at
    the scene the strategy is asked again with the current state."""
    hospitals = [
        PlanHospital(
            h,
            caps,
            EdStatus.OPEN,
            cap,
            sc.scene_to_h[h],
            sc.h_to_scene[h],
            name=f"H{h}",
        )
        for h, _, caps, cap in sc.hospitals
    ]
    waiting: dict[str, PlanPatient] = {p.tag: p for p in sc.patients}
    #: units driving to the scene or away on a trip: the second they are (next) ready there
    ready_at = dict(sc.unit_to_scene)
    idle: set[int] = set()  # at the scene with nothing to carry
    loading: dict[int, tuple[list[PlanPatient], int, float]] = {}  # unit -> load, hospital, depart
    committed: dict[int, dict[TriageCategory, int]] = {}
    arrivals: dict[str, tuple[int, float]] = {}
    events: list[tuple[float, int, str, int, tuple[Any, ...]]] = []
    seq = 0
    for u, t in sorted(ready_at.items()):
        heapq.heappush(events, (t, seq, "ready", u, ()))
        seq += 1
    solver_ms: list[float] = []
    methods: dict[str, int] = {}
    fallbacks = 0
    idled = 0
    while events:
        t, _, kind, u, data = heapq.heappop(events)
        seq += 1
        if kind == "ready":
            ready_at.pop(u, None)
            idle.add(u)
            units = [PlanUnit(v, max(0.0, r - t)) for v, r in ready_at.items()]
            units += [PlanUnit(v, 0.0) for v in sorted(idle | set(loading))]
            state = MciState(
                waiting=tuple(waiting.values()),
                units=tuple(units),
                hospitals=tuple(hospitals),
                confirmed=tuple(
                    ConfirmedTransport(v, h, tuple(load), loading_left_s=max(0.0, dep - t))
                    for v, (load, h, dep) in loading.items()
                ),
                committed={h: dict(per) for h, per in committed.items()},
            )
            started = time.perf_counter()
            plan = strategy(state)
            solver_ms.append((time.perf_counter() - started) * 1000)
            methods[plan.method] = methods.get(plan.method, 0) + 1
            fallbacks += plan.fallback is not None
            # the transport officer confirms, for every unit at the scene, a trip that starts now
            for v in sorted(idle):
                nxt = plan.next_for(v)
                if nxt is None or nxt.confirmed or nxt.depart_s > params.load_s + 1e-6:
                    continue
                load = [waiting.pop(tag) for tag in nxt.patients]
                idle.discard(v)
                loading[v] = (load, nxt.hospital_id, t + params.load_s)
                heapq.heappush(events, (t + params.load_s, seq, "depart", v, ()))
                seq += 1
            if u in idle:
                idled += 1
        elif kind == "depart":
            load, h, _ = loading.pop(u)
            arrive = t + sc.scene_to_h[h]
            for p in load:
                per = committed.setdefault(h, {})
                per[p.category] = per.get(p.category, 0) + 1
            back = arrive + params.handover_s + sc.h_to_scene[h]
            ready_at[u] = back
            heapq.heappush(events, (arrive, seq, "arrive", u, (h, load)))
            seq += 1
            heapq.heappush(events, (back, seq, "ready", u, ()))
        elif kind == "arrive":
            h, load = data
            for p in load:
                arrivals[p.tag] = (h, t)
    return Outcome(arrivals, solver_ms, methods, fallbacks, idled)


# -- definitive care and the metrics ---------------------------------------------------------


def acceptable(sc: Scenario, p: PlanPatient) -> set[int]:
    """Hospitals that count as capable for ``p``: meeting all needs, else the most needs."""
    caps = {h: c for h, _, c, _ in sc.hospitals}
    full = {h for h, c in caps.items() if can_receive(c, p.needs)}
    if full:
        return full
    best = max(needs_met(c, p.needs) for c in caps.values())
    return {h for h, c in caps.items() if needs_met(c, p.needs) == best}


def care_times(
    sc: Scenario, arrivals: dict[str, tuple[int, float]], transfer_delay_s: float
) -> tuple[dict[str, float], int, dict[int, dict[TriageCategory, int]]]:
    """Definitive-care second of each delivered patient, the number of secondary transfers and
    the deliveries per hospital and capacity category (first arrivals)."""
    places = {h: cap.as_counts() for h, _, _, cap in sc.hospitals}
    used = {h: dict.fromkeys(CAPACITY_CATEGORIES, 0) for h in places}
    delivered = {h: dict.fromkeys(CAPACITY_CATEGORIES, 0) for h in places}
    by_tag = {p.tag: p for p in sc.patients}
    claims: list[tuple[float, int, str, int]] = []  # first arrivals, in time order
    for n, (tag, (h, t)) in enumerate(sorted(arrivals.items(), key=lambda kv: (kv[1][1], kv[0]))):
        heapq.heappush(claims, (t, n, tag, h))
        pool = capacity_category(by_tag[tag].category)
        assert pool is not None
        delivered[h][pool] += 1
    care: dict[str, float] = {}
    transfers = 0
    while claims:
        t, _, tag, h = heapq.heappop(claims)
        p = by_tag[tag]
        pool = capacity_category(p.category)
        assert pool is not None
        ok = acceptable(sc, p)
        if h in ok and used[h][pool] < places[h][pool]:
            used[h][pool] += 1
            care[tag] = t
            continue
        # The full ED arranges a transfer now, to a hospital that accepts (reserves) the place.
        options = [o for o in ok if o != h and used[o][pool] < places[o][pool]]
        if not options:
            care[tag] = t + transfer_delay_s  # nobody has room: treated late where it is
            continue
        target = min(options, key=lambda o: (sc.h_to_h[h, o], o))
        used[target][pool] += 1
        transfers += 1
        care[tag] = t + transfer_delay_s + sc.h_to_h[h, target]
    return care, transfers, delivered


def _stats(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    a = np.asarray(values)
    return {
        "p50": round(float(np.percentile(a, 50)), 2),
        "p99": round(float(np.percentile(a, 99)), 2),
        "max": round(float(a.max()), 2),
    }


def metrics(sc: Scenario, out: Outcome, transfer_delay_s: float) -> dict[str, Any]:
    care, transfers, delivered = care_times(sc, out.arrivals, transfer_delay_s)
    places = {h: cap.as_counts() for h, _, _, cap in sc.hospitals}
    over = {
        h: {q: max(0, delivered[h][q] - places[h][q]) for q in CAPACITY_CATEGORIES} for h in places
    }
    by_cat: dict[str, list[float]] = {}
    for p in sc.patients:
        if p.tag in care:
            by_cat.setdefault(p.category.value, []).append(care[p.tag])
    immediates = [p.tag for p in sc.patients if p.category is C.IMMEDIATE]
    not_delivered = [p.tag for p in sc.patients if p.tag not in out.arrivals]
    raw_imm = [out.arrivals[t][1] for t in immediates if t in out.arrivals]
    capable_first = sum(
        1
        for p in sc.patients
        if p.tag in out.arrivals and out.arrivals[p.tag][0] in acceptable(sc, p)
    )
    return {
        "time_to_last_immediate_s": round(max(care[t] for t in immediates), 1)
        if all(t in care for t in immediates)
        else None,
        "time_to_last_immediate_arrival_s": round(max(raw_imm), 1) if raw_imm else None,
        "max_overload": {
            **{q.value: max(o[q] for o in over.values()) for q in CAPACITY_CATEGORIES},
            "total": max(sum(o.values()) for o in over.values()),
        },
        "hospitals_over_capacity": sum(1 for o in over.values() if sum(o.values()) > 0),
        "patients_over_capacity": sum(sum(o.values()) for o in over.values()),
        "mean_time_to_care_s": {
            c.value: round(float(np.mean(by_cat[c.value])), 1)
            for c in (C.IMMEDIATE, C.DELAYED, C.MINOR)
            if c.value in by_cat
        },
        "last_patient_at_care_s": round(max(care.values()), 1) if care else None,
        "secondary_transfers": transfers,
        "delivered_to_capable_hospital": capable_first,
        "not_transported": sorted(not_delivered),
        "solver_ms": _stats(out.solver_ms),
        "solver_calls": len(out.solver_ms),
        "methods": out.methods,
        "fallbacks": out.fallbacks,
    }


def run_seed(network: Any, eta: NetworkEta, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    sc = build_scenario(network, eta, seed)
    params = PlanParams(load_s=args.load_s, handover_s=args.handover_s)
    planner = MciPlanner(params)
    try:
        first = planner.plan(
            MciState(
                tuple(sc.patients),
                tuple(PlanUnit(u, sc.unit_to_scene[u]) for u, _ in sc.units),
                tuple(
                    PlanHospital(h, caps, EdStatus.OPEN, cap, sc.scene_to_h[h], sc.h_to_scene[h])
                    for h, _, caps, cap in sc.hospitals
                ),
            )
        )
        planned = run(sc, planner.plan, params)
    finally:
        planner.close()
    nearest = run(sc, lambda s: nearest_first(s, params), params)
    capacity_greedy = run(sc, lambda s: greedy(s, params), params)
    result: dict[str, Any] = {
        "seed": seed,
        "patients": {
            c.value: sum(1 for p in sc.patients if p.category is c) for c in TriageCategory
        },
        "patients_with_needs": sum(1 for p in sc.patients if p.needs),
        "units_to_scene_s": _stats(list(sc.unit_to_scene.values())),
        "scene_to_hospital_s": {f"H{h}": round(sc.scene_to_h[h], 1) for h, *_ in sc.hospitals},
        "hospitals": [
            {
                "id": h,
                "capabilities": sorted(caps),
                "surge": {q.value: n for q, n in cap.as_counts().items()},
                "scene_to_s": round(sc.scene_to_h[h], 1),
            }
            for h, _, caps, cap in sorted(sc.hospitals, key=lambda x: sc.scene_to_h[x[0]])
        ],
        # the fewest patients over capacity any distribution can achieve (capability is hard):
        "min_possible_overflow": first.overflow_total,
        "capacity_allows": first.overflow_total == 0,
        "plan": metrics(sc, planned, args.transfer_delay_s),
        "nearest_first": metrics(sc, nearest, args.transfer_delay_s),
        # for reference: the planner's fallback alone (nearest capable hospital with room)
        "greedy_with_room": metrics(sc, capacity_greedy, args.transfer_delay_s),
    }
    result["improvement_last_immediate_pct"] = _gain(
        result["plan"]["time_to_last_immediate_s"],
        result["nearest_first"]["time_to_last_immediate_s"],
    )
    result["improvement_last_immediate_arrival_pct"] = _gain(
        result["plan"]["time_to_last_immediate_arrival_s"],
        result["nearest_first"]["time_to_last_immediate_arrival_s"],
    )
    # How much the result owes to the transfer delay assumed for a patient at a full ED.
    sensitivity = {}
    for delay in args.sensitivity_delays:
        a = metrics(sc, planned, delay)["time_to_last_immediate_s"]
        b = metrics(sc, nearest, delay)["time_to_last_immediate_s"]
        sensitivity[str(int(delay))] = {"plan_s": a, "nearest_first_s": b, "pct": _gain(a, b)}
    result["transfer_delay_sensitivity"] = sensitivity
    return result


def _gain(mine: float | None, baseline: float | None) -> float | None:
    """How much less ``mine`` is than ``baseline``, in percent of the baseline."""
    if mine is None or not baseline:
        return None
    return round(100.0 * (baseline - mine) / baseline, 1)


# -- solver timing --------------------------------------------------------------------------


def timing_instance(network: Any, eta: NetworkEta, seed: int) -> MciState:
    """100 patients x 30 units x 15 hospitals around a random site near the centre."""
    rng = np.random.default_rng(10_000 + seed)
    site = _road_points(network, rng, SITE, 1, 0.0, 4_000.0)[0]
    patients = _patients(rng, 100)
    units = _road_points(network, rng, site, 30, 500.0, 15_000.0)
    hosp = _road_points(network, rng, site, 15, 1_000.0, 18_000.0, 2_000.0)
    profiles = list(PROFILES) + [PROFILES[2], PROFILES[7], PROFILES[8]]
    picks = [profiles[i] for i in rng.permutation(len(profiles))][:15]
    to_scene = eta.matrix(units, [site])[0]
    out = eta.matrix([site], hosp)[:, 0]
    back = eta.matrix(hosp, [site])[0]
    return MciState(
        tuple(patients),
        tuple(PlanUnit(201 + j, float(to_scene[j])) for j in range(len(units))),
        tuple(
            PlanHospital(
                1 + j,
                caps,
                EdStatus.OPEN,
                SurgeCapacity(1 + j, *(2 * n for n in places)),
                float(out[j]),
                float(back[j]),
            )
            for j, (caps, places) in enumerate(picks)
        ),
    )


def solver_timing(network: Any, eta: NetworkEta, runs: int) -> dict[str, Any]:
    planner = MciPlanner(PlanParams())  # production settings: threaded, 1 s guard
    samples: list[float] = []
    fallbacks = 0
    overflow = 0
    try:
        for seed in range(1, runs + 1):
            state = timing_instance(network, eta, seed)
            started = time.perf_counter()
            plan = planner.plan(state)
            samples.append((time.perf_counter() - started) * 1000)
            fallbacks += plan.fallback is not None
            overflow += plan.overflow_total
    finally:
        planner.close()
    return {
        "size": "100 patients x 30 units x 15 hospitals",
        "runs": runs,
        "ms": _stats(samples),
        "mean_ms": round(float(np.mean(samples)), 2),
        "fallbacks": fallbacks,
        "patients_over_capacity_total": overflow,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--map", default=str(DEFAULT_MAP), help="OSM extract or import cache")
    parser.add_argument("--cache-dir", default=str(ROOT / "var" / "sim-cache"))
    parser.add_argument("--seeds", default="1,2,3,4,5", help="comma-separated seeds")
    parser.add_argument("--seed", type=int, default=None, help="one seed (overrides --seeds)")
    parser.add_argument("--load-s", type=float, default=180.0)
    parser.add_argument("--handover-s", type=float, default=600.0)
    parser.add_argument("--transfer-delay-s", type=float, default=1_200.0)
    parser.add_argument(
        "--sensitivity-delays",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[0.0, 600.0, 1_200.0, 1_800.0],
        help="transfer delays (s) to report the improvement under",
    )
    parser.add_argument("--timing-runs", type=int, default=40)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    started = time.perf_counter()
    network = load_network(args.map, args.cache_dir)
    eta = NetworkEta(network)
    seeds = [args.seed] if args.seed is not None else [int(s) for s in args.seeds.split(",")]
    runs = [run_seed(network, eta, s, args) for s in seeds]
    improvements = [r["improvement_last_immediate_pct"] for r in runs]
    allowed = [r for r in runs if r["capacity_allows"]]
    report: dict[str, Any] = {
        "map": str(args.map),
        "site": SITE.as_lonlat(),
        "assumptions": {
            "load_s": args.load_s,
            "handover_s": args.handover_s,
            "transfer_delay_s": args.transfer_delay_s,
            "unit_capacity": "1 immediate, or 2 delayed, or 3 minor, or 1 delayed + 1 minor",
            "expectant_and_dead": "not transported (plan default)",
        },
        "runs": runs,
    }
    if args.timing_runs > 0:
        report["solver_timing"] = solver_timing(network, eta, args.timing_runs)
    valid = [i for i in improvements if i is not None]
    report["summary"] = {
        "improvement_last_immediate_pct": improvements,
        "improvement_min_pct": min(valid) if valid else None,
        "improvement_mean_pct": round(float(np.mean(valid)), 1) if valid else None,
        "plan_hospitals_over_capacity": [r["plan"]["hospitals_over_capacity"] for r in runs],
        "nearest_first_hospitals_over_capacity": [
            r["nearest_first"]["hospitals_over_capacity"] for r in runs
        ],
        "capacity_allows": [r["capacity_allows"] for r in runs],
    }
    timing = report.get("solver_timing")
    report["targets"] = {
        "zero_over_capacity_where_allowed": all(
            r["plan"]["hospitals_over_capacity"] == 0 for r in allowed
        ),
        "last_immediate_20pct_better_every_seed": bool(valid) and min(valid) >= 20.0,
        "solver_p99_le_1s": None if timing is None else timing["ms"]["p99"] <= 1000.0,
    }
    report["wall_s"] = round(time.perf_counter() - started, 1)
    text = json.dumps(report, indent=1, ensure_ascii=False)
    print(text)
    if args.json is not None:
        args.json.write_text(text, encoding="utf-8")
    for r in runs:
        p, n = r["plan"], r["nearest_first"]
        print(
            f"seed {r['seed']}: last immediate plan {p['time_to_last_immediate_s']} s vs "
            f"nearest {n['time_to_last_immediate_s']} s ({r['improvement_last_immediate_pct']} %);"
            f" over capacity plan {p['hospitals_over_capacity']} / nearest "
            f"{n['hospitals_over_capacity']} hospitals; capacity allows: {r['capacity_allows']}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
