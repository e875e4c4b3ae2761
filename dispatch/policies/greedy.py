"""Serve pending calls one at a time, in queue order: the loop shared by the greedy policies.

Closest-idle and coverage-aware dispatch differ only in which unit a call gets; both walk the
queue (priority, then age), give each call one unit, explain the choice against the closest
unit, and take the chosen unit out of the running before the next call. That walk lives here
once; each policy supplies its :data:`Picker`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dispatch.domain.model import UnitStatus
from dispatch.policies.base import (
    F64,
    Decision,
    EtaProvider,
    PendingCall,
    UnitState,
    eta_matrix,
    queue_order,
)
from dispatch.policies.coverage import Bools, CoverageModel, CoverageState
from dispatch.policies.explain import explain


@dataclass(frozen=True, slots=True)
class Pick:
    """The unit chosen for one call (indices into the free units) and why."""

    unit: int
    closest: int
    reason: str
    base: CoverageState | None = None  # coverage before the pick, for the explanation
    extra: dict[str, Any] | None = None


#: ``pick(row, call, times, free, cover)`` -> the unit for ``call`` (``times[row]`` are the road
#: times of the free units to it), or None when no unit can reach it.
Picker = Callable[[int, PendingCall, F64, list[UnitState], Bools | None], Pick | None]


def serve_in_queue_order(
    name: str,
    pending: Sequence[PendingCall],
    units: Sequence[UnitState],
    eta: EtaProvider,
    pick: Picker,
    coverage: CoverageModel | None = None,
) -> list[Decision]:
    calls = queue_order(pending)
    free = [u for u in units if u.available]
    if not calls or not free:
        return []
    times = eta_matrix(calls, free, eta)
    cover = None if coverage is None else coverage.cover([u.position for u in free])  # type: ignore[misc]
    out: list[Decision] = []
    for i, call in enumerate(calls):
        chosen = pick(i, call, times, free, cover)
        if chosen is None:
            continue
        j, k = chosen.unit, chosen.closest
        eta_s = float(times[i, j])
        out.append(
            Decision(
                call.incident_id,
                free[j].unit_id,
                eta_s,
                name,
                explanation=explain(
                    unit=free[j],
                    eta_s=eta_s,
                    closest=free[k],
                    closest_eta_s=float(times[i, k]),
                    coverage=coverage,
                    units=free,
                    cover=cover,
                    base=chosen.base,
                    index=j,
                    closest_index=k,
                    reason=chosen.reason,
                    **(chosen.extra or {}),
                ),
            )
        )
        times[:, j] = np.inf
        free[j] = replace(free[j], status=UnitStatus.DISPATCHED)
    return out
