"""kill -9 of an app process in the middle of intake, then a restart.

Dispatcher desks log calls (with an Idempotency-Key), assign their own units and drive them
through en route / on scene / available (crew updates numbered with client_id/client_seq), while
crews report GPS fixes. Clients retry what went unanswered, as real ones do. Afterwards: every
acknowledged call, assignment and status is in the database exactly once, nothing is half
written, and every console, resuming with ``?since=`` after its socket died, saw every logged
event once, in order.

The kill is not left to chance: before each kill the test holds the event log's write lock until
the process is known (from ``pg_stat_activity``) to be in the middle of at least one request, so
every run cuts at least one accepted, unanswered request per kill.
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

    async def fault(scene: Scene) -> dict:
        stuck = []
        for k in range(2):
            # Clients stay with a process until it fails them, so with two processes the second
            # kill takes the other one: that is where the first kill's clients went.
            victim = k % processes
            async with scene.requests_held_in(victim) as waiting:
                stuck.append(waiting)
                scene.kill9(victim)  # with those requests inside it, unanswered
            await asyncio.to_thread(app.restart, victim)  # returns once /healthz answers
            await asyncio.sleep(1.0)  # let the clients find it again before the next kill
        return {"kills": len(stuck), "stuck_at_kill": stuck}

    stats = await run_load_with_fault(app, secret_key, fault)
    print(f"\nkill -9 x{stats['kills']}, {processes} process(es): {stats}")
    # Each kill cut at least one request that had been sent and not answered: its client saw a
    # transport error on a request sent before the kill, and retried it.
    assert stats["interrupted"] >= stats["kills"], stats
    assert stats["other"] == 0, stats
