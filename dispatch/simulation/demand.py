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
UTF-8, comma-separated, a header row. Columns (others are ignored):

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

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from dispatch.domain.geo import Location

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

#: Demand weight per metre of road, by OSM highway class.
ROAD_CLASS_WEIGHT: Mapping[str, float] = MappingProxyType(
    {
        "residential": 1.0,
        "living_street": 1.0,
        "pedestrian": 0.8,
        "tertiary": 0.8,
        "unclassified": 0.6,
        "secondary": 0.6,
        "primary": 0.5,
        "road": 0.5,
        "service": 0.3,
        "trunk": 0.1,
        "motorway": 0.03,
    }
)
_LINK_WEIGHT = 0.03
_ADDRESS_WEIGHT_M = 30.0  # one address (building) weighs like 30 m of residential street


@dataclass(frozen=True, slots=True)
class CallSpec:
    """One call of a stream: ``t`` seconds after the simulation starts."""

    t: float
    location: Location
    priority: int
    real_response_s: float | None = None


@dataclass(frozen=True)
class DensityMap:
    """Weighted segments ``(x0, y0) -> (x1, y1)`` (a point is a segment of length 0)."""

    x0: F64
    y0: F64
    x1: F64
    y1: F64
    weight: F64

    def __post_init__(self) -> None:
        if not len(self.weight) or float(self.weight.sum()) <= 0:
            raise ValueError("a density map needs some positive weight")

    @classmethod
    def from_points(
        cls, points: Sequence[Location], weights: Sequence[float] | None = None
    ) -> DensityMap:
        x = np.array([p.lon for p in points], dtype=np.float64)
        y = np.array([p.lat for p in points], dtype=np.float64)
        w = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=np.float64)
        return cls(x, y, x, y, w)

    @classmethod
    def from_network(
        cls,
        network: object,
        *,
        alpha: float = 1.5,
        cell_m: float = 500.0,
        class_weight: Mapping[str, float] = ROAD_CLASS_WEIGHT,
    ) -> DensityMap:
        """Road (and address) density of a :class:`routing.RoadNetwork`."""
        g = network.graph  # type: ignore[attr-defined]
        edges = g.canonical_edges()
        s, t = g.edge_source[edges], g.edge_target[edges]
        x0, y0 = g.node_lon[s], g.node_lat[s]
        x1, y1 = g.node_lon[t], g.node_lat[t]
        length = g.edge_length_m[edges]
        highway = np.array([_class_weight(h, class_weight) for h in g.highways], dtype=np.float64)
        w = length * highway[g.edge_highway[edges]]
        entries = network.geocoder.entries  # type: ignore[attr-defined]
        addresses = [e for e in entries if e.get("kind") == "address"]
        ax = np.array([float(e["lon"]) for e in addresses], dtype=np.float64)
        ay = np.array([float(e["lat"]) for e in addresses], dtype=np.float64)
        x0, y0 = np.concatenate([x0, ax]), np.concatenate([y0, ay])
        x1, y1 = np.concatenate([x1, ax]), np.concatenate([y1, ay])
        w = np.concatenate([w, np.full(len(ax), _ADDRESS_WEIGHT_M)])
        if alpha != 1.0:
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            lat0 = math.radians(float(np.mean(my)))
            cx = np.floor(mx * 111_195 * math.cos(lat0) / cell_m).astype(np.int64)
            cy = np.floor(my * 111_195 / cell_m).astype(np.int64)
            key = (cx - cx.min()) * (int(cy.max() - cy.min()) + 1) + (cy - cy.min())
            _, inverse = np.unique(key, return_inverse=True)
            cell = np.bincount(inverse, weights=w)
            density = cell[inverse] / max(float(np.median(cell)), 1e-9)
            w = w * np.power(np.maximum(density, 1e-6), alpha - 1.0)
        return cls(x0, y0, x1, y1, w)

    def sample(self, rng: np.random.Generator, n: int) -> list[Location]:
        p = self.weight / self.weight.sum()
        idx = rng.choice(len(p), size=n, p=p)
        f = rng.random(n)
        xs = self.x0[idx] + f * (self.x1[idx] - self.x0[idx])
        ys = self.y0[idx] + f * (self.y1[idx] - self.y0[idx])
        return [Location(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]


def _class_weight(highway: str, table: Mapping[str, float]) -> float:
    first = highway.split(";")[0]
    if first.endswith("_link"):
        return _LINK_WEIGHT
    return float(table.get(first, 0.3))


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


def _parse_time(text: str) -> datetime:
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def load_calls_csv(path: Path | str, *, warmup_s: float = 0.0) -> tuple[datetime, list[CallSpec]]:
    """Read historical calls (columns in the module docstring); returns the simulation start
    (midnight UTC of the first call's day, minus ``warmup_s``) and the calls, in time order."""
    from datetime import timedelta

    rows: list[tuple[datetime, Location, int, float | None]] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"received_at", "lon", "lat", "priority"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        for line, row in enumerate(reader, start=2):
            try:
                received = _parse_time(row["received_at"])
                location = Location(float(row["lon"]), float(row["lat"]))
                priority = int(row["priority"])
                if priority not in (1, 2, 3, 4):
                    raise ValueError("priority must be 1..4")
                real: float | None = None
                if (row.get("response_s") or "").strip():
                    real = float(row["response_s"])
                elif (row.get("on_scene_at") or "").strip():
                    real = (_parse_time(row["on_scene_at"]) - received).total_seconds()
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{path}:{line}: {exc}") from exc
            rows.append((received, location, priority, real))
    if not rows:
        raise ValueError(f"{path}: no calls")
    rows.sort(key=lambda r: r[0])
    first = rows[0][0]
    start = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(seconds=warmup_s)
    calls = [
        CallSpec((when - start).total_seconds(), loc, prio, real) for when, loc, prio, real in rows
    ]
    return start, calls
