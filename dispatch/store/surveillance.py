"""Storage of the public-health watch (migration 0017): imported count history, signals, and the
last day the watch judged.

One repository over the unit of work's connection, like the others: a signal's row changes in
the transaction that records its event. Two server processes may run the watch; the round takes
a transaction-level advisory lock (:meth:`lock_watch`), so one judges a day and the other,
finding the lock taken, skips its round (the next one reads what the first wrote).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from dispatch.domain.errors import NotFound
from dispatch.services.ports import CaseSource, StoredSignal
from dispatch.store import tables as t
from dispatch.store.geo import location_from, lon_lat

WATCH_LOCK_KEY = 0x5E_A7_C4  # "search": one surveillance round at a time across processes
_SIGNAL_SEQUENCE = "surveillance_signals_id_seq"


class SqlSurveillanceRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def lock_watch(self, *, wait: bool = False) -> bool:
        """Take the round's lock for this transaction; False when another process holds it
        (``wait``: queue behind it instead, and always True)."""
        if wait:
            await self._conn.execute(select(func.pg_advisory_xact_lock(WATCH_LOCK_KEY)))
            return True
        got = await self._conn.execute(select(func.pg_try_advisory_xact_lock(WATCH_LOCK_KEY)))
        return bool(got.scalar_one())

    async def last_day(self) -> date | None:
        found = await self._conn.execute(select(t.surveillance_progress.c.last_day))
        day: date | None = found.scalar_one_or_none()
        return day

    async def set_last_day(self, day: date, at: datetime) -> None:
        await self._conn.execute(
            pg_insert(t.surveillance_progress)
            .values(id=1, last_day=day, updated_at=at)
            .on_conflict_do_update(index_elements=["id"], set_={"last_day": day, "updated_at": at})
        )

    async def cases(self, start: datetime, end: datetime) -> list[CaseSource]:
        """Calls received in ``[start, end)``, cancelled ones left out (a duplicate of another
        call or a call that was no emergency must not count twice or at all)."""
        i = t.incidents
        rows = await self._conn.execute(
            select(i.c.received_at, *lon_lat(i.c.location, "location"), i.c.complaint_code)
            .add_columns(i.c.complaint)
            .where(i.c.received_at >= start, i.c.received_at < end, i.c.status != "cancelled")
            .order_by(i.c.received_at)
        )
        out: list[CaseSource] = []
        for r in rows:
            where = location_from(r, "location")
            if where is not None:
                out.append(CaseSource(r.received_at, where, r.complaint_code, r.complaint))
        return out

    async def first_case_at(self) -> datetime | None:
        found = await self._conn.execute(select(func.min(t.incidents.c.received_at)))
        first: datetime | None = found.scalar_one()
        return first

    async def history(self, first: date, last: date) -> list[tuple[date, str, str, int]]:
        h = t.surveillance_history
        rows = await self._conn.execute(
            select(h.c.day, h.c.syndrome, h.c.area, h.c.calls)
            .where(h.c.day >= first, h.c.day <= last)
            .order_by(h.c.day, h.c.syndrome, h.c.area)
        )
        return [(r.day, r.syndrome, r.area, r.calls) for r in rows]

    async def first_history_day(self) -> date | None:
        found = await self._conn.execute(select(func.min(t.surveillance_history.c.day)))
        day: date | None = found.scalar_one()
        return day

    async def replace_history(
        self, rows: Sequence[tuple[date, str, str, int]], at: datetime
    ) -> int:
        """Store imported counts: the days in ``rows`` are replaced as a whole (a corrected file
        for a day replaces that day, not adds to it)."""
        days = sorted({r[0] for r in rows})
        h = t.surveillance_history
        if days:
            await self._conn.execute(delete(h).where(h.c.day.in_(days)))
        nonzero = [r for r in rows if r[3] > 0]
        for chunk in range(0, len(nonzero), 5000):
            await self._conn.execute(
                pg_insert(h),
                [
                    {"day": d, "syndrome": s, "area": a, "calls": n, "imported_at": at}
                    for d, s, a, n in nonzero[chunk : chunk + 5000]
                ],
            )
        return len(days)

    async def open_signals(self) -> list[StoredSignal]:
        return await self.signals(open_only=True, since=None, until=None, lock=True)

    async def next_signal_ids(self, n: int) -> list[int]:
        if n <= 0:
            return []
        rows = await self._conn.execute(
            select(func.nextval(_SIGNAL_SEQUENCE)).select_from(func.generate_series(1, n))
        )
        return [int(r[0]) for r in rows]

    async def save_signal(self, signal: StoredSignal) -> None:
        values = _row(signal)
        await self._conn.execute(
            pg_insert(t.surveillance_signals)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["id"], set_={k: v for k, v in values.items() if k != "id"}
            )
        )

    async def signals(
        self,
        *,
        open_only: bool,
        since: date | None,
        until: date | None,
        lock: bool = False,
    ) -> list[StoredSignal]:
        """Signals, newest first; ``since`` / ``until`` bound the days they covered."""
        s = t.surveillance_signals
        query = select(s).order_by(s.c.since.desc(), s.c.id.desc())
        if open_only:
            query = query.where(s.c.status == "open")
        if since is not None:
            query = query.where(s.c.last_seen >= since)
        if until is not None:
            query = query.where(s.c.since <= until)
        if lock:
            query = query.with_for_update()
        return [_signal(r) for r in await self._conn.execute(query)]

    async def signal(self, signal_id: int, *, lock: bool = False) -> StoredSignal:
        s = t.surveillance_signals
        query = select(s).where(s.c.id == signal_id)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).one_or_none()
        if row is None:
            raise NotFound(f"no signal {signal_id}")
        return _signal(row)


def _row(signal: StoredSignal) -> dict[str, Any]:
    return {
        "id": signal.id,
        "method": signal.method,
        "syndrome": signal.syndrome,
        "areas": list(signal.areas),
        "since": signal.since,
        "last_seen": signal.last_seen,
        "days": signal.days,
        "observed": signal.observed,
        "expected": signal.expected,
        "statistic": signal.statistic,
        "level": signal.level,
        "status": signal.status,
        "opened_at": signal.opened_at,
        "closed_at": signal.closed_at,
        "acknowledged_at": signal.acknowledged_at,
        "acknowledged_by": signal.acknowledged_by,
        "acknowledge_note": signal.acknowledge_note,
    }


def _signal(row: Any) -> StoredSignal:
    return StoredSignal(
        id=row.id,
        method=row.method,
        syndrome=row.syndrome,
        areas=tuple(row.areas),
        since=row.since,
        last_seen=row.last_seen,
        days=row.days,
        observed=row.observed,
        expected=row.expected,
        statistic=row.statistic,
        level=row.level,
        status=row.status,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        acknowledge_note=row.acknowledge_note,
    )
