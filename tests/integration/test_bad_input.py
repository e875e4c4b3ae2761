"""Bad input gets a clear 4xx problem, never a 500, and leaves stored data as it was."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.support import (
    ConsoleSocket,
    a_point_on_a_road,
    assert_problem,
    connect_socket,
    login,
    token_of,
)


async def _incident_count(http: httpx.AsyncClient, headers: dict[str, str]) -> int:
    r = await http.get("/api/v1/incidents?status=all", headers=headers)
    assert r.status_code == 200, r.text
    return len(r.json())


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"location": [200.0, 60.17], "complaint": "x", "priority": 1}, "invalid-location"),
        ({"location": [24.94, -95.0], "complaint": "x", "priority": 1}, "invalid-location"),
        ({"location": [24.94], "complaint": "x", "priority": 1}, "validation-error"),
        ({"location": ["east", 60.1], "complaint": "x", "priority": 1}, "validation-error"),
        ({"location": [24.94, 60.17], "complaint": "", "priority": 1}, "validation-error"),
        ({"location": [24.94, 60.17], "complaint": "x", "priority": 9}, "validation-error"),
        (
            {"location": [24.94, 60.17], "complaint": "x", "priority": 1, "prio": 2},
            "validation-error",
        ),
        ({"complaint": "x", "priority": 2}, "invalid-location"),
        ({"location": [25.20, 60.30], "complaint": "x", "priority": 1}, "off-road"),
        (
            {"address": "Nonexistentstreet 999 qqq zzz", "complaint": "x", "priority": 1},
            "address-not-found",
        ),
    ],
)
async def test_bad_call_is_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, body: dict[str, object], code: str
) -> None:
    dispatcher = await login(http, "dispatcher")
    before = await _incident_count(http, dispatcher)
    r = await http.post("/api/v1/incidents", headers=dispatcher, json=body)
    assert_problem(r, 422, code)
    assert await _incident_count(http, dispatcher) == before


async def test_malformed_json_body_is_a_problem_not_a_crash(http: httpx.AsyncClient) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.post(
        "/api/v1/incidents",
        headers={**dispatcher, "Content-Type": "application/json"},
        content=b'{"location": [24.9, ',
    )
    assert_problem(r, 422, "validation-error")


async def test_unknown_unit_and_incident_are_404(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    assert_problem(
        await http.post(
            "/api/v1/units/9999/status", headers=dispatcher, json={"status": "en_route"}
        ),
        404,
        "not-found",
    )
    assert_problem(await http.get("/api/v1/incidents/987654", headers=dispatcher), 404, "not-found")
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"location": await a_point_on_a_road(http), "complaint": "fall", "priority": 3},
    )
    assert_problem(
        await http.post(
            f"/api/v1/incidents/{r.json()['id']}/assignments",
            headers=dispatcher,
            json={"unit_id": 9999},
        ),
        404,
        "not-found",
    )


async def test_illegal_status_jump_is_409_and_unit_unchanged(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    crew = await login(http, "crew-a01")
    units = (await http.get("/api/v1/units", headers=crew)).json()
    a01 = next(u for u in units if u["call_sign"] == "A01")
    body = assert_problem(
        await http.post(
            f"/api/v1/units/{a01['id']}/status", headers=crew, json={"status": "transporting"}
        ),
        409,
        "illegal-transition",
    )
    assert "available" in body["detail"] and "transporting" in body["detail"]
    assert_problem(
        await http.post(
            f"/api/v1/units/{a01['id']}/status", headers=crew, json={"status": "teleporting"}
        ),
        422,
        "validation-error",
    )
    after = next(
        u for u in (await http.get("/api/v1/units", headers=crew)).json() if u["id"] == a01["id"]
    )
    assert after["status"] == "available"


async def test_crew_may_only_move_its_own_unit(http: httpx.AsyncClient, reset_fleet: None) -> None:
    crew = await login(http, "crew-a01")
    units = {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=crew)).json()}
    other = units["A02"]["id"]
    assert_problem(
        await http.post(
            f"/api/v1/units/{other}/status", headers=crew, json={"status": "out_of_service"}
        ),
        403,
        "not-your-unit",
    )
    assert_problem(
        await http.post(
            f"/api/v1/units/{other}/position",
            headers=crew,
            json={"position": units["A02"]["position"]},
        ),
        403,
        "not-your-unit",
    )
    assert_problem(
        await http.post(
            "/api/v1/incidents",
            headers=crew,
            json={"location": units["A01"]["position"], "complaint": "x", "priority": 1},
        ),
        403,
        "forbidden",
    )


async def test_no_token_or_a_forged_one_is_401(http: httpx.AsyncClient) -> None:
    assert_problem(await http.get("/api/v1/units"), 401, "not-authenticated")
    assert_problem(
        await http.get("/api/v1/units", headers={"Authorization": "Bearer abc.def.ghi"}),
        401,
        "not-authenticated",
    )
    assert_problem(
        await http.post("/api/v1/auth/token", data={"username": "dispatcher", "password": "wrong"}),
        401,
        "bad-credentials",
    )
    assert_problem(
        await http.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"}),
        401,
        "bad-credentials",
    )


async def test_malformed_websocket_frames_get_errors_and_the_socket_stays_usable(
    http: httpx.AsyncClient, server: ServerProcess
) -> None:
    dispatcher = await login(http, "dispatcher")
    console = await ConsoleSocket.open(server.ws_url, token_of(dispatcher))
    await console.wait_for(lambda m: m["type"] == "snapshot")
    await console.send("{not json")
    error = await console.wait_for(lambda m: m["type"] == "error")
    assert error["code"] == "invalid-json"
    await console.send('["a list"]')
    await console.wait_for(lambda m: m.get("code") == "invalid-message")
    await console.send('{"type": "dance"}')
    await console.wait_for(lambda m: m.get("code") == "unknown-message")
    await console.send('{"type": "ping"}')
    await console.wait_for(lambda m: m["type"] == "pong")
    await console.close()


async def test_websocket_refuses_missing_or_crew_tokens(
    http: httpx.AsyncClient, server: ServerProcess
) -> None:
    import websockets

    crew = await login(http, "crew-a01")
    for token in (None, token_of(crew), "garbage"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await connect_socket(f"{server.ws_url}/ws/console", token)
        assert refused.value.response.status_code == 403
