"""Several units on one call, diverting to a more urgent call, swapping units."""

from __future__ import annotations

import httpx

from tests.support import a_point_on_a_road, assert_problem, login


async def _new_call(
    http: httpx.AsyncClient, headers: dict[str, str], priority: int, spot: int
) -> dict:
    r = await http.post(
        "/api/v1/incidents",
        headers=headers,
        json={
            "location": await a_point_on_a_road(http, spot),
            "complaint": "test",
            "priority": priority,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_divert_and_reassign_through_the_api(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    units = {
        u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()
    }
    fall = await _new_call(http, dispatcher, 3, 12)
    arrest = await _new_call(http, dispatcher, 1, 13)
    a01, a02, a03 = units["A01"]["id"], units["A02"]["id"], units["A03"]["id"]
    for unit_id in (a01, a02):
        r = await http.post(
            f"/api/v1/incidents/{fall['id']}/assignments",
            headers=dispatcher,
            json={"unit_id": unit_id},
        )
        assert r.status_code == 201, r.text
    assert r.json()["incident"]["unit_ids"] == [a01, a02], "two units on one call"

    r = await http.post(
        f"/api/v1/units/{a01}/divert",
        headers=dispatcher,
        json={"to_incident_id": arrest["id"], "reason": "closest ALS to arrest"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["incident"]["id"] == arrest["id"] and r.json()["unit"]["status"] == "dispatched"
    fall_now = (await http.get(f"/api/v1/incidents/{fall['id']}", headers=dispatcher)).json()
    assert fall_now["status"] == "dispatched", "A02 still works the fall"

    assert_problem(
        await http.post(
            f"/api/v1/units/{a02}/divert",
            headers=dispatcher,
            json={"to_incident_id": fall["id"], "reason": "x"},
        ),
        409,
        "divert-refused",
    )

    r = await http.post(
        f"/api/v1/incidents/{fall['id']}/reassign",
        headers=dispatcher,
        json={"from_unit_id": a02, "to_unit_id": a03, "reason": "A03 is closer now"},
    )
    assert r.status_code == 201, r.text
    board = {u["id"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()}
    assert board[a02]["status"] == "available" and board[a03]["incident_id"] == fall["id"]

    timeline = (
        await http.get(f"/api/v1/incidents/{fall['id']}/timeline", headers=dispatcher)
    ).json()["events"]
    diverted = next(e for e in timeline if e["name"] == "UnitDiverted")
    assert diverted["reason"] == "closest ALS to arrest" and diverted["to_incident"] == arrest["id"]
    released = [e for e in timeline if e["name"] == "UnitStatusChanged" and e.get("reason")]
    assert released and "replaced by A03" in released[0]["reason"]
    crew = await login(http, "crew-a01")
    assert_problem(
        await http.post(
            f"/api/v1/units/{a01}/divert",
            headers=crew,
            json={"to_incident_id": fall["id"], "reason": "x"},
        ),
        403,
        "forbidden",
    )
