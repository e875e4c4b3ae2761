"""An ED acknowledges the patient coming to it; the dispatcher and the crew see "ED acknowledged".

Central's ED sees A07 bringing a chest-pain patient, presses acknowledge, and the console gets a
``PatientAcknowledged`` event. Harbour's ED (the patient is not coming to it), a dispatcher and
the crew cannot acknowledge for Central; Central cannot acknowledge in Harbour's name. When the
crew turns to Harbour instead, Central's acknowledgement no longer counts and Harbour is asked.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
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


async def _inbound(
    ws: websockets.ClientConnection, predicate: Any, timeout: float = 10.0
) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "inbound" and predicate(message):
                return message


async def test_the_ed_acknowledges_its_incoming_patient_and_the_console_sees_it(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    hospitals = {
        h["name"]: h for h in (await http.get("/api/v1/hospitals", headers=dispatcher)).json()
    }
    central, harbour = hospitals["Central Hospital (demo)"], hospitals["Harbour Hospital (demo)"]
    for h in (central, harbour):
        r = await http.post(
            f"/api/v1/hospitals/{h['id']}/status", headers=supervisor, json={"ed_status": "open"}
        )
        assert r.status_code == 200 and r.json()["status_at"] is not None, "report time shown"
    ed, other_ed = (
        await login(http, f"hospital-{central['id']}"),
        await login(http, f"hospital-{harbour['id']}"),
    )

    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 31),
            "complaint": "chest pain, sweating",
            "priority": 2,
            "caller": {"number": "+358401234567"},
        },
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    units = {
        u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()
    }
    unit_id = units["A07"]["id"]
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": unit_id},
    )
    assert r.status_code == 201, r.text
    crew = await login(http, "crew-a07")
    for status in ("en_route", "on_scene"):
        await http.post(f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": status})
    r = await http.post(
        f"/api/v1/units/{unit_id}/destination",
        headers=dispatcher,
        json={"hospital_id": central["id"]},
    )
    assert r.status_code == 200, r.text
    await http.post(
        f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": "transporting"}
    )

    ack_path = f"/api/v1/hospitals/{central['id']}/incoming/{incident['id']}/ack"
    console = await ConsoleSocket.open(server.ws_url, token_of(dispatcher))
    try:
        async with connect_socket(f"{server.ws_url}/ws/hospital", token_of(ed)) as mine:
            coming = await _inbound(mine, lambda m: len(m["patients"]) == 1)
            patient = coming["patients"][0]
            assert patient["incident_id"] == incident["id"] and patient["acknowledged_at"] is None
            assert "+358" not in json.dumps(coming), "no caller data for an ED"

            # Only Central's own ED, for a patient coming to it.
            assert_problem(await http.post(ack_path, headers=other_ed), 403, "not-routed-to-you")
            assert_problem(await http.post(ack_path, headers=dispatcher), 403, "forbidden")
            assert_problem(await http.post(ack_path, headers=crew), 403, "forbidden")
            in_their_name = f"/api/v1/hospitals/{harbour['id']}/incoming/{incident['id']}/ack"
            assert_problem(await http.post(in_their_name, headers=ed), 403, "not-your-hospital")

            r = await http.post(ack_path, headers=ed)
            assert r.status_code == 200, r.text
            ack = r.json()
            assert ack["unit_ids"] == [unit_id] and ack["hospital_id"] == central["id"]
            assert ack["acknowledged_by"] == f"hospital-{central['id']}"
            assert "+358" not in r.text and "caller" not in ack

            event = await console.wait_for(
                lambda m: (
                    m.get("name") == "PatientAcknowledged" and m["data"]["unit"]["id"] == unit_id
                )
            )
            assert event["data"]["hospital"] == central["id"]
            assert event["data"]["hospital_name"] == central["name"]
            seen = await _inbound(mine, lambda m: m["patients"][0]["acknowledged_at"] is not None)
            assert seen["patients"][0]["acknowledged_at"] == ack["acknowledged_at"]

            again = await http.post(ack_path, headers=ed)
            assert again.status_code == 200 and again.json() == ack, "repeating is harmless"
        timeline = (
            await http.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=dispatcher)
        ).json()
        acks = [e for e in timeline["events"] if e["name"] == "PatientAcknowledged"]
        assert len(acks) == 1 and acks[0]["actor"] == f"hospital-{central['id']}"

        # The crew turns to Harbour: Central's acknowledgement no longer counts.
        r = await http.post(
            f"/api/v1/units/{unit_id}/destination",
            headers=crew,
            json={"hospital_id": harbour["id"]},
        )
        assert r.status_code == 200, r.text
        assert_problem(await http.post(ack_path, headers=ed), 403, "not-routed-to-you")
        async with connect_socket(f"{server.ws_url}/ws/hospital", token_of(other_ed)) as theirs:
            now_theirs = await _inbound(theirs, lambda m: len(m["patients"]) == 1)
            assert now_theirs["patients"][0]["acknowledged_at"] is None
    finally:
        await console.close()


async def test_bad_acknowledgements_are_problems_not_errors(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    ed = await login(http, "hospital-1")
    for path, status, code in (
        ("/api/v1/hospitals/1/incoming/abc/ack", 403, "not-routed-to-you"),
        ("/api/v1/hospitals/1/incoming/999999999/ack", 403, "not-routed-to-you"),
        ("/api/v1/hospitals/1/incoming/-1/ack", 403, "not-routed-to-you"),
    ):
        assert_problem(await http.post(path, headers=ed), status, code)
    r = await http.get("/api/v1/hospitals/1/incoming/1/ack", headers=ed)
    assert r.status_code in (404, 405), r.text  # no such read: a problem, not a server error
    assert r.headers["content-type"].startswith("application/problem+json")
    assert_problem(await http.post("/api/v1/hospitals/1/incoming/1/ack"), 401, "not-authenticated")
