"""Build a simulated world once, run call streams under policies, summarise.

Entry points: :func:`run` (``async``) and :func:`run_sync` take a :class:`SimulationConfig`
and return a JSON-ready dict; ``dispatch.cli`` wires them as ``goldenhour simulate --offline``.
Benchmarks reuse :class:`World` and :func:`simulate_once` to run many seeds on one loaded map.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from dispatch.adapters.roads import NetworkEta, NetworkZoneTimes, RoadTravel
from dispatch.domain.geo import Location
from dispatch.domain.triage import load_protocol
from dispatch.policies.base import Policy
from dispatch.policies.closest import ClosestIdle
from dispatch.policies.costs import CostParams
from dispatch.policies.coverage import CoverageModel
from dispatch.policies.coverage_aware import CoverageAware
from dispatch.policies.joint import JointAssignment
from dispatch.policies.moveup import MoveUp
from dispatch.policies.perpriority import PerPriority
from dispatch.policies.zones import DensityMap
from dispatch.simulation.clock import SimClock
from dispatch.simulation.demand import DEFAULT_MIX, CallSpec, SyntheticDemand, load_calls_csv
from dispatch.simulation.engine import SimResult, Simulation
from dispatch.simulation.history import ColumnMap
from dispatch.simulation.metrics import summarize
from dispatch.simulation.scenario import Scenario, build_scenario
from dispatch.simulation.service_times import CallTimes, ServiceTimes, draw
from dispatch.simulation.travel import TravelModel

#: Policies by name; ``+move-up`` may be appended to any, and ``per-priority:1=joint,2=...``
#: picks one per priority.
POLICIES = ("closest", "coverage", "joint", "joint-coverage", "optimised")
DAY_S = 86_400.0


@dataclass
class SimulationConfig:
    """Everything a run needs. Paths may be str. Defaults: a busy day on the given map.

    ``map_path``: an OSM extract (imported once into ``cache_dir``) or an import cache
    directory; ``units``: fleet size (default: ``population / people_per_unit``);
    ``calls_per_day``: default ``population * calls_per_1000_per_day / 1000``.
    """

    map_path: Path | str | None = None
    cache_dir: Path | str = "var/sim-cache"
    policies: Sequence[str] = ("closest",)
    seed: int = 1
    population: float = 1_700_000
    people_per_unit: float = 30_000
    units: int | None = None
    als_share: float = 0.4
    calls_per_1000_per_day: float = 0.25
    calls_per_day: float | None = None
    calls_csv: Path | str | None = None
    #: How ``calls_csv`` names its columns (another CAD's export); ours are recognised.
    calls_mapping: ColumnMap | None = None
    priority_mix: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    duration_s: float = DAY_S
    warmup_s: float = 3 * 3600.0
    start: datetime = field(default_factory=lambda: datetime(2026, 3, 2, tzinfo=UTC))
    service: ServiceTimes = field(default_factory=ServiceTimes)
    speed_factor: float = 1.0
    zones: int = 150
    stations: int | None = None
    hospitals: int | None = None
    sites: Path | str | None = None
    density_alpha: float = 1.5
    output: Path | str | None = None
    plots: Path | str | None = None

    @property
    def fleet_size(self) -> int:
        if self.units is not None:
            return self.units
        return max(1, round(self.population / self.people_per_unit))

    @property
    def call_rate(self) -> float:
        if self.calls_per_day is not None:
            return self.calls_per_day
        return self.population * self.calls_per_1000_per_day / 1000.0

    def describe(self) -> dict[str, Any]:
        return {
            "map": None if self.map_path is None else str(self.map_path),
            "seed": self.seed,
            "population": self.population,
            "units": self.fleet_size,
            "als_share": self.als_share,
            "calls_per_day": None if self.calls_csv else round(self.call_rate, 1),
            "calls_csv": None if self.calls_csv is None else str(self.calls_csv),
            "priority_mix": {str(k): v for k, v in sorted(self.priority_mix.items())},
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "service": self.service.as_dict(),
            "speed_factor": self.speed_factor,
            "zones": self.zones,
        }


def load_network(map_path: Path | str, cache_dir: Path | str) -> Any:
    """A :class:`routing.RoadNetwork` from a cache directory, or from an extract imported
    into ``cache_dir/<name>`` the first time (the Porto import takes ~20 s; loading 1 s)."""
    from dispatch.adapters.roads import RoadNetwork, import_map

    path = Path(map_path)
    if path.is_dir():
        return RoadNetwork.load(path)
    target = Path(cache_dir) / path.name.split(".")[0]
    meta = target / "meta.json"
    if meta.is_file():
        recorded = json.loads(meta.read_text(encoding="utf-8")).get("source")
        if recorded and Path(recorded).resolve() == path.resolve():
            return RoadNetwork.load(target)
    import_map(path, target)
    return RoadNetwork.load(target)


def _sites(
    path: Path | str | None,
) -> tuple[list[tuple[str, Location]], list[tuple[str, Location]]]:
    """Optional JSON ``{"stations": [{"name", "location": [lon, lat]}], "hospitals": [...]}``."""
    if path is None:
        return [], []
    raw = json.loads(Path(path).read_text(encoding="utf-8"))

    def read(key: str) -> list[tuple[str, Location]]:
        return [(str(s["name"]), Location.from_lonlat(s["location"])) for s in raw.get(key, [])]

    return read("stations"), read("hospitals")


@dataclass
class World:
    """What every run on one map shares: roads, travel, demand, stations, fleet, zones."""

    travel: TravelModel
    density: DensityMap
    scenario: Scenario
    coverage: CoverageModel
    config: SimulationConfig
    build_s: float = 0.0

    @classmethod
    def from_network(cls, network: Any, config: SimulationConfig) -> World:
        started = time.perf_counter()
        eta = NetworkEta(network, speed_factor=config.speed_factor)
        density = DensityMap.from_network(network, alpha=config.density_alpha)
        stations, hospitals = _sites(config.sites)
        if not stations:
            stations = [
                (p.name, Location(p.lon, p.lat))
                for kind in ("ambulance_station", "fire_station")
                for p in network.pois(kind)
            ]
            # A few real stations do not make a station network for a metropolis.
            if len(stations) < max(4, config.fleet_size // 4):
                stations = []
        if not hospitals:
            hospitals = [(p.name, Location(p.lon, p.lat)) for p in network.pois("hospital")]
        scenario = build_scenario(
            density,
            units=config.fleet_size,
            als_share=config.als_share,
            stations=config.stations,
            hospitals=config.hospitals,
            zones=config.zones,
            station_sites=stations,
            hospital_sites=hospitals,
        )
        for place in [s.location for s in scenario.stations] + [
            h.location for h in scenario.hospitals
        ]:
            eta.search(place, pin=True)
        zone_times = NetworkZoneTimes(network, scenario.zones, speed_factor=config.speed_factor)
        coverage = CoverageModel(
            scenario.zones,
            scenario.zone_weights,
            zone_times,
            threshold_s=coverage_threshold(config),
        )
        return cls(
            RoadTravel(eta), density, scenario, coverage, config, time.perf_counter() - started
        )

    @classmethod
    def build(cls, config: SimulationConfig) -> World:
        if config.map_path is None:
            raise ValueError("a simulation needs a map (an OSM extract or an import cache)")
        return cls.from_network(load_network(config.map_path, config.cache_dir), config)


def coverage_threshold(config: SimulationConfig) -> float:
    """Drive time that still meets the priority-1 target after processing and chute."""
    target = float(load_protocol().target(1).seconds)
    return max(60.0, target - config.service.processing.mean - config.service.chute.mean)


def call_stream(world: World, seed: int) -> tuple[datetime, list[tuple[CallSpec, CallTimes]]]:
    """The calls of one seed with their service times: identical for every policy."""
    config = world.config
    rng_demand, rng_service = np.random.default_rng(seed).spawn(2)
    if config.calls_csv is not None:
        start, specs = load_calls_csv(
            config.calls_csv, warmup_s=config.warmup_s, columns=config.calls_mapping
        )
    else:
        start = config.start - timedelta(seconds=config.warmup_s)
        demand = SyntheticDemand(world.density, config.call_rate, priority_mix=config.priority_mix)
        specs = demand.generate(rng_demand, start, config.warmup_s + config.duration_s)
    return start, [(s, draw(config.service, s.priority, rng_service)) for s in specs]


def make_policy(name: str, world: World) -> tuple[Policy, MoveUp | None]:
    """A policy by name (see :data:`POLICIES`); ``name+move-up`` adds relocation."""
    base, plus, extra = name.partition("+")
    moveup = None
    if plus:
        if extra != "move-up":
            raise ValueError(f"unknown policy option {extra!r} (only +move-up)")
        moveup = MoveUp(world.coverage, world.scenario.stations)
    if base.startswith("per-priority:"):
        spec = dict(part.split("=") for part in base.split(":", 1)[1].split(","))
        chosen = {int(p): _one(n, world) for p, n in spec.items()}
        return PerPriority(chosen, default=ClosestIdle()), moveup
    return _one(base, world), moveup


def _one(name: str, world: World) -> Policy:
    cov = world.coverage
    if name == "closest":
        return ClosestIdle()
    if name == "coverage":
        return CoverageAware(cov)
    if name == "joint":
        return JointAssignment(coverage=None, divert=True, threaded=False)
    if name == "joint-coverage":
        return JointAssignment(coverage=cov, divert=True, threaded=False)
    if name == "optimised":
        return JointAssignment(
            coverage=cov, divert=True, hold={4: 1800.0}, threaded=False, params=CostParams()
        )
    raise ValueError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")


def targets() -> dict[int, float]:
    protocol = load_protocol()
    return {p: float(protocol.target(p).seconds) for p in (1, 2, 3, 4)}


async def simulate_once(
    world: World, policy_name: str, seed: int
) -> tuple[dict[str, Any], SimResult]:
    start, stream = call_stream(world, seed)
    policy, moveup = make_policy(policy_name, world)
    clock = SimClock(start)
    sim = Simulation(
        scenario=world.scenario,
        travel=world.travel,
        policy=policy,
        calls=stream,
        clock=clock,
        moveup=moveup,
    )
    result = await sim.run()
    config = world.config
    measure_to = config.warmup_s + config.duration_s
    if config.calls_csv is not None:
        measure_to = max((s.t for s, _ in stream), default=0.0) + 1.0
    summary = summarize(
        result, measure_from_s=config.warmup_s, measure_to_s=measure_to, targets=targets()
    )
    summary["policy"] = policy_name
    summary["seed"] = seed
    return summary, result


async def run(config: SimulationConfig) -> dict[str, Any]:
    """Simulate ``config.seed`` under each of ``config.policies``; JSON-ready summary.

    Writes ``config.output`` (JSON) and PNG plots into ``config.plots`` when given."""
    world = World.build(config)
    runs: dict[str, Any] = {}
    results: dict[str, SimResult] = {}
    for name in config.policies:
        summary, result = await simulate_once(world, name, config.seed)
        runs[name] = summary
        results[name] = result
    out = {
        "config": config.describe(),
        "scenario": world.scenario.summary(),
        "build_s": round(world.build_s, 2),
        "runs": runs,
    }
    if config.plots is not None:
        from dispatch.simulation.plots import write_plots

        out["plots"] = [
            str(p) for p in write_plots(Path(config.plots), runs, results, config.warmup_s)
        ]
    if config.output is not None:
        Path(config.output).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return out


def run_sync(config: SimulationConfig) -> dict[str, Any]:
    return asyncio.run(run(config))


def percent(x: float) -> float:
    return round(100.0 * x, 2) if math.isfinite(x) else x
