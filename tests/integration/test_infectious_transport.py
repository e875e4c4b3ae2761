"""Infectious transport (#18 item 6): a fever call flagged by triage gets isolation units and
fever clinics only, the crew sees the protection level, and the unit is decontaminated after."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.conftest import ServerProcess
from tests.support import a_point_on_a_road, assert_problem, login

#: The test server's GOLDENHOUR_DECONTAMINATION_MIN (tests/conftest.py): 0.1 min.
DECONTAMINATION_S = 6.0


@pytest.fixture
async def isolation_fleet(
    database_url: str, reset_fleet: None
) -> AsyncIterator[asyncpg.Connection]:
    """Fleet configuration for the story (test housekeeping, as the seed does it): only A01 and
    A05 can isolate. The connection also reads the event log."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE units SET isolation = call_sign IN ('A01', 'A05')")
        yield conn
        await conn.execute("UPDATE units SET isolation = false")
    finally:
        await conn.close()


async def _units(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict]:
    return {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=headers)).json()}


async def _infectious_kpis(
    http: httpx.AsyncClient, supervisor: dict[str, str], incidents: list[dict]
) -> dict:
    """The review's infectious KPIs over exactly the window of this story's incidents."""
    received = sorted(datetime.fromisoformat(i["received_at"]) for i in incidents)
    r = await http.get(
        "/api/v1/review/kpis",
        headers=supervisor,
        params={
            "from": received[0].isoformat(),
            "to": (received[-1] + timedelta(milliseconds=1)).isoformat(),
        },
    )
    assert r.status_code == 200, r.text
    return r.json()["infectious"]


async def _status(http: httpx.AsyncClient, crew: dict[str, str], unit_id: int, status: str) -> dict:
    r = await http.post(f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": status})
    assert r.status_code == 200, r.text
    return r.json()


async def test_fever_call_isolation_unit_fever_clinic_protection_and_decontamination(
    http: httpx.AsyncClient, server: ServerProcess, isolation_fleet: asyncpg.Connection
) -> None:
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    units = await _units(http, dispatcher)
    place = await a_point_on_a_road(http, 21)

    # Triage: the caller's words say fever; the call is flagged with why.
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": place,
            "complaint": "high fever and cough for three days",
            "complaint_code": "breathing_problems",
            "answers": {},
        },
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    assert incident["infectious"] is True and incident["protection"] == "airborne"
    assert "fever" in incident["infectious_reason"]

    # Recommendations: isolation units only.
    r = await http.get(f"/api/v1/incidents/{incident['id']}/recommendations", headers=dispatcher)
    assert r.status_code == 200, r.text
    offered = r.json()
    assert offered, "an isolation unit is free"
    assert {o["unit"]["call_sign"] for o in offered} <= {"A01", "A05"}
    assert all(o["unit"]["isolation"] and not o["no_isolation_unit"] for o in offered)

    # Destinations: fever clinics only (Harbour is made one; Central is not).
    hospitals = {
        h["name"]: h for h in (await http.get("/api/v1/hospitals", headers=dispatcher)).json()
    }
    harbour, central = hospitals["Harbour Hospital (demo)"], hospitals["Central Hospital (demo)"]
    assert "fever_clinic" not in central["capabilities"]
    r = await http.post(  # earlier stories may have left it on diversion
        f"/api/v1/hospitals/{central['id']}/status", headers=supervisor, json={"ed_status": "open"}
    )
    assert r.status_code == 200, r.text
    before = harbour["capabilities"]
    r = await http.post(
        f"/api/v1/hospitals/{harbour['id']}/status",
        headers=supervisor,
        json={"capabilities": [*before, "fever_clinic"], "ed_status": "open"},
    )
    assert r.status_code == 200, r.text
    try:
        r = await http.get(f"/api/v1/incidents/{incident['id']}/destinations", headers=dispatcher)
        assert r.status_code == 200, r.text
        assert r.json()["needs"] == "fever_clinic"
        options = r.json()["options"]
        ranked = [o for o in options if o["rank"] is not None]
        assert [o["hospital"]["id"] for o in ranked] == [harbour["id"]]
        skipped_central = next(o for o in options if o["hospital"]["id"] == central["id"])
        assert (
            skipped_central["rank"] is None and "fever clinic" in skipped_central["skipped"]["en"]
        )
    finally:
        await http.post(
            f"/api/v1/hospitals/{harbour['id']}/status",
            headers=supervisor,
            json={"capabilities": before},
        )

    # The crew's order carries the protection level.
    a05 = units["A05"]
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": a05["id"]},
    )
    assert r.status_code == 201, r.text
    crew = await login(http, "crew-a05")
    order = (await http.get(f"/api/v1/units/{a05['id']}/assignment", headers=crew)).json()
    assert order["protection"] == "airborne" and order["incident"]["protection"] == "airborne"

    # After the transport the unit is in decontamination, for the configured time.
    for status in ("en_route", "on_scene", "transporting", "at_hospital"):
        await _status(http, crew, a05["id"], status)
    unit = await _status(http, crew, a05["id"], "available")
    assert unit["status"] == "decontamination" and unit["incident_id"] is None
    until = datetime.fromisoformat(unit["decontamination_until"])
    started = datetime.fromisoformat(unit["status_at"])
    assert (until - started).total_seconds() == pytest.approx(DECONTAMINATION_S)

    # It cannot be dispatched: a clear 409.
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"location": place, "complaint": "fall, hip pain", "priority": 3},
    )
    other = r.json()
    problem = assert_problem(
        await http.post(
            f"/api/v1/incidents/{other['id']}/assignments",
            headers=dispatcher,
            json={"unit_id": a05["id"]},
        ),
        409,
        "unit-not-available",
    )
    assert "decontaminat" in problem["detail"]
    r = await http.get(f"/api/v1/incidents/{other['id']}/recommendations", headers=dispatcher)
    assert "A05" not in {o["unit"]["call_sign"] for o in r.json()}

    # The crew reports it clean: available at once.
    unit = await _status(http, crew, a05["id"], "available")
    assert unit["status"] == "available" and unit["decontamination_until"] is None
    by = await isolation_fleet.fetchval(
        "SELECT payload->>'by' FROM events WHERE name = 'DecontaminationEnded' "
        "AND unit_id = $1 ORDER BY seq DESC LIMIT 1",
        a05["id"],
    )
    assert by == "crew"

    # The review counts it: one infectious call, transported, one decontamination (crew-ended).
    kpis = await _infectious_kpis(http, supervisor, [incident, other])
    assert kpis["incidents"] == 1 and kpis["transports"] == 1
    assert kpis["decontaminations"] == 1
    # ended by the crew before the configured time (the story clears it within a second)
    assert 0 <= kpis["decontamination_median_s"] < DECONTAMINATION_S
    assert kpis["decontamination_total_s"] == kpis["decontamination_median_s"]


async def test_no_isolation_unit_is_said_and_decontamination_expires_on_the_server(
    http: httpx.AsyncClient, server: ServerProcess, isolation_fleet: asyncpg.Connection
) -> None:
    dispatcher = await login(http, "dispatcher")
    units = await _units(http, dispatcher)
    # Both isolation units out of service.
    for sign in ("A01", "A05"):
        await _status(
            http, await login(http, f"crew-{sign.lower()}"), units[sign]["id"], "out_of_service"
        )

    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"location": await a_point_on_a_road(http, 9), "complaint": "fell", "priority": 2},
    )
    incident = r.json()
    assert incident["infectious"] is False and incident["protection"] is None
    # Flagged by hand (the crew or the dispatcher learns of the fever later), with a reason.
    assert_problem(
        await http.post(
            f"/api/v1/incidents/{incident['id']}/infectious",
            headers=dispatcher,
            json={"infectious": True, "reason": ""},
        ),
        422,
        "validation-error",
    )
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/infectious",
        headers=dispatcher,
        json={"infectious": True, "reason": "caller: 39.5 fever, travelled"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["infectious"] is True
    assert r.json()["infectious_reason"] == "caller: 39.5 fever, travelled"

    r = await http.get(f"/api/v1/incidents/{incident['id']}/recommendations", headers=dispatcher)
    offered = r.json()
    assert offered, "other units are still offered"
    assert all(o["no_isolation_unit"] and not o["unit"]["isolation"] for o in offered)

    # The dispatcher may send one anyway (the patient needs an ambulance): recorded.
    unit_id = offered[0]["unit"]["id"]
    sign = offered[0]["unit"]["call_sign"]
    r = await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": unit_id},
    )
    assert r.status_code == 201, r.text
    overridden = await isolation_fleet.fetchval(
        "SELECT count(*) FROM events WHERE name = 'IsolationOverridden' AND incident_id = $1",
        incident["id"],
    )
    assert overridden == 1

    crew = await login(http, f"crew-{sign.lower()}")
    for status in ("en_route", "on_scene"):
        await _status(http, crew, unit_id, status)
    unit = await _status(http, crew, unit_id, "returning")  # treated on scene, no transport
    assert unit["status"] == "decontamination"

    # Nobody touches it: the server ends it when the configured time is over.
    async with asyncio.timeout(DECONTAMINATION_S + 10):
        while True:
            now = (await _units(http, dispatcher))[sign]
            if now["status"] == "available":
                break
            assert now["status"] == "decontamination"
            await asyncio.sleep(0.5)
    assert now["decontamination_until"] is None
    by = await isolation_fleet.fetchval(
        "SELECT payload->>'by' FROM events WHERE name = 'DecontaminationEnded' "
        "AND unit_id = $1 ORDER BY seq DESC LIMIT 1",
        unit_id,
    )
    assert by == "expiry"
    kpis = await _infectious_kpis(http, await login(http, "supervisor"), [incident])
    assert kpis["incidents"] == 1 and kpis["transports"] == 0  # treated on scene
    assert kpis["decontaminations"] == 1
    # the configured time, plus at most the watch's one-second round
    assert DECONTAMINATION_S <= kpis["decontamination_median_s"] < DECONTAMINATION_S + 3


async def test_the_supervisor_keeps_which_units_can_isolate(
    http: httpx.AsyncClient, database_url: str, reset_fleet: None
) -> None:
    """Fleet data through the API: the supervisor fits A03 for isolated transport (the next
    fever call gets it), a dispatcher may not change the fleet, and the change is on record."""
    supervisor, dispatcher = await login(http, "supervisor"), await login(http, "dispatcher")
    a03 = (await _units(http, dispatcher))["A03"]
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("UPDATE units SET isolation = false")  # a known start
        assert_problem(
            await http.put(
                f"/api/v1/units/{a03['id']}/isolation", headers=dispatcher, json={"isolation": True}
            ),
            403,
            "forbidden",
        )
        r = await http.put(
            f"/api/v1/units/{a03['id']}/isolation", headers=supervisor, json={"isolation": True}
        )
        assert r.status_code == 200, r.text
        assert r.json()["isolation"] is True
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http, 23),
                "complaint": "fever and a dry cough, struggling to breathe",
                "priority": 2,
            },
        )
        assert r.status_code == 201 and r.json()["infectious"], r.text
        recs = await http.get(
            f"/api/v1/incidents/{r.json()['id']}/recommendations", headers=dispatcher
        )
        assert [u["unit"]["call_sign"] for u in recs.json()] == ["A03"], recs.json()
        assert_problem(
            await http.put(
                f"/api/v1/units/{a03['id']}/isolation", headers=supervisor, json={"isolation": 1}
            ),
            422,
            "validation-error",
        )
        logged = await conn.fetchrow(
            "SELECT actor, payload FROM events WHERE name = 'UnitIsolationSet' AND unit_id = $1 "
            "ORDER BY seq DESC LIMIT 1",
            a03["id"],
        )
        assert logged is not None and logged["actor"] == "supervisor"
        r = await http.put(
            f"/api/v1/units/{a03['id']}/isolation", headers=supervisor, json={"isolation": False}
        )
        assert r.status_code == 200 and r.json()["isolation"] is False
    finally:
        await conn.execute("UPDATE units SET isolation = false")
        await conn.close()
