"""Joint assignment of every pending call to the free units, solved with OR-Tools.

Each time the queue changes, all pending calls and all available units (plus, optionally,
units still on their way to a less urgent call) form one min-cost flow:

    call i --(cost[i,u])--> unit u --(cap 1)--> sink
    call i --(unserved[i])----------------------> sink

Every call sends one unit of flow, so each is either served by exactly one unit or left
pending at its ``unserved`` price. Serving costs are :func:`~dispatch.policies.costs.cost_matrix`
(priority-weighted road time, lateness, optional coverage loss); leaving a call pending costs
``w[p] * big`` (so urgent calls win scarce units), except for priorities in ``hold``, which
may wait while sending a unit would cost more coverage than waiting (bounded by the hold time).

Pulling a unit off a less urgent call (a divert) is allowed when it reaches the new call at
least ``divert_min_gain_s`` sooner than any free unit; its price includes the delay the first
call suffers (``divert_penalty_s`` weighted by that call's priority).

The problem is pruned to the ``candidates`` cheapest units per call, which keeps 50 calls x
300 units at a few thousand arcs. The solve runs under a :class:`Guard`: on timeout or error the
answer is closest-idle's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from ortools.graph.python import min_cost_flow

from dispatch.policies.base import (
    F64,
    Decision,
    EtaProvider,
    PendingCall,
    UnitState,
    eta_matrix,
    queue_order,
)
from dispatch.policies.closest import ClosestIdle
from dispatch.policies.costs import CostParams, cost_matrix, coverage_terms
from dispatch.policies.coverage import CoverageModel
from dispatch.policies.explain import explain
from dispatch.policies.guard import Guard

BIG_S = 100_000.0
_SCALE = 10.0  # integer costs in tenths of a second

#: ``solve(cost, unserved) -> {row: column}``; replaceable for tests.
Solver = Callable[[F64, F64], dict[int, int]]


def solve_min_cost_flow(cost: F64, unserved: F64) -> dict[int, int]:
    """Assign rows to columns (at most one each) or leave rows unserved, at minimum cost."""
    rows, cols = cost.shape
    pairs = np.argwhere(np.isfinite(cost))
    sink = rows + cols
    tails = np.concatenate([pairs[:, 0], rows + np.arange(cols), np.arange(rows)])
    heads = np.concatenate([rows + pairs[:, 1], np.full(cols, sink), np.full(rows, sink)])
    costs = np.concatenate([cost[pairs[:, 0], pairs[:, 1]], np.zeros(cols), unserved])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        np.ones(len(tails), dtype=np.int64),
        np.round(costs * _SCALE).astype(np.int64),
    )
    supplies = np.zeros(rows + cols + 1, dtype=np.int64)
    supplies[:rows] = 1
    supplies[sink] = -rows
    flow.set_nodes_supplies(np.arange(rows + cols + 1, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools min-cost flow: status {status}")
    used = flow.flows(np.arange(len(pairs), dtype=np.int32))
    return {int(pairs[k, 0]): int(pairs[k, 1]) for k in np.flatnonzero(used > 0)}


class JointAssignment:
    name = "joint"

    def __init__(
        self,
        *,
        coverage: CoverageModel | None = None,
        params: CostParams | None = None,
        divert: bool = True,
        divert_min_gain_s: float = 180.0,
        divert_penalty_s: float = 300.0,
        hold: Mapping[int, float] | None = None,
        hold_base_s: float = 600.0,
        candidates: int = 12,
        time_limit_s: float | None = 0.2,
        threaded: bool = True,
        solver: Solver = solve_min_cost_flow,
    ) -> None:
        self.coverage = coverage
        self.params = params or CostParams(
            coverage_s={} if coverage is None else CostParams().coverage_s
        )
        self.divert = divert
        self.divert_min_gain_s = divert_min_gain_s
        self.divert_penalty_s = divert_penalty_s
        self.hold = dict(hold or {})
        self.hold_base_s = hold_base_s
        self.candidates = candidates
        self.solver = solver
        self.guard = Guard(time_limit_s, threaded=threaded)
        self._fallback = ClosestIdle(coverage, stale_margin_s=self.params.stale_margin_s)

    def choose(
        self,
        pending: Sequence[PendingCall],
        units: Sequence[UnitState],
        eta: EtaProvider,
        now: datetime,
    ) -> list[Decision]:
        return self.guard.run(
            lambda: self._choose(pending, units, eta, now),
            lambda: self._fallback.choose(pending, units, eta, now),
        )

    # -- the model -----------------------------------------------------------------

    def _choose(
        self,
        pending: Sequence[PendingCall],
        units: Sequence[UnitState],
        eta: EtaProvider,
        now: datetime,
    ) -> list[Decision]:
        calls = queue_order(pending)
        free = [u for u in units if u.available]
        pullable = [u for u in units if self.divert and u.divertible]
        if not calls or not (free or pullable):
            return []
        pool = free + pullable
        times = eta_matrix(calls, pool, eta)
        return self.decide(calls, pool, len(free), times, now)

    def decide(
        self,
        calls: Sequence[PendingCall],
        pool: Sequence[UnitState],
        n_free: int,
        times: F64,
        now: datetime,
    ) -> list[Decision]:
        """Solve for calls (queue order) over ``pool`` (free units first, then divertible
        ones) given the road times ``[call, unit]``; the part timed by the benchmark."""
        free = list(pool[:n_free])
        cover, base, losses = coverage_terms(self.coverage, free)
        all_losses = None
        if losses is not None:
            all_losses = np.concatenate([losses, np.zeros(len(pool) - n_free)])
        cost = cost_matrix(calls, pool, times, now, self.params, losses=all_losses)
        best_free = times[:, :n_free].min(axis=1) if n_free else np.full(len(calls), np.inf)
        for j in range(n_free, len(pool)):  # divert candidates
            src = pool[j].incident_priority or 4
            for i, call in enumerate(calls):
                gain_ok = times[i, j] + self.divert_min_gain_s <= best_free[i]
                if call.priority >= src or not gain_ok:
                    cost[i, j] = np.inf
                else:
                    cost[i, j] += self.params.weight(src) * self.divert_penalty_s
        _prune(cost, self.candidates)
        unserved = np.array([self._unserved(c, now) for c in calls])
        chosen = self.solver(cost, unserved)
        out = []
        for i, j in sorted(chosen.items()):
            call, unit = calls[i], pool[j]
            k = int(np.argmin(times[i, :n_free])) if n_free else None
            closest = free[k] if k is not None and np.isfinite(times[i, k]) else None
            closest_eta = float(times[i, k]) if closest is not None and k is not None else np.inf
            diverted = j >= n_free
            extra: dict[str, Any] = {"cost": round(float(cost[i, j]), 1)}
            if diverted:
                extra["diverted_from_incident"] = unit.incident_id
            out.append(
                Decision(
                    call.incident_id,
                    unit.unit_id,
                    float(times[i, j]),
                    self.name,
                    divert_from=unit.incident_id if diverted else None,
                    explanation=explain(
                        unit=unit,
                        eta_s=float(times[i, j]),
                        closest=closest,
                        closest_eta_s=closest_eta,
                        coverage=self.coverage,
                        units=free,
                        cover=cover,
                        base=base,
                        index=None if diverted else j,
                        closest_index=k,
                        reason=_reason(diverted, j == k),
                        **extra,
                    ),
                )
            )
        return out

    def _unserved(self, call: PendingCall, now: datetime) -> float:
        w = self.params.weight(call.priority)
        limit = self.hold.get(call.priority)
        waited = call.waited_s(now)
        if limit is None or waited >= limit:
            return w * (BIG_S + waited)
        return w * (self.hold_base_s + 2.0 * waited)


def _prune(cost: F64, keep: int) -> None:
    """Keep each row's ``keep`` cheapest finite entries (in place)."""
    if cost.shape[1] <= keep:
        return
    cut = np.partition(cost, keep - 1, axis=1)[:, keep - 1 : keep]
    cost[cost > cut] = np.inf


def _reason(diverted: bool, closest: bool) -> str:
    if diverted:
        return "divert: a unit on its way to a less urgent call arrives much sooner"
    if closest:
        return "closest available unit"
    return "joint optimum: the closest unit serves another call or protects coverage"
