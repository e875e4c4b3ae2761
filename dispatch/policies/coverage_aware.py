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

from dispatch.policies.base import F64, Decision, EtaProvider, PendingCall, UnitState
from dispatch.policies.costs import CostParams, cost_matrix
from dispatch.policies.coverage import Bools, CoverageModel
from dispatch.policies.explain import argmin_finite
from dispatch.policies.greedy import Pick, serve_in_queue_order


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
        q: tuple[float, float] | None = None  # the busy fraction of this moment, for every pick

        def pick(
            i: int, call: PendingCall, times: F64, free: list[UnitState], cover: Bools | None
        ) -> Pick | None:
            nonlocal q
            if not np.isfinite(times[i]).any():
                return None
            assert cover is not None
            base = self.coverage.state(free, cover, q=q)
            q = (base.q_all, base.q_als)
            losses = self.coverage.losses(free, cover, base)
            cost = cost_matrix([call], free, times[i : i + 1], now, self.params, losses=losses)[0]
            j = argmin_finite(cost)
            k = argmin_finite(times[i])
            if j is None or k is None:
                return None
            reason = (
                "closest available unit"
                if j == k
                else "keeps coverage: the closest unit's departure would leave its zone thin"
            )
            return Pick(j, k, reason, base, {"coverage_loss": round(float(losses[j]), 4)})

        return serve_in_queue_order(self.name, pending, units, eta, pick, self.coverage)
