"""Benchmark: blood courier planning on Porto, OR-Tools against nearest-free-courier (issue #19).

Usage::

    python bench/blood.py --map ../shared/data/osm/porto_portugal.osm.pbf --seeds 5 \\
        --json var/bench-blood.json

Per seed, a day on the Porto road network (docs/blood.md explains each choice):

- 3 blood banks, 12 hospitals and 6 couriers at seeded road points (road-density weighted, as
  the simulator places incidents); every courier carries a cool box of 12 units of red cells, a
  frozen box of 8 units (plasma, cryoprecipitate) and an ambient box of 4 (platelets);
- 60 requests: 50 over the day (more by day than by night; 10 % life-threatening, 30 % urgent;
  55 % red cells, 20 % plasma, 15 % platelets, 10 % cryoprecipitate; groups as in Portugal's
  donor population) and an MCI surge of 10 urgent and life-threatening requests within one hour
  at the 3 hospitals nearest a seeded incident, between 10:00 and 16:00;
- each request is allocated from the banks' stock when it arrives (:func:`allocate`, nearest
  bank first, first-expire-first-out), once, before any strategy runs: both strategies carry
  exactly the same delivery jobs;
- a discrete-event simulation: a courier drives a leg (road time x a seeded traffic factor,
  0.9-1.6, so plans meet delays), spends ``pickup_s`` at the bank and ``handover_s`` at the
  hospital. The strategy re-plans on every new request and whenever a courier arrives more
  than 2 min later than planned; the stop a courier is driving to is committed (a courier is
  not turned round mid-leg), and units picked up stay with their courier.

Strategies: ``or-tools`` (:class:`BloodPlanner`, the planner the server runs) and
``nearest-free`` (:class:`NearestFreeCourier`, its fallback: most urgent job first, to the
courier that reaches the bank soonest, one job at a time).

Reported per strategy (pooled over seeds): late deliveries (handover after the deadline, or
never), mean and p90 request -> handover seconds, cold-chain violations (pickup -> handover
longer than the product's limit), solver ms p50/p99 per re-plan; then the late-delivery
reduction, and the solver alone on 20 open requests x 6 couriers (30+ seeded instances,
on-board units and all, through ``plan()`` with its 1 s guard).
"""

from __future__ import annotations

import argparse
import heapq
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dispatch.adapters.roads import NetworkEta  # noqa: E402
from dispatch.domain.blood import (  # noqa: E402
    DEFAULT_COLD_CHAIN,
    DEFAULT_DEADLINE_S,
    AboRh,
    Allocation,
    BloodRequest,
    Box,
    Product,
    StockLot,
    Urgency,
    allocate,
)
from dispatch.domain.geo import Location  # noqa: E402
from dispatch.policies.base import F64  # noqa: E402
from dispatch.policies.blood_plan import (  # noqa: E402
    BloodPlan,
    BloodPlanner,
    Courier,
    NearestFreeCourier,
    PlanJob,
    PlannedStop,
    PlannerParams,
    StopKind,
)
from dispatch.policies.zones import DensityMap  # noqa: E402
from dispatch.simulation.runner import load_network  # noqa: E402

DAY = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday; Porto is on UTC in winter
BANKS, HOSPITALS, COURIERS = 3, 12, 6
BACKGROUND, SURGE = 50, 10
CAPACITY = {Box.COOL: 12, Box.FROZEN: 8, Box.AMBIENT: 4}
#: A courier this much later than planned at a stop makes the planner re-plan.
DELAY_REPLAN_S = 120.0

#: ABO/RhD shares of Portugal's population (approximate, as published by IPST; rounded).
GROUP_SHARE = {
    AboRh.A_POS: 0.39,
    AboRh.O_POS: 0.36,
    AboRh.B_POS: 0.069,
    AboRh.AB_POS: 0.029,
    AboRh.A_NEG: 0.068,
    AboRh.O_NEG: 0.06,
    AboRh.B_NEG: 0.011,
    AboRh.AB_NEG: 0.005,
}
PRODUCT_SHARE = {
    Product.RED_CELLS: 0.55,
    Product.PLASMA: 0.20,
    Product.PLATELETS: 0.15,
    Product.CRYO: 0.10,
}
URGENCY_SHARE = {Urgency.LIFE_THREATENING: 0.10, Urgency.URGENT: 0.30, Urgency.ROUTINE: 0.60}
#: Relative request rate per hour of day: quiet nights, busy working hours.
HOURLY = [0.3] * 7 + [0.8, 1.2, 1.4, 1.4, 1.3, 1.1, 1.2, 1.3, 1.2, 1.0, 0.9, 0.8, 0.7] + [0.5] * 4
#: Shelf life when a lot arrives in stock (days) and how many lots per group each bank holds.
SHELF_DAYS = {Product.RED_CELLS: 35, Product.PLASMA: 365, Product.PLATELETS: 5, Product.CRYO: 365}


# -- the world -----------------------------------------------------------------------------------


@dataclass
class World:
    """One seed's places and the road times between them (``travel[a, b]`` seconds)."""

    places: list[Location]
    banks: list[int]
    hospitals: list[int]
    couriers: list[int]
    travel: F64
    mci: Location

    def eta(self) -> TableEta:
        return TableEta(self.places, self.travel)


class TableEta:
    """``EtaProvider`` over the precomputed matrix: the planner asks only about these places."""

    def __init__(self, places: list[Location], travel: F64) -> None:
        self.index = {(p.lon, p.lat): i for i, p in enumerate(places)}
        self.travel = travel

    def matrix(self, origins: Sequence[Location], destinations: Sequence[Location]) -> F64:
        o = [self.index[(p.lon, p.lat)] for p in origins]
        d = [self.index[(p.lon, p.lat)] for p in destinations]
        out: F64 = self.travel[np.ix_(o, d)].T
        return out


def build_world(network: Any, density: DensityMap, eta: NetworkEta, seed: int) -> World:
    rng = np.random.default_rng([seed, 19])
    while True:
        points = density.sample(rng, BANKS + HOSPITALS + COURIERS)
        mci = density.sample(rng, 1)[0]
        raw = eta.matrix(points, points)  # [destination, origin]
        travel = np.asarray(raw, dtype=np.float64).T.copy()
        np.fill_diagonal(travel, 0.0)
        if np.isfinite(travel).all():  # a point on a disconnected road: draw again
            break
    banks = list(range(BANKS))
    hospitals = list(range(BANKS, BANKS + HOSPITALS))
    couriers = list(range(BANKS + HOSPITALS, BANKS + HOSPITALS + COURIERS))
    return World(points, banks, hospitals, couriers, travel, mci)


# -- requests and stock -------------------------------------------------------------------------


def _pick(rng: np.random.Generator, shares: dict[Any, float]) -> Any:
    keys = list(shares)
    p = np.array([shares[k] for k in keys])
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _units(rng: np.random.Generator, product: Product, urgency: Urgency) -> int:
    if product is Product.RED_CELLS:
        low, high = {Urgency.LIFE_THREATENING: (4, 6), Urgency.URGENT: (2, 4)}.get(urgency, (2, 6))
    elif product is Product.PLASMA:
        low, high = (2, 4)
    else:
        low, high = (1, 2)
    return int(rng.integers(low, high + 1))


def make_requests(world: World, seed: int, *, surge: str = "front") -> list[BloodRequest]:
    """The day's requests; ``surge``: ``front`` (most in the first half hour, as casualties
    reach the emergency departments) or ``uniform`` over the hour."""
    rng = np.random.default_rng([seed, 60])
    hourly = np.array(HOURLY) / sum(HOURLY)
    out: list[tuple[float, int, Product, Urgency, AboRh, int]] = []
    for _ in range(BACKGROUND):
        t = 3600.0 * (int(rng.choice(24, p=hourly)) + float(rng.random()))
        product, urgency = _pick(rng, PRODUCT_SHARE), _pick(rng, URGENCY_SHARE)
        hospital = world.hospitals[int(rng.integers(len(world.hospitals)))]
        out.append(
            (t, hospital, product, urgency, _pick(rng, GROUP_SHARE), _units(rng, product, urgency))
        )
    # The MCI surge: 10 requests within an hour at the 3 hospitals nearest the incident.
    start = 3600.0 * float(rng.uniform(10, 16))
    nearest = sorted(world.hospitals, key=lambda h: world.places[h].distance_m(world.mci))[:3]
    urgencies = [Urgency.LIFE_THREATENING] * 7 + [Urgency.URGENT] * 3
    products = [Product.RED_CELLS] * 6 + [Product.PLASMA] * 3 + [Product.PLATELETS]
    rng.shuffle(urgencies)
    rng.shuffle(products)
    for k in range(SURGE):
        # Both drawn either way: the same seed gives the same hospitals, groups and units.
        front, even = float(rng.beta(1.2, 2.4)), float(rng.uniform(0, 1))
        t = start + 3600.0 * (front if surge == "front" else even)
        hospital = nearest[int(rng.choice(3, p=[0.5, 0.3, 0.2]))]
        product, urgency = products[k], urgencies[k]
        # Trauma patients of unknown group first get group O red cells (O-negative for women).
        group = (
            _pick(rng, {AboRh.O_NEG: 0.3, AboRh.O_POS: 0.3})
            if product is Product.RED_CELLS and rng.random() < 0.6
            else _pick(rng, GROUP_SHARE)
        )
        out.append((t, hospital, product, urgency, group, _units(rng, product, urgency)))
    out.sort(key=lambda r: r[0])
    return [
        BloodRequest.new(
            request_id=i + 1,
            hospital_id=hospital,
            product=product,
            group=group,
            units=units,
            urgency=urgency,
            requested_at=DAY + timedelta(seconds=t),
        )
        for i, (t, hospital, product, urgency, group, units) in enumerate(out)
    ]


def make_stock(world: World, seed: int) -> list[StockLot]:
    """Each bank: per product and group, a few lots of staggered expiry, sized by the group's
    share (O-negative and AB-negative are scarce, as they are in life)."""
    rng = np.random.default_rng([seed, 7])
    lots = []
    for bank in world.banks:
        for product in Product:
            for group, share in GROUP_SHARE.items():
                for k in range(3):
                    units = int(rng.poisson(max(0.5, 60 * share)))
                    if units == 0:
                        continue
                    days = float(rng.uniform(0.5, SHELF_DAYS[product]))
                    lots.append(
                        StockLot(
                            f"B{bank}-{product.value}-{group.value}-{k}",
                            bank,
                            product,
                            group,
                            units,
                            DAY + timedelta(days=days),
                        )
                    )
    return lots


@dataclass
class SimJob:
    plan: PlanJob
    bank: int
    hospital: int
    picked_up_at: float | None = None
    delivered_at: float | None = None
    courier: int | None = None


def make_jobs(
    world: World, requests: list[BloodRequest], lots: list[StockLot]
) -> tuple[list[SimJob], dict[str, int]]:
    """Allocate each request as it arrives (nearest bank first), one job per bank used."""
    stock = {(lot.bank_id, lot.lot_id, lot.product): lot for lot in lots}
    jobs: list[SimJob] = []
    counts = {"refused": 0, "partial": 0, "substituted": 0, "split": 0}
    for request in requests:
        now = request.requested_at
        order = sorted(world.banks, key=lambda b: world.travel[b, request.hospital_id])
        allowed = request.urgency is Urgency.LIFE_THREATENING
        found = allocate(request, stock.values(), now, bank_order=order, allow_partial=allowed)
        if not isinstance(found, Allocation):
            counts["refused"] += 1
            continue
        counts["partial"] += found.short_units > 0
        counts["substituted"] += found.substituted
        by_bank = found.by_bank()
        counts["split"] += len(by_bank) > 1
        for line in found.lines:
            key = (line.bank_id, line.lot_id, request.product)
            lot = stock[key]
            stock[key] = StockLot(
                lot.lot_id,
                lot.bank_id,
                lot.product,
                lot.group,
                lot.units - line.units,
                lot.expires_at,
            )
        for bank, lines in by_bank.items():
            jobs.append(
                SimJob(
                    PlanJob(
                        job_id=len(jobs) + 1,
                        request_id=request.request_id,
                        product=request.product,
                        units=sum(line.units for line in lines),
                        urgency=request.urgency,
                        requested_at=request.requested_at,
                        deadline=request.deadline,
                        bank=world.places[bank],
                        hospital=world.places[request.hospital_id],
                    ),
                    bank,
                    request.hospital_id,
                )
            )
    return jobs, counts


# -- the discrete-event simulation ----------------------------------------------------------------


@dataclass
class SimCourier:
    unit_id: int
    place: int  # where it stands, or the place of the stop it is driving to
    target: PlannedStop | None = None  # the committed stop (driving to it or serving it)
    arrived: float | None = None  # when it reached the committed stop (None: still driving)
    planned_arrive: float = 0.0
    route: list[PlannedStop] = field(default_factory=list)


class Simulation:
    def __init__(
        self,
        world: World,
        jobs: list[SimJob],
        strategy: BloodPlanner | NearestFreeCourier,
        params: PlannerParams,
        seed: int,
    ) -> None:
        self.world, self.strategy, self.params = world, strategy, params
        self.jobs = {j.plan.job_id: j for j in jobs}
        self.eta = world.eta()
        self.place_of = {(p.lon, p.lat): i for i, p in enumerate(world.places)}
        self.couriers = [SimCourier(100 + k, p) for k, p in enumerate(world.couriers)]
        self.rng = np.random.default_rng([seed, 88])
        self.events: list[tuple[float, int, str, int]] = []
        self.seq = 0
        self.solve_ms: list[float] = []
        self.fallbacks = 0
        self.replans = 0
        self.offers: set[int] = set()
        for job in jobs:
            t = (job.plan.requested_at - DAY).total_seconds()
            self._push(t, "request", job.plan.job_id)

    def _push(self, t: float, kind: str, what: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (t, self.seq, kind, what))

    def run(self) -> None:
        while self.events:
            t, _, kind, what = heapq.heappop(self.events)
            replan = False
            if kind == "request":
                # Jobs of one request arrive together: plan once for all of them.
                while self.events and self.events[0][2] == "request" and self.events[0][0] == t:
                    heapq.heappop(self.events)
                replan = True
            elif kind == "arrive":
                replan = self._arrive(t, self.couriers[what])
            elif kind == "done":
                self._done(t, self.couriers[what])
            if replan:
                self._replan(t)

    def _arrive(self, t: float, c: SimCourier) -> bool:
        stop = c.target
        assert stop is not None
        c.arrived = t
        job = self.jobs[stop.job_id]
        if stop.kind is StopKind.PICKUP:
            job.picked_up_at = t
            job.courier = c.unit_id
            service = self.params.pickup_s
        else:
            job.delivered_at = t + self.params.handover_s
            service = self.params.handover_s
        self._push(t + service, "done", self.couriers.index(c))
        return t - c.planned_arrive > DELAY_REPLAN_S

    def _done(self, t: float, c: SimCourier) -> None:
        c.target, c.arrived = None, None
        self._next_leg(t, c)

    def _next_leg(self, t: float, c: SimCourier) -> None:
        if not c.route:
            return
        stop = c.route.pop(0)
        dest = self.place_of[(stop.location.lon, stop.location.lat)]
        nominal = float(self.world.travel[c.place, dest])
        factor = float(np.clip(np.exp(self.rng.normal(0.03, 0.12)), 0.9, 1.6))
        c.target, c.arrived, c.place = stop, None, dest
        c.planned_arrive = t + nominal
        self._push(t + nominal * factor, "arrive", self.couriers.index(c))

    def _replan(self, t: float) -> None:
        now = DAY + timedelta(seconds=t)
        couriers: list[Courier] = []
        committed_pickup: dict[int, tuple[int, float]] = {}
        completing: set[int] = set()
        for c in self.couriers:
            ready = t
            if c.target is not None:
                service = (
                    self.params.pickup_s
                    if c.target.kind is StopKind.PICKUP
                    else self.params.handover_s
                )
                reach = c.arrived if c.arrived is not None else max(t, c.planned_arrive)
                ready = reach + service
                if c.target.kind is StopKind.PICKUP and c.arrived is None:
                    committed_pickup[c.target.job_id] = (c.unit_id, reach)
                if c.target.kind is StopKind.DELIVERY:
                    completing.add(c.target.job_id)
            couriers.append(
                Courier(
                    c.unit_id,
                    self.world.places[c.place],
                    DAY + timedelta(seconds=ready),
                    CAPACITY,
                )
            )
        open_jobs: list[PlanJob] = []
        for job in self.jobs.values():
            arrived = (job.plan.requested_at - DAY).total_seconds() <= t
            if not arrived or job.delivered_at is not None or job.plan.job_id in completing:
                continue
            plan = job.plan
            if job.picked_up_at is not None:
                plan = _with(plan, job.courier, job.picked_up_at)
            elif plan.job_id in committed_pickup:
                unit, at = committed_pickup[plan.job_id]
                plan = _with(plan, unit, at)
            open_jobs.append(plan)
        started = time.perf_counter()
        result = self.strategy.plan(open_jobs, couriers, self.eta, now)
        self.solve_ms.append(1000 * (time.perf_counter() - started))
        self.replans += 1
        self.fallbacks += result.fallback_reason is not None
        self.offers |= {r.request_id for r in result.ambulance_offers}
        self._apply(t, result)

    def _apply(self, t: float, plan: BloodPlan) -> None:
        for route in plan.routes:
            c = next(c for c in self.couriers if c.unit_id == route.unit_id)
            c.route = list(route.stops)
            if c.target is None:
                self._next_leg(t, c)


def _with(plan: PlanJob, unit: int | None, at: float) -> PlanJob:
    return PlanJob(
        job_id=plan.job_id,
        request_id=plan.request_id,
        product=plan.product,
        units=plan.units,
        urgency=plan.urgency,
        requested_at=plan.requested_at,
        deadline=plan.deadline,
        bank=plan.bank,
        hospital=plan.hospital,
        unit_id=unit,
        picked_up_at=DAY + timedelta(seconds=at),
    )


def outcome(sim: Simulation, requests: list[BloodRequest]) -> dict[str, Any]:
    """Per request: seconds to the last handover (None: never) and the deadline."""
    by_request: dict[int, list[SimJob]] = {}
    for job in sim.jobs.values():
        by_request.setdefault(job.plan.request_id, []).append(job)
    rows = []
    violations = 0
    for job in sim.jobs.values():
        if job.picked_up_at is not None and job.delivered_at is not None:
            transit = job.delivered_at - job.picked_up_at
            violations += transit > DEFAULT_COLD_CHAIN.max_transit_s(job.plan.product)
    max_transit_share = max(
        (
            (j.delivered_at - j.picked_up_at) / DEFAULT_COLD_CHAIN.max_transit_s(j.plan.product)
            for j in sim.jobs.values()
            if j.picked_up_at is not None and j.delivered_at is not None
        ),
        default=0.0,
    )
    for request in requests:
        jobs = by_request.get(request.request_id)
        if not jobs:
            continue  # refused at allocation: no delivery to judge
        asked = (request.requested_at - DAY).total_seconds()
        due = (request.deadline - DAY).total_seconds()
        done = [j.delivered_at for j in jobs]
        handed = None if any(d is None for d in done) else max(d for d in done if d is not None)
        rows.append(
            {
                "urgency": request.urgency.value,
                "wait_s": None if handed is None else handed - asked,
                "late": handed is None or handed > due,
                "late_s": None if handed is None else max(0.0, handed - due),
            }
        )
    return {
        "rows": rows,
        "cold_chain_violations": violations,
        "max_transit_share": round(max_transit_share, 3),
        "solve_ms": sim.solve_ms,
        "replans": sim.replans,
        "fallbacks": sim.fallbacks,
        "ambulance_offers": len(sim.offers),
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [r for run in runs for r in run["rows"]]
    waits = np.array([r["wait_s"] for r in rows if r["wait_s"] is not None])
    ms = np.array([m for run in runs for m in run["solve_ms"]])
    lateness = [r["late_s"] for r in rows if r["late"] and r["late_s"] is not None]
    late_by = {
        u.value: sum(1 for r in rows if r["late"] and r["urgency"] == u.value) for u in Urgency
    }
    return {
        "requests": len(rows),
        "late_deliveries": sum(1 for r in rows if r["late"]),
        "late_by_urgency": late_by,
        "mean_lateness_of_late_s": round(float(np.mean(lateness)), 1) if lateness else 0.0,
        "max_lateness_s": round(max(lateness), 1) if lateness else 0.0,
        "undelivered": sum(1 for r in rows if r["wait_s"] is None),
        "mean_request_to_delivered_s": round(float(waits.mean()), 1),
        "p90_request_to_delivered_s": round(float(np.percentile(waits, 90)), 1),
        "cold_chain_violations": sum(run["cold_chain_violations"] for run in runs),
        "max_transit_share_of_limit": max(run["max_transit_share"] for run in runs),
        "solver_ms_p50": round(float(np.percentile(ms, 50)), 2),
        "solver_ms_p99": round(float(np.percentile(ms, 99)), 2),
        "replans": sum(run["replans"] for run in runs),
        "fallbacks": sum(run["fallbacks"] for run in runs),
        "ambulance_offers": sum(run["ambulance_offers"] for run in runs),
    }


# -- the solver alone: 20 open requests x 6 couriers --------------------------------------------


def solver_benchmark(worlds: list[World], params: PlannerParams, instances: int) -> dict[str, Any]:
    """``plan()`` (threaded, under its guard) on seeded snapshots of a busy hour: 20 open
    requests of every urgency, some units already on board, couriers mid-route."""
    planner = BloodPlanner(params, threaded=True)
    samples, late, fallbacks = [], [], 0
    try:
        for k in range(instances):
            world = worlds[k % len(worlds)]
            rng = np.random.default_rng([k, 20])
            now = DAY + timedelta(hours=12)
            couriers = []
            for n, place in enumerate(rng.choice(world.banks + world.hospitals, COURIERS)):
                couriers.append(
                    Courier(
                        100 + n,
                        world.places[int(place)],
                        now + timedelta(seconds=float(rng.uniform(0, 600))),
                        CAPACITY,
                    )
                )
            jobs = []
            for j in range(20):
                product = _pick(rng, PRODUCT_SHARE)
                urgency = _pick(rng, URGENCY_SHARE)
                asked = now - timedelta(seconds=float(rng.uniform(0, 1800)))
                on_board = j < 4
                carrier = couriers[j % COURIERS]
                jobs.append(
                    PlanJob(
                        job_id=j + 1,
                        request_id=j + 1,
                        product=product,
                        units=_units(rng, product, urgency),
                        urgency=urgency,
                        requested_at=asked,
                        deadline=asked + timedelta(seconds=DEFAULT_DEADLINE_S[urgency]),
                        bank=world.places[int(rng.choice(world.banks))]
                        if not on_board
                        else carrier.position,
                        hospital=world.places[int(rng.choice(world.hospitals))],
                        unit_id=carrier.unit_id if on_board else None,
                        picked_up_at=now - timedelta(minutes=10) if on_board else None,
                    )
                )
            eta = world.eta()
            t0 = time.perf_counter()
            plan = planner.plan(jobs, couriers, eta, now)
            samples.append(time.perf_counter() - t0)
            fallbacks += plan.fallback_reason is not None
            late.append(len(plan.late))
    finally:
        planner.close()
    ms = np.array(samples) * 1000
    return {
        "size": f"20 open requests x {COURIERS} couriers",
        "instances": instances,
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
        "fallbacks": fallbacks,
        "mean_late_requests_in_plan": round(float(np.mean(late)), 2),
    }


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--map", required=True, help="OSM extract or import cache directory")
    parser.add_argument("--cache-dir", default=str(ROOT / "var" / "sim-cache"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--instances", type=int, default=40, help="solver benchmark instances")
    parser.add_argument("--search-s", type=float, default=0.5, help="OR-Tools search limit")
    parser.add_argument("--deadline-margin-s", type=float, default=None)
    parser.add_argument(
        "--surge",
        choices=("front", "uniform"),
        default="front",
        help="surge requests front-loaded (default) or spread evenly over the hour",
    )
    parser.add_argument(
        "--greedy", action="store_true", help="greedy descent instead of guided local search"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    network = load_network(args.map, args.cache_dir)
    density = DensityMap.from_network(network)
    road = NetworkEta(network)
    params = PlannerParams(search_s=args.search_s, metaheuristic=not args.greedy)
    if args.deadline_margin_s is not None:
        params = replace(params, deadline_margin_s=args.deadline_margin_s)
    worlds: list[World] = []
    per_seed: list[dict[str, Any]] = []
    pooled: dict[str, list[dict[str, Any]]] = {"or-tools": [], "nearest-free": []}
    allocation: dict[str, int] = {}
    for seed in range(1, args.seeds + 1):
        world = build_world(network, density, road, seed)
        worlds.append(world)
        requests = make_requests(world, seed, surge=args.surge)
        jobs, counts = make_jobs(world, requests, make_stock(world, seed))
        for key, value in counts.items():
            allocation[key] = allocation.get(key, 0) + value
        seed_report: dict[str, Any] = {"seed": seed, "jobs": len(jobs)}
        for name, strategy in (
            ("or-tools", BloodPlanner(params, threaded=False)),
            ("nearest-free", NearestFreeCourier(params)),
        ):
            sim = Simulation(world, [_copy(j) for j in jobs], strategy, params, seed)
            sim.run()
            result = outcome(sim, requests)
            pooled[name].append(result)
            seed_report[name] = summarise([result])
        per_seed.append(seed_report)
        print(json.dumps(_brief(seed_report)), file=sys.stderr)

    report: dict[str, Any] = {
        "map": str(args.map),
        "seeds": args.seeds,
        "scenario": {
            "banks": BANKS,
            "hospitals": HOSPITALS,
            "couriers": COURIERS,
            "requests_per_day": BACKGROUND + SURGE,
            "surge": f"{SURGE} urgent/life-threatening requests within one hour ({args.surge})",
            "capacity_units": {b.value: n for b, n in CAPACITY.items()},
            "pickup_s": params.pickup_s,
            "handover_s": params.handover_s,
            "search_s": params.search_s,
            "deadline_margin_s": params.deadline_margin_s,
            "metaheuristic": "guided local search" if params.metaheuristic else "greedy descent",
            "allocation": allocation,
        },
        "strategies": {name: summarise(runs) for name, runs in pooled.items()},
        "per_seed": per_seed,
    }
    ours = report["strategies"]["or-tools"]["late_deliveries"]
    base = report["strategies"]["nearest-free"]["late_deliveries"]
    report["late_reduction_pct"] = round(100.0 * (base - ours) / base, 1) if base else None
    report["solver_20x6"] = solver_benchmark(worlds, params, args.instances)
    report["targets"] = {
        "zero_cold_chain_violations": report["strategies"]["or-tools"]["cold_chain_violations"]
        == 0,
        "late_reduction_at_least_30_pct": (report["late_reduction_pct"] or 0) >= 30,
        "solver_p99_at_most_1s": report["solver_20x6"]["p99_ms"] <= 1000,
    }
    report["wall_s"] = round(time.perf_counter() - started, 1)
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text, encoding="utf-8")


def _copy(job: SimJob) -> SimJob:
    return SimJob(job.plan, job.bank, job.hospital)


def _brief(seed_report: dict[str, Any]) -> dict[str, Any]:
    keep = ("late_deliveries", "mean_request_to_delivered_s", "cold_chain_violations")
    return {
        "seed": seed_report["seed"],
        **{name: {k: seed_report[name][k] for k in keep} for name in ("or-tools", "nearest-free")},
    }


if __name__ == "__main__":
    main()
