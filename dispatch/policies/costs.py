"""Cost of sending a unit to a call, shared by the coverage-aware and the joint policies.

``cost[i, u] = w[p] * (eta + late_weight * lateness) + coverage_s[p] * 100 * loss[u]``

where a unit with a stale GPS fix has its ``eta`` counted ``stale_margin_s`` longer
(:data:`~dispatch.policies.base.STALE_MARGIN_S`; see ``dispatch.domain.freshness``).

- ``w[p]``: how much a second of priority ``p`` counts (priority 1 most);
- ``lateness``: seconds by which the unit would miss the protocol's response target, given how
  long the call has waited and the expected turnout (chute) time;
- ``loss[u]``: expected coverage (0..1, MEXCLP) lost when ``u`` leaves; ``coverage_s[p]`` is
  the response-time seconds a priority-``p`` call gives up to keep one point (1 %) of coverage.
  Priority 1 is 0 by default: a critical call always gets the fastest unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from dispatch.domain.triage import load_protocol
from dispatch.policies.base import F64, STALE_MARGIN_S, PendingCall, UnitState, ranking_times
from dispatch.policies.coverage import Bools, CoverageModel, CoverageState


def _targets() -> dict[int, float]:
    protocol = load_protocol()
    return {p: float(protocol.target(p).seconds) for p in (1, 2, 3, 4)}


@dataclass(frozen=True)
class CostParams:
    priority_weight: Mapping[int, float] = field(
        default_factory=lambda: {1: 8.0, 2: 3.0, 3: 1.5, 4: 1.0}
    )
    coverage_s: Mapping[int, float] = field(
        default_factory=lambda: {1: 0.0, 2: 30.0, 3: 90.0, 4: 180.0}
    )
    late_weight: float = 2.0
    turnout_s: float = 60.0
    targets_s: Mapping[int, float] = field(default_factory=_targets)
    stale_margin_s: float = STALE_MARGIN_S

    def weight(self, priority: int) -> float:
        return float(self.priority_weight.get(priority, 1.0))


def cost_matrix(
    calls: Sequence[PendingCall],
    units: Sequence[UnitState],
    times: F64,
    now: datetime,
    params: CostParams,
    *,
    losses: F64 | None = None,
) -> F64:
    """``[call, unit]`` costs; ``inf`` where ``times`` is (ineligible or unreachable)."""
    if not len(calls) or not len(units):
        return np.full((len(calls), len(units)), np.inf)
    w = np.array([params.weight(c.priority) for c in calls])[:, None]
    waited = np.array([c.waited_s(now) for c in calls])[:, None]
    target = np.array([params.targets_s.get(c.priority, 3600.0) for c in calls])[:, None]
    times = ranking_times(times, units, params.stale_margin_s)
    with np.errstate(invalid="ignore"):
        late = np.maximum(0.0, waited + params.turnout_s + times - target)
        cost = w * (times + params.late_weight * late)
    if losses is not None:
        lam = np.array([params.coverage_s.get(c.priority, 0.0) for c in calls])[:, None]
        cost = cost + lam * 100.0 * losses[None, :]
    out: F64 = np.where(np.isfinite(times), cost, np.inf)
    return out


def coverage_terms(
    coverage: CoverageModel | None, units: Sequence[UnitState]
) -> tuple[Bools | None, CoverageState | None, F64 | None]:
    """Cover rows, current state and per-unit losses (all None without a model)."""
    if coverage is None or not units:
        return None, None, None
    positions = [u.position for u in units]
    cover = np.zeros((len(units), len(coverage.zones)), dtype=bool)
    placed = [i for i, p in enumerate(positions) if p is not None]
    if placed:
        cover[placed] = coverage.cover([positions[i] for i in placed])  # type: ignore[misc]
    base = coverage.state(units, cover)
    return cover, base, coverage.losses(units, cover, base)
