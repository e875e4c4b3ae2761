"""Hospitals keep their ED status; crews pick a capable destination; the ED sees who comes."""

from __future__ import annotations

import asyncio
import json

import httpx
import websockets

from dispatch.domain.hospitals import CAPABILITIES
from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, assert_problem, connect_socket, login, token_of


async def _inbound(ws: websockets.ClientConnection, want: int, timeout: float = 10.0) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "inbound" and len(message["patients"]) == want:
                return message


async def test_stroke_patient_goes_to_the_stroke_centre_which_sees_them_coming(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    hospitals = {
        h["name"]: h for h in (await http.get("/api/v1/hospitals", headers=dispatcher)).json()
    }
    central, harbour = hospitals["Central Hospital (demo)"], hospitals["Harbour Hospital (demo)"]
    assert "stroke" in central["capabilities"] and "stroke" not in harbour["capabilities"]
    for h in (central, harbour):  # earlier stories may have changed them
        await http.post(
            f"/api/v1/hospitals/{h['id']}/status", headers=supervisor, json={"ed_status": "open"}
        )

    ed = await login(http, f"hospital-{central['id']}")
    other_ed = await login(http, f"hospital-{harbour['id']}")
    r = await http.post(
        f"/api/v1/hospitals/{central['id']}/status", headers=ed, json={"beds_available": 3}
    )
    assert r.status_code == 200 and r.json()["beds_available"] == 3
    assert_problem(
        await http.post(
            f"/api/v1/hospitals/{central['id']}/status",
            headers=other_ed,
            json={"ed_status": "closed"},
        ),
        403,
        "not-your-hospital",
    )
    assert_problem(
        await http.post(
            f"/api/v1/hospitals/{central['id']}/status",
            headers=ed,
            json={"capabilities": ["teleportation"]},
        ),
        422,
        "unknown-capability",
    )
    assert_problem(
        await http.post(
            f"/api/v1/hospitals/{central['id']}/status", headers=ed, json={"ed_status": "maybe"}
        ),
        422,
        "validation-error",
    )

    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 18),
            "complaint": "face drooping, slurred",
            "complaint_code": "stroke",
            "answers": {},
        },
    )
    incident = r.json()
    assert incident["hospital_capability"] == "stroke"
    r = await http.get(f"/api/v1/incidents/{incident['id']}/destinations", headers=dispatcher)
    options = r.json()["options"]
    assert options[0]["hospital"]["id"] == central["id"] and options[0]["rank"] == 1
    assert "stroke" in options[0]["reason"]["en"].lower() and options[0]["reason"]["zh"]
    assert_problem(
        await http.get(f"/api/v1/incidents/{incident['id']}/destinations", headers=ed),
        403,
        "forbidden",
    )

    units = {
        u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()
    }
    unit_id = units["A09"]["id"]
    await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": unit_id},
    )
    crew = await login(http, "crew-a09")
    for status in ("en_route", "on_scene"):
        await http.post(f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": status})

    async with (
        connect_socket(f"{server.ws_url}/ws/hospital", token_of(ed)) as mine,
        connect_socket(f"{server.ws_url}/ws/hospital", token_of(other_ed)) as theirs,
    ):
        first = await _inbound(mine, 0)
        assert first["hospital"]["id"] == central["id"]
        await _inbound(theirs, 0)
        r = await http.post(
            f"/api/v1/units/{unit_id}/destination",
            headers=crew,
            json={"hospital_id": central["id"]},
        )
        assert r.status_code == 200 and r.json()["destination_hospital_id"] == central["id"]
        await http.post(
            f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": "transporting"}
        )
        coming = await _inbound(mine, 1)
        patient = coming["patients"][0]
        assert patient["incident_number"] == incident["number"] and patient["unit"] == "A09"
        assert patient["needs"] == "stroke" and patient["eta_s"] is not None
        assert "caller" not in patient and "address" not in patient, "minimal summary only"
        with_theirs: list[dict] = []
        try:
            async with asyncio.timeout(1.5):
                while True:
                    with_theirs.append(json.loads(await theirs.recv()))
        except TimeoutError:
            pass
        assert all(not m.get("patients") for m in with_theirs), "other EDs see nothing"

    await http.post(
        f"/api/v1/hospitals/{harbour['id']}/status", headers=other_ed, json={"ed_status": "closed"}
    )
    assert_problem(
        await http.post(
            f"/api/v1/units/{unit_id}/destination",
            headers=crew,
            json={"hospital_id": harbour["id"]},
        ),
        409,
        "destination-refused",
    )
    await http.post(
        f"/api/v1/hospitals/{harbour['id']}/status", headers=other_ed, json={"ed_status": "open"}
    )
    with_crew = await http.get(f"/api/v1/incidents/{incident['id']}/destinations", headers=crew)
    assert with_crew.status_code == 200


async def test_the_stroke_unit_reports_its_own_free_beds_and_the_dispatcher_reads_them(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    """The ED has beds, its stroke unit has one: the board and the destination advice say so;
    a count for a ward the hospital does not have is refused, not shown."""
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    hospitals = {
        h["name"]: h for h in (await http.get("/api/v1/hospitals", headers=dispatcher)).json()
    }
    central = hospitals["Central Hospital (demo)"]
    ed = await login(http, f"hospital-{central['id']}")
    status_url = f"/api/v1/hospitals/{central['id']}/status"
    r = await http.post(
        status_url,
        headers=ed,
        json={"ed_status": "open", "beds_available": 4, "capability_beds": {"stroke": 1}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["capability_beds"] == {"stroke": 1} and r.json()["beds_available"] == 4
    board = {h["id"]: h for h in (await http.get("/api/v1/hospitals", headers=dispatcher)).json()}
    assert board[central["id"]]["capability_beds"] == {"stroke": 1}

    lacking = sorted(CAPABILITIES - set(central["capabilities"]))
    assert lacking, "the demo hospital offers every capability: pick another for this story"
    assert_problem(
        await http.post(status_url, headers=ed, json={"capability_beds": {lacking[0]: 2}}),
        422,
        "beds-without-capability",
    )
    assert_problem(
        await http.post(status_url, headers=ed, json={"capability_beds": {"stroke": -1}}),
        422,
        "validation-error",
    )

    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 23),
            "complaint": "sudden weakness of the right arm",
            "complaint_code": "stroke",
            "answers": {},
        },
    )
    assert r.status_code == 201, r.text
    r = await http.get(f"/api/v1/incidents/{r.json()['id']}/destinations", headers=dispatcher)
    first = r.json()["options"][0]
    assert first["hospital"]["id"] == central["id"]
    assert first["hospital"]["capability_beds"] == {"stroke": 1}
    assert first["reason"]["en"].endswith("4 beds free, stroke unit: 1")
    assert first["reason"]["zh"].endswith("卒中单元1张")

    # the supervisor takes stroke off the list (the unit closed for the night): its count goes too
    kept = [c for c in central["capabilities"] if c != "stroke"]
    r = await http.post(status_url, headers=supervisor, json={"capabilities": kept})
    assert r.status_code == 200 and r.json()["capability_beds"] == {}
    r = await http.post(
        status_url,
        headers=supervisor,
        json={"capabilities": central["capabilities"], "capability_beds": {}},
    )
    assert r.status_code == 200 and "stroke" in r.json()["capabilities"]
