"""Closest idle unit: the baseline, and the fallback of every optimising policy."""

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
from dispatch.policies.coverage import CoverageModel
from dispatch.policies.explain import argmin_finite, explain


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
        calls = queue_order(pending)
        free = [u for u in units if u.available]
        if not calls or not free:
            return []
        times = eta_matrix(calls, free, eta)
        cover = base = None
        if self.coverage is not None:
            cover = self.coverage.cover([u.position for u in free])  # type: ignore[misc]
        out: list[Decision] = []
        for i, call in enumerate(calls):
            j = argmin_finite(times[i])
            if j is None:
                continue
            if self.coverage is not None:
                base = self.coverage.state(free, cover)
            eta_s = float(times[i, j])
            out.append(
                Decision(
                    call.incident_id,
                    free[j].unit_id,
                    eta_s,
                    self.name,
                    explanation=explain(
                        unit=free[j],
                        eta_s=eta_s,
                        closest=free[j],
                        closest_eta_s=eta_s,
                        coverage=self.coverage,
                        units=free,
                        cover=cover,
                        base=base,
                        index=j,
                        closest_index=j,
                        reason="closest available unit",
                    ),
                )
            )
            times[:, j] = np.inf
            free[j] = _busy(free[j])
        return out


def _busy(unit: UnitState) -> UnitState:
    from dataclasses import replace

    from dispatch.domain.model import UnitStatus

    return replace(unit, status=UnitStatus.DISPATCHED)
