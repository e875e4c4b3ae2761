"""GPS fixes at fleet scale: many requests, one transaction (group commit).

A city fleet reports about once a second per unit. Writing each fix in its own transaction (and
as an event in the log, under the log's lock) would serialise intake behind telemetry. Instead
each request hands its fix to a ``PositionWriter`` and waits: the writer gathers what arrived in
the last few milliseconds and stores it in one statement. The request is answered only after that
commit, so an accepted fix is durable. The rule that an older fix never overwrites a newer one is
applied in the same statement, atomically, whichever app process the fixes reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.domain.errors import NotFound
from dispatch.domain.model import Unit
from dispatch.services.ports import Fix, Recorded
from dispatch.store.repository import unit_from_row

log = logging.getLogger("goldenhour.positions")


# One round trip: store every new fix in the track (a replay of the same fix is a no-op), then
# move each unit to its newest fix unless it already holds a newer one.
_BATCH_SQL = text(
    """
    WITH incoming AS (
        SELECT * FROM unnest(
            CAST(:unit_ids AS integer[]), CAST(:lons AS float8[]), CAST(:lats AS float8[]),
            CAST(:ats AS timestamptz[])
        ) AS f(unit_id, lon, lat, reported_at)
        WHERE EXISTS (SELECT 1 FROM units WHERE units.id = f.unit_id)
    ), tracked AS (
        INSERT INTO unit_positions (unit_id, position, reported_at)
        SELECT unit_id, ST_SetSRID(ST_MakePoint(lon, lat), 4326), reported_at FROM incoming
        ON CONFLICT (unit_id, reported_at) DO NOTHING
        RETURNING 1
    ), latest AS (
        SELECT DISTINCT ON (unit_id) unit_id, lon, lat, reported_at
        FROM incoming ORDER BY unit_id, reported_at DESC
    ), locked AS (
        -- Lock in id order: two app processes writing overlapping batches cannot deadlock.
        SELECT id FROM units WHERE id IN (SELECT unit_id FROM latest) ORDER BY id FOR UPDATE
    )
    UPDATE units AS u
    SET position = ST_SetSRID(ST_MakePoint(l.lon, l.lat), 4326), position_at = l.reported_at
    FROM latest AS l
    WHERE u.id = l.unit_id AND u.id IN (SELECT id FROM locked)
      AND (u.position_at IS NULL OR u.position_at < l.reported_at)
    RETURNING u.id
    """
)

_UNITS_SQL = text(
    """
    SELECT u.id, u.call_sign, u.capability, u.status, u.status_at, u.station_id, u.incident_id,
           u.position_at, u.order_id, u.order_acknowledged_at, u.destination_hospital_id,
           u.status_flags, u.isolation, u.infectious_load, u.decontamination_until,
           ST_X(u.position) AS position_lon, ST_Y(u.position) AS position_lat,
           ST_X(s.location) AS home_lon, ST_Y(s.location) AS home_lat
    FROM units AS u LEFT JOIN stations AS s ON s.id = u.station_id
    WHERE u.id = ANY(CAST(:ids AS integer[]))
    """
)


class PositionWriter:
    """Group commit of GPS fixes: ``record`` returns once its fix's batch has committed."""

    def __init__(
        self, engine: AsyncEngine, *, max_batch: int = 500, gather_s: float = 0.005
    ) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._gather_s = gather_s
        self._queue: asyncio.Queue[tuple[Fix, asyncio.Future[Recorded]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="position-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def record(self, fix: Fix) -> Recorded:
        future: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        await self._queue.put((fix, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            deadline = asyncio.get_running_loop().time() + self._gather_s
            while len(batch) < self._max_batch:
                # Take everything already waiting first: under load one turn of the event loop
                # outlasts ``gather_s``, and checking the deadline first made every batch one
                # or two fixes long while hundreds queued (group commit without the group).
                with contextlib.suppress(asyncio.QueueEmpty):
                    batch.append(self._queue.get_nowait())
                    continue
                timeout = deadline - asyncio.get_running_loop().time()
                if timeout <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), timeout))
                except TimeoutError:
                    break
            await self._write(batch)

    async def _write(self, batch: list[tuple[Fix, asyncio.Future[Recorded]]]) -> None:
        fixes = [fix for fix, _ in batch]
        try:
            moved, units = await self._store(fixes)
        except Exception as exc:  # every waiting request gets the error (a 503 for an outage)
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        for fix, future in batch:
            if future.done():
                continue
            unit = units.get(fix.unit_id)
            if unit is None:
                future.set_exception(NotFound(f"No unit with id {fix.unit_id}"))
                continue
            accepted = fix.unit_id in moved and unit.position_at == fix.reported_at
            future.set_result(Recorded(unit, accepted))

    async def _store(self, fixes: list[Fix]) -> tuple[set[int], dict[int, Unit]]:
        params: dict[str, Any] = {
            "unit_ids": [f.unit_id for f in fixes],
            "lons": [f.location.lon for f in fixes],
            "lats": [f.location.lat for f in fixes],
            "ats": [f.reported_at for f in fixes],
        }
        async with self._engine.begin() as conn:
            moved = {row.id for row in await conn.execute(_BATCH_SQL, params)}
            rows = await conn.execute(_UNITS_SQL, {"ids": sorted({f.unit_id for f in fixes})})
            units = {row.id: unit_from_row(row) for row in rows}
        return moved, units
