"""Choose a policy per priority: e.g. joint assignment for priority 1, coverage-aware for 2-4.

Groups are served most urgent first; each group's policy sees only the units still free after
the groups before it (and may divert units only from calls less urgent than its own).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from dispatch.domain.model import UnitStatus
from dispatch.policies.base import Decision, EtaProvider, PendingCall, Policy, UnitState


class PerPriority:
    def __init__(self, by_priority: Mapping[int, Policy], default: Policy) -> None:
        self.by_priority = dict(by_priority)
        self.default = default
        names = {p: pol.name for p, pol in sorted(self.by_priority.items())}
        self.name = "per-priority(" + ",".join(f"{p}:{n}" for p, n in names.items()) + ")"

    def policy_for(self, priority: int) -> Policy:
        return self.by_priority.get(priority, self.default)

    def choose(
        self,
        pending: Sequence[PendingCall],
        units: Sequence[UnitState],
        eta: EtaProvider,
        now: datetime,
    ) -> list[Decision]:
        groups: dict[int, tuple[Policy, list[PendingCall]]] = {}
        for call in sorted(pending, key=lambda c: c.priority):
            policy = self.policy_for(call.priority)
            key = id(policy)
            if key not in groups:
                groups[key] = (policy, [])
            groups[key][1].append(call)
        state = {u.unit_id: u for u in units}
        out: list[Decision] = []
        for policy, calls in groups.values():
            decisions = policy.choose(calls, list(state.values()), eta, now)
            for d in decisions:
                state[d.unit_id] = replace(
                    state[d.unit_id], status=UnitStatus.DISPATCHED, incident_id=d.incident_id
                )
            out.extend(decisions)
        return out
