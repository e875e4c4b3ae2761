"""Fifty dispatchers click "assign" on the same ambulance at once, round after round.

Each round: 50 concurrent assignment requests for one unit, each to a different pending incident.
Exactly one must win (201) and 49 must get a 409 ``unit-not-available`` problem, never a 500;
the log must hold exactly one ``UnitAssigned`` per round. Between rounds the test puts the unit
and the winning incident back by SQL (housekeeping, like ``reset_fleet``).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import asyncpg
import httpx
import pytest

from tests.chaos.conftest import race_rounds
from tests.chaos.harness import PrivateRedis, road_points, tokens

pytestmark = pytest.mark.chaos

RACERS = 50

_RESET = """
UPDATE units SET status = 'available', incident_id = NULL, order_id = NULL,
       order_acknowledged_at = NULL, status_at = now()
WHERE id = $1;
"""
_REOPEN = """
UPDATE incidents SET status = 'pending', dispatched_at = NULL WHERE id = ANY($1::int[]);
"""


async def _race(
    urls: list[str], database_url: str, secret_key: str, rounds: int
) -> dict[str, float]:
    tok = (await tokens(secret_key, database_url))["dispatcher"]
    headers = {"Authorization": f"Bearer {tok}"}
    # expire idle connections before uvicorn does (5 s), or a reused one may die mid-request
    limits = httpx.Limits(
        max_connections=RACERS * 2, max_keepalive_connections=RACERS * 2, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        incidents = []
        points = await road_points(urls[0], RACERS)
        for i in range(RACERS):
            r = await http.post(
                urls[i % len(urls)] + "/api/v1/incidents",
                headers=headers,
                json={
                    "location": points[i],
                    "complaint": f"race {i}",
                    "priority": 2,
                },
            )
            assert r.status_code == 201, r.text
            incidents.append(r.json()["id"])
        conn = await asyncpg.connect(database_url)
        try:
            start_seq = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM events")
            unit_ids = [r["id"] for r in await conn.fetch("SELECT id FROM units ORDER BY id")]
            started = time.monotonic()
            for n in range(rounds):
                unit_id = unit_ids[n % len(unit_ids)]

                async def attempt(k: int, unit_id: int = unit_id) -> httpx.Response:
                    return await http.post(
                        f"{urls[k % len(urls)]}/api/v1/incidents/{incidents[k]}/assignments",
                        headers=headers,
                        json={"unit_id": unit_id},
                    )

                answers = await asyncio.gather(*(attempt(k) for k in range(RACERS)))
                codes = Counter(r.status_code for r in answers)
                winners = [r for r in answers if r.status_code == 201]
                losers = [r for r in answers if r.status_code != 201]
                assert len(winners) == 1, f"round {n}: {codes} {[r.text for r in losers][:3]}"
                for r in losers:
                    assert r.status_code == 409, f"round {n}: {r.status_code} {r.text}"
                    assert r.headers["content-type"].startswith("application/problem+json")
                    assert r.json()["code"] == "unit-not-available", r.text
                state = await conn.fetchrow(
                    "SELECT status, incident_id FROM units WHERE id = $1", unit_id
                )
                won = winners[0].json()["incident"]["id"]
                assert (state["status"], state["incident_id"]) == ("dispatched", won)
                await conn.execute(_RESET, unit_id)
                await conn.execute(_REOPEN, [won])
            elapsed = time.monotonic() - started
            logged = await conn.fetchval(
                "SELECT count(*) FROM events WHERE seq > $1 AND name = 'UnitAssigned'", start_seq
            )
            rows = await conn.fetchval("SELECT count(*) FROM assignments")
        finally:
            await conn.close()
    assert logged == rounds, f"{logged} UnitAssigned events for {rounds} rounds"
    assert rows == rounds, f"{rows} assignments for {rounds} rounds"
    return {"rounds": rounds, "seconds": elapsed, "per_round_ms": 1000 * elapsed / rounds}


async def test_fifty_way_race_one_winner_every_round(
    chaos_db: str, private_redis: PrivateRedis, launch, secret_key: str
) -> None:
    app = launch(database_url=chaos_db, redis=private_redis, processes=1)
    stats = await _race([app.servers[0].url], chaos_db, secret_key, race_rounds(60))
    print(f"\nrace, one process: {stats}")


async def test_fifty_way_race_across_two_processes(
    chaos_db: str, private_redis: PrivateRedis, launch, secret_key: str
) -> None:
    app = launch(database_url=chaos_db, redis=private_redis, processes=2)
    urls = [s.url for s in app.servers]
    stats = await _race(urls, chaos_db, secret_key, max(1, race_rounds(60) // 10))
    print(f"\nrace, two processes: {stats}")
