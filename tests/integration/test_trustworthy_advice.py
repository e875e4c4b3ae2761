"""Advice a dispatcher can trust, against the real server: a unit whose GPS went silent is listed
with the age of its last fix and not ahead of a fresh unit almost as close; the live advisor says
in one line why it picked each unit; the console learns the alarm thresholds and the centre's
time zone from /config, and the review export adds the centre's wall clock to its UTC times."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import ServerProcess
from tests.support import login


async def _units(http: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {u["call_sign"]: u for u in (await http.get("/api/v1/units", headers=headers)).json()}


async def _sql(database_url: str, statement: str, *args: object) -> None:
    """Test housekeeping, like ``reset_fleet``: set a unit's state without events."""
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(statement, *args)
    finally:
        await conn.close()


async def test_config_tells_the_console_every_threshold_and_the_centre_time_zone(
    http: httpx.AsyncClient,
) -> None:
    config = (await http.get("/api/v1/config", headers=await login(http, "dispatcher"))).json()
    assert config["stale_after_s"] == 15.0  # 3 x the 5 s reporting interval
    assert config["stale_rank_margin_s"] == 60.0
    assert config["advice_policy"] == "joint-coverage"
    assert config["status_alarm_s"]["on_scene"] == 1800
    assert config["status_alarm_s"]["at_hospital"] == 1200
    assert "available" not in config["status_alarm_s"]
    assert config["time_zone"] == "UTC"


async def test_a_silent_unit_is_listed_with_its_age_behind_a_fresh_unit_at_the_same_spot(
    http: httpx.AsyncClient, database_url: str, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    units = await _units(http, dispatcher)
    silent, fresh = units["A03"], units["A04"]
    # A03's phone went quiet ten minutes ago; A04 just reported from the same street corner.
    await _sql(
        database_url,
        "UPDATE units SET position_at = now() - interval '10 minutes' WHERE id = $1",
        silent["id"],
    )
    await _sql(
        database_url,
        "UPDATE units SET position = (SELECT position FROM units WHERE id = $1), "
        "position_at = now() WHERE id = $2",
        silent["id"],
        fresh["id"],
    )
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"location": silent["position"], "complaint": "fall", "priority": 3},
    )
    assert r.status_code == 201, r.text
    incident = r.json()
    r = await http.get(
        f"/api/v1/incidents/{incident['id']}/recommendations",
        headers=dispatcher,
        params={"limit": 12},
    )
    assert r.status_code == 200, r.text
    ranked = r.json()
    assert ranked[0]["unit"]["call_sign"] in {"A04", "A07", "A11"}  # fresh, at the spot
    assert ranked[0]["stale"] is False and ranked[0]["position_age_s"] < 15
    # A03 is still listed, by its last known position (right there) and with its age, but
    # after every fresh unit less than a minute (the margin) further away.
    [a03] = [x for x in ranked if x["unit"]["call_sign"] == "A03"]
    assert a03["stale"] is True and a03["position_age_s"] >= 600 and a03["eta_s"] < 5
    ahead = ranked[: a03["rank"] - 1]
    behind = ranked[a03["rank"] :]
    assert ahead and all(not x["stale"] and x["eta_s"] <= a03["eta_s"] + 60 for x in ahead)
    assert all(x["eta_s"] >= a03["eta_s"] + 60 or x["stale"] for x in behind)

    # The live advisor applies the same rule and says why in one line.
    r = await http.get("/api/v1/advice", headers=dispatcher)
    assert r.status_code == 200, r.text
    mine = next(d for d in r.json()["decisions"] if d["incident_id"] == incident["id"])
    assert mine["unit_id"] != silent["id"] and mine["stale"] is False
    assert mine["policy"] == "joint-coverage"
    assert mine["reason"] and mine["explanation"]["reason_code"] in {"nearest", "fresh"}


async def test_each_suggestion_of_the_live_advisor_has_a_one_line_reason(
    http: httpx.AsyncClient, reset_fleet: None
) -> None:
    dispatcher = await login(http, "dispatcher")
    units = await _units(http, dispatcher)
    created = []
    for sign, priority in (("A01", 1), ("A06", 4)):
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={"location": units[sign]["position"], "complaint": "unwell", "priority": priority},
        )
        assert r.status_code == 201, r.text
        created.append(r.json()["id"])
    decisions = (await http.get("/api/v1/advice", headers=dispatcher)).json()["decisions"]
    for d in (d for d in decisions if d["incident_id"] in created):
        assert d["reason"] and "\n" not in d["reason"]
        assert d["explanation"]["reason_code"] in {
            "fallback",
            "divert",
            "stale",
            "fresh",
            "nearest",
            "covered",
            "joint",
        }
        assert isinstance(d["stale"], bool)


@pytest.fixture
def shanghai_server(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A third app process for a centre in Shanghai (UTC+8, no daylight saving)."""
    proc = ServerProcess(env={**server_env, "GOLDENHOUR_TIMEZONE": "Asia/Shanghai"})
    proc.log_path = tmp_path_factory.mktemp("shanghai") / "server.log"
    proc.start()
    yield proc
    proc.stop()


async def test_the_export_keeps_utc_and_adds_the_centre_wall_clock(
    shanghai_server: ServerProcess, reset_fleet: None
) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    async with httpx.AsyncClient(base_url=shanghai_server.url, timeout=15) as http:
        dispatcher = await login(http, "dispatcher")
        supervisor = await login(http, "supervisor")
        config = (await http.get("/api/v1/config", headers=dispatcher)).json()
        assert config["time_zone"] == "Asia/Shanghai"
        units = await _units(http, dispatcher)
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={"location": units["A05"]["position"], "complaint": "fever", "priority": 4},
        )
        incident = r.json()
        r = await http.get(
            "/api/v1/review/incidents.csv",
            headers=supervisor,
            params={"from": started.isoformat(), "to": datetime.now(UTC).isoformat()},
        )
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    mine = next(row for row in rows if row["number"] == incident["number"])
    utc_column = next(k for k in mine if k.startswith("eTimes.01") and "(" not in k)
    local_column = next(
        k for k in mine if k.startswith("eTimes.01") and k.endswith("(Asia/Shanghai)")
    )
    received = datetime.fromisoformat(mine[utc_column])
    assert received.utcoffset() == timedelta(0)  # the API's UTC stays as it was
    assert mine[local_column] == (received + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    # The API itself answers in UTC whatever the centre's zone.
    assert incident["received_at"].endswith(("Z", "+00:00"))
