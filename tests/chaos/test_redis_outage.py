"""Redis hangs (SIGSTOP) and then dies (SIGKILL) under load, and comes back.

Redis only carries messages, so: no request fails or waits long because of it, no acknowledged
write is lost, consoles keep receiving every event (the hubs poll the events table meanwhile), and
once Redis is back the hubs subscribe again and events and positions are pushed again (arriving
much faster than the poll interval would bring them).
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import httpx
import pytest

from tests.chaos.harness import App, PrivateRedis, Scene, run_load_with_fault, wait_until

pytestmark = pytest.mark.chaos

POLL_S = 2.0  # the hubs' database poll while Redis is silent; push must beat it clearly


async def _push_latencies(app: App, scene: Scene, calls: int = 6) -> list[float]:
    """Seconds from each call's 201 to its CallReceived on the consoles (worst console)."""
    lags: list[float] = []
    async with httpx.AsyncClient(timeout=10) as http:
        for i in range(calls):
            url = app.servers[i % len(app.servers)].url
            r = await http.post(
                url + "/api/v1/incidents",
                headers={
                    "Authorization": f"Bearer {scene.tok['dispatcher']}",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
                json={
                    "location": scene.points[i],
                    "complaint": f"after redis {i}",
                    "priority": 3,
                },
            )
            assert r.status_code == 201, r.text
            acked = time.time()
            incident_id = r.json()["id"]

            def seen(incident_id: int = incident_id) -> list[float]:
                return [
                    t
                    for c in scene.consoles
                    for t, m in c.event_times.values()
                    if m["name"] == "CallReceived" and m["data"]["incident"]["id"] == incident_id
                ]

            await wait_until(
                lambda: len(seen()) == len(scene.consoles), 10, f"CallReceived {incident_id}"
            )
            lags.append(max(seen()) - acked)
            await asyncio.sleep(0.37)  # not in step with the poll
    return lags


@pytest.mark.parametrize("processes", [1, 2])
async def test_redis_hang_and_loss_lose_nothing_and_push_resumes(
    chaos_db: str, private_redis: PrivateRedis, launch, secret_key: str, processes: int
) -> None:
    app = launch(
        database_url=chaos_db,
        redis=private_redis,
        processes=processes,
        extra_env={"GOLDENHOUR_HUB_POLL_INTERVAL_S": str(POLL_S)},
    )
    await wait_until(lambda: private_redis.numsub(app.channel) == processes, 10, "subscribers")

    async def fault(scene: Scene) -> dict:
        private_redis.pause()  # hangs: connections stay open, nothing answers
        await asyncio.sleep(4)
        private_redis.resume()
        await asyncio.sleep(2)
        private_redis.kill()  # gone: connections refused
        await asyncio.sleep(4)
        private_redis.start()  # same port, empty
        await wait_until(
            lambda: private_redis.numsub(app.channel) == processes, 15, "hubs to resubscribe"
        )
        lags = await _push_latencies(app, scene)
        before = time.time()
        await asyncio.sleep(1.5)
        position_lags = [lag for c in scene.consoles for t, lag in c.position_lag if t > before]
        assert position_lags, "no positions reached the consoles after Redis came back"
        info = {
            "event_push_s": [round(x, 3) for x in lags],
            "position_lag_median_s": round(statistics.median(position_lags), 3),
        }
        # pushed, not polled: the poll would put these around POLL_S / 2 on average
        assert statistics.median(lags) < 0.4 and max(lags) < POLL_S, info
        assert info["position_lag_median_s"] < 0.5, info
        return info

    stats = await run_load_with_fault(app, secret_key, fault)
    print(f"\nredis outage, {processes} process(es): {stats}")
    assert stats["problems_503"] == 0 and stats["transport_errors"] == 0, stats
