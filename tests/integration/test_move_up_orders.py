"""A move-up order reaches the crew like a dispatch order: pushed, pushed again until the crew
confirms it, and the confirmation seen on the floor. Against the real server, database and Redis."""

from __future__ import annotations

import asyncio
import json
from typing import Any

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


async def _units(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=headers)).json()}


async def _another_station(http: httpx.AsyncClient, headers: dict[str, str], unit: dict) -> dict:
    stations = (await http.get("/api/v1/stations", headers=headers)).json()
    return next(s for s in stations if s["id"] != unit["station_id"])


async def _next(ws: websockets.ClientConnection, kind: str, timeout: float = 5.0) -> dict:
    async def scan() -> dict:
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == kind:
                return message

    return await asyncio.wait_for(scan(), timeout)


async def test_a_move_up_is_resent_until_the_crew_confirms_it_and_the_floor_sees_it(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None, posts_restored: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    crew = await login(http, "crew-a03")
    a03 = (await _units(http, dispatcher))["A03"]
    post = await _another_station(http, dispatcher, a03)
    console = await ConsoleSocket.open(server.ws_url, token_of(dispatcher))
    await console.wait_for(lambda m: m["type"] == "snapshot")
    async with connect_socket(f"{server.ws_url}/ws/crew", token_of(crew)) as ws:
        snapshot = await _next(ws, "snapshot")
        assert snapshot["relocation"] is None and snapshot["assignment"] is None

        r = await http.post(
            f"/api/v1/units/{a03['id']}/relocate",
            headers=dispatcher,
            json={"station_id": post["id"]},
        )
        assert r.status_code == 200, r.text
        moved = r.json()
        assert moved["station_id"] == post["id"] and moved["order_id"] is not None
        assert moved["acknowledged_at"] is None and moved["incident_id"] is None
        order_id = moved["order_id"]

        first = await _next(ws, "relocation")
        assert first["order_id"] == order_id and first["acknowledged_at"] is None
        assert first["station"] == {
            "id": post["id"],
            "name": post["name"],
            "location": post["location"],
        }
        assert first["route"]["type"] == "LineString" and first["eta_s"] > 0
        assert first["route"]["coordinates"][-1] == pytest.approx(post["location"], abs=0.01)
        again = await _next(ws, "relocation")  # the resend interval is 1 s in tests
        assert again["resent"] is True and again["order_id"] == order_id
        event = await console.wait_event("UnitRelocated")
        assert event["data"]["order_id"] == order_id

        other = await login(http, "crew-a04")
        assert_problem(
            await http.post(f"/api/v1/units/{a03['id']}/orders/{order_id}/ack", headers=other),
            403,
            "not-your-unit",
        )
        assert (await _next(ws, "relocation"))["resent"] is True, "still unconfirmed"

        await ws.send(json.dumps({"type": "ack", "order_id": order_id}))
        acked = await _next(ws, "acked")
        assert acked["order_id"] == order_id and acked["acknowledged_at"]
        seen = await console.wait_event("OrderAcknowledged", order_id=order_id)
        assert seen["data"]["unit"]["acknowledged_at"] == acked["acknowledged_at"]
        assert seen["data"]["unit"]["station_id"] == post["id"]

        quiet: list[dict] = []
        try:
            async with asyncio.timeout(2.5):
                while True:
                    quiet.append(json.loads(await ws.recv()))
        except TimeoutError:
            pass
        assert not [m for m in quiet if m["type"] == "relocation"], "no resend once confirmed"
    await console.close()

    # The REST acknowledgement is the same and may be repeated.
    r = await http.post(f"/api/v1/units/{a03['id']}/orders/{order_id}/ack", headers=crew)
    assert r.status_code == 200 and r.json()["acknowledged_at"] == acked["acknowledged_at"]


async def test_a_crew_that_was_offline_gets_the_move_up_when_it_connects(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None, posts_restored: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    crew = await login(http, "crew-a06")
    a06 = (await _units(http, dispatcher))["A06"]
    post = await _another_station(http, dispatcher, a06)
    r = await http.post(
        f"/api/v1/units/{a06['id']}/relocate", headers=dispatcher, json={"station_id": post["id"]}
    )
    order_id = r.json()["order_id"]
    async with connect_socket(f"{server.ws_url}/ws/crew", token_of(crew)) as ws:
        snapshot = await _next(ws, "snapshot")
        assert snapshot["relocation"]["order_id"] == order_id
        assert snapshot["relocation"]["station"]["id"] == post["id"]
        assert (await _next(ws, "relocation"))["resent"] is True

        # Pressing "available" is not a confirmation: the order keeps coming.
        r = await http.post(
            f"/api/v1/units/{a06['id']}/status", headers=crew, json={"status": "out_of_service"}
        )
        assert r.status_code == 200 and r.json()["acknowledged_at"] is None
        r = await http.post(
            f"/api/v1/units/{a06['id']}/status", headers=crew, json={"status": "available"}
        )
        assert r.json()["order_id"] == order_id and r.json()["acknowledged_at"] is None
        assert (await _next(ws, "relocation"))["order_id"] == order_id

        r = await http.post(f"/api/v1/units/{a06['id']}/orders/{order_id}/ack", headers=crew)
        assert r.status_code == 200 and r.json()["acknowledged_at"]
        await _next(ws, "event")  # OrderAcknowledged reaches the crew too, and stops the resend
        quiet: list[dict] = []
        try:
            async with asyncio.timeout(2.5):
                while True:
                    quiet.append(json.loads(await ws.recv()))
        except TimeoutError:
            pass
        assert not [m for m in quiet if m["type"] == "relocation"]


async def test_a_call_replaces_an_unconfirmed_move_up(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None, posts_restored: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    crew = await login(http, "crew-a07")
    a07 = (await _units(http, dispatcher))["A07"]
    post = await _another_station(http, dispatcher, a07)
    async with connect_socket(f"{server.ws_url}/ws/crew", token_of(crew)) as ws:
        await _next(ws, "snapshot")
        r = await http.post(
            f"/api/v1/units/{a07['id']}/relocate",
            headers=dispatcher,
            json={"station_id": post["id"]},
        )
        move_up = r.json()["order_id"]
        await _next(ws, "relocation")
        incident = (
            await http.post(
                "/api/v1/incidents",
                headers=dispatcher,
                json={
                    "location": await a_point_on_a_road(http, 5),
                    "complaint": "fall",
                    "priority": 2,
                },
            )
        ).json()
        r = await http.post(
            f"/api/v1/incidents/{incident['id']}/assignments",
            headers=dispatcher,
            json={"unit_id": a07["id"]},
        )
        assert r.status_code == 201, r.text
        order = await _next(ws, "order")
        assert order["order_id"] == r.json()["order_id"] != move_up
        resent = await _next(ws, "order")
        assert resent["resent"] is True
        later: list[dict] = []
        try:
            async with asyncio.timeout(2.5):
                while True:
                    later.append(json.loads(await ws.recv()))
        except TimeoutError:
            pass
        assert not [m for m in later if m["type"] == "relocation"], "the call replaced it"
        assert [m for m in later if m["type"] == "order"], "the call's order is resent instead"
    assert_problem(
        await http.post(f"/api/v1/units/{a07['id']}/orders/{move_up}/ack", headers=crew),
        409,
        "order-not-current",
    )


async def test_bad_move_up_orders_are_refused_with_problems(
    http: httpx.AsyncClient, reset_fleet: None, posts_restored: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    crew = await login(http, "crew-a08")
    a08 = (await _units(http, dispatcher))["A08"]
    post = await _another_station(http, dispatcher, a08)
    url = f"/api/v1/units/{a08['id']}/relocate"
    for body in ({"station_id": "two"}, {"station_id": 0}, {}, {"station_id": 1, "x": 1}):
        assert_problem(await http.post(url, headers=dispatcher, json=body), 422, "validation-error")
    assert_problem(
        await http.post(url, headers=dispatcher, json={"station_id": 99999}), 404, "not-found"
    )
    assert_problem(
        await http.post(url, headers=crew, json={"station_id": post["id"]}), 403, "forbidden"
    )
    assert_problem(
        await http.post(f"/api/v1/units/{a08['id']}/orders/0/ack", headers=crew),
        404,
        "not-found",
    )
    assert_problem(
        await http.post(f"/api/v1/units/{a08['id']}/orders/123456789/ack", headers=crew),
        409,
        "order-not-current",
    )

    incident = (
        await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={"location": await a_point_on_a_road(http, 7), "complaint": "fall", "priority": 3},
        )
    ).json()
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": a08["id"]},
    )
    assert r.status_code == 201, r.text
    assert_problem(
        await http.post(url, headers=dispatcher, json={"station_id": post["id"]}),
        409,
        "unit-not-available",
    )


async def test_a_second_crew_confirming_its_own_order_does_not_silence_ours(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    """Two ambulances on one call: each crew's order is resent until that crew confirms it."""
    dispatcher = await login(http, "dispatcher")
    units = await _units(http, dispatcher)
    first, second = units["A01"], units["A03"]
    incident = (
        await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http, 9),
                "complaint": "traffic collision, two patients",
                "priority": 1,
            },
        )
    ).json()
    crew = await login(http, "crew-a01")
    async with connect_socket(f"{server.ws_url}/ws/crew", token_of(crew)) as ws:
        await _next(ws, "snapshot")
        orders = {}
        for unit in (first, second):
            r = await http.post(
                f"/api/v1/incidents/{incident['id']}/assignments",
                headers=dispatcher,
                json={"unit_id": unit["id"]},
            )
            assert r.status_code == 201, r.text
            orders[unit["call_sign"]] = r.json()["order_id"]
        assert (await _next(ws, "order"))["order_id"] == orders["A01"]

        other = await login(http, "crew-a03")
        r = await http.post(
            f"/api/v1/units/{second['id']}/orders/{orders['A03']}/ack", headers=other
        )
        assert r.status_code == 200, r.text

        async def acked_by_a03() -> None:
            while True:
                m = json.loads(await ws.recv())
                if m.get("name") == "OrderAcknowledged":
                    assert m["data"]["order_id"] == orders["A03"]
                    return

        await asyncio.wait_for(acked_by_a03(), 5)  # A01's crew sees it: same incident
        again = await _next(ws, "order")
        assert again["resent"] is True and again["order_id"] == orders["A01"]
