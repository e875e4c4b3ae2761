"""Move-up (relocation): after a dispatch or a unit coming free, re-post a few available units
so that expected coverage (MEXCLP) is best, at a travel-time cost.

Variables ``x[u, s]`` post available unit ``u`` at station ``s`` (its current post, or one of
its ``candidates`` nearest stations within ``max_travel_s``); ``y[c, j, k]`` says zone ``j`` is
covered at least ``k`` times by class ``c`` (ALS units, all units). Maximise

    sum_c a_c sum_j sum_k d_j (1 - q_c) q_c^(k-1) y[c, j, k]
      - travel_cost * travel_s(u, s) - move_cost     (for each unit posted elsewhere)

subject to ``sum_k y[c, j, k] <= units of class c posted at stations within threshold of j``,
one post per unit, station capacities and at most ``max_moves`` moves. Coverage is counted at
the posts (MEXCLP's view); a unit still driving back counts at its post.

Solvers: OR-Tools CP-SAT for any ``max_moves``; with ``max_moves == 1`` (the simulator's
default, one order per event) ``solver="auto"`` enumerates every (unit, station) pair instead,
which is the exact optimum of the same model in a few milliseconds. On timeout or solver error
no move is suggested (the fleet simply stays as it is).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from ortools.sat.python import cp_model

from dispatch.domain.model import Capability
from dispatch.policies.base import EtaProvider, Move, Station, UnitState
from dispatch.policies.coverage import CoverageModel

log = logging.getLogger(__name__)
_SCALE = 100_000  # objective units per unit of expected coverage
Ints = NDArray[np.int64]
Value = Callable[[Sequence[int]], tuple[float, Ints, Ints]]


class MoveUp:
    name = "move-up"

    def __init__(
        self,
        coverage: CoverageModel,
        stations: Sequence[Station],
        *,
        max_moves: int = 1,
        candidates: int = 8,
        max_travel_s: float = 1200.0,
        travel_cost_per_hour: float = 0.02,
        move_cost: float = 0.005,
        levels: int = 3,
        time_limit_s: float = 0.2,
        solver: str = "auto",
    ) -> None:
        if solver not in ("auto", "cp-sat", "enumerate"):
            raise ValueError("solver is auto, cp-sat or enumerate")
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
        self.solver = solver
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
        travel = eta.matrix(
            [u.position for u in idle],  # type: ignore[misc]
            [s.location for s in self.stations],
        ).T  # [unit, station]
        current: Ints = np.array([self._index[u.station_id] for u in idle])  # type: ignore[index]
        options: list[list[int]] = []
        for i in range(len(idle)):
            order = [int(s) for s in np.argsort(travel[i]) if travel[i, s] <= self.max_travel_s]
            keep = order[: self.candidates]
            if int(current[i]) not in keep:
                keep.append(int(current[i]))
            options.append(keep)
        q_all, q_als = cov._q(units, False), cov._q(units, True)
        is_als = np.array([u.capability is Capability.ALS for u in idle], dtype=bool)
        cover = self._station_cover  # [station, zone]

        def value(posts: Sequence[int]) -> tuple[float, Ints, Ints]:
            rows = cover[np.asarray(posts, dtype=np.int64)]
            n_all = rows.sum(axis=0).astype(np.int64)
            n_als = rows[is_als].sum(axis=0).astype(np.int64)
            v, _, _ = cov._value(n_all, n_als, q_all, q_als)
            return v, n_all, n_als

        before, n_all0, n_als0 = value(current.tolist())
        if self.solver == "enumerate" or (self.solver == "auto" and self.max_moves == 1):
            posts = self._best_single_move(
                options, current, travel, is_als, (q_all, q_als), (n_all0, n_als0), before
            )
            status = "ENUMERATED"
        else:
            posts, status = self._cp_sat(options, current, travel, is_als, (q_all, q_als))
        return self._moves(idle, posts, current, travel, before, value, n_all0, status)

    def _cp_sat(
        self,
        options: list[list[int]],
        current: Ints,
        travel: Any,
        is_als: Any,
        q: tuple[float, float],
    ) -> tuple[list[int], str]:
        cov = self.coverage
        cover = self._station_cover
        n_s = len(self.stations)
        m = cp_model.CpModel()
        x: dict[tuple[int, int], Any] = {}
        for i, opts in enumerate(options):
            for s in opts:
                x[i, s] = m.new_bool_var(f"x{i}_{s}")
            m.add_exactly_one(x[i, s] for s in opts)
        for s in range(n_s):
            at = [x[i, s] for i, opts in enumerate(options) if s in opts]
            if len(at) > self.stations[s].capacity:
                m.add(sum(at) <= self.stations[s].capacity)
        m.add(sum(1 - x[i, int(current[i])] for i in range(len(options))) <= self.max_moves)
        total = cov.als_weight + cov.all_weight
        objective: list[Any] = []
        # Units posted per station (all, ALS): zone constraints sum stations, not units.
        posted: dict[str, dict[int, Any]] = {"all": {}, "als": {}}
        for s in range(n_s):
            everyone = [x[i, s] for i, opts in enumerate(options) if s in opts]
            if everyone:
                posted["all"][s] = sum(everyone)
            als = [x[i, s] for i, opts in enumerate(options) if s in opts and is_als[i]]
            if als:
                posted["als"][s] = sum(als)
        for cls, qc, weight in (
            ("all", q[0], cov.all_weight / total),
            ("als", q[1], cov.als_weight / total),
        ):
            for j in np.flatnonzero(cover.any(axis=0)):
                covering = [
                    posted[cls][s] for s in np.flatnonzero(cover[:, j]).tolist() if s in posted[cls]
                ]
                if not covering or weight <= 0:
                    continue
                ys = [m.new_bool_var(f"y{cls}{j}_{k}") for k in range(self.levels)]
                m.add(sum(ys) <= sum(covering))
                for k, y in enumerate(ys):
                    coef = int(round(_SCALE * weight * cov.weights[j] * (1 - qc) * qc**k))
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
        solver.parameters.max_time_in_seconds = self.time_limit_s
        status = solver.solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.failures += 1
            return [int(c) for c in current], solver.status_name(status)
        posts = [
            next(s for s in options[i] if solver.boolean_value(x[i, s]))
            for i in range(len(options))
        ]
        return posts, solver.status_name(status)

    def _best_single_move(
        self,
        options: list[list[int]],
        current: Ints,
        travel: Any,
        is_als: Any,
        q: tuple[float, float],
        n0: tuple[Ints, Ints],
        before: float,
    ) -> list[int]:
        """Exact optimum when at most one unit may move: try every (unit, station) pair."""
        cov = self.coverage
        cover = self._station_cover.astype(np.int64)
        posts = [int(c) for c in current]
        pairs = [(i, s) for i, opts in enumerate(options) for s in opts if s != current[i]]
        if not pairs:
            return posts
        who = np.array([i for i, _ in pairs])
        dst = np.array([s for _, s in pairs])
        delta = cover[dst] - cover[current[who]]  # [pair, zone]
        n_all = n0[0][None, :] + delta
        n_als = n0[1][None, :] + delta * is_als[who][:, None]
        e_all = (1.0 - q[0] ** n_all.astype(np.float64)) @ cov.weights
        e_als = (1.0 - q[1] ** n_als.astype(np.float64)) @ cov.weights
        total = cov.als_weight + cov.all_weight
        value = (cov.als_weight * e_als + cov.all_weight * e_all) / total
        load = np.bincount(current, minlength=len(self.stations))
        full = np.array([load[s] >= self.stations[s].capacity for s in dst])
        price = self.move_cost + self.travel_cost_per_hour * travel[who, dst] / 3600.0
        gain = np.where(full, -np.inf, value - before - price)
        best = int(np.argmax(gain))
        if gain[best] > 0:
            posts[int(who[best])] = int(dst[best])
        return posts

    def _moves(
        self,
        idle: Sequence[UnitState],
        posts: Sequence[int],
        current: Ints,
        travel: Any,
        before: float,
        value: Value,
        n_all0: Ints,
        status: str,
    ) -> list[Move]:
        cov = self.coverage
        cover = self._station_cover
        after, n_all1, _ = value(posts)
        moves = []
        for i, s in enumerate(posts):
            if s == current[i]:
                continue
            gained = cover[s] & ~cover[current[i]]
            zone = int(np.argmax(np.where(gained, cov.weights, 0.0))) if gained.any() else None
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
                        "solver": status,
                    },
                )
            )
        return moves
