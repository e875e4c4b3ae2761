"""Expected coverage (MEXCLP, Daskin 1983) of demand zones by the available units.

Demand is aggregated into zones (points with weights summing to 1). A zone is *covered* by a
unit that can drive to it within ``threshold_s``. Units are busy (unable to answer) with
probability ``q`` independently, so a zone covered by ``n`` available units is answered in time
with probability ``1 - q**n``; expected coverage is ``sum_j d_j (1 - q**n_j)``. Two classes
are tracked: ALS units for priority-1 demand and all units for the rest; the value blends them.

``q`` is the current busy fraction of the class (clipped to ``[q_min, q_max]``) unless fixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from dispatch.domain.geo import Location
from dispatch.domain.model import Capability
from dispatch.policies.base import F64, UnitState

Bools = NDArray[np.bool_]


class ZoneTimes(Protocol):
    """Road seconds from positions to the zones: ``[position, zone]``, ``inf`` if impossible."""

    def to_zones(self, positions: Sequence[Location]) -> F64: ...


@dataclass(frozen=True, slots=True)
class CoverageState:
    """Coverage counts per zone and the blended expected-coverage value (0..1)."""

    n_all: NDArray[np.int64]
    n_als: NDArray[np.int64]
    q_all: float
    q_als: float
    value: float
    als: float
    all: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 4),
            "als": round(self.als, 4),
            "all": round(self.all, 4),
            "zones_uncovered": int((self.n_all == 0).sum()),
            "zones_without_als": int((self.n_als == 0).sum()),
        }


@dataclass
class CoverageModel:
    """Zones, their demand weights and how units cover them."""

    zones: list[Location]
    weights: F64
    times: ZoneTimes
    threshold_s: float = 600.0
    als_weight: float = 1.0
    all_weight: float = 0.5
    busy_fraction: float | None = None
    q_min: float = 0.05
    q_max: float = 0.9
    names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=np.float64)
        if len(w) != len(self.zones) or not len(w) or (w < 0).any() or w.sum() <= 0:
            raise ValueError("one non-negative weight per zone, not all zero")
        self.weights = w / w.sum()
        if not self.names:
            self.names = [f"zone {i} [{z.lon:.4f}, {z.lat:.4f}]" for i, z in enumerate(self.zones)]

    # -- building blocks ---------------------------------------------------------

    def cover(self, positions: Sequence[Location]) -> Bools:
        """``[position, zone]``: True where the position reaches the zone within threshold."""
        if not positions:
            return np.zeros((0, len(self.zones)), dtype=bool)
        covered: Bools = self.times.to_zones(positions) <= self.threshold_s
        return covered

    def _q(self, units: Sequence[UnitState], als: bool) -> float:
        if self.busy_fraction is not None:
            return float(np.clip(self.busy_fraction, self.q_min, self.q_max))
        pool = [u for u in units if not als or u.capability is Capability.ALS]
        if not pool:
            return self.q_max
        busy = sum(1 for u in pool if not u.available) / len(pool)
        return float(np.clip(busy, self.q_min, self.q_max))

    def _value(
        self, n_all: NDArray[np.int64], n_als: NDArray[np.int64], q_all: float, q_als: float
    ) -> tuple[float, float, float]:
        e_all = float(self.weights @ (1.0 - q_all ** n_all.astype(np.float64)))
        e_als = float(self.weights @ (1.0 - q_als ** n_als.astype(np.float64)))
        total = self.als_weight + self.all_weight
        value = (self.als_weight * e_als + self.all_weight * e_all) / total
        return value, e_als, e_all

    # -- what policies ask -------------------------------------------------------

    def state(
        self,
        units: Sequence[UnitState],
        cover: Bools | None = None,
        *,
        q: tuple[float, float] | None = None,
    ) -> CoverageState:
        """Coverage by the *available* units of ``units`` (``cover`` rows align with them)."""
        avail = [i for i, u in enumerate(units) if u.available]
        if cover is None:
            cover = self.cover([units[i].position for i in avail])  # type: ignore[misc]
            rows = cover
        else:
            rows = cover[avail]
        is_als = np.array([units[i].capability is Capability.ALS for i in avail], dtype=bool)
        n_all = rows.sum(axis=0).astype(np.int64)
        n_als = rows[is_als].sum(axis=0).astype(np.int64) if len(avail) else n_all * 0
        q_all, q_als = q if q is not None else (self._q(units, False), self._q(units, True))
        value, e_als, e_all = self._value(n_all, n_als, q_all, q_als)
        return CoverageState(n_all, n_als, q_all, q_als, value, e_als, e_all)

    def losses(self, units: Sequence[UnitState], cover: Bools, base: CoverageState) -> F64:
        """Expected coverage lost if each unit left (0 for units not available)."""
        is_als = np.array([u.capability is Capability.ALS for u in units], dtype=bool)
        avail = np.array([u.available for u in units], dtype=bool)
        total = self.als_weight + self.all_weight
        # Removing one covering unit from a zone with n covers costs d (1 - q) q^(n-1).
        drop_all = self.weights * (1 - base.q_all) * base.q_all ** np.maximum(base.n_all - 1, 0)
        drop_als = self.weights * (1 - base.q_als) * base.q_als ** np.maximum(base.n_als - 1, 0)
        c = cover.astype(np.float64)
        loss = self.all_weight * (c @ drop_all) + self.als_weight * (c @ drop_als) * is_als
        out: F64 = np.where(avail, loss / total, 0.0)
        return out

    def zone_at_risk(self, unit: UnitState, cover_row: Bools, base: CoverageState) -> int | None:
        """The zone that loses most if ``unit`` leaves (None if it covers nothing)."""
        if not cover_row.any():
            return None
        n = base.n_als if unit.capability is Capability.ALS else base.n_all
        q = base.q_als if unit.capability is Capability.ALS else base.q_all
        drop = np.where(cover_row, self.weights * (1 - q) * q ** np.maximum(n - 1, 0), -1.0)
        return int(np.argmax(drop))

    def zone_info(self, zone: int | None, base: CoverageState) -> dict[str, Any] | None:
        if zone is None:
            return None
        z = self.zones[zone]
        return {
            "zone": zone,
            "name": self.names[zone],
            "location": [round(z.lon, 6), round(z.lat, 6)],
            "demand_share": round(float(self.weights[zone]), 4),
            "covering_units": int(base.n_all[zone]),
            "covering_als": int(base.n_als[zone]),
        }
