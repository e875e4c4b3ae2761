"""Issue 12: bad input is refused where it enters, as a 4xx problem, never a 500 from the database.

The inputs are the ones a black-box test found answering 500 or accepted when they should not be:
ids beyond 32/64-bit range, a NUL in text, a year 9999, ``priority: true``, ``"24.9"`` as a
coordinate, a GPS fix far outside the map.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, assert_problem, login

BIG_IDS = [2**31, 2**63, 10**30]

#: (method, path, body) of every route with an id in its path that a supervisor may call: the id
#: is authorised first (the supervisor may act on any object), then found out of range.
SUPERVISOR_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/incidents/{id}", None),
    ("GET", "/api/v1/incidents/{id}/recommendations", None),
    ("POST", "/api/v1/incidents/{id}/assignments", {"unit_id": 1}),
    ("POST", "/api/v1/incidents/{id}/cancel", {"reason": "test"}),
    ("POST", "/api/v1/incidents/{id}/notes", {"text": "test"}),
    ("GET", "/api/v1/incidents/{id}/timeline", None),
    ("GET", "/api/v1/incidents/{id}/tracks", None),
    (
        "POST",
        "/api/v1/incidents/{id}/reassign",
        {"from_unit_id": 1, "to_unit_id": 2, "reason": "x"},
    ),
    ("POST", "/api/v1/incidents/{id}/triage", {"complaint_code": "chest_pain"}),
    ("POST", "/api/v1/incidents/{id}/calls", {"complaint": "again"}),
    ("GET", "/api/v1/incidents/{id}/destinations", None),
    ("GET", "/api/v1/units/{id}/assignment", None),
    ("POST", "/api/v1/units/{id}/status", {"status": "en_route"}),
    ("POST", "/api/v1/units/{id}/divert", {"to_incident_id": 1, "reason": "x"}),
    ("POST", "/api/v1/units/{id}/destination", {"hospital_id": 1}),
    ("POST", "/api/v1/units/{id}/relocate", {"station_id": 1}),
    ("POST", "/api/v1/hospitals/{id}/status", {"beds_available": 3}),
]


@pytest.mark.parametrize("big", BIG_IDS, ids=["2**31", "2**63", "10**30"])
@pytest.mark.parametrize(("method", "path", "body"), SUPERVISOR_ROUTES, ids=lambda v: str(v))
async def test_an_id_beyond_range_in_the_path_names_nothing(
    http: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None, big: int
) -> None:
    supervisor = await login(http, "supervisor")
    r = await http.request(method, path.format(id=big), headers=supervisor, json=body)
    assert_problem(r, 404, "not-found")


async def test_order_and_unit_ids_beyond_range_on_the_crew_routes(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    crew = await login(http, "crew-a04")
    me = (await http.get("/api/v1/auth/me", headers=crew)).json()
    r = await http.post(f"/api/v1/units/{me['unit_id']}/orders/{2**63}/ack", headers=crew)
    assert_problem(r, 404, "not-found")
    # another unit's id, in range or not, is refused by the authorization first: nobody's unit
    r = await http.post(
        f"/api/v1/units/{2**63}/position", headers=crew, json={"position": [24.94, 60.17]}
    )
    assert_problem(r, 403, "not-your-unit")


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("unit_id", {"unit_id": 2**63}),
        ("unit_id", {"unit_id": 0}),
        ("unit_id", {"unit_id": True}),
        ("unit_id", {"unit_id": "5"}),
    ],
)
async def test_an_id_beyond_range_in_a_body_is_a_validation_error(
    http: httpx.AsyncClient, reset_fleet: None, field: str, body: dict[str, Any]
) -> None:
    dispatcher = await login(http, "dispatcher")
    incident = await _new_incident(http, dispatcher)
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments", headers=dispatcher, json=body
    )
    problem = assert_problem(r, 422, "validation-error")
    assert problem["errors"][0]["loc"] == ["body", field]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/units/{unit}/divert", {"to_incident_id": 2**63, "reason": "x"}),
        ("/api/v1/units/{unit}/destination", {"hospital_id": 2**63}),
        ("/api/v1/units/{unit}/relocate", {"station_id": 2**63}),
        (
            "/api/v1/incidents/{incident}/reassign",
            {"from_unit_id": 1, "to_unit_id": 2**63, "reason": "x"},
        ),
    ],
)
async def test_other_body_ids_beyond_range(
    http: httpx.AsyncClient, reset_fleet: None, path: str, body: dict[str, Any]
) -> None:
    supervisor = await login(http, "supervisor")
    units = (await http.get("/api/v1/units", headers=supervisor)).json()
    incident = await _new_incident(http, supervisor)
    url = path.format(unit=units[0]["id"], incident=incident["id"])
    assert_problem(await http.post(url, headers=supervisor, json=body), 422, "validation-error")


# --- text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        {"complaint": "chest\x00pain"},
        {"complaint": "chest pain\x1b[31m"},
        {"complaint": "chest pain\r"},
        {"complaint": "x", "address": "Mannerheimintie\x00 1"},
        {"complaint": "x", "caller": {"number": "+358\x0040"}},
        {"complaint": "x", "answers": {"breathing\x00": "no"}},
        {"complaint": "x", "complaint_code": "chest\x07pain"},
    ],
    ids=["nul", "escape", "carriage-return", "address", "caller-number", "answer-key", "code"],
)
async def test_control_characters_in_text_are_refused(
    http: httpx.AsyncClient, call: dict[str, Any]
) -> None:
    dispatcher = await login(http, "dispatcher")
    body = {"location": await a_point_on_a_road(http), "priority": 3, **call}
    problem = assert_problem(
        await http.post("/api/v1/incidents", headers=dispatcher, json=body), 422, "validation-error"
    )
    assert problem["errors"][0]["type"] == "control_character", problem
    assert "control character U+00" in problem["detail"], problem


async def test_tab_and_newline_are_plain_text(http: httpx.AsyncClient, reset_fleet: None) -> None:
    dispatcher = await login(http, "dispatcher")
    body = {
        "location": await a_point_on_a_road(http),
        "priority": 4,
        "complaint": "fell\tdown\nknee hurts",
    }
    r = await http.post("/api/v1/incidents", headers=dispatcher, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["complaint"] == "fell\tdown\nknee hurts"


async def test_nul_in_note_reason_and_queries(http: httpx.AsyncClient, reset_fleet: None) -> None:
    supervisor = await login(http, "supervisor")
    incident = await _new_incident(http, supervisor)
    base = f"/api/v1/incidents/{incident['id']}"
    for path, body in (
        ("/notes", {"text": "a\x00b"}),
        ("/cancel", {"reason": "a\x00b"}),
        ("/calls", {"complaint": "a\x00b"}),
    ):
        r = await http.post(base + path, headers=supervisor, json=body)
        assert_problem(r, 422, "validation-error")
    for path, params in (
        ("/api/v1/geocode", {"q": "Mannerheimintie\x00"}),
        ("/api/v1/review/incidents", {"status": "open\x00"}),
        ("/api/v1/review/incidents", {"bbox": "24.9,60.1,25.0,60.2\x00"}),
        ("/api/v1/route", {"from": "24.9,60.1\x00", "to": "24.95,60.17"}),
    ):
        r = await http.get(path, headers=supervisor, params=params)
        assert_problem(r, 422, "validation-error")


async def test_nul_in_a_login_form_is_refused_not_a_crash(http: httpx.AsyncClient) -> None:
    r = await http.post("/api/v1/auth/token", data={"username": "dispatcher\x00", "password": "x"})
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_a_refused_nul_keeps_the_connection(server: ServerProcess) -> None:
    """The first answer is a 422 and the same TCP connection then answers a second request (a
    500 used to be followed by the server dropping the connection)."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        token = (await login(http, "dispatcher"))["Authorization"]
    body = b'{"location": [24.94, 60.17], "complaint": "a\\u0000b", "priority": 1}'
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(
            b"POST /api/v1/incidents HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + f"Authorization: {token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        first = await _read_response(reader)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        second = await _read_response(reader)
    finally:
        writer.close()
    assert first[0] == 422 and b"control_character" in first[1], first
    assert second[0] == 200, second


# --- times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"to": "9999-12-31T23:59:59Z"},
        {"from": "9999-12-31T23:59:59-12:00"},
        {"from": "0001-01-01T00:00:00+14:00"},
        {"from": "1999-12-31T23:59:59Z"},
        {"to": "2026-01-01T00:00:00"},  # no UTC offset
    ],
    ids=["9999", "9999-offset", "year-1", "1999", "naive"],
)
async def test_review_dates_outside_the_years_are_refused(
    http: httpx.AsyncClient, params: dict[str, str]
) -> None:
    supervisor = await login(http, "supervisor")
    for path in ("/api/v1/review/incidents", "/api/v1/review/kpis", "/api/v1/review/incidents.csv"):
        r = await http.get(path, headers=supervisor, params=params)
        assert_problem(r, 422, "validation-error")


async def test_a_gps_fix_from_year_9999_is_refused(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    crew = await login(http, "crew-a05")
    me = (await http.get("/api/v1/auth/me", headers=crew)).json()
    spot = await a_point_on_a_road(http, 3)
    r = await http.post(
        f"/api/v1/units/{me['unit_id']}/position",
        headers=crew,
        json={"position": spot, "reported_at": "9999-12-31T23:59:59Z"},
    )
    problem = assert_problem(r, 422, "validation-error")
    assert problem["errors"][0]["type"] == "time_out_of_range"


# --- strict types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"priority": True},
        {"priority": "1"},
        {"priority": 1.0},
        {"location": ["24.9", 60.17]},
        {"location": [True, 60.17]},
        {"caller": {"number": "+35840", "accuracy_m": "15"}},
    ],
    ids=["priority-true", "priority-string", "priority-float", "lon-string", "lon-bool", "acc"],
)
async def test_numbers_are_json_numbers(http: httpx.AsyncClient, change: dict[str, Any]) -> None:
    dispatcher = await login(http, "dispatcher")
    before = len((await http.get("/api/v1/incidents?status=all", headers=dispatcher)).json())
    body = {"location": await a_point_on_a_road(http), "complaint": "x", "priority": 1, **change}
    r = await http.post("/api/v1/incidents", headers=dispatcher, json=body)
    assert_problem(r, 422, "validation-error")
    after = len((await http.get("/api/v1/incidents?status=all", headers=dispatcher)).json())
    assert after == before, "nothing was created"


async def test_position_and_beds_are_strict_numbers(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    crew = await login(http, "crew-a05")
    me = (await http.get("/api/v1/auth/me", headers=crew)).json()
    for position in (["24.9", 60.17], [24.9, True], [24.9, "NaN"]):
        r = await http.post(
            f"/api/v1/units/{me['unit_id']}/position", headers=crew, json={"position": position}
        )
        assert_problem(r, 422, "validation-error")
    supervisor = await login(http, "supervisor")
    hospital = (await http.get("/api/v1/hospitals", headers=supervisor)).json()[0]
    for beds in (True, "3", 2.5, 2**63):
        r = await http.post(
            f"/api/v1/hospitals/{hospital['id']}/status",
            headers=supervisor,
            json={"beds_available": beds},
        )
        assert_problem(r, 422, "validation-error")


# --- GPS fixes outside the map -------------------------------------------------------------------


async def test_a_gps_fix_outside_the_map_is_refused(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    west, south, east, north = (await http.get("/api/v1/map")).json()["bbox"]
    crew = await login(http, "crew-a06")
    me = (await http.get("/api/v1/auth/me", headers=crew)).json()
    url = f"/api/v1/units/{me['unit_id']}/position"
    middle = (south + north) / 2
    for far in ([0.0, 0.0], [middle, (west + east) / 2], [east + 0.5, middle], [west, north + 0.1]):
        problem = assert_problem(
            await http.post(url, headers=crew, json={"position": far}), 422, "outside-map"
        )
        assert "outside the map" in problem["detail"]
    just_over_the_edge = [east + 0.02, middle]  # ~1.1 km east of the extract: within the margin
    r = await http.post(url, headers=crew, json={"position": just_over_the_edge})
    assert r.status_code == 200, r.text
    assert r.json()["position"] == just_over_the_edge


# --- helpers -------------------------------------------------------------------------------------


async def _new_incident(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    r = await http.post(
        "/api/v1/incidents",
        headers=headers,
        json={"location": await a_point_on_a_road(http, 5), "complaint": "fall", "priority": 4},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length: its status and body."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(
        int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")
    )
    return status, await asyncio.wait_for(reader.readexactly(length), 10)
