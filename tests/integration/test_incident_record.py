"""What supervisors rely on: cancellations with reasons, notes with authors, a full timeline."""

from __future__ import annotations

import httpx

from tests.support import a_point_on_a_road, assert_problem, login


async def _call_with_unit(http: httpx.AsyncClient, call_sign: str) -> tuple[dict, dict, dict]:
    dispatcher = await login(http, "dispatcher")
    units = {
        u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()
    }
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"location": await a_point_on_a_road(http, 9), "complaint": "fall", "priority": 3},
    )
    incident = r.json()
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": units[call_sign]["id"]},
    )
    assert r.status_code == 201, r.text
    return incident, units[call_sign], dispatcher


async def test_cancelling_a_call_releases_the_unit_on_its_way(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    incident, unit, dispatcher = await _call_with_unit(http, "A04")
    crew = await login(http, "crew-a04")
    await http.post(f"/api/v1/units/{unit['id']}/status", headers=crew, json={"status": "en_route"})
    assert_problem(
        await http.post(
            f"/api/v1/incidents/{incident['id']}/cancel", headers=dispatcher, json={"reason": " "}
        ),
        409,
        "cancel-refused",
    )
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/cancel",
        headers=dispatcher,
        json={"reason": "caller called back: patient walked to the clinic"},
    )
    assert r.status_code == 200, r.text
    cancelled = r.json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_at"]
    assert cancelled["cancel_reason"].startswith("caller called back")
    units = {u["id"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()}
    assert units[unit["id"]]["status"] == "available" and units[unit["id"]]["incident_id"] is None
    open_ids = [i["id"] for i in (await http.get("/api/v1/incidents", headers=dispatcher)).json()]
    assert incident["id"] not in open_ids
    assert_problem(
        await http.post(
            f"/api/v1/incidents/{incident['id']}/cancel", headers=dispatcher, json={"reason": "x"}
        ),
        409,
        "cancel-refused",
    )


async def test_a_unit_on_scene_is_not_cancelled_away(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    incident, unit, dispatcher = await _call_with_unit(http, "A06")
    crew = await login(http, "crew-a06")
    for status in ("en_route", "on_scene"):
        await http.post(f"/api/v1/units/{unit['id']}/status", headers=crew, json={"status": status})
    body = assert_problem(
        await http.post(
            f"/api/v1/incidents/{incident['id']}/cancel", headers=dispatcher, json={"reason": "dup"}
        ),
        409,
        "cancel-refused",
    )
    assert "A06" in body["detail"]


async def test_notes_and_the_timeline_record_who_did_what_and_when(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    incident, unit, dispatcher = await _call_with_unit(http, "A08")
    crew = await login(http, "crew-a08")
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/notes",
        headers=dispatcher,
        json={"text": "Caller reports patient on 3rd floor, no lift"},
    )
    assert r.status_code == 201
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/notes",
        headers=crew,
        json={"text": "Gate code 4711"},
    )
    assert r.status_code == 201
    stranger = await login(http, "crew-a09")
    assert_problem(
        await http.post(
            f"/api/v1/incidents/{incident['id']}/notes", headers=stranger, json={"text": "hi"}
        ),
        403,
        "not-your-incident",
    )
    await http.post(f"/api/v1/units/{unit['id']}/status", headers=crew, json={"status": "en_route"})

    r = await http.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=dispatcher)
    assert r.status_code == 200, r.text
    nemsis_rows = r.json()["nemsis"]
    assert [row["element"] for row in nemsis_rows] == ["eTimes.01", "eTimes.03", "eTimes.05"]
    assert nemsis_rows[0]["since_call_s"] == 0 and not any(row["flagged"] for row in nemsis_rows)
    events = r.json()["events"]
    names = [e["name"] for e in events]
    assert names == [
        "CallReceived",
        "UnitAssigned",
        "NoteAdded",
        "NoteAdded",
        "OrderAcknowledged",
        "UnitStatusChanged",
    ]
    notes = [e for e in events if e["name"] == "NoteAdded"]
    assert [(n["author"], n["text"]) for n in notes] == [
        ("dispatcher", "Caller reports patient on 3rd floor, no lift"),
        ("crew-a08", "Gate code 4711"),
    ]
    assert [e["actor"] for e in events][-1] == "crew-a08"
    seqs = [e["seq"] for e in events]
    times = [e["occurred_at"] for e in events]
    assert seqs == sorted(seqs) and times == sorted(times)
    assert_problem(
        await http.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=crew),
        403,
        "forbidden",
    )


async def test_address_text_is_verified_against_the_map_and_a_pin_is_reverse_geocoded(
    http: httpx.AsyncClient,
) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.get("/api/v1/geocode", params={"q": "Erottajankatu"}, headers=dispatcher)
    street = r.json()[0]
    assert street["label"].startswith("Erottajankatu") and street["score"] >= 0.95
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"address": "Erottajankatu", "complaint": "fall", "priority": 4},
    )
    assert r.status_code == 201 and r.json()["address_verified"] is True
    pin = await a_point_on_a_road(http, 3)
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"location": pin, "complaint": "fall", "priority": 4},
    )
    assert r.json()["address_verified"] is False, "a bare pin names no verified address"
    r = await http.get("/api/v1/reverse", params={"lon": pin[0], "lat": pin[1]}, headers=dispatcher)
    assert r.status_code == 200 and r.json()["label"] and r.json()["distance_m"] < 100
    assert_problem(
        await http.get("/api/v1/reverse", params={"lon": 25.3, "lat": 60.4}, headers=dispatcher),
        404,
        "no-address-nearby",
    )
    assert_problem(
        await http.get("/api/v1/reverse", params={"lon": 250, "lat": 60.4}, headers=dispatcher),
        422,
        "validation-error",
    )
