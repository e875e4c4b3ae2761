"""The dispatcher's story, end to end over HTTP while a console watches the WebSocket.

A call comes in on a Helsinki street, the console sees it, the dispatcher asks for the fastest
capable units by road, assigns the first, and the crew takes the unit through its whole lifecycle
until it is available again and the incident is closed.
"""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import ServerProcess
from tests.support import ConsoleSocket, a_point_on_a_road, login, token_of


async def test_call_to_available_with_live_console(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    console = await ConsoleSocket.open(server.ws_url, token_of(dispatcher))
    snapshot = await console.wait_for(lambda m: m["type"] == "snapshot")
    assert len(snapshot["units"]) == 12
    assert all(u["status"] == "available" for u in snapshot["units"])

    where = await a_point_on_a_road(http)
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"location": where, "complaint": "chest pain, 58-year-old man", "priority": 1},
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["status"] == "pending"
    assert incident["number"].endswith(f"{incident['id']:06d}")
    received = await console.wait_event("CallReceived")
    assert received["data"]["incident"]["id"] == incident["id"]
    assert received["seq"] > snapshot["seq"]

    r = await http.get(f"/api/v1/incidents/{incident['id']}/recommendations", headers=dispatcher)
    assert r.status_code == 200, r.text
    ranked = r.json()
    assert ranked, "some ALS unit must be reachable"
    assert all(rec["unit"]["capability"] == "ALS" for rec in ranked), "priority 1 needs ALS"
    etas = [rec["eta_s"] for rec in ranked]
    assert etas == sorted(etas)
    assert [rec["rank"] for rec in ranked] == list(range(1, len(ranked) + 1))
    best = ranked[0]
    assert best["route"]["type"] == "LineString" and len(best["route"]["coordinates"]) >= 2
    assert best["distance_m"] > 0

    unit_id = best["unit"]["id"]
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": unit_id},
    )
    assert r.status_code == 201, r.text
    assigned = await console.wait_event("UnitAssigned")
    assert assigned["data"]["unit"]["status"] == "dispatched"
    assert assigned["data"]["incident"]["status"] == "dispatched"
    assert assigned["actor"] == "dispatcher"

    crew = await login(http, "crew-" + best["unit"]["call_sign"].lower())
    r = await http.get(f"/api/v1/units/{unit_id}/assignment", headers=crew)
    assert r.status_code == 200 and r.json()["incident"]["id"] == incident["id"]

    r = await http.post(
        f"/api/v1/units/{unit_id}/position",
        headers=crew,
        json={"position": best["route"]["coordinates"][1]},
    )
    assert r.status_code == 200, r.text
    moved = await console.wait_for(
        lambda m: m["type"] == "positions" and any(u["id"] == unit_id for u in m["units"])
    )
    pushed = next(u for u in moved["units"] if u["id"] == unit_id)
    assert pushed["position"] == best["route"]["coordinates"][1]

    for status in ["en_route", "on_scene", "transporting", "at_hospital", "available"]:
        r = await http.post(
            f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": status}
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
        changed = await console.wait_event("UnitStatusChanged", status=status)
        assert changed["data"]["unit"]["id"] == unit_id
        assert changed["actor"] == f"crew-{best['unit']['call_sign'].lower()}"

    closed = await console.wait_event("IncidentClosed")
    final = closed["data"]["incident"]
    assert final["status"] == "closed"
    stamps = [
        final[k]
        for k in (
            "received_at",
            "dispatched_at",
            "en_route_at",
            "on_scene_at",
            "transporting_at",
            "at_hospital_at",
            "closed_at",
        )
    ]
    assert all(stamps) and stamps == sorted(stamps), "NEMSIS-style times in lifecycle order"

    seqs = [m["seq"] for m in console.events]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)), "in order, no duplicates"
    await console.close()


async def test_two_dispatchers_racing_for_one_unit_exactly_one_wins(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    supervisor = await login(http, "supervisor")
    calls = []
    for i in range(6):
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={"location": await a_point_on_a_road(http, i), "complaint": "fall", "priority": 3},
        )
        calls.append(r.json()["id"])
    units = (await http.get("/api/v1/units", headers=dispatcher)).json()
    target = units[0]["id"]

    async def grab(incident_id: int, who: dict[str, str]) -> httpx.Response:
        return await http.post(
            f"/api/v1/incidents/{incident_id}/assignments", headers=who, json={"unit_id": target}
        )

    answers = await asyncio.gather(
        *(grab(c, dispatcher if i % 2 else supervisor) for i, c in enumerate(calls))
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * 5, [a.text for a in answers]
    losers = [a.json() for a in answers if a.status_code == 409]
    assert all(p["code"] == "unit-not-available" for p in losers)
    assert all(
        a.headers["content-type"].startswith("application/problem+json")
        for a in answers
        if a.status_code == 409
    )
    unit = next(
        u for u in (await http.get("/api/v1/units", headers=dispatcher)).json() if u["id"] == target
    )
    assert unit["status"] == "dispatched"
    pending = [
        i
        for i in (await http.get("/api/v1/incidents", headers=dispatcher)).json()
        if i["id"] in calls and i["status"] == "pending"
    ]
    assert len(pending) == 5, "the losing calls stay pending, nothing half-assigned"


async def test_reconnecting_console_receives_exactly_what_it_missed(
    http: httpx.AsyncClient, server: ServerProcess, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    first = await ConsoleSocket.open(server.ws_url, token_of(dispatcher))
    snap = await first.wait_for(lambda m: m["type"] == "snapshot")
    await first.close()

    made: list[int] = []
    for i in range(3):
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http, i + 3),
                "complaint": "dizzy",
                "priority": 4,
            },
        )
        made.append(r.json()["id"])

    again = await ConsoleSocket.open(server.ws_url, token_of(dispatcher), since=snap["seq"])
    for incident_id in made:
        await again.wait_for(
            lambda m, i=incident_id: (
                m.get("type") == "event" and m["data"].get("incident", {}).get("id") == i
            )
        )
    assert not any(m["type"] == "snapshot" for m in again.messages)
    seqs = [m["seq"] for m in again.events]
    assert seqs[0] == snap["seq"] + 1 and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    received = [m["data"]["incident"]["id"] for m in again.events if m["name"] == "CallReceived"]
    assert received == made
    await again.close()


async def test_two_app_processes_share_one_live_picture(
    servers: list[ServerProcess], reset_fleet: None
) -> None:
    a, b = servers
    async with httpx.AsyncClient(base_url=a.url, timeout=15) as http_a:
        dispatcher = await login(http_a, "dispatcher")
        watcher = await ConsoleSocket.open(b.ws_url, token_of(dispatcher))
        await watcher.wait_for(lambda m: m["type"] == "snapshot")
        r = await http_a.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http_a, 5),
                "complaint": "seizure",
                "priority": 2,
            },
        )
        assert r.status_code == 201
        seen = await watcher.wait_event("CallReceived", timeout=5)
        assert seen["data"]["incident"]["id"] == r.json()["id"]
        await watcher.close()
