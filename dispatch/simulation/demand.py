"""Where and when calls happen: synthetic demand from the map, or a CSV of historical calls.

Synthetic demand
----------------
*Where*: a density map over the road network. Each street segment weighs its length times a
road-class factor (people live along residential streets, not motorways), times the local road
density to the power ``alpha - 1`` (dense street grids are dense neighbourhoods; ``alpha`` > 1
concentrates demand in town centres). Address points of the extract, where present, add
weight as buildings. Calls are placed at a uniformly random point of a segment drawn by weight.

*When*: a non-homogeneous Poisson process, ``calls_per_day`` times a 24-hour profile
(:data:`EMS_DAY`, mean 1: low at 04:00-05:00, a plateau from late morning to evening).

*What*: priorities drawn from ``priority_mix`` (default 15 % P1, 30 % P2, 35 % P3, 20 % P4).

Historical CSV
--------------
UTF-8, comma-separated, a header row. Our review export (``GET /review/incidents.csv``) is read
as it is, and any other CAD's export with a column mapping: see
:mod:`dispatch.simulation.history`. The simulator's own columns (others are ignored):

=================  =========  ======================================================
column             required   meaning
=================  =========  ======================================================
``received_at``    yes        PSAP call time, ISO 8601 (``2026-03-02T08:15:00Z``;
                              without an offset it is taken as UTC)
``lon``, ``lat``   yes        WGS84 call location
``priority``       yes        1 (critical) .. 4 (non-urgent)
``on_scene_at``    no         ISO 8601 time the first unit really arrived
``response_s``     no         the real response time in seconds (instead of the above)
=================  =========  ======================================================

The simulation starts at midnight UTC of the first call's day (minus the warm-up); the real
response times, when given, are reported next to the simulated ones as ``historical``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from dispatch.domain.geo import Location
from dispatch.policies.zones import DensityMap
from dispatch.simulation.history import ColumnMap, read_calls

F64 = NDArray[np.float64]

#: Relative EMS demand by hour of day (local time), mean 1.
_RAW_DAY = (
    0.75,
    0.65,
    0.58,
    0.52,
    0.48,
    0.48,
    0.55,
    0.70,
    0.90,
    1.10,
    1.20,
    1.25,
    1.25,
    1.22,
    1.20,
    1.18,
    1.18,
    1.17,
    1.15,
    1.10,
    1.05,
    0.98,
    0.90,
    0.82,
)
EMS_DAY: tuple[float, ...] = tuple(v * 24 / sum(_RAW_DAY) for v in _RAW_DAY)

DEFAULT_MIX: Mapping[int, float] = MappingProxyType({1: 0.15, 2: 0.30, 3: 0.35, 4: 0.20})


@dataclass(frozen=True, slots=True)
class CallSpec:
    """One call of a stream: ``t`` seconds after the simulation starts."""

    t: float
    location: Location
    priority: int
    real_response_s: float | None = None


@dataclass(frozen=True)
class SyntheticDemand:
    density: DensityMap
    calls_per_day: float
    profile: Sequence[float] = EMS_DAY
    priority_mix: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_MIX))

    def __post_init__(self) -> None:
        if len(self.profile) != 24 or min(self.profile) < 0:
            raise ValueError("the day profile has 24 non-negative hourly factors")
        if self.calls_per_day < 0:
            raise ValueError("calls_per_day must be >= 0")
        mix = self.priority_mix
        if set(mix) - {1, 2, 3, 4} or abs(sum(mix.values()) - 1) > 1e-6:
            raise ValueError("priority_mix maps priorities 1..4 to shares summing to 1")

    def rate(self, when: datetime) -> float:
        """Calls per second at wall time ``when`` (UTC hour of day)."""
        return self.calls_per_day / 86_400.0 * self.profile[when.hour]

    def generate(
        self, rng: np.random.Generator, start: datetime, duration_s: float
    ) -> list[CallSpec]:
        """Calls over ``[0, duration_s)`` seconds after ``start`` (thinning)."""
        from datetime import timedelta

        peak = self.calls_per_day / 86_400.0 * max(self.profile)
        if peak <= 0:
            return []
        times: list[float] = []
        t = 0.0
        while True:
            t += float(rng.exponential(1.0 / peak))
            if t >= duration_s:
                break
            if rng.random() * peak <= self.rate(start + timedelta(seconds=t)):
                times.append(t)
        places = self.density.sample(rng, len(times))
        levels = sorted(self.priority_mix)
        shares = np.array([self.priority_mix[p] for p in levels])
        prios = rng.choice(levels, size=len(times), p=shares / shares.sum())
        return [CallSpec(t, loc, int(p)) for t, loc, p in zip(times, places, prios, strict=True)]


def load_calls_csv(
    path: Path | str, *, warmup_s: float = 0.0, columns: ColumnMap | None = None
) -> tuple[datetime, list[CallSpec]]:
    """Read historical calls (the simulator's columns, the review export, or any CSV with a
    ``columns`` mapping: :mod:`dispatch.simulation.history`); returns the simulation start
    (midnight UTC of the first call's day, minus ``warmup_s``) and the calls, in time order.
    A file with any bad row raises :class:`~dispatch.simulation.history.ImportFailed`."""
    from datetime import timedelta

    calls = sorted(read_calls(path, columns), key=lambda c: c.received_at)
    first = calls[0].received_at
    start = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(seconds=warmup_s)
    return start, [
        CallSpec((c.received_at - start).total_seconds(), c.location, c.priority, c.real_response_s)
        for c in calls
    ]
