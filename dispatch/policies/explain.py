"""Explanations attached to decisions: what the dispatcher sees next to the closest unit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dispatch.policies.base import F64, UnitState
from dispatch.policies.coverage import Bools, CoverageModel, CoverageState


def explain(
    *,
    unit: UnitState,
    eta_s: float,
    closest: UnitState | None,
    closest_eta_s: float,
    coverage: CoverageModel | None = None,
    units: Sequence[UnitState] = (),
    cover: Bools | None = None,
    base: CoverageState | None = None,
    index: int | None = None,
    closest_index: int | None = None,
    reason: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """ETA, the closest alternative, coverage before/after and the zone protected."""
    out: dict[str, Any] = {
        "eta_s": round(float(eta_s), 1),
        "unit": unit.call_sign,
        "closest_unit": None if closest is None else closest.call_sign,
        "closest_eta_s": None if not np.isfinite(closest_eta_s) else round(closest_eta_s, 1),
        "extra_eta_s": (
            None if not np.isfinite(closest_eta_s) else round(float(eta_s - closest_eta_s), 1)
        ),
        "reason": reason,
    }
    if coverage is not None and cover is not None and base is not None and index is not None:
        after = coverage.state(_without(units, index), cover, q=(base.q_all, base.q_als))
        out["coverage_before"] = round(base.value, 4)
        out["coverage_after"] = round(after.value, 4)
        if closest_index is not None and closest_index != index and closest is not None:
            alt = coverage.state(_without(units, closest_index), cover, q=(base.q_all, base.q_als))
            out["coverage_after_closest"] = round(alt.value, 4)
            zone = coverage.zone_at_risk(closest, cover[closest_index], base)
            out["zone_protected"] = coverage.zone_info(zone, base)
        else:
            out["zone_protected"] = None
    out.update(extra)
    return out


def _without(units: Sequence[UnitState], index: int) -> list[UnitState]:
    """The units with ``index`` marked busy (cover rows stay aligned)."""
    from dataclasses import replace

    from dispatch.domain.model import UnitStatus

    out = list(units)
    out[index] = replace(out[index], status=UnitStatus.DISPATCHED)
    return out


def argmin_finite(row: F64) -> int | None:
    if not len(row):
        return None
    j = int(np.argmin(row))
    return j if np.isfinite(row[j]) else None
