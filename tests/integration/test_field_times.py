"""Field times and per-unit times (issue 15): a crew's updates are timed when the crew pressed
the button, not when they reached the server; every unit keeps its own NEMSIS times; impossible
times are refused at entry and supervisors correct times with a reason, the original kept.

The server runs on the real clock, so "three minutes ago" is made by moving the dispatch back
in the database first (test housekeeping, like ``reset_fleet``): the crew was sent five minutes
ago, pressed en route and on scene while offline, and its queue arrives now.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, assert_problem, connect_socket, login, token_of


def _iso(at: datetime) -> str:
    return at.isoformat()


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def _call(http: httpx.AsyncClient, dispatcher: dict[str, str], road: int = 2) -> dict:
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, road),
            "complaint": "fall",
            "priority": 2,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _send(
    http: httpx.AsyncClient, dispatcher: dict[str, str], incident: dict, call_sign: str
) -> dict:
    units = {
        u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()
    }
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": units[call_sign]["id"]},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _move_back(database_url: str, incident_id: int, seconds: float) -> None:
    """Make the call and its dispatch ``seconds`` older (what a real clock would have done)."""
    conn = await asyncpg.connect(database_url)
    try:
        shift = timedelta(seconds=seconds)
        await conn.execute(
            "UPDATE incidents SET received_at = received_at - $2::interval, "
            "dispatched_at = dispatched_at - $2::interval WHERE id = $1",
            incident_id,
            shift,
        )
        for table, column in (("assignments", "assigned_at"), ("units", "status_at")):
            await conn.execute(
                f"UPDATE {table} SET {column} = {column} - $2::interval WHERE incident_id = $1",
                incident_id,
                shift,
            )
    finally:
        await conn.close()


async def _status(
    http: httpx.AsyncClient, crew: dict[str, str], unit_id: int, status: str, **extra: Any
) -> httpx.Response:
    return await http.post(
        f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": status, **extra}
    )


async def _timeline(http: httpx.AsyncClient, who: dict[str, str], incident_id: int) -> dict:
    r = await http.get(f"/api/v1/incidents/{incident_id}/timeline", headers=who)
    assert r.status_code == 200, r.text
    return r.json()


def _unit_time(timeline: dict, unit_id: int, element: str) -> dict:
    (row,) = [u for u in timeline["units"] if u["unit_id"] == unit_id]
    return next(t for t in row["times"] if t["element"] == element)


def _incident_time(timeline: dict, element: str) -> datetime:
    return _at(next(t["at"] for t in timeline["nemsis"] if t["element"] == element))


async def test_updates_queued_offline_keep_the_times_the_crew_pressed(
    http: httpx.AsyncClient, server: ServerProcess, database_url: str, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    crew = await login(http, "crew-a01")
    incident = await _call(http, dispatcher)
    order = await _send(http, dispatcher, incident, "A01")
    unit_id = order["unit"]["id"]
    await _move_back(database_url, incident["id"], 300)

    # Offline: en route three minutes ago, on scene two and a half; the queue reaches us now.
    now = datetime.now(UTC)
    en_route, on_scene = now - timedelta(minutes=3), now - timedelta(seconds=150)
    stamp = {"client_id": "phone-1"}
    r = await _status(
        http, crew, unit_id, "en_route", at=_iso(en_route), sent_at=_iso(now), client_seq=1, **stamp
    )
    assert r.status_code == 200, r.text
    assert abs(_at(r.json()["status_at"]) - en_route) < timedelta(seconds=1)
    assert r.json()["status_flags"] == []
    r = await _status(
        http,
        crew,
        unit_id,
        "on_scene",
        at=_iso(on_scene),
        sent_at=_iso(datetime.now(UTC)),
        client_seq=2,
        **stamp,
    )
    assert r.status_code == 200, r.text

    timeline = await _timeline(http, dispatcher, incident["id"])
    for element, pressed in (("eTimes.05", en_route), ("eTimes.06", on_scene)):
        assert abs(_incident_time(timeline, element) - pressed) < timedelta(seconds=1), element
        mine = _unit_time(timeline, unit_id, element)
        assert abs(_at(mine["at"]) - pressed) < timedelta(seconds=1), element
        assert mine["flags"] == []
    # the event keeps both: the time of the press and the time the server heard of it
    changed = [e for e in timeline["events"] if e["name"] == "UnitStatusChanged"]
    assert [e["status"] for e in changed] == ["en_route", "on_scene"]
    for event, pressed in zip(changed, (en_route, on_scene), strict=True):
        assert abs(_at(event["occurred_at"]) - pressed) < timedelta(seconds=1)
        assert _at(event["received_at"]) - pressed > timedelta(minutes=2)
        assert _at(event["device_at"]) == pressed
    # the KPIs use the presses: travel time is 30 s, not the milliseconds between two requests
    (unit,) = timeline["units"]
    travel = next(i for i in unit["intervals"] if i["key"] == "travel")
    assert abs(travel["seconds"] - 30) < 1
    assert unit["first_arriving"] is True
    assert next(i for i in timeline["intervals"] if i["key"] == "travel") == travel


async def test_a_device_clock_that_is_off_is_corrected_and_bounds_are_flagged(
    http: httpx.AsyncClient, server: ServerProcess, database_url: str, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    crew = await login(http, "crew-a01")
    incident = await _call(http, dispatcher)
    order = await _send(http, dispatcher, incident, "A01")
    unit_id = order["unit"]["id"]
    await _move_back(database_url, incident["id"], 600)

    # The phone's clock runs two minutes slow; the crew pressed en route a minute ago.
    now = datetime.now(UTC)
    slow = timedelta(minutes=2)
    pressed = now - timedelta(minutes=1)
    r = await _status(
        http, crew, unit_id, "en_route", at=_iso(pressed - slow), sent_at=_iso(now - slow)
    )
    assert r.status_code == 200, r.text
    assert abs(_at(r.json()["status_at"]) - pressed) < timedelta(seconds=1)
    assert r.json()["status_flags"] == ["clock-skew"]

    # Ten minutes in the future (by a clock the request shows to be right): not believed.
    r = await _status(
        http,
        crew,
        unit_id,
        "on_scene",
        at=_iso(datetime.now(UTC) + timedelta(minutes=10)),
        sent_at=_iso(datetime.now(UTC)),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status_flags"] == ["future"]
    assert abs(_at(r.json()["status_at"]) - datetime.now(UTC)) < timedelta(seconds=5)

    timeline = await _timeline(http, dispatcher, incident["id"])
    assert _unit_time(timeline, unit_id, "eTimes.05")["flags"] == ["clock-skew"]
    assert _unit_time(timeline, unit_id, "eTimes.06")["flags"] == ["future"]
    # the console's unit carries the flag too (and the event that moved it)
    units = {u["id"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()}
    assert units[unit_id]["status_flags"] == ["future"]

    # Before the previous status: raised to it. Older than the centre's limit: server time.
    r = await _status(
        http, crew, unit_id, "transporting", at=_iso(now - timedelta(minutes=5)), sent_at=_iso(now)
    )
    assert r.status_code == 200 and r.json()["status_flags"] == ["before-previous"], r.text
    assert r.json()["status_at"] == units[unit_id]["status_at"]
    r = await _status(
        http,
        crew,
        unit_id,
        "at_hospital",
        at=_iso(now - timedelta(hours=3)),
        sent_at=_iso(datetime.now(UTC)),
    )
    assert r.status_code == 200 and r.json()["status_flags"] == ["too-old"], r.text


async def test_each_unit_keeps_its_own_times_and_the_first_arriving_sets_the_kpis(
    http: httpx.AsyncClient, server: ServerProcess, database_url: str, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    first_crew, second_crew = await login(http, "crew-a01"), await login(http, "crew-a02")
    incident = await _call(http, dispatcher)
    a01 = (await _send(http, dispatcher, incident, "A01"))["unit"]["id"]
    a02 = (await _send(http, dispatcher, incident, "A02"))["unit"]["id"]
    await _move_back(database_url, incident["id"], 600)
    now = datetime.now(UTC)

    def ago(seconds: float) -> dict[str, str]:
        return {"at": _iso(now - timedelta(seconds=seconds)), "sent_at": _iso(datetime.now(UTC))}

    # A02 is sent second but arrives first; A01's on-scene is reported after A02's with a time
    # before it: the incident's on-scene time is the earliest, not the first heard of.
    for crew, unit, status, seconds in (
        (second_crew, a02, "en_route", 500),
        (first_crew, a01, "en_route", 480),
        (second_crew, a02, "on_scene", 200),
        (first_crew, a01, "on_scene", 300),
        (first_crew, a01, "transporting", 100),
        (first_crew, a01, "at_hospital", 30),
        (second_crew, a02, "available", 20),
    ):
        r = await _status(http, crew, unit, status, **ago(seconds))
        assert r.status_code == 200, (status, r.text)

    timeline = await _timeline(http, dispatcher, incident["id"])
    rows = {u["unit_id"]: u for u in timeline["units"]}
    assert list(rows) == [a01, a02]
    on_scene = {u: _at(_unit_time(timeline, u, "eTimes.06")["at"]) for u in rows}
    assert abs(on_scene[a01] - (now - timedelta(seconds=300))) < timedelta(seconds=1)
    assert abs(on_scene[a02] - (now - timedelta(seconds=200))) < timedelta(seconds=1)
    assert _incident_time(timeline, "eTimes.06") == on_scene[a01]
    assert rows[a01]["first_arriving"] and not rows[a02]["first_arriving"]
    elements = {u: [t["element"] for t in rows[u]["times"]] for u in rows}
    assert elements[a01] == [
        "eTimes.03", "eTimes.04", "eTimes.05", "eTimes.06", "eTimes.09", "eTimes.11"
    ]  # fmt: skip
    assert elements[a02] == ["eTimes.03", "eTimes.04", "eTimes.05", "eTimes.06", "eTimes.13"]
    kpis = {u: {i["key"]: i["seconds"] for i in rows[u]["intervals"]} for u in rows}
    assert abs(kpis[a01]["travel"] - 180) < 1 and abs(kpis[a01]["transport"] - 70) < 1
    assert abs(kpis[a02]["travel"] - 300) < 1
    # no left-scene time: NASEMSO's scene time runs to back in service
    assert abs(kpis[a02]["scene"] - 180) < 1
    incident_kpis = {i["key"]: i["seconds"] for i in timeline["intervals"]}
    assert incident_kpis["travel"] == kpis[a01]["travel"]


async def test_a_cancelled_unit_gets_eTimes_14_and_13(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    crew = await login(http, "crew-a01")
    incident = await _call(http, dispatcher)
    unit_id = (await _send(http, dispatcher, incident, "A01"))["unit"]["id"]
    assert (await _status(http, crew, unit_id, "en_route")).status_code == 200
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/cancel", headers=dispatcher, json={"reason": "hoax"}
    )
    assert r.status_code == 200, r.text
    timeline = await _timeline(http, dispatcher, incident["id"])
    cancelled = _unit_time(timeline, unit_id, "eTimes.14")["at"]
    assert _unit_time(timeline, unit_id, "eTimes.13")["at"] == cancelled
    (row,) = timeline["units"]
    assert "cancelled_response" in {i["key"] for i in row["intervals"]}


async def test_supervisors_correct_a_time_with_a_reason_and_the_order_is_checked(
    http: httpx.AsyncClient, server: ServerProcess, database_url: str, reset_fleet: None
) -> None:
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    crew = await login(http, "crew-a01")
    incident = await _call(http, dispatcher)
    unit_id = (await _send(http, dispatcher, incident, "A01"))["unit"]["id"]
    await _move_back(database_url, incident["id"], 600)
    now = datetime.now(UTC)
    device = {"sent_at": _iso(now)}
    en_route = now - timedelta(seconds=400)
    r = await _status(http, crew, unit_id, "en_route", at=_iso(en_route), **device)
    assert r.status_code == 200, r.text
    url = f"/api/v1/incidents/{incident['id']}/times"

    def body(element: str, at: datetime, reason: str = "crew forgot to press") -> dict:
        return {"unit_id": unit_id, "element": element, "at": _iso(at), "reason": reason}

    # Who may: the supervisor only.
    r = await http.post(url, headers=dispatcher, json=body("eTimes.06", now))
    assert_problem(r, 403, "forbidden")
    # Impossible orders are refused with the reason; so are the future and foreign elements.
    r = await http.post(
        url, headers=supervisor, json=body("eTimes.06", en_route - timedelta(seconds=1))
    )
    problem = assert_problem(r, 409, "times-out-of-order")
    assert "eTimes.06" in problem["detail"] or "On scene" in problem["detail"]
    r = await http.post(url, headers=supervisor, json=body("eTimes.06", now + timedelta(hours=1)))
    assert_problem(r, 422, "invalid-time")
    r = await http.post(url, headers=supervisor, json=body("eTimes.01", now))
    assert_problem(r, 422, "unknown-time-element")
    r = await http.post(url, headers=supervisor, json=body("eTimes.06", now, reason=" "))
    assert r.status_code == 422, r.text

    # The crew never pressed "at patient": the supervisor enters it; then moves en route later.
    at_patient = now - timedelta(seconds=100)
    r = await http.post(url, headers=supervisor, json=body("eTimes.07", at_patient))
    assert r.status_code == 200, r.text
    later = en_route + timedelta(seconds=60)
    r = await http.post(
        url, headers=supervisor, json=body("en_route", later, reason="AVL shows departure")
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["incident_id"] == incident["id"]
    fixed = next(t for t in answer["unit"]["times"] if t["element"] == "eTimes.05")
    assert _at(fixed["at"]) == later and fixed["flags"] == ["corrected"]

    timeline = await _timeline(http, supervisor, incident["id"])
    assert _incident_time(timeline, "eTimes.05") == later
    assert _unit_time(timeline, unit_id, "eTimes.07")["flags"] == ["corrected"]
    corrections = [e for e in timeline["events"] if e["name"] == "TimeCorrected"]
    assert [c["element"] for c in corrections] == ["eTimes.07", "eTimes.05"]
    assert corrections[0]["previous_at"] is None
    # the original is kept (as recorded: the press, corrected by the request's transit time)
    assert abs(_at(corrections[1]["previous_at"]) - en_route) < timedelta(seconds=1)
    assert corrections[1]["reason"] == "AVL shows departure"
    assert corrections[1]["actor"] == "supervisor"

    # Checks at entry on a status change: on scene before the (corrected) en-route time.
    r = await _status(
        http, crew, unit_id, "on_scene", at=_iso(later - timedelta(seconds=30)), **device
    )
    assert_problem(r, 409, "times-out-of-order")
    r = await _status(
        http, crew, unit_id, "on_scene", at=_iso(now - timedelta(seconds=200)), **device
    )
    assert r.status_code == 200, r.text


async def test_the_crew_socket_measures_the_clock_and_times_acknowledgements(
    http: httpx.AsyncClient, server: ServerProcess, database_url: str, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    crew = await login(http, "crew-a01")
    incident = await _call(http, dispatcher)
    order = await _send(http, dispatcher, incident, "A01")
    await _move_back(database_url, incident["id"], 300)
    fast = timedelta(minutes=5)  # this phone's clock runs five minutes fast
    async with connect_socket(f"{server.ws_url}/ws/crew", token_of(crew)) as ws:
        await ws.send(json.dumps({"type": "hello", "clock": _iso(datetime.now(UTC) + fast)}))
        pressed = datetime.now(UTC) - timedelta(minutes=1)
        await ws.send(
            json.dumps({"type": "ack", "order_id": order["order_id"], "at": _iso(pressed + fast)})
        )
        seen: dict[str, dict] = {}
        while not {"hello", "acked"} <= seen.keys():
            message = json.loads(await ws.recv())
            seen[message["type"]] = message
    assert abs(seen["hello"]["offset_s"] + 300) < 2
    assert abs(_at(seen["acked"]["acknowledged_at"]) - pressed) < timedelta(seconds=2)
    timeline = await _timeline(http, dispatcher, incident["id"])
    ack = _unit_time(timeline, order["unit"]["id"], "eTimes.04")
    assert abs(_at(ack["at"]) - pressed) < timedelta(seconds=2)
    event = next(e for e in timeline["events"] if e["name"] == "OrderAcknowledged")
    assert event["time_flags"] == ["clock-skew"]
