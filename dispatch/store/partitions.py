"""Monthly partitions of the event log and the GPS track: creating months ahead, dropping old
GPS months (migration 0013 holds the SQL functions this module calls).

Why the server does this itself: a centre runs for years without a database administrator
watching the calendar. Every process calls :func:`keep_up` at start and then every few hours
(:class:`PartitionKeeper`); the functions take an advisory lock, so two workers never race, and
a month that already exists is left alone. Nothing is ever refused for want of a partition:
each table has a default partition, and a month whose rows landed there first is reported (and
logged as a warning) rather than created, because PostgreSQL cannot split a default partition.

Retention applies to GPS fixes only (``GOLDENHOUR_POSITION_RETENTION_DAYS``, default 400: a
year of track for complaints and audits, plus a month). The event log is the centre's legal
record: it is never dropped here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.clock import Clock

log = logging.getLogger("goldenhour.partitions")

#: Months created ahead of the current one: a quarter, so a server down over a month end (or a
#: clock a little ahead) still writes into a proper month.
MONTHS_AHEAD = 3


@dataclass(frozen=True, slots=True)
class Upkeep:
    """What one round of upkeep did."""

    created: list[str] = field(default_factory=list)
    #: Months not created because rows for them already sit in the default partition.
    blocked: list[str] = field(default_factory=list)
    #: GPS partitions dropped (or ``unit_positions_default`` trimmed) -> fixes removed.
    dropped: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"created": self.created, "blocked": self.blocked, "dropped": self.dropped}


async def keep_up(
    engine: AsyncEngine,
    *,
    now: datetime,
    retention_days: int | None,
    months_ahead: int = MONTHS_AHEAD,
) -> Upkeep:
    """Create the coming months' partitions and drop GPS months wholly older than
    ``now - retention_days`` (``None``: keep every fix)."""
    created: list[str] = []
    blocked: list[str] = []
    dropped: dict[str, int] = {}
    async with engine.begin() as conn:
        rows = await conn.execute(
            text("SELECT partition, outcome FROM ensure_log_partitions(:ahead)"),
            {"ahead": months_ahead},
        )
        for name, outcome in rows:
            (created if outcome == "created" else blocked).append(name)
    if retention_days is not None:
        cutoff = now - timedelta(days=retention_days)
        async with engine.begin() as conn:
            rows = await conn.execute(
                text("SELECT partition, fixes FROM drop_position_partitions_before(:cutoff)"),
                {"cutoff": cutoff},
            )
            dropped = {name: int(fixes) for name, fixes in rows}
    for name in blocked:
        log.warning(
            "partition %s not created: rows for its month are in the default partition "
            "(they stay there, safe; a database administrator can move them)",
            name,
        )
    if created or dropped:
        log.info("partitions: created %s, dropped %s", created, dropped)
    return Upkeep(created, blocked, dropped)


class PartitionKeeper:
    """Runs :func:`keep_up` now and then every ``interval_s`` until closed; a failed round
    (database away) is logged and retried at the next one, never fatal to the server."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        clock: Clock,
        retention_days: int | None,
        interval_s: float = 6 * 3600.0,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._retention_days = retention_days
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self.last: Upkeep | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="partition-keeper")

    async def _run(self) -> None:
        while True:
            try:
                self.last = await keep_up(
                    self._engine,
                    now=self._clock.now(),
                    retention_days=self._retention_days,
                )
            except Exception:  # the database may be restarting: try again next round
                log.exception("partition upkeep failed; retrying in %.0f s", self._interval_s)
            await asyncio.sleep(self._interval_s)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
