"""The simulator and the policies on a real road map (the bundled Helsinki extract)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from dispatch.adapters.roads import NetworkEta
from dispatch.domain.geo import Location
from dispatch.simulation.runner import SimulationConfig, World, run, simulate_once
from routing import default_map_path


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> SimulationConfig:
    out = tmp_path_factory.mktemp("sim")
    return SimulationConfig(
        map_path=default_map_path(),
        cache_dir=out / "cache",
        units=4,
        population=100_000,
        calls_per_day=60,
        zones=12,
        duration_s=6 * 3600,
        warmup_s=1800,
        policies=("closest", "joint-coverage+move-up"),
        output=out / "run.json",
        plots=out / "plots",
    )


def test_network_eta_matches_the_routing_engine(config: SimulationConfig) -> None:
    world = World.build(config)
    eta = world.travel.eta
    assert isinstance(eta, NetworkEta)
    a, b, c = (Location(24.940, 60.170), Location(24.948, 60.168), Location(24.944, 60.175))
    grid = eta.matrix([a, b], [c, a])
    direct = eta.network.etas([(a.lon, a.lat), (b.lon, b.lat)], (c.lon, c.lat))
    assert grid[0] == pytest.approx([e.duration_s for e in direct])  # type: ignore[union-attr]
    assert grid[1, 0] == pytest.approx(0.0, abs=1.0)
    before = eta.searches
    eta.matrix([a, b, c], [c])
    assert eta.searches == before  # the destination's search was cached
    # Zone times agree with a search to each zone.
    zt = world.coverage.times.to_zones([a])[0]
    exact = eta.matrix([a], world.coverage.zones)[:, 0]
    assert np.allclose(zt, exact, atol=1.0)


def test_run_writes_json_and_plots(config: SimulationConfig) -> None:
    out = asyncio.run(run(config))
    assert set(out["runs"]) == {"closest", "joint-coverage+move-up"}
    for summary in out["runs"].values():
        assert summary["calls"] > 5
        assert summary["rejected_decisions"] == 0
        assert 0 < summary["utilisation"]["mean"] < 1
        assert len(summary["utilisation"]["hourly"]) == 6
    assert Path(str(config.output)).is_file()
    assert all(Path(p).read_bytes()[:4] == b"\x89PNG" for p in out["plots"])


def test_identical_call_streams_across_policies(config: SimulationConfig) -> None:
    world = World.build(config)
    a, ra = asyncio.run(simulate_once(world, "closest", 7))
    b, rb = asyncio.run(simulate_once(world, "joint", 7))
    assert [(r.spec.t, r.spec.location, r.spec.priority) for r in ra.calls] == [
        (r.spec.t, r.spec.location, r.spec.priority) for r in rb.calls
    ]
    assert a["calls"] == b["calls"]
