"""China's 120 indicators in the review: a supervisor's period gains exactly what the shift did.

The shared test database holds other stories' incidents, so each count is checked as the change
between a reading before and one after this story, over the same window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support import a_point_on_a_road, login


async def _indicators(http: httpx.AsyncClient, who: dict[str, str], window: dict[str, str]) -> Any:
    r = await http.get("/api/v1/review/kpis", headers=who, params=window)
    assert r.status_code == 200, r.text
    return r.json()["indicators"]


async def test_indicators_count_answers_departures_and_calls_per_unit(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    now = datetime.now(UTC)
    window = {
        "from": (now - timedelta(minutes=5)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }
    pbx, dispatcher = await login(http, "telephony"), await login(http, "dispatcher")
    supervisor, auditor = await login(http, "supervisor"), await login(http, "auditor")
    crew = await login(http, "crew-a05")
    before = await _indicators(http, supervisor, window)

    incidents = []
    # Rang 4 s before it was answered (within 10 s), rang 40 s before (not), typed in (no phone).
    for n, rang_s in enumerate((4, 40, None)):
        body: dict[str, Any] = {
            "location": await a_point_on_a_road(http, 30 + n),
            "complaint": f"indicator story {n}",
            "priority": 2,
        }
        if rang_s is not None:
            started = datetime.now(UTC) - timedelta(seconds=rang_s)
            r = await http.post(
                "/api/v1/telephony/calls",
                headers=pbx,
                json={"line": f"trunk-9/{n}", "started_at": started.isoformat()},
            )
            assert r.status_code == 201, r.text
            call_id = r.json()["id"]
            r = await http.post(f"/api/v1/telephony/calls/{call_id}/answer", headers=dispatcher)
            assert r.status_code == 200, r.text
            body["phone_call_id"] = call_id
        r = await http.post("/api/v1/incidents", headers=dispatcher, json=body)
        assert r.status_code == 201, r.text
        incidents.append(r.json())

    units = {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=crew)).json()}
    # A05 is sent and departs at once; A06 is sent to the third call, which is then cancelled.
    for incident, sign in ((incidents[0], "A05"), (incidents[2], "A06")):
        r = await http.post(
            f"/api/v1/incidents/{incident['id']}/assignments",
            headers=dispatcher,
            json={"unit_id": units[sign]["id"]},
        )
        assert r.status_code == 201, r.text
    r = await http.post(
        f"/api/v1/units/{units['A05']['id']}/status", headers=crew, json={"status": "en_route"}
    )
    assert r.status_code == 200, r.text
    r = await http.post(
        f"/api/v1/incidents/{incidents[2]['id']}/cancel",
        headers=dispatcher,
        json={"reason": "caller called back: not needed"},
    )
    assert r.status_code == 200, r.text

    after = await _indicators(http, auditor, window)  # auditors read the review too

    def delta(key: str, field: str) -> int:
        return int(after[key][field]) - int(before[key][field])

    assert delta("answered_10s", "counted") == 2
    assert delta("answered_10s", "within") == 1
    assert delta("answered_10s", "excluded") == 1  # the call typed in without a phone record
    assert after["answered_10s"]["limit_s"] == 10 and after["answered_10s"]["target_share"] == 0.95
    assert delta("departure_3min", "counted") == 1 and delta("departure_3min", "within") == 1
    assert delta("departure_3min", "excluded") == 1  # A06 never departed
    assert after["departure_3min"]["limit_s"] == 180
    assert delta("response", "incidents") == 3 and delta("response", "reached") == 0

    per_unit = {u["call_sign"]: u["calls"] for u in after["calls_per_unit"]["units"]}
    per_unit_before = {u["call_sign"]: u["calls"] for u in before["calls_per_unit"]["units"]}
    assert per_unit["A05"] - per_unit_before["A05"] == 1
    assert per_unit["A06"] - per_unit_before["A06"] == 1
    assert after["calls_per_unit"]["fleet"] == len(units)
    total = after["calls_per_unit"]["total"]
    assert total == sum(per_unit.values())
    assert after["calls_per_unit"]["mean"] == round(total / len(units), 2)
