"""China's 120 quality indicators over a review period, computed from raw intervals.

Why a pure module: the definitions are the point (which calls count, which are left out and
how many), so they live here, tested with known answers, and the store only fetches the raw
intervals. Definitions and sources: ``docs/indicators.md``.

- **Answered within 10 s** (120呼救电话10秒内接听比例): phone ring -> answered, per call that
  has a phone record; calls entered without one are excluded and counted.
- **Departure within 3 min** (3分钟出车率): unit notified (eTimes.03) -> en route (eTimes.05),
  per dispatch order; orders that never departed are excluded and counted.
- **Response time** (急救反应时间): PSAP call (eTimes.01) -> first unit on scene (eTimes.06),
  per incident reached; mean and 90th percentile.
- **Calls per ambulance** (平均每车出车次数 in the sense used here): incidents each unit was sent
  to in the period, and the mean over the whole fleet (idle units count as 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: The national targets for 2025 of 国卫医发〔2020〕19号 (docs/indicators.md).
ANSWER_LIMIT_S = 10.0
DEPARTURE_LIMIT_S = 180.0
ANSWER_TARGET_SHARE = 0.95
DEPARTURE_TARGET_SHARE = 0.95


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's ``percentile_cont`` (the
    review's other KPIs), so one page never mixes two definitions of P90."""
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class WithinLimit:
    """How many of the counted intervals are within ``limit_s``; the rest were left out."""

    limit_s: float
    target_share: float
    counted: int
    within: int
    excluded: int

    @property
    def share(self) -> float | None:
        return None if self.counted == 0 else self.within / self.counted

    def as_dict(self) -> dict[str, Any]:
        share = self.share
        return {
            "limit_s": self.limit_s,
            "target_share": self.target_share,
            "counted": self.counted,
            "within": self.within,
            "excluded": self.excluded,
            "share": None if share is None else round(share, 4),
        }


def within_limit(
    intervals: Sequence[float | None], limit_s: float, target_share: float
) -> WithinLimit:
    """``None`` intervals (no phone record; never departed) are excluded and counted apart.
    A negative interval is a clock error, not a fast answer: it is excluded too."""
    counted = [v for v in intervals if v is not None and v >= 0]
    return WithinLimit(
        limit_s=limit_s,
        target_share=target_share,
        counted=len(counted),
        within=sum(1 for v in counted if v <= limit_s),
        excluded=len(intervals) - len(counted),
    )


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    incidents: int
    reached: int
    mean_s: float | None
    p90_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "incidents": self.incidents,
            "reached": self.reached,
            "mean_s": None if self.mean_s is None else round(self.mean_s, 1),
            "p90_s": None if self.p90_s is None else round(self.p90_s, 1),
        }


def response_times(responses: Sequence[float | None]) -> ResponseTimes:
    """Per incident: call -> first unit on scene; ``None`` when no unit reached it."""
    reached = [v for v in responses if v is not None and v >= 0]
    return ResponseTimes(
        incidents=len(responses),
        reached=len(reached),
        mean_s=sum(reached) / len(reached) if reached else None,
        p90_s=percentile(reached, 0.9),
    )


@dataclass(frozen=True, slots=True)
class CallsPerUnit:
    per_unit: Mapping[str, int]

    @property
    def fleet(self) -> int:
        return len(self.per_unit)

    @property
    def mean(self) -> float | None:
        return None if not self.per_unit else sum(self.per_unit.values()) / len(self.per_unit)

    def as_dict(self) -> dict[str, Any]:
        mean = self.mean
        return {
            "fleet": self.fleet,
            "total": sum(self.per_unit.values()),
            "mean": None if mean is None else round(mean, 2),
            "units": [
                {"call_sign": sign, "calls": n}
                for sign, n in sorted(self.per_unit.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        }


def calls_per_unit(fleet: Sequence[str], sent: Sequence[tuple[str, int]]) -> CallsPerUnit:
    """``fleet``: every unit's call sign; ``sent``: (call sign, incident id) per dispatch order.
    A unit sent twice to one incident answered one call; a unit not in the fleet still counts."""
    incidents: dict[str, set[int]] = {sign: set() for sign in fleet}
    for sign, incident in sent:
        incidents.setdefault(sign, set()).add(incident)
    return CallsPerUnit({sign: len(ids) for sign, ids in incidents.items()})


@dataclass(frozen=True, slots=True)
class IndicatorSamples:
    """The raw intervals of a period, in seconds (``None``: see each indicator)."""

    answer_delays: Sequence[float | None]
    departure_delays: Sequence[float | None]
    responses: Sequence[float | None]
    fleet: Sequence[str]
    sent: Sequence[tuple[str, int]]


def compute(samples: IndicatorSamples) -> dict[str, Any]:
    """The four indicators, JSON-ready (the API's ``Indicators``)."""
    return {
        "answered_10s": within_limit(
            samples.answer_delays, ANSWER_LIMIT_S, ANSWER_TARGET_SHARE
        ).as_dict(),
        "departure_3min": within_limit(
            samples.departure_delays, DEPARTURE_LIMIT_S, DEPARTURE_TARGET_SHARE
        ).as_dict(),
        "response": response_times(samples.responses).as_dict(),
        "calls_per_unit": calls_per_unit(samples.fleet, samples.sent).as_dict(),
    }
