"""Live optimiser advice for the dispatcher: the joint plan for every pending call, next to the
closest unit, with the reasons. Advice only: the dispatcher assigns.

The solver runs in a worker thread under a guard: when it fails or takes longer than its limit
(1 s by default) the answer falls back to closest-idle, so advice never holds up a dispatcher.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from dispatch.domain.commands import AssignUnit
from dispatch.domain.errors import DomainError
from dispatch.domain.model import Incident, IncidentStatus, Unit
from dispatch.policies.base import Decision, EtaProvider, PendingCall, Station, UnitState
from dispatch.policies.closest import ClosestIdle
from dispatch.policies.coverage import CoverageModel
from dispatch.policies.guard import Guard
from dispatch.policies.joint import JointAssignment
from dispatch.policies.moveup import MoveUp
from dispatch.services.handlers import Deps, assign_unit

log = logging.getLogger("goldenhour.advice")


@dataclass
class Advisor:
    """Holds the road-time cache and the solver between requests (built once at start-up)."""

    eta: EtaProvider
    timeout_s: float = 1.0
    policy: JointAssignment = field(default_factory=JointAssignment)
    fallback: ClosestIdle = field(default_factory=ClosestIdle)
    guard: Guard = field(init=False)

    def __post_init__(self) -> None:
        self.guard = Guard(self.timeout_s)

    async def advise(self, deps: Deps) -> list[dict[str, Any]]:
        async with deps.new_uow() as uow:
            incidents = await uow.incidents.list(open_only=True)
            units = await uow.units.list()
        now = deps.clock.now()
        pending = [_pending(i) for i in incidents if i.status is IncidentStatus.PENDING]
        if not pending:
            return []
        priority_of = {i.id: i.priority for i in incidents}
        states = [_state(u, priority_of) for u in units]
        decisions = await asyncio.to_thread(
            self.guard.run,
            lambda: self.policy.choose(pending, states, self.eta, now),
            lambda: self.fallback.choose(pending, states, self.eta, now),
        )
        closest = {d.incident_id: d for d in self.fallback.choose(pending, states, self.eta, now)}
        return [_view(d, closest.get(d.incident_id)) for d in decisions]


def _pending(incident: Incident) -> PendingCall:
    needs = incident.required_capabilities() if "ALS" in incident.needs else frozenset()
    return PendingCall(
        incident.id, incident.location, incident.priority, incident.received_at, needs=needs
    )


def _state(unit: Unit, priority_of: dict[int, int]) -> UnitState:
    return UnitState(
        unit_id=unit.id,
        call_sign=unit.call_sign,
        capability=unit.capability,
        status=unit.status,
        position=unit.position,
        station_id=unit.station_id,
        incident_id=unit.incident_id,
        incident_priority=None if unit.incident_id is None else priority_of.get(unit.incident_id),
        at_station=unit.in_quarters,
    )


def _view(decision: Decision, closest: Decision | None) -> dict[str, Any]:
    return {
        "incident_id": decision.incident_id,
        "unit_id": decision.unit_id,
        "eta_s": round(decision.eta_s, 1),
        "policy": decision.policy,
        "divert_from": decision.divert_from,
        "explanation": decision.explanation,
        "closest": None
        if closest is None
        else {"unit_id": closest.unit_id, "eta_s": round(closest.eta_s, 1)},
    }


@dataclass
class MoveUpAdvisor:
    """Move-up suggestions: which free unit to post where so the city stays covered."""

    eta: EtaProvider
    coverage: CoverageModel

    async def suggest(self, deps: Deps) -> list[dict[str, Any]]:
        async with deps.new_uow() as uow:
            units = await uow.units.list()
            incidents = await uow.incidents.list(open_only=True)
            stations = await uow.list_stations()
        if not stations:
            return []
        priority_of = {i.id: i.priority for i in incidents}
        states = [_state(u, priority_of) for u in units]
        planner = MoveUp(self.coverage, [Station(s.id, s.name, s.location) for s in stations])
        moves = await asyncio.to_thread(planner.suggest, states, self.eta, deps.clock.now())
        return [
            {
                "unit_id": m.unit_id,
                "station_id": m.station_id,
                "travel_s": round(m.travel_s, 1),
                "explanation": m.explanation,
            }
            for m in moves
        ]


async def auto_dispatch(incident_id: int, advisor: Advisor, deps: Deps) -> bool:
    """Assign the optimiser's unit to a new call of a priority configured for auto-dispatch.

    Any failure (no unit, a race with a dispatcher) leaves the call pending for a person: the
    dispatcher stays in control. Returns whether a unit was sent.
    """
    try:
        plan = await advisor.advise(deps)
        choice = next((d for d in plan if d["incident_id"] == incident_id), None)
        if choice is None or choice["divert_from"] is not None:
            return False
        await assign_unit(
            AssignUnit(actor="auto-dispatch", incident_id=incident_id, unit_id=choice["unit_id"]),
            deps,
        )
        return True
    except DomainError as exc:
        log.info("auto-dispatch left %s to the dispatcher: %s", incident_id, exc.detail)
        return False
