"""The public-health watch on the call stream (#18): a centre imports a season of counts, wedding
guests call one morning with vomiting and diarrhoea, the watch raises one signal for it (not one
per round), the supervisor acknowledges it with a note, and the health authority gets the day's
counts without a single personal detail."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx

from dispatch.surveillance.areas import cell_of
from tests.support import a_point_on_a_road, assert_problem, login

GASTRO = "gastrointestinal"


def _history(cell: str, today: date, days: int = 100) -> str:
    """A quiet season: one gastrointestinal call a day in the cell (two on Mondays), one fall
    every other day, up to yesterday."""
    lines = ["day,syndrome,area,calls"]
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        lines.append(f"{day},{GASTRO},{cell},{2 if day.weekday() == 0 else 1}")
        if back % 2 == 0:
            lines.append(f"{day},injury,{cell},1")
    return "\n".join(lines) + "\n"


async def test_food_poisoning_raises_one_signal_acknowledged_and_exported_without_personal_data(
    http: httpx.AsyncClient, database_url: str
) -> None:
    dispatcher, supervisor = await login(http, "dispatcher"), await login(http, "supervisor")
    auditor = await login(http, "auditor")
    place = await a_point_on_a_road(http, 33)
    cell = cell_of(*place)
    today = datetime.now(UTC).date()  # the test server's centre keeps UTC days

    # A file with mistakes is refused as a whole, every bad cell named.
    bad = f"day,syndrome,area,calls\n{today},flu,{cell},1\n2026-13-01,{GASTRO},nowhere,-1\n"
    r = await http.post("/api/v1/surveillance/history", headers=supervisor, json={"csv": bad})
    body = assert_problem(r, 422, "history-import-refused")
    assert {(e["row"], e["column"]) for e in body["rows"]} == {
        (2, "syndrome"),
        (3, "day"),
        (3, "area"),
        (3, "calls"),
    }, body["rows"]
    # The dispatcher may not import; the supervisor imports the season.
    r = await http.post(
        "/api/v1/surveillance/history", headers=dispatcher, json={"csv": _history(cell, today)}
    )
    assert_problem(r, 403, "forbidden")
    r = await http.post(
        "/api/v1/surveillance/history", headers=supervisor, json={"csv": _history(cell, today)}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"days": 100, "rows": 150}

    # One morning, sixteen wedding guests call with vomiting and diarrhoea.
    for i in range(16):
        r = await http.post(
            "/api/v1/incidents",
            headers=dispatcher,
            json={
                "location": place,
                "complaint": f"vomiting and diarrhoea after the wedding dinner, guest {i + 1}",
                "priority": 3,
                "caller": {"number": f"+35840555{i:04d}"},
            },
        )
        assert r.status_code == 201, r.text

    r = await http.post("/api/v1/surveillance/run", headers=supervisor)
    assert r.status_code == 200, r.text
    first = r.json()
    assert today.isoformat() in first["judged"] and first["skipped"] is None

    r = await http.get("/api/v1/surveillance/signals", headers=dispatcher)
    assert r.status_code == 200, r.text
    ours = [
        s for s in r.json() if s["syndrome"] == GASTRO and cell in {a["id"] for a in s["areas"]}
    ]
    assert ours, r.json()
    alert = next(s for s in ours if s["level"] == "alert")
    # the centre's default methods (GOLDENHOUR_SURVEILLANCE_METHODS): the daily expectation scan
    # and the burst test on the last hour; on this map of two cells the burst test is the one
    # that fires (the scan's day factor is read from a city-wide total this cluster dominates)
    assert alert["method"] in {"expectation-scan", "hourly-burst"}
    assert alert["observed"] >= 16 > 4 * alert["expected"] > 0, alert
    assert alert["status"] == "open" and alert["since"] <= today.isoformat()
    assert alert["label"] == {"en": "Gastrointestinal", "zh": "胃肠道"}
    shape = next(a for a in alert["areas"] if a["id"] == cell)
    assert shape["boundary"][0] == shape["boundary"][-1] and len(shape["boundary"]) == 7

    # The next round sees the same cluster: no second signal, the first is still open.
    r = await http.post("/api/v1/surveillance/run", headers=supervisor)
    assert r.status_code == 200, r.text
    assert not {s["id"] for s in ours} & set(r.json()["raised"])
    r = await http.get("/api/v1/surveillance/signals", headers=supervisor)
    again = [s for s in r.json() if s["syndrome"] == GASTRO and s["method"] == alert["method"]]
    assert [s["id"] for s in again if cell in {a["id"] for a in s["areas"]}] == [alert["id"]]

    # The supervisor acknowledges with a note, once; a dispatcher may not.
    path = f"/api/v1/surveillance/signals/{alert['id']}/acknowledge"
    note = {"note": "CDC duty officer informed; food samples from the caterer requested"}
    assert_problem(await http.post(path, headers=dispatcher, json=note), 403, "forbidden")
    r = await http.post(path, headers=supervisor, json=note)
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_by"] == "supervisor"
    assert r.json()["acknowledge_note"] == note["note"]
    assert_problem(
        await http.post(path, headers=supervisor, json=note), 409, "signal-already-acknowledged"
    )
    r = await http.get(
        "/api/v1/surveillance/signals",
        headers=auditor,
        params={"status": "all", "since": today.isoformat()},
    )
    assert r.status_code == 200, r.text
    assert any(s["id"] == alert["id"] and s["acknowledged_at"] for s in r.json())
    assert_problem(
        await http.post(
            "/api/v1/surveillance/signals/2147483647/acknowledge", headers=supervisor, json=note
        ),
        404,
        "not-found",
    )

    # The health authority's file: today's counts per syndrome and cell, nothing personal.
    window = {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()}
    r = await http.get("/api/v1/surveillance/counts", headers=supervisor, params=window)
    assert r.status_code == 200, r.text
    counts = {(c["day"], c["syndrome"], c["area"]): c["calls"] for c in r.json()}
    assert counts[(today.isoformat(), GASTRO, cell)] >= 16
    yesterday = (today - timedelta(days=1)).isoformat()
    monday = date.fromisoformat(yesterday).weekday() == 0
    assert counts[(yesterday, GASTRO, cell)] == (2 if monday else 1), "the imported day, not calls"
    r = await http.get(
        "/api/v1/surveillance/counts", headers=auditor, params={**window, "format": "csv"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["day", "syndrome", "area", "calls"]
    assert "+35840555" not in r.text and "wedding" not in r.text and "guest" not in r.text
    assert_problem(
        await http.get("/api/v1/surveillance/counts", headers=dispatcher, params=window),
        403,
        "forbidden",
    )
    assert_problem(
        await http.get(
            "/api/v1/surveillance/counts",
            headers=supervisor,
            params={"from": today.isoformat(), "to": (today - timedelta(days=3)).isoformat()},
        ),
        422,
        "validation-error",
    )

    # Every change is on the record: raised by the watch, acknowledged by the supervisor.
    conn = await asyncpg.connect(database_url)
    try:
        log = await conn.fetch(
            "SELECT name, actor, payload FROM events WHERE payload->>'signal' = $1 ORDER BY seq",
            str(alert["id"]),
        )
    finally:
        await conn.close()
    assert [(e["name"], e["actor"]) for e in log][0] == ("SignalRaised", "surveillance")
    assert ("SignalAcknowledged", "supervisor") in [(e["name"], e["actor"]) for e in log]
    assert all("+35840555" not in e["payload"] for e in log)
