"""Blood courier routes (issue #19): OR-Tools pickup and delivery, with nearest-free fallback.

Every open delivery job (units of one request, from one bank, to one hospital) and every
courier on duty form one vehicle-routing problem, solved again whenever something changes (a
new request, a delay, a courier back on duty). The store calls :meth:`BloodPlanner.plan` with
snapshots and applies the answer; nothing here reads or writes state.

The model (OR-Tools ``pywrapcp`` routing):

- a **pickup** node at the bank and a **delivery** node at the hospital per job, paired
  (``AddPickupAndDelivery``), on the same vehicle, pickup first;
- vehicles start where each courier is next free (``Courier.position`` at ``ready_at``) and
  end anywhere (a dummy end node): a courier is not sent home by the plan;
- jobs already **picked up** have only their delivery node, allowed on their own courier only,
  and that courier starts with their units on board (fixed; units never change box);
- a **time** dimension (service at the bank ``pickup_s`` and at the hospital ``handover_s``
  plus road time): lateness past a request's deadline is a soft upper bound weighted by
  urgency (hard windows would make a surge infeasible, and a late plan is still a plan),
  placed ``deadline_margin_s`` early as slack for traffic the plan cannot see;
- a **wait** dimension (the same times): each delivery pays a small urgency-weighted cost per
  second from now, so routine requests are not parked when nothing forces them to be;
- **cold chain**: ``delivery - pickup <= max transit - margin - handover`` is a hard
  constraint; for units already on board the limit is a soft bound with an overwhelming
  weight (a **chain** dimension), since a delay may already have made it impossible;
- **capacity**: one dimension per transport box (cool, frozen, ambient), in units;
- a job no courier can do (too many units for any box, an unreachable bank, a cold-chain limit
  shorter than the direct drive) is reported in :attr:`BloodPlan.unplanned` with a reason.

The search starts from the nearest-free plan (a poor cheapest-insertion start cost more than
the whole time budget to repair), then runs guided local search for ``search_s``. The solve
runs under the shared :class:`~dispatch.policies.guard.Guard` (1 s by default) with
the OR-Tools search limited below that; on timeout or solver error the answer is
:func:`nearest_free_plan`: deliver what is on board, then give each job, most urgent first, to
the courier that reaches its bank soonest, one job at a time. The same rule is the benchmark's
baseline (bench/blood.py).

Road times come from an injected :class:`~dispatch.policies.base.EtaProvider` (this package may
not import ``routing``). Times are tz-aware UTC, durations seconds, coordinates WGS84.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from dispatch.domain.blood import DEFAULT_COLD_CHAIN, Box, ColdChain, Product, Urgency
from dispatch.domain.geo import Location
from dispatch.domain.text import Text
from dispatch.policies.base import F64, Decision, EtaProvider
from dispatch.policies.guard import Guard

# -- input -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Courier:
    """A courier (or any unit with the ``blood`` capability) as the planner sees it.

    ``position``/``ready_at``: where and when it is next free to start a new leg: now where it
    stands, or at the end of the stop it is committed to. ``capacity``: units per box it
    carries (a box it lacks: 0)."""

    unit_id: int
    position: Location
    ready_at: datetime
    capacity: Mapping[Box, int]
    call_sign: str = ""


@dataclass(frozen=True, slots=True)
class PlanJob:
    """An open delivery job (not delivered, not cancelled).

    ``picked_up_at`` set: the units are in ``unit_id``'s box, and only that courier can deliver
    them. ``fixed``: keep the job on ``unit_id`` even before pick-up (the dispatcher decided,
    or the courier is already at the bank)."""

    job_id: int
    request_id: int
    product: Product
    units: int
    urgency: Urgency
    requested_at: datetime
    deadline: datetime
    bank: Location
    hospital: Location
    unit_id: int | None = None
    picked_up_at: datetime | None = None
    fixed: bool = False

    @property
    def on_board(self) -> bool:
        return self.picked_up_at is not None


def _weights(lt: int, urgent: int, routine: int) -> Mapping[Urgency, int]:
    return {Urgency.LIFE_THREATENING: lt, Urgency.URGENT: urgent, Urgency.ROUTINE: routine}


@dataclass(frozen=True, slots=True)
class PlannerParams:
    """Service times, weights and limits. Defaults are ours, documented in docs/blood.md."""

    #: at the bank: units found, packed and signed out
    pickup_s: float = 300.0
    #: at the hospital: units checked against the request and the handover confirmed
    handover_s: float = 300.0
    cold_chain: ColdChain = DEFAULT_COLD_CHAIN
    #: plan transits this much under the product's limit (traffic, a slow handover)
    ride_margin_s: float = 900.0
    #: plan handovers this much before the deadline: slack for traffic the plan cannot see
    deadline_margin_s: float = 300.0
    #: cost per second a delivery is past its deadline
    late_weight: Mapping[Urgency, int] = field(default_factory=lambda: _weights(1000, 100, 10))
    #: cost per second from now to each delivery (keeps every request moving)
    wait_weight: Mapping[Urgency, int] = field(default_factory=lambda: _weights(10, 3, 1))
    #: cost per second of driving
    travel_weight: int = 1
    #: OR-Tools' own search limit; the guard (``guard_s``) is the hard stop
    search_s: float = 0.5
    guard_s: float | None = 1.0
    #: guided local search until ``search_s``; False: greedy descent to the first local optimum
    #: (faster, and the same answer on any machine)
    metaheuristic: bool = True
    horizon_s: float = 3 * 86_400.0

    def __post_init__(self) -> None:
        if min(self.pickup_s, self.handover_s, self.ride_margin_s, self.deadline_margin_s) < 0:
            raise ValueError("service times and the ride margin cannot be negative")
        if not self.search_s > 0 or not self.horizon_s > 0:
            raise ValueError("the search limit and the horizon must be positive")
        for name in ("late_weight", "wait_weight"):
            weights = getattr(self, name)
            if set(weights) != set(Urgency) or any(
                not isinstance(w, int) or w < 0 for w in weights.values()
            ):
                raise ValueError(f"{name}: a whole number >= 0 for every urgency")


# -- output ------------------------------------------------------------------------------------


class StopKind(StrEnum):
    PICKUP = "pickup"
    DELIVERY = "delivery"


@dataclass(frozen=True, slots=True)
class PlannedStop:
    kind: StopKind
    job_id: int
    request_id: int
    location: Location
    arrive_at: datetime
    #: after the pickup or the handover
    leave_at: datetime


@dataclass(frozen=True, slots=True)
class CourierRoute:
    unit_id: int
    stops: tuple[PlannedStop, ...]


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """How a request fares under the plan: delivered (handover done) when its last job is.

    ``offer_ambulance``: a life-threatening request the couriers will not deliver in time (and
    not all of it already in a courier's box): the dispatcher may send an ambulance instead."""

    request_id: int
    urgency: Urgency
    deadline: datetime
    delivered_at: datetime | None
    late_s: float
    offer_ambulance: bool
    reason: Text | None = None

    @property
    def late(self) -> bool:
        return self.delivered_at is None or self.late_s > 0


@dataclass(frozen=True, slots=True)
class UnplannedJob:
    job_id: int
    request_id: int
    reason: Text


@dataclass(frozen=True, slots=True)
class BloodPlan:
    """Per courier, the ordered stops with planned times; per request, the planned handover."""

    strategy: str
    now: datetime
    routes: tuple[CourierRoute, ...]
    requests: tuple[PlannedRequest, ...]
    unplanned: tuple[UnplannedJob, ...] = ()
    #: JSON-ready details; ``fallback`` says why the OR-Tools answer was not used
    explanation: Mapping[str, Any] = field(default_factory=dict)

    @property
    def fallback_reason(self) -> str | None:
        reason = self.explanation.get("fallback")
        return None if reason is None else str(reason)

    def courier_of(self, job_id: int) -> int | None:
        for route in self.routes:
            if any(s.job_id == job_id for s in route.stops):
                return route.unit_id
        return None

    def stop(self, job_id: int, kind: StopKind) -> PlannedStop | None:
        for route in self.routes:
            for s in route.stops:
                if s.job_id == job_id and s.kind is kind:
                    return s
        return None

    def request(self, request_id: int) -> PlannedRequest:
        for r in self.requests:
            if r.request_id == request_id:
                return r
        raise KeyError(request_id)

    @property
    def late(self) -> tuple[PlannedRequest, ...]:
        return tuple(r for r in self.requests if r.late)

    @property
    def ambulance_offers(self) -> tuple[PlannedRequest, ...]:
        return tuple(r for r in self.requests if r.offer_ambulance)


# -- the problem, shared by the solver and the fallback ----------------------------------------

#: Road time standing for "no route" inside OR-Tools (integers only): a week.
_NO_ROUTE_S = 7 * 86_400
#: Cost of leaving a feasible job out of the plan: above any lateness it could cause.
_DROP_COST = 10**13
#: Cost per second of cold chain exceeded for units already on board.
_CHAIN_WEIGHT = 1_000_000


@dataclass
class _Problem:
    """Jobs that can be planned, couriers, and road times between their places (seconds)."""

    now: datetime
    params: PlannerParams
    couriers: list[Courier]
    jobs: list[PlanJob]
    unplanned: list[UnplannedJob]
    places: list[Location]
    #: ``travel[a, b]``: seconds from place ``a`` to place ``b`` (inf: no route)
    travel: F64
    start: list[int]  # courier -> place
    bank: dict[int, int]  # job id -> place
    hospital: dict[int, int]  # job id -> place
    ready_s: list[float]  # courier -> seconds from now
    ride_limit_s: dict[int, float]  # job id -> longest bank arrival -> hospital arrival
    all_jobs: list[PlanJob]

    def vehicle(self, unit_id: int | None) -> int | None:
        for v, c in enumerate(self.couriers):
            if c.unit_id == unit_id:
                return v
        return None


def _place_index(places: list[Location], keys: dict[tuple[float, float], int], p: Location) -> int:
    key = (p.lon, p.lat)
    if key not in keys:
        keys[key] = len(places)
        places.append(p)
    return keys[key]


def _build(
    jobs: Sequence[PlanJob],
    couriers: Sequence[Courier],
    eta: EtaProvider,
    now: datetime,
    params: PlannerParams,
) -> _Problem:
    if now.tzinfo is None:
        raise ValueError("now must carry a timezone")
    ids = [j.job_id for j in jobs]
    if len(set(ids)) != len(ids):
        raise ValueError("a job is listed twice")
    if len({c.unit_id for c in couriers}) != len(couriers):
        raise ValueError("a courier is listed twice")
    places: list[Location] = []
    keys: dict[tuple[float, float], int] = {}
    start = [_place_index(places, keys, c.position) for c in couriers]
    bank = {j.job_id: _place_index(places, keys, j.bank) for j in jobs}
    hospital = {j.job_id: _place_index(places, keys, j.hospital) for j in jobs}
    # Only banks and hospitals are driven to: asking for those destinations alone lets a
    # road-network provider reuse its cached searches (courier positions change every time).
    travel = np.full((len(places), len(places)), np.inf)
    targets = sorted(set(bank.values()) | set(hospital.values()))
    if targets:
        raw = eta.matrix(places, [places[t] for t in targets])  # [destination, origin]
        travel[:, targets] = np.asarray(raw, dtype=np.float64).T
    np.fill_diagonal(travel, 0.0)
    problem = _Problem(
        now=now,
        params=params,
        couriers=list(couriers),
        jobs=[],
        unplanned=[],
        places=places,
        travel=travel,
        start=start,
        bank=bank,
        hospital=hospital,
        ready_s=[max(0.0, (c.ready_at - now).total_seconds()) for c in couriers],
        ride_limit_s={},
        all_jobs=list(jobs),
    )
    for job in sorted(jobs, key=_queue_key):
        reason = _why_not(problem, job)
        if reason is None:
            problem.jobs.append(job)
        else:
            problem.unplanned.append(UnplannedJob(job.job_id, job.request_id, reason))
    return problem


def _queue_key(job: PlanJob) -> tuple[int, datetime, datetime, int]:
    """Most urgent first, then the earliest deadline, the oldest request, the job number."""
    return (job.urgency.rank, job.deadline, job.requested_at, job.job_id)


def _why_not(problem: _Problem, job: PlanJob) -> Text | None:
    """Why ``job`` cannot be planned at all, or ``None``; sets its ride limit when it can."""
    params, chain = problem.params, problem.params.cold_chain
    box = chain.box(job.product)
    limit = chain.max_transit_s(job.product)
    if job.units < 1:
        return Text("no units to carry", "没有需要运送的血液")
    if job.on_board or job.fixed:
        v = problem.vehicle(job.unit_id)
        if v is None:
            return Text(
                f"courier {job.unit_id} holding this job is not on duty: call them",
                f"负责此任务的送血员 {job.unit_id} 不在岗：请联系",
            )
        vehicles = [v]
    else:
        vehicles = list(range(len(problem.couriers)))
    if not vehicles:
        return Text("no courier on duty", "没有在岗的送血员")
    if job.on_board:  # in the box already, whatever its declared size
        problem.ride_limit_s[job.job_id] = limit - params.handover_s
        return None
    if all(problem.couriers[v].capacity.get(box, 0) < job.units for v in vehicles):
        return Text(
            f"{job.units} units do not fit any courier's {box.value} box: split the job",
            f"{job.units}单位超出送血员{_BOX_ZH[box]}容量：请拆分任务",
        )
    b, h = problem.bank[job.job_id], problem.hospital[job.job_id]
    direct = problem.travel[b, h]
    if not math.isfinite(direct):
        return Text("no road from the bank to the hospital", "血库到医院无可达道路")
    if not any(math.isfinite(problem.travel[problem.start[v], b]) for v in vehicles):
        return Text("no courier can reach the bank", "没有送血员能到达该血库")
    need = params.pickup_s + direct + params.handover_s
    if need > limit:
        return Text(
            f"the direct drive ({need / 60:.0f} min with pickup and handover) exceeds the "
            f"{job.product.label.en} cold-chain limit of {limit / 60:.0f} min",
            f"直达也需{need / 60:.0f}分钟（含取血与交接），超过{job.product.label.zh}冷链时限"
            f"{limit / 60:.0f}分钟",
        )
    # Plan with the safety margin when the direct drive allows it; otherwise straight there.
    allowed = max(limit - params.ride_margin_s, need)
    problem.ride_limit_s[job.job_id] = allowed - params.handover_s
    return None


_BOX_ZH: Mapping[Box, str] = {Box.COOL: "冷藏箱", Box.FROZEN: "冷冻箱", Box.AMBIENT: "常温箱"}


# -- the OR-Tools model ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Node:
    place: int
    job: PlanJob | None = None
    kind: StopKind | None = None


def _solve(problem: _Problem) -> BloodPlan:
    started = time.perf_counter()
    params = problem.params
    n_vehicles = len(problem.couriers)
    if n_vehicles == 0 or not problem.jobs:
        return _result(problem, "or-tools", [[] for _ in range(n_vehicles)], {})
    nodes = [_Node(problem.start[v]) for v in range(n_vehicles)]
    end = len(nodes)
    nodes.append(_Node(-1))
    pairs: list[tuple[int, int, PlanJob]] = []
    onboard: list[tuple[int, PlanJob]] = []
    for job in problem.jobs:
        if not job.on_board:
            nodes.append(_Node(problem.bank[job.job_id], job, StopKind.PICKUP))
        nodes.append(_Node(problem.hospital[job.job_id], job, StopKind.DELIVERY))
        if job.on_board:
            onboard.append((len(nodes) - 1, job))
        else:
            pairs.append((len(nodes) - 2, len(nodes) - 1, job))

    size = len(nodes)
    road = np.zeros((size, size), dtype=np.int64)
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            if a.place < 0 or b.place < 0 or i == j:
                continue
            t = problem.travel[a.place, b.place]
            road[i, j] = math.ceil(t) if math.isfinite(t) else _NO_ROUTE_S
    road[:, :n_vehicles] = _NO_ROUTE_S  # nothing drives back to a start
    service = np.array(
        [
            0
            if n.kind is None
            else math.ceil(params.pickup_s if n.kind is StopKind.PICKUP else params.handover_s)
            for n in nodes
        ],
        dtype=np.int64,
    )
    road[:, end] = 0  # open routes: ending anywhere is free
    transit = road + service[:, None]

    manager = pywrapcp.RoutingIndexManager(
        size, n_vehicles, list(range(n_vehicles)), [end] * n_vehicles
    )
    model = pywrapcp.RoutingModel(manager)
    cost = model.RegisterTransitMatrix((road * params.travel_weight).tolist())
    model.SetArcCostEvaluatorOfAllVehicles(cost)
    moves = model.RegisterTransitMatrix(transit.tolist())
    horizon = int(params.horizon_s)
    dims = ["time", "wait"] + (["chain"] if onboard else [])
    for name in dims:
        model.AddDimension(moves, 0, horizon, False, name)
    clock = model.GetDimensionOrDie("time")
    wait = model.GetDimensionOrDie("wait")
    for v in range(n_vehicles):
        ready = min(int(math.ceil(problem.ready_s[v])), horizon)
        for name in dims:
            model.GetDimensionOrDie(name).CumulVar(model.Start(v)).SetValue(ready)

    boxes = sorted({params.cold_chain.box(j.product) for j in problem.jobs})
    for box in boxes:
        demand = [0] * size
        for i, n in enumerate(nodes):
            if n.job is not None and params.cold_chain.box(n.job.product) is box:
                demand[i] = n.job.units if n.kind is StopKind.PICKUP else -n.job.units
        load = model.RegisterUnaryTransitVector(demand)
        carried = [
            sum(
                j.units
                for _, j in onboard
                if problem.vehicle(j.unit_id) == v and params.cold_chain.box(j.product) is box
            )
            for v in range(n_vehicles)
        ]
        # What is already in a box fits it, whatever its declared size says.
        capacities = [
            max(int(c.capacity.get(box, 0)), carried[v]) for v, c in enumerate(problem.couriers)
        ]
        model.AddDimensionWithVehicleCapacity(load, 0, capacities, False, f"load-{box.value}")
        dim = model.GetDimensionOrDie(f"load-{box.value}")
        for v in range(n_vehicles):
            dim.CumulVar(model.Start(v)).SetValue(carried[v])

    solver = model.solver()
    for p, d, job in pairs:
        pi, di = manager.NodeToIndex(p), manager.NodeToIndex(d)
        model.AddPickupAndDelivery(pi, di)
        solver.Add(model.VehicleVar(pi) == model.VehicleVar(di))
        solver.Add(clock.CumulVar(pi) <= clock.CumulVar(di))
        solver.Add(clock.CumulVar(di) - clock.CumulVar(pi) <= int(problem.ride_limit_s[job.job_id]))
        model.AddDisjunction([pi], _DROP_COST)
        model.AddDisjunction([di], _DROP_COST)
        if job.fixed:
            keeper = problem.vehicle(job.unit_id)
            assert keeper is not None
            # (SetAllowedVehiclesForIndex's Python binding refuses lists; -1: not performed)
            model.VehicleVar(pi).SetValues([-1, keeper])
            model.VehicleVar(di).SetValues([-1, keeper])
        _deadline_costs(problem, job, di, clock, wait)
    for d, job in onboard:
        di = manager.NodeToIndex(d)
        holder = problem.vehicle(job.unit_id)
        assert holder is not None and job.picked_up_at is not None
        model.VehicleVar(di).SetValue(holder)
        _deadline_costs(problem, job, di, clock, wait)
        out_s = (problem.now - job.picked_up_at).total_seconds()
        bound = max(0, int(problem.ride_limit_s[job.job_id] - out_s))
        model.GetDimensionOrDie("chain").SetCumulVarSoftUpperBound(di, bound, _CHAIN_WEIGHT)

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    )
    if params.metaheuristic:
        search.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        )
    search.time_limit.FromMilliseconds(max(1, int(params.search_s * 1000)))
    # Start from the nearest-free plan when the model accepts it: the search then begins at a
    # sensible plan (and never ends worse than the fallback) instead of a cheapest insertion.
    initial = model.ReadAssignmentFromRoutes(_baseline_routes(problem, nodes, manager), True)
    if initial is not None:
        solution = model.SolveFromAssignmentWithParameters(initial, search)
    else:
        solution = model.SolveWithParameters(search)
    if solution is None:
        raise RuntimeError(f"OR-Tools found no plan (status {model.status()})")

    routes: list[list[tuple[int, int]]] = []
    for v in range(n_vehicles):
        stops: list[tuple[int, int]] = []
        index = solution.Value(model.NextVar(model.Start(v)))
        while not model.IsEnd(index):
            stops.append((manager.IndexToNode(index), solution.Value(clock.CumulVar(index))))
            index = solution.Value(model.NextVar(index))
        routes.append(stops)
    planned = [[(nodes[n], t) for n, t in stops] for stops in routes]
    explanation = {
        "objective": solution.ObjectiveValue(),
        "solve_ms": round(1000 * (time.perf_counter() - started), 1),
        "nodes": size,
    }
    return _result(problem, "or-tools", planned, explanation)


def _baseline_routes(
    problem: _Problem, nodes: Sequence[_Node], manager: pywrapcp.RoutingIndexManager
) -> list[list[int]]:
    """The nearest-free plan as routing indices per vehicle (a warm start)."""
    where = {(n.job.job_id, n.kind): i for i, n in enumerate(nodes) if n.job is not None}
    baseline = _nearest_free(problem)
    return [
        [manager.NodeToIndex(where[(s.job_id, s.kind)]) for s in route.stops]
        for route in baseline.routes
    ]


def _deadline_costs(
    problem: _Problem,
    job: PlanJob,
    delivery_index: int,
    clock: pywrapcp.RoutingDimension,
    wait: pywrapcp.RoutingDimension,
) -> None:
    """Lateness past the deadline (time) and time to delivery (wait), urgency-weighted."""
    params = problem.params
    due = (job.deadline - problem.now).total_seconds() - params.handover_s
    due -= params.deadline_margin_s
    clock.SetCumulVarSoftUpperBound(
        delivery_index, max(0, int(due)), params.late_weight[job.urgency]
    )
    wait.SetCumulVarSoftUpperBound(delivery_index, 0, params.wait_weight[job.urgency])


# -- the fallback and baseline: nearest free courier, one job at a time -------------------------


def _nearest_free(problem: _Problem) -> BloodPlan:
    """Units on board are delivered first (most urgent first); then each job in queue order
    goes to the courier that reaches its bank soonest after finishing what it already has."""
    params = problem.params
    where = list(problem.start)
    free_s = list(problem.ready_s)
    planned: list[list[tuple[_Node, int]]] = [[] for _ in problem.couriers]
    unplanned: list[UnplannedJob] = []

    def drive(v: int, node: _Node, service_s: float) -> None:
        arrive = free_s[v] + problem.travel[where[v], node.place]
        planned[v].append((node, int(math.ceil(arrive))))
        where[v] = node.place
        free_s[v] = arrive + service_s

    for job in problem.jobs:  # queue order
        if job.on_board:
            v = problem.vehicle(job.unit_id)
            assert v is not None
            drive(v, _Node(problem.hospital[job.job_id], job, StopKind.DELIVERY), params.handover_s)
    box_of = params.cold_chain.box
    for job in problem.jobs:
        if job.on_board:
            continue
        b = problem.bank[job.job_id]
        candidates = (
            [problem.vehicle(job.unit_id)] if job.fixed else list(range(len(problem.couriers)))
        )
        best: tuple[float, int] | None = None
        for v in candidates:
            assert v is not None
            if problem.couriers[v].capacity.get(box_of(job.product), 0) < job.units:
                continue
            reach = free_s[v] + problem.travel[where[v], b]
            if math.isfinite(reach) and (best is None or reach < best[0]):
                best = (reach, v)
        if best is None:
            unplanned.append(
                UnplannedJob(
                    job.job_id,
                    job.request_id,
                    Text("no courier can take it", "没有送血员能接此任务"),
                )
            )
            continue
        v = best[1]
        drive(v, _Node(b, job, StopKind.PICKUP), params.pickup_s)
        drive(v, _Node(problem.hospital[job.job_id], job, StopKind.DELIVERY), params.handover_s)
    return _result(problem, "nearest-free", planned, {}, extra_unplanned=unplanned)


# -- turning node times into the plan -----------------------------------------------------------


def _result(
    problem: _Problem,
    strategy: str,
    planned: Sequence[Sequence[tuple[_Node, int]]],
    explanation: dict[str, Any],
    *,
    extra_unplanned: Sequence[UnplannedJob] = (),
) -> BloodPlan:
    params, now = problem.params, problem.now
    routes: list[CourierRoute] = []
    handed_over: dict[int, datetime] = {}
    for v, stops in enumerate(planned):
        out = []
        for node, at_s in stops:
            assert node.job is not None and node.kind is not None
            service = params.pickup_s if node.kind is StopKind.PICKUP else params.handover_s
            arrive = now + timedelta(seconds=at_s)
            leave = arrive + timedelta(seconds=service)
            out.append(
                PlannedStop(
                    node.kind,
                    node.job.job_id,
                    node.job.request_id,
                    problem.places[node.place],
                    arrive,
                    leave,
                )
            )
            if node.kind is StopKind.DELIVERY:
                handed_over[node.job.job_id] = leave
        routes.append(CourierRoute(problem.couriers[v].unit_id, tuple(out)))
    unplanned = list(problem.unplanned) + list(extra_unplanned)
    planned_ids = set(handed_over)
    dropped = [
        j for j in problem.jobs if j.job_id not in planned_ids and j.job_id not in _ids(unplanned)
    ]
    for job in dropped:
        unplanned.append(
            UnplannedJob(
                job.job_id,
                job.request_id,
                Text("the plan found no courier for it", "计划中没有送血员能接此任务"),
            )
        )
    return BloodPlan(
        strategy=strategy,
        now=now,
        routes=tuple(routes),
        requests=_requests(problem, handed_over),
        unplanned=tuple(unplanned),
        explanation=explanation,
    )


def _ids(unplanned: Sequence[UnplannedJob]) -> set[int]:
    return {u.job_id for u in unplanned}


def _requests(problem: _Problem, handed_over: Mapping[int, datetime]) -> tuple[PlannedRequest, ...]:
    by_request: dict[int, list[PlanJob]] = {}
    for job in problem.all_jobs:
        by_request.setdefault(job.request_id, []).append(job)
    out = []
    for request_id, jobs in sorted(by_request.items()):
        first = min(jobs, key=_queue_key)
        deadline = min(j.deadline for j in jobs)
        times = [handed_over.get(j.job_id) for j in jobs]
        delivered = None if any(t is None for t in times) else max(t for t in times if t)
        late_s = math.inf if delivered is None else max(0.0, (delivered - deadline).total_seconds())
        life = first.urgency is Urgency.LIFE_THREATENING
        offer = life and late_s > 0 and not all(j.on_board for j in jobs)
        reason = None
        if late_s > 0:
            reason = _late_reason(problem, jobs, delivered, deadline, offer)
        out.append(
            PlannedRequest(request_id, first.urgency, deadline, delivered, late_s, offer, reason)
        )
    return tuple(out)


def _late_reason(
    problem: _Problem,
    jobs: Sequence[PlanJob],
    delivered: datetime | None,
    deadline: datetime,
    offer: bool,
) -> Text:
    best = max(_earliest_alone(problem, j) for j in jobs)
    if delivered is None:
        en, zh = "no courier can take it", "没有送血员能接此任务"
    else:
        minutes = (delivered - deadline).total_seconds() / 60
        en, zh = f"{minutes:.0f} min late by courier", f"送血员送达将晚{minutes:.0f}分钟"
    if math.isfinite(best):
        at = problem.now + timedelta(seconds=best)
        if at > deadline:
            en += "; no courier can make the deadline even if sent now"
            zh += "；即使立即派出也没有送血员能按时送达"
        else:
            en += "; the couriers are busy with other deliveries"
            zh += "；送血员正忙于其他配送"
    if offer:
        en += ": offer an ambulance"
        zh += "：可改派救护车"
    return Text(en, zh)


def _earliest_alone(problem: _Problem, job: PlanJob) -> float:
    """Seconds from now to the handover if the best courier dropped everything else."""
    params = problem.params
    h = problem.hospital[job.job_id]
    if job.on_board:
        v = problem.vehicle(job.unit_id)
        if v is None:
            return math.inf
        return float(problem.ready_s[v] + problem.travel[problem.start[v], h] + params.handover_s)
    b = problem.bank[job.job_id]
    box = params.cold_chain.box(job.product)
    best = math.inf
    for v, courier in enumerate(problem.couriers):
        if courier.capacity.get(box, 0) < job.units:
            continue
        t = problem.ready_s[v] + problem.travel[problem.start[v], b] + problem.travel[b, h]
        best = min(best, float(t) + params.pickup_s + params.handover_s)
    return best


# -- the planner -------------------------------------------------------------------------------


class BloodPlanner:
    """Plans all open blood deliveries at once with OR-Tools; re-plan by calling again.

    ``threaded=False`` runs the solve inline (the bench: reproducible, still falls back on
    errors and, after the fact, on overruns)."""

    name = "or-tools"

    def __init__(self, params: PlannerParams | None = None, *, threaded: bool = True) -> None:
        self.params = params or PlannerParams()
        self.guard = Guard(self.params.guard_s, threaded=threaded)

    def plan(
        self,
        jobs: Sequence[PlanJob],
        couriers: Sequence[Courier],
        eta: EtaProvider,
        now: datetime,
    ) -> BloodPlan:
        problem = _build(jobs, couriers, eta, now, self.params)
        return _guarded(self.guard, lambda: _solve(problem), lambda: _nearest_free(problem))

    def close(self) -> None:
        self.guard.close()


class NearestFreeCourier:
    """The baseline (and the planner's fallback): one job at a time, most urgent first, to the
    courier that reaches the bank soonest."""

    name = "nearest-free"

    def __init__(self, params: PlannerParams | None = None) -> None:
        self.params = params or PlannerParams()

    def plan(
        self,
        jobs: Sequence[PlanJob],
        couriers: Sequence[Courier],
        eta: EtaProvider,
        now: datetime,
    ) -> BloodPlan:
        return _nearest_free(_build(jobs, couriers, eta, now, self.params))


def nearest_free_plan(
    jobs: Sequence[PlanJob],
    couriers: Sequence[Courier],
    eta: EtaProvider,
    now: datetime,
    params: PlannerParams | None = None,
) -> BloodPlan:
    """:class:`NearestFreeCourier`'s plan, as a function."""
    return NearestFreeCourier(params).plan(jobs, couriers, eta, now)


def _guarded(
    guard: Guard, primary: Callable[[], BloodPlan], fallback: Callable[[], BloodPlan]
) -> BloodPlan:
    """Run ``primary`` under the shared :class:`Guard`.

    The guard is written for lists of :class:`Decision`; all it needs of an item is a
    dataclass with an ``explanation`` mapping (it adds ``fallback``), which :class:`BloodPlan`
    is. Hence the casts: a generic ``Guard[T]`` would remove them."""
    answer = guard.run(
        cast(Callable[[], list[Decision]], lambda: [primary()]),
        cast(Callable[[], list[Decision]], lambda: [fallback()]),
    )
    return cast(BloodPlan, answer[0])
