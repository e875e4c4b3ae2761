"""The offline simulator: reproducible runs, real domain rules, correct metrics."""

from __future__ import annotations

import asyncio
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from dispatch.adapters.memory import MemoryStore, MemoryUnitOfWork
from dispatch.domain.geo import Location
from dispatch.domain.model import IncidentStatus, UnitStatus
from dispatch.policies import ClosestIdle, CoverageModel, JointAssignment, MoveUp
from dispatch.policies.straightline import StraightLineEta
from dispatch.simulation.clock import SimClock
from dispatch.simulation.demand import DensityMap, SyntheticDemand, load_calls_csv
from dispatch.simulation.engine import Simulation
from dispatch.simulation.metrics import busy_fraction, hourly_utilisation, response_stats
from dispatch.simulation.plots import cdf_plot
from dispatch.simulation.scenario import build_scenario
from dispatch.simulation.service_times import Distribution, ServiceTimes, draw
from dispatch.simulation.travel import StraightTravel

START = datetime(2026, 3, 2, tzinfo=UTC)
TARGETS = {1: 720.0, 2: 900.0, 3: 1200.0, 4: 3600.0}


def toy_world(units: int = 6) -> tuple[object, StraightTravel, DensityMap, CoverageModel]:
    """A 10 x 10 km town, denser in its centre; straight roads at 12 m/s."""
    rng = np.random.default_rng(0)
    pts = [Location(float(x), float(y)) for x, y in rng.normal(0.0, 0.025, size=(400, 2))]
    density = DensityMap.from_points(pts)
    scenario = build_scenario(density, units=units, stations=3, hospitals=1, zones=12, samples=2000)
    eta = StraightLineEta(12.0, detour=1.3, zones=scenario.zones)
    coverage = CoverageModel(scenario.zones, scenario.zone_weights, eta, threshold_s=480.0)
    return scenario, StraightTravel(eta), density, coverage


def stream(density: DensityMap, seed: int, calls_per_day: float = 120.0, hours: float = 8.0):
    rng_d, rng_s = np.random.default_rng(seed).spawn(2)
    specs = SyntheticDemand(density, calls_per_day).generate(rng_d, START, hours * 3600)
    return [(s, draw(ServiceTimes(), s.priority, rng_s)) for s in specs]


def run(policy, seed: int = 1, moveup: bool = False):  # type: ignore[no-untyped-def]
    scenario, travel, density, coverage = toy_world()
    sim = Simulation(
        scenario=scenario,  # type: ignore[arg-type]
        travel=travel,
        policy=policy,
        calls=stream(density, seed),
        clock=SimClock(START),
        moveup=MoveUp(coverage, scenario.stations) if moveup else None,  # type: ignore[attr-defined]
        keep_log=True,
    )
    return sim, asyncio.run(sim.run())


def fingerprint(result) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [
        (
            r.incident_id,
            r.spec.priority,
            round(r.spec.t, 6),
            r.first_dispatch_t,
            result.incidents[r.incident_id].on_scene_at,
        )
        for r in result.calls
    ]


def test_a_simulation_is_reproducible_per_seed() -> None:
    _, a = run(ClosestIdle(), seed=3)
    _, b = run(ClosestIdle(), seed=3)
    _, c = run(ClosestIdle(), seed=4)
    assert len(a.calls) > 20
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(c)


def test_the_real_domain_runs_every_call_to_its_end() -> None:
    sim, result = run(JointAssignment(threaded=False), seed=2, moveup=True)
    assert result.rejected == 0
    assert all(i.status is IncidentStatus.CLOSED for i in result.incidents.values())
    assert all(u.status is UnitStatus.AVAILABLE for u in sim.store.units.values())
    names = {r.name for r in sim.store.log}
    assert {"CallReceived", "UnitAssigned", "UnitStatusChanged", "IncidentClosed"} <= names
    for incident in result.incidents.values():
        # NEMSIS times in lifecycle order, stamped by the domain with the simulated clock.
        assert incident.received_at <= incident.dispatched_at <= incident.on_scene_at  # type: ignore[operator]
        assert incident.on_scene_at <= incident.closed_at  # type: ignore[operator]
        assert START <= incident.received_at < START + timedelta(hours=8)
    # A simulated 8-hour shift plus drain takes no wall-clock time worth mentioning.
    assert result.wall_s < 10


def test_response_stats_on_a_hand_made_timeline() -> None:
    stats = response_stats([60.0 * k for k in range(1, 11)] + [None], target_s=420.0)
    assert stats["calls"] == 11 and stats["unserved"] == 1
    assert stats["median_s"] == 330.0
    assert stats["p90_s"] == pytest.approx(546.0)  # linear interpolation: 540 + 0.1 * 60
    assert stats["mean_s"] == 330.0
    assert stats["within_target_pct"] == pytest.approx(100 * 7 / 11, abs=0.01)


def test_utilisation_on_a_hand_made_timeline() -> None:
    busy = [(0.0, 1800.0), (3600.0, 7200.0), (5400.0, 9000.0)]
    assert busy_fraction(busy, units=2, start=0.0, end=7200.0) == pytest.approx(
        (1800 + 3600 + 1800) / (2 * 7200)
    )
    assert hourly_utilisation(busy, 2, 0.0, 3 * 3600.0) == [0.25, 0.75, 0.25]


def test_memory_unit_of_work_commits_or_forgets() -> None:
    _, result = run(ClosestIdle(), seed=5)
    store = MemoryStore()
    store.incidents = dict(result.incidents)

    async def touch(commit: bool) -> None:
        async with MemoryUnitOfWork(store) as uow:
            incident = await uow.incidents.get(1)
            incident.add_note("checked", author="test", at=START)
            if commit:
                await uow.commit(actor="test")

    asyncio.run(touch(False))
    assert store.log == []
    asyncio.run(touch(True))
    assert [r.name for r in store.log] == ["NoteAdded"]
    assert store.log[0].data["text"] == "checked"


def test_historical_csv(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text(
        "received_at,lon,lat,priority,on_scene_at,extra\n"
        "2026-03-02T08:00:30Z,-8.61,41.15,1,2026-03-02T08:09:30Z,x\n"
        "2026-03-02T07:00:00,-8.60,41.16,3,,\n",
        encoding="utf-8",
    )
    start, calls = load_calls_csv(path, warmup_s=3600)
    assert start == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    assert [(c.t, c.priority, c.real_response_s) for c in calls] == [
        (8 * 3600.0, 3, None),
        (9 * 3600.0 + 30, 1, 540.0),
    ]
    path.write_text("received_at,lon,lat\n", encoding="utf-8")
    with pytest.raises(ValueError, match="priority"):
        load_calls_csv(path)


def test_distributions() -> None:
    rng = np.random.default_rng(0)
    ln = Distribution.parse("lognormal:1200,480")
    samples = [ln.sample(rng) for _ in range(20000)]
    assert np.mean(samples) == pytest.approx(1200, rel=0.03)
    assert np.std(samples) == pytest.approx(480, rel=0.06)
    assert Distribution.parse(60).sample(rng) == 60.0
    assert 30 <= Distribution.parse("uniform:30,90").sample(rng) <= 90
    with pytest.raises(ValueError):
        Distribution.parse("weibull:3")
    times = ServiceTimes.from_dict({"on_scene": "fixed:600", "transport": {"1": 1.0}})
    assert times.on_scene.mean == 600 and times.transport[1] == 1.0


def test_synthetic_demand_follows_the_day_profile_and_mix() -> None:
    density = DensityMap.from_points([Location(0.0, 0.0)])
    demand = SyntheticDemand(density, calls_per_day=2400.0)
    calls = demand.generate(np.random.default_rng(1), START, 86400.0)
    assert len(calls) == pytest.approx(2400, rel=0.06)
    night = sum(1 for c in calls if 3 * 3600 <= c.t < 6 * 3600)
    noon = sum(1 for c in calls if 11 * 3600 <= c.t < 14 * 3600)
    assert noon > 2 * night
    p1 = sum(1 for c in calls if c.priority == 1) / len(calls)
    assert p1 == pytest.approx(0.15, abs=0.03)


def test_png_plot_is_a_valid_image(tmp_path: Path) -> None:
    path = cdf_plot(
        tmp_path / "cdf.png",
        {"closest": [300, 400, 500], "joint": [250, 350]},
        title="P1",
        target_s=720,
    )
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (900, 560)
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    raw = zlib.decompress(data[idat + 4 : idat + 4 + length])
    assert len(raw) == height * (1 + 3 * width)
