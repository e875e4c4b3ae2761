"""Orders reach the crew and are confirmed; retried or replayed crew updates never apply twice."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
import websockets

from tests.conftest import ServerProcess
from tests.support import (
    ConsoleSocket,
    a_point_on_a_road,
    assert_problem,
    connect_socket,
    login,
    token_of,
)


async def _dispatch_a01(http: httpx.AsyncClient) -> tuple[dict, dict[str, str], dict[str, str]]:
    dispatcher = await login(http, "dispatcher")
    crew = await login(http, "crew-a01")
    units = {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=crew)).json()}
    a01 = units["A01"]
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 2),
            "complaint": "chest pain",
            "priority": 1,
        },
    )
    incident = r.json()
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": a01["id"]},
    )
    assert r.status_code == 201, r.text
    return r.json(), crew, dispatcher


async def _next(ws: websockets.ClientConnection, kind: str, timeout: float = 5.0) -> dict:
    async def scan() -> dict:
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == kind:
                return message

    return await asyncio.wait_for(scan(), timeout)


async def test_order_is_pushed_resent_until_acknowledged_then_stops(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    crew = await login(http, "crew-a01")
    async with connect_socket(f"{server.ws_url}/ws/crew", token_of(crew)) as ws:
        snapshot = await _next(ws, "snapshot")
        assert snapshot["unit"]["call_sign"] == "A01" and snapshot["assignment"] is None
        order, crew, _ = await _dispatch_a01(http)
        first = await _next(ws, "order")
        assert first["order_id"] == order["order_id"]
        assert first["incident"]["id"] == order["incident"]["id"]
        assert first["route"]["type"] == "LineString" and first["eta_s"] > 0
        again = await _next(ws, "order", timeout=5)  # resend interval is 1 s in tests
        assert again["resent"] is True and again["order_id"] == order["order_id"]

        await ws.send(json.dumps({"type": "ack", "order_id": order["order_id"]}))
        seen: dict[str, dict] = {}
        async with asyncio.timeout(5):
            while not {"acked", "OrderAcknowledged"} <= seen.keys():
                message = json.loads(await ws.recv())
                seen[message.get("name") or message["type"]] = message
        acked = seen["acked"]
        assert acked["acknowledged_at"]
        event = seen["OrderAcknowledged"]
        assert event["data"]["unit"]["acknowledged_at"] == acked["acknowledged_at"]

        quiet: list[dict] = []
        try:
            async with asyncio.timeout(2.5):
                while True:
                    quiet.append(json.loads(await ws.recv()))
        except TimeoutError:
            pass
        assert not [m for m in quiet if m["type"] == "order"], "no resend after acknowledgement"

        await ws.send(json.dumps({"type": "ack", "order_id": 999999}))
        assert (await _next(ws, "error"))["code"] == "order-not-current"

    # The REST ack is the same thing and may be repeated.
    unit_id = order["unit"]["id"]
    r = await http.post(f"/api/v1/units/{unit_id}/orders/{order['order_id']}/ack", headers=crew)
    assert r.status_code == 200 and r.json()["acknowledged_at"] == acked["acknowledged_at"]


async def test_assignment_shows_whether_the_order_was_acknowledged(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    order, crew, dispatcher = await _dispatch_a01(http)
    unit_id = order["unit"]["id"]
    view = (await http.get(f"/api/v1/units/{unit_id}/assignment", headers=dispatcher)).json()
    assert view["order_id"] == order["order_id"] and view["acknowledged_at"] is None
    r = await http.post(
        f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": "en_route"}
    )
    assert r.json()["acknowledged_at"], "pressing en route confirms the order"
    other = await login(http, "crew-a02")
    assert_problem(
        await http.post(f"/api/v1/units/{unit_id}/orders/{order['order_id']}/ack", headers=other),
        403,
        "not-your-unit",
    )


async def test_replayed_offline_queue_applies_each_update_once(
    http: httpx.AsyncClient, reset_fleet: None, database_url: str
) -> None:
    order, crew, dispatcher = await _dispatch_a01(http)
    unit_id = order["unit"]["id"]
    conn = await asyncpg.connect(database_url)
    tracked_before = await conn.fetchval(
        "SELECT count(*) FROM unit_positions WHERE unit_id = $1", unit_id
    )
    queue = [
        ("status", {"status": "en_route", "client_id": "tab-9", "client_seq": 1}),
        (
            "position",
            {
                "position": order["route"]["coordinates"][1],
                "reported_at": datetime.now(UTC).isoformat(),
                "client_id": "tab-9",
                "client_seq": 2,
            },
        ),
        ("status", {"status": "on_scene", "client_id": "tab-9", "client_seq": 3}),
    ]
    for _ in range(3):  # the phone replays its whole queue three times
        for kind, body in queue:
            r = await http.post(f"/api/v1/units/{unit_id}/{kind}", headers=crew, json=body)
            assert r.status_code == 200, r.text
    unit = next(
        u for u in (await http.get("/api/v1/units", headers=crew)).json() if u["id"] == unit_id
    )
    assert unit["status"] == "on_scene"
    events = (
        await http.get(f"/api/v1/incidents/{order['incident']['id']}", headers=dispatcher)
    ).json()
    assert events["status"] == "on_scene"
    tracked = await conn.fetchval("SELECT count(*) FROM unit_positions WHERE unit_id = $1", unit_id)
    await conn.close()
    assert tracked == tracked_before + 1, "the replayed GPS fix is stored once in the track"
    assert_problem(
        await http.post(
            f"/api/v1/units/{unit_id}/status",
            headers=crew,
            json={"status": "on_scene", "client_id": "tab-9"},
        ),
        422,
        "validation-error",
    )


async def test_idempotency_key_on_call_creation(http: httpx.AsyncClient) -> None:
    dispatcher = await login(http, "dispatcher")
    body = {
        "location": await a_point_on_a_road(http, 4),
        "complaint": "stroke signs",
        "priority": 1,
    }
    headers = {**dispatcher, "Idempotency-Key": "call-7f3a"}
    answers = await asyncio.gather(
        *(http.post("/api/v1/incidents", headers=headers, json=body) for _ in range(5))
    )
    assert all(a.status_code == 201 for a in answers), [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1, "one call, however often it is sent"
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 4
    changed = {**body, "priority": 2}
    assert_problem(
        await http.post("/api/v1/incidents", headers=headers, json=changed),
        422,
        "idempotency-key-reused",
    )


async def test_an_older_gps_fix_never_moves_the_unit_back(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    crew = await login(http, "crew-a03")
    units = {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=crew)).json()}
    unit_id = units["A03"]["id"]
    here, there = await a_point_on_a_road(http, 6), await a_point_on_a_road(http, 7)
    newer = datetime.now(UTC)
    r = await http.post(
        f"/api/v1/units/{unit_id}/position",
        headers=crew,
        json={"position": here, "reported_at": newer.isoformat()},
    )
    assert r.status_code == 200 and r.json()["position"] == here
    late = (newer - timedelta(seconds=30)).isoformat()
    r = await http.post(
        f"/api/v1/units/{unit_id}/position",
        headers=crew,
        json={"position": there, "reported_at": late},
    )
    assert r.status_code == 200
    assert r.json()["position"] == here, "a fix delivered late does not move the unit back"
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    r = await http.post(
        f"/api/v1/units/{unit_id}/position",
        headers=crew,
        json={"position": there, "reported_at": future},
    )
    assert r.json()["position"] == there
    assert datetime.fromisoformat(r.json()["position_at"]) <= datetime.now(UTC), (
        "a device clock running fast is clamped to server time"
    )


async def test_a_console_too_far_behind_is_told_to_resync(
    http: httpx.AsyncClient, server: ServerProcess
) -> None:
    dispatcher = await login(http, "dispatcher")
    url = f"{server.ws_url}/ws/console?since=999999999"
    async with connect_socket(url, token_of(dispatcher)) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert first["type"] == "resync"
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)


async def test_gps_over_the_crew_socket_reaches_the_console_and_bad_fixes_are_refused(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    crew, dispatcher = await login(http, "crew-a10"), await login(http, "dispatcher")
    units = {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=crew)).json()}
    unit_id = units["A10"]["id"]
    spot = await a_point_on_a_road(http, 23)
    console = await ConsoleSocket.open(server.ws_url, token_of(dispatcher))
    await console.wait_for(lambda m: m["type"] == "snapshot")
    async with connect_socket(f"{server.ws_url}/ws/crew", token_of(crew)) as ws:
        await _next(ws, "snapshot")
        await ws.send(
            json.dumps(
                {"type": "position", "position": spot, "reported_at": datetime.now(UTC).isoformat()}
            )
        )
        stored = await _next(ws, "position-stored")
        assert stored["position"] == spot
        for bad in (
            {"type": "position", "position": [999, 1]},
            {"type": "position", "position": "here"},
            {"type": "position", "position": spot, "reported_at": "yesterday"},
            {"type": "position", "position": spot, "reported_at": "2026-01-01T10:00:00"},
        ):
            await ws.send(json.dumps(bad))
            error = await _next(ws, "error")
            assert error["code"] in ("invalid-location", "invalid-message"), error
        await ws.send(json.dumps({"type": "ping"}))
        await _next(ws, "pong")
    pushed = await console.wait_for(
        lambda m: m["type"] == "positions" and any(u["id"] == unit_id for u in m["units"])
    )
    assert next(u for u in pushed["units"] if u["id"] == unit_id)["position"] == spot
    await console.close()
