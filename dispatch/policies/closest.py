"""Closest idle unit: the baseline, and the fallback of every optimising policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dispatch.policies.base import F64, Decision, EtaProvider, PendingCall, UnitState
from dispatch.policies.coverage import Bools, CoverageModel
from dispatch.policies.explain import argmin_finite
from dispatch.policies.greedy import Pick, serve_in_queue_order


class ClosestIdle:
    """Each pending call in queue order (priority, then age) gets the available capable unit
    with the shortest road time. With a coverage model, explanations report coverage too."""

    name = "closest-idle"

    def __init__(self, coverage: CoverageModel | None = None) -> None:
        self.coverage = coverage

    def choose(
        self,
        pending: Sequence[PendingCall],
        units: Sequence[UnitState],
        eta: EtaProvider,
        now: datetime,
    ) -> list[Decision]:
        def pick(
            i: int, call: PendingCall, times: F64, free: list[UnitState], cover: Bools | None
        ) -> Pick | None:
            j = argmin_finite(times[i])
            if j is None:
                return None
            base = None if self.coverage is None else self.coverage.state(free, cover)
            return Pick(j, j, "closest available unit", base)

        return serve_in_queue_order(self.name, pending, units, eta, pick, self.coverage)
