"""PostgreSQL stops under load and starts again (a private cluster, never the shared one).

While it is down every request that needs it gets a clear 503 ``storage-unavailable`` problem
with ``Retry-After`` (no 500, no hang); once it is back, retried requests go through, nothing
acknowledged is missing, nothing is duplicated, no incident or assignment is half written, and
consoles (reconnecting when their socket dies) see every logged event once, in order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.harness import (
    PrivatePostgres,
    PrivateRedis,
    Scene,
    make_database,
    run_load_with_fault,
    wait_until,
)

pytestmark = pytest.mark.chaos


@pytest.fixture
def private_pg(map_dir: Path) -> Iterator[tuple[PrivatePostgres, str]]:
    pg = PrivatePostgres()
    try:
        pg.init()
        url = make_database(pg.base_url + "/postgres", "gh_chaos", map_dir)
        yield pg, url
    finally:
        pg.close()  # the whole cluster goes, with its database


@pytest.mark.parametrize("processes", [1, 2])
async def test_postgres_restart_gives_503_then_nothing_lost_or_half_written(
    private_pg: tuple[PrivatePostgres, str],
    private_redis: PrivateRedis,
    launch,
    secret_key: str,
    processes: int,
) -> None:
    pg, url = private_pg
    app = launch(database_url=url, redis=private_redis, processes=processes)

    async def fault(scene: Scene) -> dict:
        await asyncio.to_thread(pg.stop, "fast")  # aborts open transactions, refuses new ones
        down = time.monotonic()
        await asyncio.sleep(4)
        # down until the clients have met it (a slow machine may not have sent anything yet)
        await wait_until(lambda: scene.ledger.problems_503 > 0, 60, "a 503 during the outage")
        await asyncio.to_thread(pg.start)
        return {"outage_s": round(time.monotonic() - down, 1)}

    stats = await run_load_with_fault(app, secret_key, fault, settle_s=3.0)
    print(f"\npostgres restart, {processes} process(es): {stats}")
    assert stats["problems_503"] > 0, "no request met the outage: the test proved nothing"
    assert stats["other"] == 0 and stats["refused"] == 0, stats  # the app never went away
