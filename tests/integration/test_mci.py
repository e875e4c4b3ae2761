"""A bus crash: the dispatcher declares a mass-casualty incident, crews tag the patients, the
transport officer follows the distribution plan, the EDs see their incoming counts."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import a_point_on_a_road, assert_problem, login

API = "/api/v1"


def _hospital_load(plan: dict[str, Any], hospital_id: int) -> dict[str, int]:
    """Patients the plan sends to ``hospital_id``, by category (confirmed and planned)."""
    load: dict[str, int] = {}
    for t in plan["transports"]:
        if t["hospital_id"] == hospital_id:
            for category in t["categories"]:
                load[category] = load.get(category, 0) + 1
    return load


async def test_a_bus_crash_declared_tagged_planned_and_transported(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    units = {
        u["call_sign"]: u["id"] for u in (await http.get(f"{API}/units", headers=dispatcher)).json()
    }
    hospitals = {
        h["name"]: h["id"] for h in (await http.get(f"{API}/hospitals", headers=dispatcher)).json()
    }
    central, harbour = hospitals["Central Hospital (demo)"], hospitals["Harbour Hospital (demo)"]
    a01, a02, a03 = units["A01"], units["A02"], units["A03"]

    # Every ED open; Central can take one red only, Harbour plenty; others none (earlier
    # stories may have left them anywhere).
    for name, hid in hospitals.items():
        r = await http.post(
            f"{API}/hospitals/{hid}/status", headers=supervisor, json={"ed_status": "open"}
        )
        assert r.status_code == 200, r.text
        surge = {"immediate": 0, "delayed": 0, "minor": 0}
        if hid == central:
            surge = {"immediate": 1, "delayed": 0, "minor": 0}
        elif hid == harbour:
            surge = {"immediate": 5, "delayed": 5, "minor": 5}
        r = await http.put(f"{API}/hospitals/{hid}/surge", headers=supervisor, json=surge)
        assert r.status_code == 200, r.text
        assert r.json()["declared"] and r.json()["immediate"] == surge["immediate"], name
    central_ed = await login(http, f"hospital-{central}")
    r = await http.put(
        f"{API}/hospitals/{central}/surge",
        headers=central_ed,
        json={"immediate": 1, "delayed": 0, "minor": 0},
    )
    assert r.status_code == 200, "the ED keeps its own figure"

    # The call: a bus on its side; three ambulances sent.
    r = await http.post(
        f"{API}/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 21),
            "complaint": "bus crash",
            "priority": 2,
        },
    )
    assert r.status_code == 201, r.text
    incident = r.json()["id"]
    for unit in (a01, a02, a03):
        r = await http.post(
            f"{API}/incidents/{incident}/assignments", headers=dispatcher, json={"unit_id": unit}
        )
        assert r.status_code == 201, r.text
    mci = f"{API}/incidents/{incident}/mci"
    assert_problem(await http.get(mci, headers=dispatcher), 404, "mci-not-declared")

    # A01's crew reports many casualties: the dispatcher declares, A01 in command.
    r = await http.post(
        mci, headers=dispatcher, json={"patients": 5, "incident_command_unit_id": a01}
    )
    assert r.status_code == 201, r.text
    assert r.json()["level"] == 1 and r.json()["roles"]["incident_command"] == a01
    assert_problem(
        await http.post(mci, headers=supervisor, json={"patients": 5}), 409, "mci-already-declared"
    )

    # A01's crew tags the patients, one tap each; a tap replayed from the offline queue is
    # stored once, and a different patient on the same tag is refused.
    crew_a01 = await login(http, "crew-a01")
    tapped = [
        {"tag": "T1", "category": "immediate"},
        {"tag": "T2", "category": "immediate", "note": "pinned under seat row 3"},
        {"tag": "T3", "category": "delayed", "age_band": "child"},
        {"tag": "T4", "category": "minor"},
        {"tag": "T5", "category": "minor"},
    ]
    for body in tapped:
        r = await http.post(f"{mci}/patients", headers=crew_a01, json=body)
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "on_scene"
    replay = await http.post(f"{mci}/patients", headers=crew_a01, json=tapped[0])
    assert replay.status_code == 200 and replay.json()["tag"] == "T1"
    assert_problem(
        await http.post(
            f"{mci}/patients", headers=crew_a01, json={"tag": "T1", "category": "minor"}
        ),
        409,
        "patient-tag-taken",
    )

    board = (await http.get(mci, headers=crew_a01)).json()
    rows = {row["category"]: row for row in board["rows"]}
    assert [
        rows[c]["on_scene"] for c in ("immediate", "delayed", "minor", "expectant", "dead")
    ] == [2, 1, 2, 0, 0]
    assert board["total"]["total"] == 5 and len(board["patients"]) == 5
    assert board["units_committed"] == 3

    # The supervisor makes A02 the transport officer; A03's crew holds no role and cannot.
    r = await http.put(f"{mci}/roles/transport", headers=supervisor, json={"unit_id": a02})
    assert r.status_code == 200 and r.json()["roles"]["transport"] == a02
    crew_a03 = await login(http, "crew-a03")
    assert_problem(
        await http.put(f"{mci}/roles/staging", headers=crew_a03, json={"unit_id": a03}),
        403,
        "not-role-holder",
    )

    # The plan keeps Central within its one red place and sends the rest to Harbour.
    crew_a02 = await login(http, "crew-a02")
    r = await http.get(f"{mci}/plan", headers=crew_a02)
    assert r.status_code == 200, r.text
    plan = r.json()
    planned = {tag for t in plan["transports"] for tag in t["patients"]}
    assert planned == {"T1", "T2", "T3", "T4", "T5"}, plan
    assert {t["hospital_id"] for t in plan["transports"]} <= {central, harbour}
    at_central = _hospital_load(plan, central)
    assert (
        at_central.get("immediate", 0) <= 1
        and not at_central.get("delayed")
        and not at_central.get("minor")
    )
    assert sum(_hospital_load(plan, harbour).values()) >= 4
    assert {t["unit_id"] for t in plan["transports"]} == {a03}, "A01 and A02 hold roles"

    # Central goes on diversion: the plan no longer uses it.
    r = await http.post(
        f"{API}/hospitals/{central}/status", headers=central_ed, json={"ed_status": "diversion"}
    )
    assert r.status_code == 200, r.text
    plan = (await http.get(f"{mci}/plan", headers=dispatcher)).json()
    assert all(t["hospital_id"] != central for t in plan["transports"]), plan
    assert not next(h for h in plan["hospitals"] if h["hospital_id"] == central)["in_distribution"]

    # The transport officer confirms A03 with a red patient for Harbour; a yellow on top is
    # more than an ambulance carries, unless the officer overrides with a reason.
    r = await http.post(
        f"{mci}/transports",
        headers=crew_a02,
        json={"unit_id": a03, "hospital_id": harbour, "patients": ["T1"]},
    )
    assert r.status_code == 201, r.text
    assert r.json()[0]["status"] == "assigned" and r.json()[0]["unit_id"] == a03
    assert_problem(
        await http.post(
            f"{mci}/transports",
            headers=crew_a02,
            json={"unit_id": a03, "hospital_id": harbour, "patients": ["T3"]},
        ),
        422,
        "unit-overloaded",
    )
    assert_problem(
        await http.post(
            f"{mci}/transports",
            headers=crew_a03,
            json={"unit_id": a03, "hospital_id": harbour, "patients": ["T3"]},
        ),
        403,
        "not-role-holder",
    )

    # A03 drives: its status buttons move its patient (transporting, then at hospital).
    harbour_ed = await login(http, f"hospital-{harbour}")
    incoming = f"{API}/hospitals/{harbour}/mci/incoming"
    for status in ("en_route", "on_scene", "transporting"):
        r = await http.post(f"{API}/units/{a03}/status", headers=crew_a03, json={"status": status})
        assert r.status_code == 200, r.text
    counts = {
        row["category"]: row
        for row in (await http.get(incoming, headers=harbour_ed)).json()["rows"]
    }
    assert counts["immediate"]["en_route"] >= 1
    r = await http.post(
        f"{API}/units/{a03}/status", headers=crew_a03, json={"status": "at_hospital"}
    )
    assert r.status_code == 200, r.text
    seen = (await http.get(incoming, headers=harbour_ed)).json()
    assert incident in seen["incident_ids"]
    assert "patients" not in seen and "note" not in str(seen), "counts only, never notes"
    board = (await http.get(mci, headers=dispatcher)).json()
    t1 = next(p for p in board["patients"] if p["tag"] == "T1")
    assert t1["status"] == "arrived" and t1["hospital_id"] == harbour
    assert board["rows"][0]["arrived"] == 1 and board["rows"][0]["on_scene"] == 1

    # Harbour's ED sees its own counts only, and never the patient list.
    assert_problem(
        await http.get(f"{API}/hospitals/{central}/mci/incoming", headers=harbour_ed),
        403,
        "not-your-hospital",
    )
    assert_problem(await http.get(mci, headers=harbour_ed), 403, "forbidden")

    # A crew of a unit not on this incident is refused.
    crew_a04 = await login(http, "crew-a04")
    assert_problem(await http.get(mci, headers=crew_a04), 403, "not-your-incident")
    assert_problem(
        await http.post(
            f"{mci}/patients", headers=crew_a04, json={"tag": "T9", "category": "minor"}
        ),
        403,
        "not-your-incident",
    )

    # Every change is an event in the incident's log: the replayed tap is not.
    timeline = (await http.get(f"{API}/incidents/{incident}/timeline", headers=dispatcher)).json()
    names = [e["name"] for e in timeline["events"]]
    assert names.count("MciPatientRegistered") == 5
    assert {
        "MciDeclared",
        "MciRoleBound",
        "MciPatientAssigned",
        "MciPatientTransporting",
        "MciPatientArrived",
    } <= set(names)
