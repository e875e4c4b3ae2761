"""The PBX tells us a line rings: the call-takers' consoles show it at once with the caller's number
and where the network places them, a call-taker picks it up, the caller hangs up. The connector's
login can do that and nothing else, and never reads a caller's data back; nothing it sends that
is malformed gets anything but a 4xx problem.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import asyncpg
import httpx

from tests.conftest import ServerProcess
from tests.support import ConsoleSocket, a_point_on_a_road, assert_problem, login, token_of

CALLER = "+8613800138000"


def _pbx_id() -> str:
    return f"pbx-{secrets.token_hex(6)}"


async def test_a_ringing_line_reaches_the_console_and_is_answered_and_hung_up(
    http: httpx.AsyncClient, server: ServerProcess
) -> None:
    pbx, dispatcher = await login(http, "telephony"), await login(http, "dispatcher")
    console = await ConsoleSocket.open(server.ws_url, token_of(dispatcher))
    try:
        await console.wait_for(lambda m: m["type"] == "snapshot")
        near = await a_point_on_a_road(http, 3)
        pbx_id = _pbx_id()
        ring = {
            "line": "trunk-1/4",
            "pbx_call_id": pbx_id,
            "caller_number": "138 0013 8000",
            "caller_name": "Li Wei",
            "location": near,
            "uncertainty_m": 150.0,
            "started_at": "2026-12-04T10:00:00Z",
        }
        r = await http.post("/api/v1/telephony/calls", headers=pbx, json=ring)
        assert r.status_code == 201, r.text
        call = r.json()
        assert call["state"] == "ringing" and call["line"] == "trunk-1/4"
        assert call["caller"] is None, "the connector does not read caller data back"

        rang = await console.wait_event("PhoneRinging")
        shown = rang["data"]["phone_call"]
        assert shown["id"] == call["id"]
        assert shown["caller"] == {
            "number": CALLER,  # normalised, ready for the repeat-caller check
            "name": "Li Wei",
            "location": near,
            "accuracy_m": 150.0,
        }

        # The PBX retries its report (a lost answer): the same call, no second ring.
        again = await http.post("/api/v1/telephony/calls", headers=pbx, json=ring)
        assert again.status_code == 200 and again.json()["id"] == call["id"]

        live = (await http.get("/api/v1/telephony/calls", headers=dispatcher)).json()
        assert [c["caller"]["number"] for c in live if c["id"] == call["id"]] == [CALLER]

        r = await http.post(f"/api/v1/telephony/calls/{call['id']}/answer", headers=dispatcher)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "answered" and r.json()["answered_by"] == "dispatcher"
        await console.wait_event("PhoneAnswered")

        r = await http.post(f"/api/v1/telephony/calls/{call['id']}/end", headers=pbx, json={})
        assert r.status_code == 200 and r.json()["state"] == "ended", r.text
        assert r.json()["abandoned"] is False
        await console.wait_event("PhoneHungUp")
        live = (await http.get("/api/v1/telephony/calls", headers=pbx)).json()
        assert call["id"] not in [c["id"] for c in live]

        # Too late to answer: the caller is gone (call back instead).
        r = await http.post(f"/api/v1/telephony/calls/{call['id']}/answer", headers=dispatcher)
        assert_problem(r, 409, "call-already-ended")
        assert [e["name"] for e in console.events].count("PhoneRinging") == 1
    finally:
        await console.close()


async def test_a_call_nobody_answered_stays_on_record_as_abandoned(http: httpx.AsyncClient) -> None:
    pbx = await login(http, "telephony")
    r = await http.post("/api/v1/telephony/calls", headers=pbx, json={"line": "trunk-2/1"})
    assert r.status_code == 201, r.text
    r = await http.post(f"/api/v1/telephony/calls/{r.json()['id']}/end", headers=pbx)
    assert r.status_code == 200 and r.json()["abandoned"] is True, r.text


async def test_the_connector_may_report_calls_and_nothing_else(http: httpx.AsyncClient) -> None:
    pbx = await login(http, "telephony")
    for method, path in (
        ("GET", "/api/v1/incidents"),
        ("GET", "/api/v1/units"),
        ("GET", "/api/v1/triage/protocol"),
        ("POST", "/api/v1/telephony/calls/1/answer"),
    ):
        assert_problem(await http.request(method, path, headers=pbx), 403, "forbidden")
    # ... and the floor and everyone else may not pretend to be the phone system
    for who in ("dispatcher", "crew-a01", "hospital-1", "admin", "auditor"):
        r = await http.post(
            "/api/v1/telephony/calls", headers=await login(http, who), json={"line": "x"}
        )
        assert_problem(r, 403, "forbidden")
    assert_problem(await http.get("/api/v1/telephony/calls"), 401, "not-authenticated")


async def test_bad_reports_are_refused_with_a_problem(http: httpx.AsyncClient) -> None:
    pbx = await login(http, "telephony")
    for body in (
        {},
        {"line": ""},
        {"line": "t1", "location": [500.0, 10.0]},
        {"line": "t1", "location": [24.9, 60.1], "uncertainty_m": -5},
        {"line": "t1", "started_at": "yesterday"},
        {"line": "t1", "started_at": "2026-12-04T10:00:00"},  # no time zone
        {"line": "t1", "caller_number": "1" * 41},
        {"line": "t1", "colour": "red"},
    ):
        r = await http.post("/api/v1/telephony/calls", headers=pbx, json=body)
        assert 400 <= r.status_code < 500, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json"), body
    assert_problem(
        await http.post("/api/v1/telephony/calls/99999999/end", headers=pbx), 404, "not-found"
    )
    r = await http.post("/api/v1/telephony/calls/abc/end", headers=pbx)
    assert r.status_code in (404, 422) and r.headers["content-type"].startswith(
        "application/problem+json"
    )


async def test_the_triage_card_follows_the_answers(http: httpx.AsyncClient) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.post(
        "/api/v1/triage/evaluate",
        headers=dispatcher,
        json={"complaint_code": "cardiac_arrest", "answers": {"breathing": "no"}},
    )
    assert r.status_code == 200, r.text
    card = r.json()
    assert (card["determinant"], card["priority"], card["target_s"]) == ("E", 1, 720)
    assert card["unanswered"] == ["obvious_death"]
    assert card["instructions"][0]["title"]["en"] == "Compression-only CPR"
    assert card["instructions_review"]["status"] == "draft"
    r = await http.post(
        "/api/v1/triage/evaluate",
        headers=dispatcher,
        json={"complaint_code": "cardiac_arrest", "answers": {"breathing": "sideways"}},
    )
    assert_problem(r, 422, "invalid-answer")


async def test_reading_a_lines_caller_leaves_an_audit_row(
    http: httpx.AsyncClient, database_url: str
) -> None:
    pbx, supervisor = await login(http, "telephony"), await login(http, "supervisor")
    r = await http.post(
        "/api/v1/telephony/calls",
        headers=pbx,
        json={"line": "trunk-3/2", "caller_number": CALLER, "pbx_call_id": _pbx_id()},
    )
    assert r.status_code == 201, r.text
    assert (await http.get("/api/v1/telephony/calls", headers=supervisor)).status_code == 200
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT subject, detail::text AS detail FROM audit "
            "WHERE kind = 'caller-data-read' AND actor = 'supervisor' ORDER BY id DESC LIMIT 1"
        )
    finally:
        await conn.close()
    assert rows and str(r.json()["id"]) in rows[0]["detail"], rows
    assert rows[0]["subject"].startswith("phone-call")


async def test_an_incident_taken_from_a_phone_line_is_received_when_the_phone_rang(
    http: httpx.AsyncClient,
) -> None:
    """Response times start at the ring (NEMSIS eTimes.01), not at the form's submit; the phone
    call stays with the incident's record, and one phone call never opens two incidents."""
    pbx, dispatcher = await login(http, "telephony"), await login(http, "dispatcher")
    ring = {"line": "trunk-2/1", "pbx_call_id": _pbx_id(), "caller_number": "13800138000"}
    phone = (await http.post("/api/v1/telephony/calls", headers=pbx, json=ring)).json()
    r = await http.post(f"/api/v1/telephony/calls/{phone['id']}/answer", headers=dispatcher)
    assert r.status_code == 200, r.text
    rang_at = datetime.fromisoformat(r.json()["received_at"])

    call = {
        "location": await a_point_on_a_road(http, 11),
        "complaint": "collapsed, not breathing",
        "priority": 1,
        "phone_call_id": phone["id"],
    }
    r = await http.post("/api/v1/incidents", headers=dispatcher, json=call)
    assert r.status_code == 201, r.text
    incident = r.json()
    assert datetime.fromisoformat(incident["received_at"]) == rang_at
    timeline = await http.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=dispatcher)
    received = next(e for e in timeline.json()["events"] if e["name"] == "CallReceived")
    assert received["phone_call"] == phone["id"]
    assert datetime.fromisoformat(received["occurred_at"]) >= rang_at
    psap = next(t for t in timeline.json()["nemsis"] if t["element"] == "eTimes.01")
    assert datetime.fromisoformat(psap["at"]) == rang_at

    # A double submit (or a second call-taker on the same line) opens nothing more.
    assert_problem(
        await http.post("/api/v1/incidents", headers=dispatcher, json=call),
        409,
        "phone-call-already-taken",
    )
    assert_problem(
        await http.post(
            f"/api/v1/incidents/{incident['id']}/calls",
            headers=dispatcher,
            json={"complaint": "same caller again", "phone_call_id": phone["id"]},
        ),
        409,
        "phone-call-already-taken",
    )
    assert_problem(
        await http.post(
            "/api/v1/incidents", headers=dispatcher, json={**call, "phone_call_id": 2**31 - 1}
        ),
        404,
        "not-found",
    )

    # A second caller on another line is linked with their own phone call; the time stays.
    second = (
        await http.post(
            "/api/v1/telephony/calls", headers=pbx, json={**ring, "pbx_call_id": _pbx_id()}
        )
    ).json()
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/calls",
        headers=dispatcher,
        json={"complaint": "neighbour calling about the same man", "phone_call_id": second["id"]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["received_at"] == incident["received_at"]
    timeline = await http.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=dispatcher)
    linked = next(e for e in timeline.json()["events"] if e["name"] == "CallLinked")
    assert linked["phone_call"] == second["id"]
