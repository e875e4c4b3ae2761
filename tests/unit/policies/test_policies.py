"""Dispatch policies on small straight-line worlds (10 m/s, 0.001 deg of latitude = 111 m)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from dispatch.domain.geo import Location
from dispatch.domain.model import Capability, UnitStatus
from dispatch.policies import (
    ClosestIdle,
    CoverageAware,
    CoverageModel,
    JointAssignment,
    MoveUp,
    PendingCall,
    PerPriority,
    Station,
    UnitState,
)
from dispatch.policies.straightline import StraightLineEta

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ETA = StraightLineEta(10.0)


def at(km_north: float, km_east: float = 0.0) -> Location:
    return Location(km_east / 111.195, km_north / 111.195)


def unit(uid: int, where: Location, cap: Capability = Capability.ALS, **kw: object) -> UnitState:
    return UnitState(uid, f"A{uid:02d}", cap, kw.pop("status", UnitStatus.AVAILABLE), where, **kw)  # type: ignore[arg-type]


def call(iid: int, where: Location, priority: int = 2, age_s: float = 0.0) -> PendingCall:
    return PendingCall(iid, where, priority, NOW - timedelta(seconds=age_s))


def test_closest_idle_sends_the_fastest_capable_unit() -> None:
    units = [
        unit(1, at(3.0)),
        unit(2, at(1.0), Capability.BLS),  # closest, but a P1 call needs ALS
        unit(3, at(2.0)),
        unit(4, at(0.5), status=UnitStatus.ON_SCENE),  # busy
    ]
    decisions = ClosestIdle().choose([call(10, at(0.0), priority=1)], units, ETA, NOW)
    assert [(d.incident_id, d.unit_id) for d in decisions] == [(10, 3)]
    assert decisions[0].eta_s == pytest.approx(200.0, rel=1e-3)
    assert decisions[0].explanation["closest_unit"] == "A03"


def test_closest_idle_serves_the_queue_in_priority_order() -> None:
    units = [unit(1, at(0.0))]
    decisions = ClosestIdle().choose(
        [call(1, at(0.1), priority=3, age_s=600), call(2, at(5.0), priority=1)], units, ETA, NOW
    )
    assert [(d.incident_id, d.unit_id) for d in decisions] == [(2, 1)]


def _crossed() -> tuple[list[PendingCall], list[UnitState]]:
    """Greedy (oldest call first takes its nearest unit) strands the second call."""
    calls = [call(1, at(0.0), age_s=60), call(2, at(2.0))]
    units = [unit(1, at(1.0)), unit(2, at(-1.5))]
    # unit 1: 1 km to call 1, 1 km to call 2; unit 2: 1.5 km to call 1, 3.5 km to call 2
    return calls, units


def test_joint_assignment_beats_greedy_on_a_crossed_queue() -> None:
    calls, units = _crossed()
    greedy = ClosestIdle().choose(calls, units, ETA, NOW)
    joint = JointAssignment(divert=False, threaded=False).choose(calls, units, ETA, NOW)
    assert {(d.incident_id, d.unit_id) for d in greedy} == {(1, 1), (2, 2)}
    assert {(d.incident_id, d.unit_id) for d in joint} == {(1, 2), (2, 1)}
    assert sum(d.eta_s for d in joint) < sum(d.eta_s for d in greedy) - 100
    assert max(d.eta_s for d in joint) < max(d.eta_s for d in greedy)


def test_joint_gives_a_scarce_unit_to_the_most_urgent_call() -> None:
    units = [unit(1, at(0.0))]
    calls = [call(1, at(0.2), priority=4, age_s=900), call(2, at(3.0), priority=1)]
    decisions = JointAssignment(threaded=False).choose(calls, units, ETA, NOW)
    assert [(d.incident_id, d.unit_id) for d in decisions] == [(2, 1)]


def test_joint_diverts_a_unit_from_a_less_urgent_call() -> None:
    units = [
        unit(1, at(10.0)),  # free but 1,000 s away
        unit(2, at(0.5), status=UnitStatus.EN_ROUTE, incident_id=7, incident_priority=4),
    ]
    calls = [call(1, at(0.0), priority=1)]
    decisions = JointAssignment(threaded=False).choose(calls, units, ETA, NOW)
    assert len(decisions) == 1
    assert (decisions[0].unit_id, decisions[0].divert_from) == (2, 7)
    assert decisions[0].explanation["diverted_from_incident"] == 7
    # Never pull a unit off a call of the same or higher priority.
    same = [
        units[0],
        unit(2, at(0.5), status=UnitStatus.EN_ROUTE, incident_id=7, incident_priority=1),
    ]
    decisions = JointAssignment(threaded=False).choose(calls, same, ETA, NOW)
    assert [(d.unit_id, d.divert_from) for d in decisions] == [(1, None)]


class _SlowSolver:
    """A solver that does not finish until the test lets it (or 30 s pass)."""

    why = "timeout"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.finished = threading.Event()

    def __call__(self, cost: np.ndarray, unserved: np.ndarray) -> dict[int, int]:
        self.release.wait(timeout=30)
        self.finished.set()
        return {}


class _BrokenSolver:
    why = "error"

    def __init__(self) -> None:
        self.release = self.finished = threading.Event()  # never set: it fails at once

    def __call__(self, cost: np.ndarray, unserved: np.ndarray) -> dict[int, int]:
        raise RuntimeError("solver crashed")


@pytest.mark.parametrize("make", [_SlowSolver, _BrokenSolver])
def test_joint_falls_back_to_closest_idle(make: type) -> None:
    calls, units = _crossed()
    solver = make()
    policy = JointAssignment(solver=solver, time_limit_s=0.05, divert=False)
    try:
        decisions = policy.choose(calls, units, ETA, NOW)
        # the answer came while a slow solver was still running: it did not wait for it
        assert not solver.finished.is_set()
    finally:
        solver.release.set()
    assert {(d.incident_id, d.unit_id) for d in decisions} == {(1, 1), (2, 2)}
    assert all(solver.why in d.explanation["fallback"] for d in decisions)
    assert policy.guard.stats.fallbacks == 1
    policy.guard.close()


def _two_zone_coverage() -> CoverageModel:
    zones = [at(0.0), at(20.0)]  # zone 1 lies far north
    return CoverageModel(
        zones,
        np.array([0.5, 0.5]),
        StraightLineEta(10.0, zones=zones),
        threshold_s=600.0,
        busy_fraction=0.3,
    )


def test_coverage_aware_keeps_the_last_unit_of_a_zone_for_a_low_priority_call() -> None:
    cov = _two_zone_coverage()
    units = [
        unit(1, at(15.0), Capability.BLS),  # the only unit within 10 min of zone 1 (20 km north)
        unit(2, at(4.5), Capability.BLS),
        unit(3, at(0.0), Capability.BLS),
    ]
    low = call(1, at(10.0), priority=4)  # unit 1: 500 s, unit 2: 550 s
    chosen = CoverageAware(cov).choose([low], units, ETA, NOW)
    assert [d.unit_id for d in chosen] == [2]
    why = chosen[0].explanation
    assert why["closest_unit"] == "A01" and why["zone_protected"]["zone"] == 1
    assert why["coverage_after"] > why["coverage_after_closest"]
    # A critical call gets the fastest unit regardless (ALS needed: make them ALS).
    als = [UnitState(u.unit_id, u.call_sign, Capability.ALS, u.status, u.position) for u in units]
    urgent = CoverageAware(cov).choose([call(2, at(10.0), priority=1)], als, ETA, NOW)
    assert [d.unit_id for d in urgent] == [1]


def test_per_priority_routes_calls_to_their_policy() -> None:
    cov = _two_zone_coverage()
    units = [
        unit(1, at(15.0), Capability.BLS),
        unit(2, at(4.5), Capability.BLS),
        unit(3, at(0.0), Capability.BLS),
    ]
    policy = PerPriority({4: CoverageAware(cov)}, default=ClosestIdle())
    chosen = policy.choose([call(1, at(10.0), priority=4)], units, ETA, NOW)
    assert [(d.unit_id, d.policy) for d in chosen] == [(2, "coverage")]
    chosen = policy.choose([call(1, at(10.0), priority=3)], units, ETA, NOW)
    assert [(d.unit_id, d.policy) for d in chosen] == [(1, "closest-idle")]


@pytest.mark.parametrize("solver", ["enumerate", "cp-sat"])
def test_move_up_fills_the_uncovered_zone(solver: str) -> None:
    zones = [at(0.0), at(20.0)]
    cov = CoverageModel(
        zones,
        np.array([0.5, 0.5]),
        StraightLineEta(10.0, zones=zones),
        threshold_s=600.0,
        busy_fraction=0.3,
    )
    stations = [Station(1, "South", at(0.0)), Station(2, "North", at(20.0))]
    units = [
        unit(1, at(0.0), station_id=1, at_station=True),
        unit(2, at(0.0), station_id=1, at_station=True),
        unit(3, at(20.0), status=UnitStatus.ON_SCENE, station_id=2),
    ]
    mover = MoveUp(cov, stations, solver=solver, max_travel_s=5000.0)
    moves = mover.suggest(units, ETA, NOW)
    assert len(moves) == 1 and moves[0].station_id == 2
    assert moves[0].travel_s == pytest.approx(2000.0, rel=1e-3)
    why = moves[0].explanation
    assert why["coverage_after"] > why["coverage_before"]
    assert why["zone_protected"]["zone"] == 1
    # Both zones covered already: nothing to do.
    units[2] = unit(3, at(20.0), station_id=2, at_station=True)
    assert mover.suggest(units, ETA, NOW) == []
