"""A private primary and its streaming standby, for the failover test.

Both are ``PrivatePostgres`` clusters (``harness.py``): throwaway data directories, their own
ports and socket directories, ``fsync=off``, run as the ``postgres`` OS user. The standby is a
``pg_basebackup -R`` copy of the primary, streaming from it; nothing here touches the machine's
shared server. Stock PostgreSQL only (``pg_ctl promote``), no failover manager: the test plays
the manager's part (Patroni's, in ``docker/failover.md``) by stopping the primary and promoting
the standby, and checks how the app copes.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from typing import Any

import asyncpg

from tests.chaos.harness import PrivatePostgres, _pg_bin


class Node(PrivatePostgres):
    """A ``PrivatePostgres`` that can be cloned into a standby and promoted."""

    @property
    def url(self) -> str:
        """The ``postgres`` database of this server alone (for checks and settings)."""
        return f"{self.base_url}/postgres"

    def standby(self) -> Node:
        """A new server: a base backup of this one, started as its streaming hot standby.

        ``-R`` writes ``standby.signal`` and ``primary_conninfo`` (this server's address);
        ``-X stream`` carries the WAL written during the copy; ``-c fast`` checkpoints at once
        instead of spreading the checkpoint over minutes.
        """
        node = Node()
        try:
            node.sock.mkdir()
            shutil.chown(node.root, "postgres", "postgres")
            shutil.chown(node.sock, "postgres", "postgres")
            node._as_postgres(
                str(_pg_bin() / "pg_basebackup"),
                "-D",
                str(node.data),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "--no-sync",
                timeout=120,
            )
            node.start()
        except BaseException:
            node.close()
            raise
        return node

    def promote(self) -> None:
        """``pg_ctl promote -w``: returns once the server is out of recovery and takes writes."""
        self._as_postgres(
            str(_pg_bin() / "pg_ctl"), "-D", str(self.data), "-w", "-t", "30", "promote"
        )

    async def fetchval(self, query: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.url, timeout=5)
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    async def execute(self, query: str) -> None:
        conn = await asyncpg.connect(self.url, timeout=5)
        try:
            await conn.execute(query)
        finally:
            await conn.close()


async def wait_replicating(primary: Node, sync_state: str, timeout: float = 30) -> None:
    """Until the primary reports one standby streaming with ``sync_state`` (async / sync)."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            state = await primary.fetchval(
                "SELECT sync_state FROM pg_stat_replication WHERE state = 'streaming'"
            )
            if state == sync_state:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"no standby streaming as {sync_state} after {timeout} s")
        await asyncio.sleep(0.1)


async def make_synchronous(primary: Node) -> None:
    """Every commit on ``primary`` waits until its standby has applied it.

    ``remote_apply``, not just ``on`` (on the standby's disk): what the primary acknowledged is
    then also visible on the standby at once, so a database created through a list of servers
    that names the standby first is there when the next connection (the migration's) tries the
    standby before the primary. Set with ALTER SYSTEM after the base backup, so the standby
    does not inherit it: once promoted it has no standby of its own, and a primary told to wait
    for one that does not exist would block every commit.
    """
    await primary.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
    await primary.execute("ALTER SYSTEM SET synchronous_commit = 'remote_apply'")
    await primary.execute("SELECT pg_reload_conf()")
    await wait_replicating(primary, "sync")


def pair() -> tuple[Node, Node]:
    """A primary (with ``initdb``) and its synchronous streaming standby, both running."""
    primary = Node()
    try:
        primary.init()
        standby = primary.standby()
    except BaseException:
        primary.close()
        raise
    try:
        asyncio.run(make_synchronous(primary))
    except BaseException:
        standby.close()
        primary.close()
        raise
    return primary, standby


def libpq_list_url(nodes: list[Node], database: str) -> str:
    """A multi-host URL as a user would write it (libpq's spelling), naming ``nodes`` in order."""
    hosts = ",".join(f"127.0.0.1:{n.port}" for n in nodes)
    return f"postgresql://postgres@{hosts}/{database}?target_session_attrs=read-write"
