"""Explanations attached to decisions: what the dispatcher sees next to the closest unit, and
the one line (:func:`one_line`) that says why in words."""

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
        "position_age_s": _age(unit.position_age_s),
        "stale": unit.stale,
        "closest_stale": None if closest is None else closest.stale,
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


def _age(age_s: float | None) -> float | None:
    return None if age_s is None else round(float(age_s), 1)


#: What :func:`one_line` may answer (the console translates the code; the text is English).
REASON_CODES = ("fallback", "divert", "stale", "fresh", "nearest", "covered", "joint")


def one_line(explanation: dict[str, Any], divert_from: int | None) -> tuple[str, str]:
    """``(code, text)``: why this unit, in one line, first matching rule wins.

    1. ``fallback``: the solver failed or ran late; the closest unit by road.
    2. ``divert``: pulled off a less urgent call because it arrives much sooner.
    3. ``stale``: the unit's GPS fix is stale; it is ranked by its last known position.
    4. ``fresh``: the closest unit's fix is stale, so the nearest unit with a fresh fix.
    5. ``nearest``: the nearest unit by road.
    6. ``covered``: the nearest unit stays, to keep its district covered (names the zone).
    7. ``joint``: the nearest unit is better used on another pending call.
    """
    if explanation.get("fallback"):
        return "fallback", "nearest by road (the optimiser fell back to closest-idle)"
    if divert_from is not None:
        return "divert", f"diverted from a less urgent call (incident {divert_from}): much sooner"
    if explanation.get("stale"):
        age = explanation.get("position_age_s")
        told = "never reported" if age is None else f"{round(age)} s old"
        return "stale", f"nearest by last known position; GPS fix {told}"
    same = explanation.get("closest_unit") in (None, explanation.get("unit"))
    if same:
        return "nearest", "nearest by road"
    if explanation.get("closest_stale"):
        closest = explanation["closest_unit"]
        return "fresh", f"nearest unit with a fresh GPS fix ({closest} is stale)"
    zone = explanation.get("zone_protected")
    if isinstance(zone, dict) and zone.get("name"):
        return "covered", f"keeps {zone['name']} covered"
    return "joint", "the nearest unit is better used on another pending call"


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
