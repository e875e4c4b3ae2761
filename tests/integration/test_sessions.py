"""Sessions that can end: a login is a row in PostgreSQL, and every request and socket asks it.

Logging out, deactivating a login, changing its role or unit, and sitting idle all end the session;
the next request with its token is refused (401 ``session-expired``) on every app process, and its
open sockets close with 4401 "session ended" within seconds. Access tokens live a quarter of an
hour and are renewed with a refresh token that works once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import ServerProcess
from tests.logins import bearer, ready_login, token_answer
from tests.support import assert_problem, connect_socket, login


async def test_a_login_answers_a_short_token_a_refresh_token_and_who_it_is(
    http: httpx.AsyncClient,
) -> None:
    r = await token_answer(http, "supervisor", "supervisor")
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["token_type"] == "bearer"
    assert 0 < answer["expires_in"] <= 900
    assert answer["refresh_token"] and answer["refresh_token"] != answer["access_token"]
    assert (answer["username"], answer["role"]) == ("supervisor", "supervisor")
    assert answer["must_change_password"] is False  # a demo login (GOLDENHOUR_DEMO_LOGINS)
    me = (await http.get("/api/v1/auth/me", headers=bearer(answer))).json()
    assert me == {
        "username": "supervisor",
        "role": "supervisor",
        "unit_id": None,
        "hospital_id": None,
        "must_change_password": False,
    }


async def test_after_logout_the_same_token_is_refused(
    http: httpx.AsyncClient, servers: list[ServerProcess]
) -> None:
    dispatcher = await login(http, "dispatcher")
    assert (await http.get("/api/v1/units", headers=dispatcher)).status_code == 200
    r = await http.post("/api/v1/auth/logout", headers=dispatcher)
    assert r.status_code == 204, r.text
    assert_problem(await http.get("/api/v1/units", headers=dispatcher), 401, "session-expired")
    async with httpx.AsyncClient(base_url=servers[1].url) as other_process:
        r = await other_process.get("/api/v1/units", headers=dispatcher)
        assert_problem(r, 401, "session-expired")
    # another login of the same user is another session: it goes on
    assert (await http.get("/api/v1/units", headers=await login(http, "dispatcher"))).is_success


async def test_a_refresh_token_works_once_and_a_second_use_ends_the_session(
    http: httpx.AsyncClient,
) -> None:
    first = (await token_answer(http, "auditor", "auditor")).json()
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await http.get("/api/v1/auth/me", headers=bearer(second))).status_code == 200

    # a made-up token that merely names the session (its id is in every access token) fails,
    # and ends nothing
    session_id = second["refresh_token"].split(".")[0]
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": f"{session_id}.made-up"})
    assert_problem(r, 401, "session-expired")
    assert (await http.get("/api/v1/auth/me", headers=bearer(second))).status_code == 200

    # someone replays the first refresh token (a stolen copy): the whole session ends
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_problem(r, 401, "session-expired")
    assert_problem(
        await http.get("/api/v1/auth/me", headers=bearer(second)), 401, "session-expired"
    )
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert_problem(r, 401, "session-expired")
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": "not-a-refresh-token"})
    assert_problem(r, 401, "session-expired")


async def test_a_role_change_ends_the_sessions_of_that_login(http: httpx.AsyncClient) -> None:
    admin = await login(http, "admin")
    username, _, answer = await ready_login(http, admin, "dispatcher")
    assert (await http.get("/api/v1/incidents", headers=bearer(answer))).status_code == 200
    r = await http.patch(
        f"/api/v1/admin/users/{username}", headers=admin, json={"role": "supervisor"}
    )
    assert r.status_code == 200 and r.json()["role"] == "supervisor", r.text
    r = await http.get("/api/v1/incidents", headers=bearer(answer))
    assert_problem(r, 401, "session-expired")
    r = await http.post("/api/v1/auth/refresh", json={"refresh_token": answer["refresh_token"]})
    assert_problem(r, 401, "session-expired")


async def _closed_within(ws: Any, seconds: float) -> tuple[int, str, float]:
    """(close code, reason, seconds taken) of a socket the server closes (reading what comes)."""
    started = time.monotonic()
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(seconds):
            while True:
                await ws.recv()
    received = closed.value.rcvd
    assert received is not None, "the server did not send a close frame"
    return received.code, received.reason, time.monotonic() - started


async def test_deactivating_a_crew_login_closes_its_open_socket_with_4401(
    http: httpx.AsyncClient, servers: list[ServerProcess]
) -> None:
    admin = await login(http, "admin")
    units = (await http.get("/api/v1/units", headers=admin)).json()
    a11 = next(u for u in units if u["call_sign"] == "A11")
    username, _, answer = await ready_login(http, admin, "crew", unit_id=a11["id"])
    # the crew's device is connected to the other app process
    ws = await connect_socket(f"{servers[1].ws_url}/ws/crew", answer["access_token"])
    try:
        assert json.loads(await ws.recv())["type"] == "snapshot"
        r = await http.patch(
            f"/api/v1/admin/users/{username}", headers=admin, json={"active": False}
        )
        assert r.status_code == 200 and r.json()["active"] is False, r.text
        code, reason, took = await _closed_within(ws, 5)
    finally:
        await ws.close()
    assert (code, reason) == (4401, "session ended")
    assert took < 5
    assert_problem(await token_answer(http, username, "anything"), 401, "bad-credentials")


async def test_binding_a_crew_login_to_another_unit_ends_its_session_and_socket(
    http: httpx.AsyncClient, server: ServerProcess
) -> None:
    admin = await login(http, "admin")
    units = {
        u["call_sign"]: u["id"] for u in (await http.get("/api/v1/units", headers=admin)).json()
    }
    username, password, answer = await ready_login(http, admin, "crew", unit_id=units["A10"])
    ws = await connect_socket(f"{server.ws_url}/ws/crew", answer["access_token"])
    try:
        assert json.loads(await ws.recv())["unit"]["id"] == units["A10"]
        r = await http.patch(
            f"/api/v1/admin/users/{username}", headers=admin, json={"unit_id": units["A09"]}
        )
        assert r.status_code == 200 and r.json()["unit_id"] == units["A09"], r.text
        code, _, _ = await _closed_within(ws, 5)
    finally:
        await ws.close()
    assert code == 4401
    # the next shift's login is bound to A09
    again = (await token_answer(http, username, password)).json()
    assert again["unit_id"] == units["A09"]


async def test_logging_out_closes_the_consoles_of_that_session(
    http: httpx.AsyncClient, server: ServerProcess
) -> None:
    dispatcher = await login(http, "dispatcher")
    ws = await connect_socket(f"{server.ws_url}/ws/console", dispatcher["Authorization"][7:])
    try:
        assert json.loads(await ws.recv())["type"] == "snapshot"
        assert (await http.post("/api/v1/auth/logout", headers=dispatcher)).status_code == 204
        code, reason, _ = await _closed_within(ws, 5)
    finally:
        await ws.close()
    assert (code, reason) == (4401, "session ended")


# --- the idle timeout -----------------------------------------------------------------------------

#: Short for the test; socket activity is noted at the socket's next session check (every 2 s).
IDLE_S = 4


@pytest.fixture(scope="module")
def idle_server(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """An app process whose sessions end after 4 idle seconds (30 minutes in a console room)."""
    proc = ServerProcess(env={**server_env, "GOLDENHOUR_SESSION_IDLE_S": str(IDLE_S)})
    proc.log_path = tmp_path_factory.mktemp("idle") / "server.log"
    proc.start()
    yield proc
    proc.stop()


async def test_a_session_left_idle_ends_and_renewing_does_not_keep_it_alive(
    idle_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=idle_server.url, timeout=15) as http:
        answer = (await token_answer(http, "supervisor", "supervisor")).json()
        for _ in range(4):  # in use: a request every second keeps it going
            assert (await http.get("/api/v1/units", headers=bearer(answer))).status_code == 200
            await asyncio.sleep(IDLE_S / 4)
        await asyncio.sleep(IDLE_S / 2)
        r = await http.post("/api/v1/auth/refresh", json={"refresh_token": answer["refresh_token"]})
        assert r.status_code == 200, r.text  # renewing is not activity ...
        await asyncio.sleep(IDLE_S / 2 + 0.5)
        assert_problem(
            await http.get("/api/v1/units", headers=bearer(r.json())), 401, "session-expired"
        )  # ... so the session still ran out
        r = await http.post(
            "/api/v1/auth/refresh", json={"refresh_token": r.json()["refresh_token"]}
        )
        assert_problem(r, 401, "session-expired")


async def test_an_idle_console_socket_is_closed_and_an_active_crew_socket_is_not(
    idle_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=idle_server.url, timeout=15) as http:
        console = await login(http, "dispatcher")
        crew = await login(http, "crew-a08")
    quiet = await connect_socket(f"{idle_server.ws_url}/ws/console", console["Authorization"][7:])
    busy = await connect_socket(f"{idle_server.ws_url}/ws/crew", crew["Authorization"][7:])
    try:
        assert json.loads(await quiet.recv())["type"] == "snapshot"
        assert json.loads(await busy.recv())["type"] == "snapshot"

        async def talk(seconds: float) -> None:
            """The crew device keeps talking (a ping every half second stands for its fixes)."""
            for _ in range(int(seconds * 2)):
                await busy.send(json.dumps({"type": "ping"}))
                while json.loads(await busy.recv())["type"] != "pong":
                    pass
                await asyncio.sleep(0.5)

        talking = asyncio.create_task(talk(IDLE_S + 8))
        code, _, _ = await _closed_within(quiet, IDLE_S + 5)
        assert code == 4401
        await talking  # raises if the crew's socket was closed meanwhile
    finally:
        await quiet.close()
        await busy.close()
