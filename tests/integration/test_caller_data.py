"""A caller's phone number and where the phone network placed them go to the dispatch floor, and to
the crew sent to that caller while it is on the call; never to the hospital, the admin, the
auditor, or a crew about a call it is not on. Over REST and over every socket alike.
"""

from __future__ import annotations

import json

import httpx

from tests.conftest import ServerProcess
from tests.support import (
    ConsoleSocket,
    a_point_on_a_road,
    assert_problem,
    connect_socket,
    login,
    token_of,
)

CALLER = "+8613812345678"
SECOND_CALLER = "+8613987654321"


async def _open(server: ServerProcess, path: str, headers: dict[str, str]) -> ConsoleSocket:
    return ConsoleSocket(await connect_socket(f"{server.ws_url}{path}", token_of(headers)))


def _said(socket: ConsoleSocket) -> str:
    return "\n".join(json.dumps(m) for m in socket.messages)


async def test_the_callers_number_reaches_the_floor_and_the_crew_on_the_call_only(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    auditor, admin = await login(http, "auditor"), await login(http, "admin")
    crew = await login(http, "crew-a05")
    scene = await a_point_on_a_road(http, 11)
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": scene,
            "complaint": "elderly man collapsed in the stairwell",
            "priority": 2,
            "caller": {"number": CALLER, "location": scene, "accuracy_m": 40},
        },
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["caller"]["number"] == CALLER, "the call-taker sees whom to call back"
    units = {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=crew)).json()}
    a05 = units["A05"]["id"]
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": a05},
    )
    assert r.status_code == 201 and r.json()["incident"]["caller"]["number"] == CALLER

    hospitals = (await http.get("/api/v1/hospitals", headers=crew)).json()
    central = next(h for h in hospitals if h["name"] == "Central Hospital (demo)")
    ed = await login(http, f"hospital-{central['id']}")
    console = await _open(server, "/ws/console", dispatcher)
    crew_socket = await _open(server, "/ws/crew", crew)
    hospital_socket = await _open(server, "/ws/hospital", ed)
    try:
        snapshot = await console.wait_for(lambda m: m["type"] == "snapshot")
        shown = next(i for i in snapshot["incidents"] if i["id"] == incident["id"])
        assert shown["caller"]["number"] == CALLER, "the console shows the caller"
        crew_snapshot = await crew_socket.wait_for(lambda m: m["type"] == "snapshot")
        assert crew_snapshot["assignment"]["incident"]["caller"]["number"] == CALLER, (
            "the crew sent to the call may phone the caller on the way"
        )
        r = await http.get(f"/api/v1/units/{a05}/assignment", headers=crew)
        assert r.json()["incident"]["caller"]["number"] == CALLER
        r = await http.get(f"/api/v1/incidents/{incident['id']}", headers=crew)
        assert r.json()["caller"]["number"] == CALLER

        # A neighbour calls about the same man; the crew chooses the hospital.
        r = await http.post(
            f"/api/v1/incidents/{incident['id']}/calls",
            headers=dispatcher,
            json={"complaint": "man on the stairs not moving", "caller": {"number": SECOND_CALLER}},
        )
        assert r.status_code == 201, r.text
        linked = await crew_socket.wait_event("CallLinked")
        assert linked["data"]["caller_number"] == SECOND_CALLER
        r = await http.post(
            f"/api/v1/units/{a05}/destination", headers=crew, json={"hospital_id": central["id"]}
        )
        assert r.status_code == 200, r.text

        # The emergency department prepares for a patient, not a phone number.
        r = await http.get(f"/api/v1/incidents/{incident['id']}", headers=ed)
        assert r.status_code == 200 and r.json()["caller"] is None
        assert r.json()["complaint"] == incident["complaint"], "the rest of the call is there"
        assert CALLER not in r.text
        await hospital_socket.wait_for(lambda m: m["type"] == "inbound" and m["patients"])

        # The auditor and the admin read no caller data, not even in the audit trail of events.
        r = await http.get(f"/api/v1/incidents/{incident['id']}", headers=auditor)
        assert r.status_code == 200 and r.json()["caller"] is None and CALLER not in r.text
        r = await http.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=auditor)
        assert r.status_code == 200 and "CallLinked" in r.text
        assert CALLER not in r.text and SECOND_CALLER not in r.text
        r = await http.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=supervisor)
        assert SECOND_CALLER in r.text, "the supervisor's timeline keeps the linked caller"
        found = await http.get("/api/v1/review/incidents", headers=auditor)
        assert any(i["id"] == incident["id"] for i in found.json()) and CALLER not in found.text
        assert_problem(
            await http.get(f"/api/v1/incidents/{incident['id']}", headers=admin), 403, "forbidden"
        )

        # Handover done, the crew is free: the call it finished is no longer its business.
        for status in ("en_route", "on_scene", "transporting", "at_hospital", "available"):
            r = await http.post(
                f"/api/v1/units/{a05}/status", headers=crew, json={"status": status}
            )
            assert r.status_code == 200, r.text
        released = await crew_socket.wait_event("UnitStatusChanged", status="available")
        assert released["data"]["incident"]["id"] == incident["id"]
        assert released["data"]["incident"]["caller"] is None
        assert_problem(
            await http.get(f"/api/v1/incidents/{incident['id']}", headers=crew),
            403,
            "not-your-incident",
        )
        on_console = await console.wait_event("UnitStatusChanged", status="available")
        assert on_console["data"]["incident"]["caller"]["number"] == CALLER
        assert CALLER not in _said(hospital_socket) and SECOND_CALLER not in _said(hospital_socket)
    finally:
        for socket in (console, crew_socket, hospital_socket):
            await socket.close()


async def test_nobody_off_the_floor_reads_a_pending_call(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 13),
            "complaint": "child with a high fever",
            "priority": 3,
            "caller": {"number": CALLER},
        },
    )
    pending = r.json()
    hospital = (await http.get("/api/v1/hospitals", headers=dispatcher)).json()[0]
    crew, ed = await login(http, "crew-a06"), await login(http, f"hospital-{hospital['id']}")
    auditor = await login(http, "auditor")
    url = f"/api/v1/incidents/{pending['id']}"
    assert_problem(await http.get(url, headers=crew), 403, "not-your-incident")
    assert_problem(await http.get(url, headers=ed), 403, "not-routed-to-you")
    r = await http.get(url, headers=auditor)
    assert r.status_code == 200 and r.json()["caller"] is None and CALLER not in r.text
