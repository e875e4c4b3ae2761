"""The world of a simulation: stations, hospitals, the fleet and the coverage zones.

From the map when it has them (OSM ambulance and fire stations, hospitals), otherwise sited
from the demand: stations and hospitals at weighted k-means centres of the demand (a p-median
heuristic; each centre moved to the nearest demand point, which lies on a road). Coverage zones
are k-means cells of the demand, weighted by the demand they hold. Units are spread over the
stations in proportion to the demand nearest to each (at least one each); ALS units go first to
the busiest stations. Siting uses its own fixed seed, so every run of a scenario has the same
stations and fleet, whatever the call-stream seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dispatch.domain.geo import Location
from dispatch.domain.model import Capability
from dispatch.policies.base import Station
from dispatch.policies.zones import DensityMap, kmeans

F64 = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Hospital:
    id: int
    name: str
    location: Location


@dataclass(frozen=True, slots=True)
class UnitSpec:
    id: int
    call_sign: str
    capability: Capability
    station_id: int


@dataclass
class Scenario:
    stations: list[Station]
    hospitals: list[Hospital]
    fleet: list[UnitSpec]
    zones: list[Location]
    zone_weights: F64
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "stations": len(self.stations),
            "hospitals": len(self.hospitals),
            "units": len(self.fleet),
            "als_units": sum(1 for u in self.fleet if u.capability is Capability.ALS),
            "zones": len(self.zones),
            "notes": self.notes,
        }


def _xy(points: Sequence[Location]) -> F64:
    lat0 = math.radians(sum(p.lat for p in points) / len(points))
    out: F64 = np.array([[p.lon * 111_195.0 * math.cos(lat0), p.lat * 111_195.0] for p in points])
    return out


def _medoids(xy: F64, centres: F64) -> list[int]:
    """Index of the sample point nearest each centre (so every site lies on a road)."""
    return [int(np.argmin(((xy - c) ** 2).sum(axis=1))) for c in centres]


def build_scenario(
    density: DensityMap,
    *,
    units: int,
    als_share: float = 0.4,
    stations: int | None = None,
    hospitals: int | None = None,
    zones: int = 150,
    station_sites: Sequence[tuple[str, Location]] = (),
    hospital_sites: Sequence[tuple[str, Location]] = (),
    station_capacity: int = 6,
    samples: int = 20_000,
    seed: int = 20260302,
) -> Scenario:
    if units < 1:
        raise ValueError("a fleet needs at least one unit")
    rng = np.random.default_rng(seed)
    points = density.sample(rng, samples)
    xy = _xy(points)
    notes: list[str] = []

    site_list = list(station_sites)
    if not site_list:
        count = stations or max(1, math.ceil(units / 2))
        centres, _ = kmeans(xy, count, rng)
        site_list = [
            (f"Station S{i + 1:02d}", points[j]) for i, j in enumerate(_medoids(xy, centres))
        ]
        notes.append(f"{len(site_list)} stations sited at demand k-means centres (no map stations)")
    station_objs = [
        Station(i + 1, name, loc, station_capacity) for i, (name, loc) in enumerate(site_list)
    ]

    hosp_list = list(hospital_sites)
    if not hosp_list:
        count = hospitals or max(1, min(8, units // 10))
        centres, _ = kmeans(xy, count, rng)
        hosp_list = [(f"Hospital H{i + 1}", points[j]) for i, j in enumerate(_medoids(xy, centres))]
        notes.append(
            f"{len(hosp_list)} hospitals sited at demand k-means centres (none on the map)"
        )
    hospital_objs = [Hospital(i + 1, name, loc) for i, (name, loc) in enumerate(hosp_list)]

    # Demand nearest to each station decides its share of the fleet.
    sxy = _xy([s.location for s in station_objs] + points)[: len(station_objs)]
    pxy = _xy([s.location for s in station_objs] + points)[len(station_objs) :]
    nearest = np.argmin(((pxy[:, None, :] - sxy[None, :, :]) ** 2).sum(axis=2), axis=1)
    share = np.bincount(nearest, minlength=len(station_objs)) / len(points)
    counts = (
        np.ones(len(station_objs), dtype=np.int64)
        if units >= len(station_objs)
        else (np.zeros(len(station_objs), dtype=np.int64))
    )
    remaining = units - int(counts.sum())
    ideal = share * units - counts
    while remaining > 0:
        j = int(np.argmax(ideal))
        counts[j] += 1
        ideal[j] -= 1
        remaining -= 1
    order = np.argsort(-share, kind="stable")
    als_left = round(units * als_share)
    fleet: list[UnitSpec] = []
    # ALS first at the busiest stations, one per station per pass.
    caps: dict[int, list[Capability]] = {int(j): [] for j in range(len(station_objs))}
    while als_left > 0:
        placed = False
        for j in order:
            j = int(j)
            if als_left and sum(1 for c in caps[j] if c is Capability.ALS) < counts[j]:
                caps[j].append(Capability.ALS)
                als_left -= 1
                placed = True
        if not placed:
            break
    for j in range(len(station_objs)):
        caps[j] += [Capability.BLS] * (int(counts[j]) - len(caps[j]))
    number = 0
    for j in order:
        for cap in caps[int(j)]:
            number += 1
            fleet.append(UnitSpec(number, f"A{number:02d}", cap, station_objs[int(j)].id))

    centres, label = kmeans(xy, zones, rng)
    medoids = _medoids(xy, centres)
    weights = np.bincount(label, minlength=len(centres)).astype(np.float64)
    keep = weights > 0
    zone_points = [points[m] for m, k in zip(medoids, keep, strict=True) if k]
    return Scenario(
        station_objs, hospital_objs, fleet, zone_points, weights[keep] / weights.sum(), notes
    )
