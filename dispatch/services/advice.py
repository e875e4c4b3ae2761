"""Live optimiser advice for the dispatcher: the plan for every pending call, next to the
closest unit, with a one-line reason each. Advice only: the dispatcher assigns.

The policy is a setting (``GOLDENHOUR_ADVICE_POLICY``, :mod:`dispatch.policies.live`; by default
joint assignment that keeps districts covered). Units whose GPS fix is stale are ranked by their
last known position with the rule of :mod:`dispatch.domain.freshness`, and each suggestion
carries the fix's age.

The solver runs in a worker thread under a guard: when it fails or takes longer than its limit
(1 s by default) the answer falls back to closest-idle, so advice never holds up a dispatcher.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dispatch.domain.commands import AssignUnit
from dispatch.domain.errors import DomainError
from dispatch.domain.freshness import StaleRule, position_age_s
from dispatch.domain.model import Incident, IncidentStatus, Unit
from dispatch.policies.base import Decision, EtaProvider, PendingCall, Policy, Station, UnitState
from dispatch.policies.closest import ClosestIdle
from dispatch.policies.coverage import CoverageModel
from dispatch.policies.explain import one_line
from dispatch.policies.guard import Guard
from dispatch.policies.joint import JointAssignment
from dispatch.policies.live import LivePolicyName, live_policy
from dispatch.policies.moveup import MoveUp
from dispatch.services.handlers import Deps, assign_unit

log = logging.getLogger("goldenhour.advice")


@dataclass
class Advisor:
    """Holds the road-time cache and the solver between requests (built once at start-up).

    ``stale`` (None: every fix counts as fresh) marks the units whose GPS fix is too old.
    """

    eta: EtaProvider
    timeout_s: float = 1.0
    policy: Policy = field(default_factory=JointAssignment)
    fallback: ClosestIdle = field(default_factory=ClosestIdle)
    stale: StaleRule | None = None
    guard: Guard = field(init=False)

    def __post_init__(self) -> None:
        self.guard = Guard(self.timeout_s)

    @classmethod
    def configured(
        cls,
        eta: EtaProvider,
        coverage: CoverageModel | None,
        name: LivePolicyName,
        stale: StaleRule,
    ) -> Advisor:
        """The advisor of the settings: policy ``name``, stale units handicapped by ``stale``."""
        policy = live_policy(name, coverage, stale_margin_s=stale.margin_s)
        fallback = ClosestIdle(coverage, stale_margin_s=stale.margin_s)
        return cls(eta, policy=policy, fallback=fallback, stale=stale)

    async def advise(self, deps: Deps) -> list[dict[str, Any]]:
        async with deps.new_uow() as uow:
            incidents = await uow.incidents.list(open_only=True)
            units = await uow.units.list()
        now = deps.clock.now()
        pending = [_pending(i) for i in incidents if i.status is IncidentStatus.PENDING]
        if not pending:
            return []
        priority_of = {i.id: i.priority for i in incidents}
        states = [_state(u, priority_of, now, self.stale) for u in units]
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


def _state(
    unit: Unit, priority_of: dict[int, int], now: datetime, stale: StaleRule | None
) -> UnitState:
    age = position_age_s(unit.position_at, now)
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
        position_age_s=age,
        stale=stale is not None and stale.is_stale(age),
    )


def _view(decision: Decision, closest: Decision | None) -> dict[str, Any]:
    code, reason = one_line(decision.explanation, decision.divert_from)
    return {
        "incident_id": decision.incident_id,
        "unit_id": decision.unit_id,
        "eta_s": round(decision.eta_s, 1),
        "policy": decision.policy,
        "divert_from": decision.divert_from,
        "explanation": {**decision.explanation, "reason_code": code},
        "reason": reason,
        "position_age_s": decision.explanation.get("position_age_s"),
        "stale": bool(decision.explanation.get("stale", False)),
        "closest": None
        if closest is None
        else {"unit_id": closest.unit_id, "eta_s": round(closest.eta_s, 1)},
    }


@dataclass
class MoveUpAdvisor:
    """Move-up suggestions: which free unit to post where so the city stays covered."""

    eta: EtaProvider
    coverage: CoverageModel
    stale: StaleRule | None = None

    async def suggest(self, deps: Deps) -> list[dict[str, Any]]:
        async with deps.new_uow() as uow:
            units = await uow.units.list()
            incidents = await uow.incidents.list(open_only=True)
            stations = await uow.list_stations()
        if not stations:
            return []
        priority_of = {i.id: i.priority for i in incidents}
        now = deps.clock.now()
        states = [_state(u, priority_of, now, self.stale) for u in units]
        planner = MoveUp(self.coverage, [Station(s.id, s.name, s.location) for s in stations])
        moves = await asyncio.to_thread(planner.suggest, states, self.eta, now)
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
