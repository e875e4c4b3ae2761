"""Closest idle unit: the baseline, and the fallback of every optimising policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dispatch.policies.base import (
    F64,
    STALE_MARGIN_S,
    Decision,
    EtaProvider,
    PendingCall,
    UnitState,
    ranking_times,
)
from dispatch.policies.coverage import Bools, CoverageModel
from dispatch.policies.explain import argmin_finite
from dispatch.policies.greedy import Pick, serve_in_queue_order


class ClosestIdle:
    """Each pending call in queue order (priority, then age) gets the available capable unit
    with the shortest road time, a unit with a stale GPS fix counting ``stale_margin_s`` longer.
    With a coverage model, explanations report coverage too."""

    name = "closest-idle"

    def __init__(
        self, coverage: CoverageModel | None = None, stale_margin_s: float = STALE_MARGIN_S
    ) -> None:
        self.coverage = coverage
        self.stale_margin_s = stale_margin_s

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
            j = argmin_finite(ranking_times(times[i : i + 1], free, self.stale_margin_s)[0])
            k = argmin_finite(times[i])
            if j is None or k is None:
                return None
            base = None if self.coverage is None else self.coverage.state(free, cover)
            reason = "closest available unit" if j == k else "closest unit with a fresh GPS fix"
            return Pick(j, k, reason, base)

        return serve_in_queue_order(self.name, pending, units, eta, pick, self.coverage)
