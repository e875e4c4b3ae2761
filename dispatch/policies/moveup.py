"""Move-up (relocation): after a dispatch or a unit coming free, re-post a few available units
so that expected coverage (MEXCLP) is best, at a travel-time cost. Solved with OR-Tools CP-SAT.

Variables ``x[u, s]`` post available unit ``u`` at station ``s`` (its current post, or one of
its ``candidates`` nearest stations within ``max_travel_s``); ``y[c, j, k]`` says zone ``j`` is
covered at least ``k`` times by class ``c`` (ALS units, all units). Maximise

    sum_c a_c sum_j sum_k d_j (1 - q_c) q_c^(k-1) y[c, j, k]
      - travel_cost * travel_s(u, s) - move_cost     (for each unit posted elsewhere)

subject to ``sum_k y[c, j, k] <= units of class c posted within threshold of j``, one post per
unit, station capacities and at most ``max_moves`` moves. Coverage is counted at the posts
(where units will be), which is MEXCLP's view; a unit still driving back counts at its post.

On timeout or solver error no move is suggested (the fleet simply stays as it is).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from dispatch.domain.model import Capability
from dispatch.policies.base import EtaProvider, Move, Station, UnitState
from dispatch.policies.coverage import CoverageModel

log = logging.getLogger(__name__)
_SCALE = 100_000  # objective units per unit of expected coverage


class MoveUp:
    name = "move-up"

    def __init__(
        self,
        coverage: CoverageModel,
        stations: Sequence[Station],
        *,
        max_moves: int = 2,
        candidates: int = 8,
        max_travel_s: float = 1200.0,
        travel_cost_per_hour: float = 0.01,
        move_cost: float = 0.003,
        levels: int = 3,
        time_limit_s: float = 0.5,
        deterministic: bool = True,
    ) -> None:
        self.coverage = coverage
        self.stations = list(stations)
        self._index = {s.id: i for i, s in enumerate(self.stations)}
        self.max_moves = max_moves
        self.candidates = candidates
        self.max_travel_s = max_travel_s
        self.travel_cost_per_hour = travel_cost_per_hour
        self.move_cost = move_cost
        self.levels = levels
        self.time_limit_s = time_limit_s
        self.deterministic = deterministic
        self._station_cover = coverage.cover([s.location for s in self.stations])
        self.solve_seconds: list[float] = []
        self.failures = 0

    def suggest(self, units: Sequence[UnitState], eta: EtaProvider, now: datetime) -> list[Move]:
        """Moves for available units (empty when the current posts are best)."""
        idle = [u for u in units if u.available and u.station_id in self._index]
        if not idle or self.max_moves <= 0:
            return []
        started = time.perf_counter()
        try:
            moves = self._solve(units, idle, eta)
        except Exception as exc:  # noqa: BLE001 - a failed move-up must not stop dispatch
            log.warning("move-up solver failed: %r", exc)
            self.failures += 1
            moves = []
        self.solve_seconds.append(time.perf_counter() - started)
        return moves

    def _solve(
        self, units: Sequence[UnitState], idle: Sequence[UnitState], eta: EtaProvider
    ) -> list[Move]:
        cov = self.coverage
        n_s = len(self.stations)
        travel = eta.matrix(
            [u.position for u in idle],  # type: ignore[misc]
            [s.location for s in self.stations],
        ).T  # [unit, station]
        current = np.array([self._index[u.station_id] for u in idle])  # type: ignore[index]
        options: list[list[int]] = []
        for i in range(len(idle)):
            order = [int(s) for s in np.argsort(travel[i]) if travel[i, s] <= self.max_travel_s]
            keep = order[: self.candidates]
            if current[i] not in keep:
                keep.append(int(current[i]))
            options.append(keep)
        q_all, q_als = cov._q(units, False), cov._q(units, True)
        is_als = np.array([u.capability is Capability.ALS for u in idle])
        cover = self._station_cover  # [station, zone]

        def value(posts: Sequence[int]) -> tuple[float, Any, Any]:
            rows = cover[np.asarray(posts, dtype=int)]
            n_all = rows.sum(axis=0)
            n_als = rows[is_als].sum(axis=0)
            v, _, _ = cov._value(n_all, n_als, q_all, q_als)
            return v, n_all, n_als

        before, n_all0, n_als0 = value(current.tolist())
        if self.max_moves <= 0:
            return []

        m = cp_model.CpModel()
        x: dict[tuple[int, int], cp_model.IntVar] = {}
        for i, opts in enumerate(options):
            for s in opts:
                x[i, s] = m.new_bool_var(f"x{i}_{s}")
            m.add_exactly_one(x[i, s] for s in opts)
        for s in range(n_s):
            at = [x[i, s] for i, opts in enumerate(options) if s in opts]
            if len(at) > self.stations[s].capacity:
                m.add(sum(at) <= self.stations[s].capacity)
        moved = [1 - x[i, int(current[i])] for i in range(len(idle))]
        m.add(sum(moved) <= self.max_moves)

        total = cov.als_weight + cov.all_weight
        objective: list[Any] = []
        zones = np.flatnonzero(cover.any(axis=0))
        for cls, q, weight, members in (
            ("all", q_all, cov.all_weight / total, range(len(idle))),
            ("als", q_als, cov.als_weight / total, [i for i in range(len(idle)) if is_als[i]]),
        ):
            if weight <= 0:
                continue
            for j in zones:
                covering = [x[i, s] for i in members for s in options[i] if cover[s, j]]
                if not covering:
                    continue
                levels = min(self.levels, len(covering))
                ys = [m.new_bool_var(f"y{cls}{j}_{k}") for k in range(levels)]
                m.add(sum(ys) <= sum(covering))
                for k, y in enumerate(ys):
                    coef = int(round(_SCALE * weight * cov.weights[j] * (1 - q) * q**k))
                    if coef:
                        objective.append(coef * y)
        for i, opts in enumerate(options):
            for s in opts:
                if s != current[i]:
                    price = self.move_cost + self.travel_cost_per_hour * travel[i, s] / 3600.0
                    objective.append(-int(round(_SCALE * price)) * x[i, s])
        m.maximize(sum(objective))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        if self.deterministic:
            solver.parameters.max_deterministic_time = self.time_limit_s
        else:
            solver.parameters.max_time_in_seconds = self.time_limit_s
        status = solver.solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.failures += 1
            return []
        posts = [
            next(s for s in options[i] if solver.boolean_value(x[i, s])) for i in range(len(idle))
        ]
        after, n_all1, n_als1 = value(posts)
        moves = []
        for i, s in enumerate(posts):
            if s == current[i]:
                continue
            gained = cover[s] & ~cover[current[i]]
            gain_weight = np.where(gained, cov.weights, 0.0)
            zone = int(np.argmax(gain_weight)) if gained.any() else None
            info = None
            if zone is not None:
                z = cov.zones[zone]
                info = {
                    "zone": zone,
                    "name": cov.names[zone],
                    "location": [round(z.lon, 6), round(z.lat, 6)],
                    "demand_share": round(float(cov.weights[zone]), 4),
                    "covering_units_before": int(n_all0[zone]),
                    "covering_units_after": int(n_all1[zone]),
                }
            station = self.stations[s]
            moves.append(
                Move(
                    idle[i].unit_id,
                    station.id,
                    float(travel[i, s]),
                    explanation={
                        "unit": idle[i].call_sign,
                        "from_station": self.stations[int(current[i])].name,
                        "to_station": station.name,
                        "travel_s": round(float(travel[i, s]), 1),
                        "coverage_before": round(before, 4),
                        "coverage_after": round(after, 4),
                        "zone_protected": info,
                        "solver": solver.status_name(status),
                    },
                )
            )
        return moves
