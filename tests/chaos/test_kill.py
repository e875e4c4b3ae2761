"""kill -9 of an app process in the middle of intake, then a restart.

Dispatcher desks log calls (with an Idempotency-Key), assign their own units and drive them
through en route / on scene / available (crew updates numbered with client_id/client_seq), while
crews report GPS fixes. Clients retry what went unanswered, as real ones do. Afterwards: every
acknowledged call, assignment and status is in the database exactly once, nothing is half
written, and every console, resuming with ``?since=`` after its socket died, saw every logged
event once, in order.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.chaos.harness import PrivateRedis, Scene, run_load_with_fault

pytestmark = pytest.mark.chaos


@pytest.mark.parametrize("processes", [1, 2])
async def test_kill9_during_intake_loses_and_duplicates_nothing(
    chaos_db: str, private_redis: PrivateRedis, launch, secret_key: str, processes: int
) -> None:
    app = launch(database_url=chaos_db, redis=private_redis, processes=processes)

    async def fault(_: Scene) -> dict:
        kills = 0
        for _ in range(2):
            app.kill9(0)
            kills += 1
            await asyncio.sleep(0.3)
            await asyncio.to_thread(app.restart, 0)
            await asyncio.sleep(1.0)
        return {"kills": kills}

    stats = await run_load_with_fault(app, secret_key, fault)
    print(f"\nkill -9 x{stats['kills']}, {processes} process(es): {stats}")
    assert stats["interrupted"] > 0, "the kill interrupted no request: the test proved nothing"
