"""Who looked at a caller's number, who was turned away, who took records out: the audit trail
answers all three (issue #12), one row per request or socket, in the hash-chained ``audit`` table.
"""

from __future__ import annotations

import asyncpg
import httpx

from tests.conftest import ServerProcess
from tests.support import ConsoleSocket, a_point_on_a_road, login, token_of

CALLER = "+358401234567"


async def _rows(database_url: str, kind: str, actor: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(
            "SELECT subject, client, detail::text AS detail FROM audit "
            "WHERE kind = $1 AND actor = $2 ORDER BY id",
            kind,
            actor,
        )
    finally:
        await conn.close()


async def test_reading_a_callers_number_refusals_and_exports_leave_audit_rows(
    http: httpx.AsyncClient, server: ServerProcess, database_url: str, reset_fleet: None
) -> None:
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    hospital = await login(http, "hospital-2")
    scene = await a_point_on_a_road(http, 7)
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": scene,
            "complaint": "child with a seizure",
            "priority": 1,
            "caller": {"number": CALLER, "location": scene, "accuracy_m": 25},
        },
    )
    assert r.status_code == 201, r.text
    incident_id = r.json()["id"]

    # the supervisor opens the incident: the caller's number is on screen, so it is on record
    before = len(await _rows(database_url, "caller-data-read", "supervisor"))
    r = await http.get(f"/api/v1/incidents/{incident_id}", headers=supervisor)
    assert r.status_code == 200 and r.json()["caller"]["number"] == CALLER
    rows = await _rows(database_url, "caller-data-read", "supervisor")
    assert len(rows) == before + 1
    assert rows[-1]["subject"] == f"incident:{incident_id}"
    assert str(incident_id) in rows[-1]["detail"]

    # a hospital not on the call asks for it: refused, and the refusal is on record
    r = await http.get(f"/api/v1/incidents/{incident_id}", headers=hospital)
    assert r.status_code == 403, r.text
    refused = await _rows(database_url, "refused", "hospital-2")
    assert refused and refused[-1]["subject"] == f"GET /api/v1/incidents/{incident_id}"
    assert r.json()["code"] in refused[-1]["detail"]

    # a hospital reading the hospital list sees no caller data: no caller-data row for it
    assert (await http.get("/api/v1/hospitals", headers=hospital)).status_code == 200
    assert not await _rows(database_url, "caller-data-read", "hospital-2")

    # the supervisor exports the day's incidents: one export row with what was taken
    r = await http.get("/api/v1/review/incidents.csv", headers=supervisor)
    assert r.status_code == 200
    exports = await _rows(database_url, "export", "supervisor")
    assert exports and exports[-1]["subject"] == "review:incidents.csv"
    assert '"rows":' in exports[-1]["detail"].replace(" ", "")

    # a console connection streams callers' data from its snapshot on: one row per connection
    before = len(await _rows(database_url, "caller-data-read", "dispatcher"))
    console = await ConsoleSocket.open(server.ws_url, token_of(dispatcher))
    try:
        await console.wait_for(lambda m: m["type"] == "snapshot")
    finally:
        await console.close()
    rows = await _rows(database_url, "caller-data-read", "dispatcher")
    assert len(rows) == before + 1 and rows[-1]["subject"] == "stream:console"
