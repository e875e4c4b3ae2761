"""How far a dispatcher may trust a unit's position, and how that bends the ranking.

A unit's position is the last GPS fix it reported. Crews report every few seconds; a unit
silent for longer than ``stale_after_s`` (a tunnel, a dead phone, a crew that forgot to log in)
is *stale*: it may be where the fix says, or kilometres away.

The ranking rule is deliberately plain (:func:`rank`): every unit is ranked by its road ETA
from its last known position, and a stale unit's ETA counts ``margin_s`` seconds longer. So a
stale unit is never placed above a fresh unit unless it is more than ``margin_s`` faster, and
never silently: each answer carries the fix's age so the dispatcher sees why and can radio the
crew. Stale units are not dropped, because the unit with a stale fix is often still the nearest
one (a crew parked in a garage), and a ranked list that hides it would be worse advice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StaleRule:
    """``stale_after_s``: silence after which a fix is stale; ``margin_s``: the ETA handicap of a
    stale unit against fresh ones when ranking."""

    stale_after_s: float
    margin_s: float

    def __post_init__(self) -> None:
        if self.stale_after_s <= 0 or self.margin_s < 0:
            raise ValueError("stale_after_s must be > 0 and margin_s >= 0")

    def is_stale(self, age_s: float | None) -> bool:
        """No fix at all is stale; otherwise stale once older than ``stale_after_s``."""
        return age_s is None or age_s > self.stale_after_s

    def rank_eta_s(self, eta_s: float, stale: bool) -> float:
        """The ETA used for ordering only (the dispatcher always sees the real ETA)."""
        return eta_s + self.margin_s if stale else eta_s


def position_age_s(position_at: datetime | None, now: datetime) -> float | None:
    """Seconds since the fix (never negative: a phone's clock may run ahead); None: no fix."""
    if position_at is None:
        return None
    return max(0.0, (now - position_at).total_seconds())


def rank(
    items: Iterable[T],
    rule: StaleRule,
    *,
    eta_s: Callable[[T], float],
    stale: Callable[[T], bool],
) -> list[T]:
    """``items`` in dispatch order: by ETA with stale units handicapped by ``rule.margin_s``;
    on a tie a fresh unit comes first, then the input order (stable)."""
    return sorted(items, key=lambda x: (rule.rank_eta_s(eta_s(x), stale(x)), stale(x)))
