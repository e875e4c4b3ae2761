"""The optimiser live: move-up suggestions as one-click orders, auto-dispatch where configured."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.support import ConsoleSocket, a_point_on_a_road, assert_problem, login, token_of


async def test_move_up_suggestions_and_relocation_order(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.get("/api/v1/moveups", headers=dispatcher)
    assert r.status_code == 200, r.text
    for move in r.json()["moves"]:
        assert move["travel_s"] >= 0 and "unit_id" in move and "station_id" in move
    stations = (await http.get("/api/v1/stations", headers=dispatcher)).json()
    units = {
        u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()
    }
    a02 = units["A02"]
    target = next(s for s in stations if s["id"] != a02["station_id"])
    console = await ConsoleSocket.open(server.ws_url, token_of(dispatcher))
    await console.wait_for(lambda m: m["type"] == "snapshot")
    r = await http.post(
        f"/api/v1/units/{a02['id']}/relocate", headers=dispatcher, json={"station_id": target["id"]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["station_id"] == target["id"]
    moved = await console.wait_event("UnitRelocated")
    assert moved["data"]["station"] == target["id"]
    assert moved["data"]["from_station"] == a02["station_id"]
    await console.close()
    assert_problem(
        await http.post(
            f"/api/v1/units/{a02['id']}/relocate", headers=dispatcher, json={"station_id": 99999}
        ),
        404,
        "not-found",
    )
    crew = await login(http, "crew-a02")
    assert_problem(
        await http.post(
            f"/api/v1/units/{a02['id']}/relocate", headers=crew, json={"station_id": target["id"]}
        ),
        403,
        "forbidden",
    )
    await http.post(
        f"/api/v1/units/{a02['id']}/relocate",
        headers=dispatcher,
        json={"station_id": a02["station_id"]},
    )


@pytest.fixture
def auto_server(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A third app process whose priority-4 calls are dispatched by the optimiser."""
    proc = ServerProcess(env={**server_env, "GOLDENHOUR_AUTO_DISPATCH_PRIORITIES": "[4]"})
    proc.log_path = tmp_path_factory.mktemp("auto") / "server.log"
    proc.start()
    yield proc
    proc.stop()


async def test_auto_dispatch_only_for_configured_priorities(
    auto_server: ServerProcess, reset_fleet: None
) -> None:
    async with httpx.AsyncClient(base_url=auto_server.url, timeout=15) as http:
        dispatcher = await login(http, "dispatcher")
        low = (
            await http.post(
                "/api/v1/incidents",
                headers=dispatcher,
                json={
                    "location": await a_point_on_a_road(http, 24),
                    "complaint": "minor cut",
                    "priority": 4,
                },
            )
        ).json()
        high = (
            await http.post(
                "/api/v1/incidents",
                headers=dispatcher,
                json={
                    "location": await a_point_on_a_road(http, 25),
                    "complaint": "chest pain",
                    "priority": 1,
                },
            )
        ).json()
        low_now = (await http.get(f"/api/v1/incidents/{low['id']}", headers=dispatcher)).json()
        high_now = (await http.get(f"/api/v1/incidents/{high['id']}", headers=dispatcher)).json()
        assert low_now["status"] == "dispatched" and len(low_now["unit_ids"]) == 1
        assert high_now["status"] == "pending", "priority 1 is not configured: a person decides"
        timeline = (
            await http.get(f"/api/v1/incidents/{low['id']}/timeline", headers=dispatcher)
        ).json()["events"]
        assigned = next(e for e in timeline if e["name"] == "UnitAssigned")
        assert assigned["actor"] == "auto-dispatch"
