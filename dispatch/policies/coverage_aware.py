"""Coverage-aware dispatch: do not strip a zone of its last nearby unit for a call that can
afford a slightly longer drive.

Calls are served in queue order; each gets the unit minimising :func:`cost_matrix` (road time,
lateness against the protocol target, and the MEXCLP coverage lost when the unit leaves). The
coverage state is updated after each pick, so two calls do not both lean on one zone's reserve.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from dispatch.policies.base import (
    Decision,
    EtaProvider,
    PendingCall,
    UnitState,
    eta_matrix,
    queue_order,
)
from dispatch.policies.closest import _busy
from dispatch.policies.costs import CostParams, cost_matrix
from dispatch.policies.coverage import CoverageModel
from dispatch.policies.explain import argmin_finite, explain


class CoverageAware:
    name = "coverage"

    def __init__(self, coverage: CoverageModel, params: CostParams | None = None) -> None:
        self.coverage = coverage
        self.params = params or CostParams()

    def choose(
        self,
        pending: Sequence[PendingCall],
        units: Sequence[UnitState],
        eta: EtaProvider,
        now: datetime,
    ) -> list[Decision]:
        calls = queue_order(pending)
        free = [u for u in units if u.available]
        if not calls or not free:
            return []
        times = eta_matrix(calls, free, eta)
        cover = self.coverage.cover([u.position for u in free])  # type: ignore[misc]
        q = None
        out: list[Decision] = []
        for i, call in enumerate(calls):
            if not np.isfinite(times[i]).any():
                continue
            base = self.coverage.state(free, cover, q=q)
            q = (base.q_all, base.q_als)  # the busy fraction of this moment, for every pick
            losses = self.coverage.losses(free, cover, base)
            cost = cost_matrix([call], free, times[i : i + 1], now, self.params, losses=losses)[0]
            j = argmin_finite(cost)
            k = argmin_finite(times[i])
            if j is None or k is None:
                continue
            eta_s = float(times[i, j])
            reason = (
                "closest available unit"
                if j == k
                else "keeps coverage: the closest unit's departure would leave its zone thin"
            )
            out.append(
                Decision(
                    call.incident_id,
                    free[j].unit_id,
                    eta_s,
                    self.name,
                    explanation=explain(
                        unit=free[j],
                        eta_s=eta_s,
                        closest=free[k],
                        closest_eta_s=float(times[i, k]),
                        coverage=self.coverage,
                        units=free,
                        cover=cover,
                        base=base,
                        index=j,
                        closest_index=k,
                        reason=reason,
                        coverage_loss=round(float(losses[j]), 4),
                    ),
                )
            )
            times[:, j] = np.inf
            free[j] = _busy(free[j])
        return out
