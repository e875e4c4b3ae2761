"""Call intake a call-taker trusts: triage by protocol, caller data, duplicates, repeat callers."""

from __future__ import annotations

import httpx

from dispatch.domain.crs import wgs84_to_gcj02
from tests.support import a_point_on_a_road, assert_problem, login


async def test_triage_sets_priority_and_the_ALS_requirement(http: httpx.AsyncClient) -> None:
    dispatcher = await login(http, "dispatcher")
    protocol = (await http.get("/api/v1/triage/protocol", headers=dispatcher)).json()
    codes = {c["code"] for c in protocol["complaints"]}
    assert {"cardiac_arrest", "chest_pain", "falls", "stroke"} <= codes
    chest = next(c for c in protocol["complaints"] if c["code"] == "chest_pain")
    assert chest["label"]["zh"] and chest["questions"]

    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 15),
            "complaint": "not breathing",
            "complaint_code": "cardiac_arrest",
            "answers": {},
        },
    )
    assert r.status_code == 201, r.text
    arrest = r.json()
    assert arrest["priority"] == 1 and arrest["needs"] == ["ALS"]
    assert arrest["determinant"] in ("E", "D") and arrest["protocol_version"]
    ranked = (
        await http.get(f"/api/v1/incidents/{arrest['id']}/recommendations", headers=dispatcher)
    ).json()
    assert ranked and all(rec["unit"]["capability"] == "ALS" for rec in ranked)

    r = await http.post(
        f"/api/v1/incidents/{arrest['id']}/triage",
        headers=dispatcher,
        json={"complaint_code": "cardiac_arrest", "answers": {"bogus": "yes"}},
    )
    assert_problem(r, 422, "invalid-answer")
    assert_problem(
        await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http, 15),
                "complaint": "x",
                "complaint_code": "dragon_bite",
            },
        ),
        422,
        "unknown-complaint",
    )
    assert_problem(
        await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={"location": await a_point_on_a_road(http, 15), "complaint": "x"},
        ),
        422,
        "invalid-triage",
    )


async def test_caller_location_in_gcj02_is_converted_once_and_kept_apart(
    http: httpx.AsyncClient,
) -> None:
    dispatcher = await login(http, "dispatcher")
    pin = await a_point_on_a_road(http, 16)
    # Helsinki is outside China: GCJ-02 has no offset there, so the value comes back unchanged.
    gcj = wgs84_to_gcj02(pin[0], pin[1])
    assert gcj == (pin[0], pin[1])
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": pin,
            "complaint": "fall",
            "priority": 3,
            "caller": {
                "number": "+358 40 123 4567",
                "location": [pin[0] + 0.001, pin[1]],
                "accuracy_m": 250,
                "crs": "gcj02",
            },
        },
    )
    assert r.status_code == 201, r.text
    caller = r.json()["caller"]
    assert caller["number"] == "+358401234567" and caller["crs"] == "GCJ-02"
    assert caller["accuracy_m"] == 250 and caller["location"] == [pin[0] + 0.001, pin[1]]
    assert r.json()["location"] == pin, "the verified location is not the caller's fix"
    assert_problem(
        await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": pin,
                "complaint": "x",
                "priority": 3,
                "caller": {"location": pin, "crs": "mercator"},
            },
        ),
        422,
        "unknown-crs",
    )


async def test_a_second_call_about_the_same_emergency_is_offered_as_a_duplicate_and_linked(
    http: httpx.AsyncClient,
) -> None:
    dispatcher = await login(http, "dispatcher")
    spot = await a_point_on_a_road(http, 17)
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": spot,
            "complaint": "man collapsed in the street",
            "priority": 1,
            "complaint_code": "unconscious_fainting",
            "caller": {"number": "040 555 0101"},
        },
    )
    assert r.status_code == 201, r.text
    first = r.json()
    near = [spot[0] + 0.0005, spot[1]]
    r = await http.post(
        "/api/v1/intake/check",
        headers=dispatcher,
        json={
            "location": near,
            "complaint": "someone collapsed",
            "complaint_code": "unconscious_fainting",
            "caller": {"number": "040 555 0101"},
        },
    )
    assert r.status_code == 200, r.text
    check = r.json()
    assert check["duplicates"][0]["incident"]["id"] == first["id"]
    assert check["duplicates"][0]["distance_m"] < 60
    assert [c["incident_id"] for c in check["repeat_calls"]][0] == first["id"]

    r = await http.post(
        f"/api/v1/incidents/{first['id']}/calls",
        headers=dispatcher,
        json={
            "complaint": "passer-by reports the same collapse",
            "caller": {"number": "+358 50 999"},
        },
    )
    assert r.status_code == 201, r.text
    timeline = (
        await http.get(f"/api/v1/incidents/{first['id']}/timeline", headers=dispatcher)
    ).json()["events"]
    linked = [e for e in timeline if e["name"] == "CallLinked"]
    assert len(linked) == 1 and linked[0]["complaint"].startswith("passer-by")
    far = await http.post(
        "/api/v1/intake/check",
        headers=dispatcher,
        json={"location": [spot[0] + 0.02, spot[1] + 0.01], "complaint": "someone collapsed"},
    )
    assert first["id"] not in [d["incident"]["id"] for d in far.json()["duplicates"]]
