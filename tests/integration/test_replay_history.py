"""A centre replays its own history: the review export goes straight into the offline simulator,
and the simulated day receives the same calls, at the same times and places, as the real one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from dispatch.simulation.history import REVIEW_EXPORT, read_calls
from dispatch.simulation.runner import SimulationConfig, World, simulate_once
from routing import default_map_path
from tests.support import a_point_on_a_road, login


async def test_the_review_export_replays_offline(
    http: httpx.AsyncClient, reset_fleet: None, tmp_path: Path
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    dispatcher = await login(http, "dispatcher")
    supervisor = await login(http, "supervisor")
    crew = await login(http, "crew-a03")
    made = []
    for n, priority in enumerate((1, 3, 2)):
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http, 20 + n),
                "complaint": f"replay {n}",
                "priority": priority,
            },
        )
        assert r.status_code == 201, r.text
        made.append(r.json())
    units = {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=crew)).json()}
    unit_id = units["A03"]["id"]
    r = await http.post(
        f"/api/v1/incidents/{made[0]['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": unit_id},
    )
    assert r.status_code in (200, 201), r.text
    for status in ("en_route", "on_scene"):
        r = await http.post(
            f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": status}
        )
        assert r.status_code == 200, r.text
    window = {
        "from": started.isoformat(),
        "to": (datetime.now(UTC) + timedelta(seconds=5)).isoformat(),
    }
    r = await http.get("/api/v1/review/incidents.csv", headers=supervisor, params=window)
    assert r.status_code == 200, r.text
    path = tmp_path / "incidents.csv"
    path.write_text(r.text, encoding="utf-8")

    calls = read_calls(path)  # the review export is recognised from its header
    truth = {
        (i["priority"], round(i["location"][0], 6), round(i["location"][1], 6)): i for i in made
    }
    ours = [c for c in calls if c.complaint.startswith("replay ")]
    assert len(ours) == 3
    for call in ours:
        incident = truth[(call.priority, round(call.location.lon, 6), round(call.location.lat, 6))]
        assert call.received_at == datetime.fromisoformat(incident["received_at"])
        assert call.complaint == incident["complaint"]
    first = next(c for c in ours if c.priority == 1)
    assert first.real_response_s is not None and first.real_response_s >= 0

    config = SimulationConfig(
        map_path=default_map_path(),
        cache_dir=tmp_path / "cache",
        units=4,
        zones=12,
        warmup_s=0,
        calls_csv=path,
    )
    world = World.build(config)
    _, result = await simulate_once(world, "closest", 1)
    simulated = sorted(
        (i.received_at, i.location.lon, i.location.lat, i.priority)
        for i in result.incidents.values()
    )
    exported = sorted((c.received_at, c.location.lon, c.location.lat, c.priority) for c in calls)
    assert len(simulated) == len(exported)
    for (s_at, *s_rest), (e_at, *e_rest) in zip(simulated, exported, strict=True):
        assert abs((s_at - e_at).total_seconds()) < 0.001
        assert s_rest == e_rest
    assert REVIEW_EXPORT.received_at in r.text.splitlines()[0]
