"""A supervisor reviews the shift: finds incidents, checks response times, exports, replays."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx

from tests.support import a_point_on_a_road, assert_problem, login


async def test_review_search_kpis_tracks_and_csv(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    dispatcher = await login(http, "dispatcher")
    supervisor = await login(http, "supervisor")
    crew = await login(http, "crew-a07")
    units = {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=crew)).json()}
    unit_id = units["A07"]["id"]
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={
            "location": await a_point_on_a_road(http, 14),
            "complaint": "chest pain",
            "priority": 1,
        },
    )
    incident = r.json()
    await http.post(
        f"/api/v1/incidents/{incident['id']}/assignments",
        headers=dispatcher,
        json={"unit_id": unit_id},
    )
    route = (await http.get(f"/api/v1/units/{unit_id}/assignment", headers=crew)).json()["route"]
    await http.post(f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": "en_route"})
    for point in route["coordinates"][:3]:
        await http.post(
            f"/api/v1/units/{unit_id}/position",
            headers=crew,
            json={"position": point, "reported_at": datetime.now(UTC).isoformat()},
        )
    for status in ("on_scene", "available"):
        await http.post(f"/api/v1/units/{unit_id}/status", headers=crew, json={"status": status})
    window = {
        "from": started.isoformat(),
        "to": (datetime.now(UTC) + timedelta(seconds=5)).isoformat(),
    }

    r = await http.get(
        "/api/v1/review/incidents", headers=supervisor, params={**window, "priority": [1]}
    )
    assert r.status_code == 200, r.text
    found = r.json()
    assert incident["id"] in [i["id"] for i in found]
    assert all(i["priority"] == 1 for i in found)
    west, south = [c - 0.01 for c in incident["location"]]
    east, north = [c + 0.01 for c in incident["location"]]
    r = await http.get(
        "/api/v1/review/incidents",
        headers=supervisor,
        params={**window, "bbox": f"{west},{south},{east},{north}"},
    )
    assert incident["id"] in [i["id"] for i in r.json()]

    r = await http.get("/api/v1/review/kpis", headers=supervisor, params=window)
    assert r.status_code == 200, r.text
    p1 = next(row for row in r.json()["priorities"] if row["priority"] == 1)
    assert p1["reached"] >= 1 and p1["target_s"] == 720 and p1["target_fraction"] == 0.9
    assert p1["response_median_s"] is not None and p1["response_median_s"] >= 0
    assert 0 <= p1["within_target_share"] <= 1

    r = await http.get(f"/api/v1/incidents/{incident['id']}/tracks", headers=supervisor)
    features = r.json()["features"]
    assert len(features) == 1 and features[0]["properties"]["call_sign"] == "A07"
    assert features[0]["geometry"]["coordinates"] == route["coordinates"][:3]

    r = await http.get("/api/v1/review/incidents.csv", headers=supervisor, params=window)
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    mine = next(row for row in rows if row["number"] == incident["number"])
    assert (
        mine["eTimes.01 PSAP Call Date/Time"] and mine["eTimes.06 Unit Arrived on Scene Date/Time"]
    )
    assert float(mine["response_s"]) >= 0

    assert_problem(await http.get("/api/v1/review/incidents", headers=dispatcher), 403, "forbidden")
    assert_problem(
        await http.get("/api/v1/review/incidents", headers=supervisor, params={"bbox": "1,2,3"}),
        422,
        "validation-error",
    )
    assert_problem(
        await http.get(
            "/api/v1/review/incidents", headers=supervisor, params={"from": "2026-01-01T00:00:00"}
        ),
        422,
        "validation-error",
    )
    config = (await http.get("/api/v1/config", headers=crew)).json()
    assert config["response_targets"]["urban"]["1"]["seconds"] == 720


async def test_coverage_layer_from_available_units(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    r = await http.get("/api/v1/coverage", headers=dispatcher, params={"minutes": [1, 3]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["available_units"] == 12
    one, three = body["features"]
    assert one["properties"]["seconds"] == 60 and three["properties"]["seconds"] == 180
    assert 0 < one["properties"]["road_share"] <= three["properties"]["road_share"] <= 1
    assert one["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert_problem(
        await http.get("/api/v1/coverage", headers=dispatcher, params={"minutes": [0]}),
        422,
        "validation-error",
    )


async def test_optimiser_advice_for_pending_calls_next_to_the_closest_unit(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    made = []
    for spot, priority in ((19, 1), (20, 3)):
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": await a_point_on_a_road(http, spot),
                "complaint": "test",
                "priority": priority,
            },
        )
        made.append(r.json())
    r = await http.get("/api/v1/advice", headers=dispatcher)
    assert r.status_code == 200, r.text
    plan = {d["incident_id"]: d for d in r.json()["decisions"]}
    assert {i["id"] for i in made} <= set(plan)
    units = {u["id"]: u for u in (await http.get("/api/v1/units", headers=dispatcher)).json()}
    p1 = plan[made[0]["id"]]
    assert units[p1["unit_id"]]["capability"] == "ALS", "priority 1 gets ALS"
    assert p1["eta_s"] >= 0 and p1["closest"]["eta_s"] <= p1["eta_s"] + 1e-6
    assert len({d["unit_id"] for d in plan.values()}) == len(plan), "one unit per call"
    crew = await login(http, "crew-a01")
    assert_problem(await http.get("/api/v1/advice", headers=crew), 403, "forbidden")
