"""Failed logins in PostgreSQL, per account name and per client address.

The decisions are ``dispatch.domain.throttle``'s; this module keeps the counts where every app
process sees them and applies a failure under a row lock, so two processes counting at once lose
neither failure. Rows whose window has passed (and whose lock has ended) are deleted as new
failures come in: a script trying random names leaves nothing behind for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from dispatch.domain import throttle
from dispatch.domain.throttle import Strikes, ThrottleRules
from dispatch.store import tables as t

ACCOUNT = "account"
CLIENT = "client"
_KEY_WIDTH = 200


def _key(value: str) -> str:
    """What PostgreSQL can store as a key: no NUL, no lone surrogate, at most 200 characters."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")[:_KEY_WIDTH]


def _strikes(row: Any) -> Strikes:
    return Strikes(row.failures, row.window_started_at, row.locked_until)


@dataclass(frozen=True, slots=True)
class Failure:
    """An account's strikes before and after one failure, and the address's after it."""

    account_before: Strikes
    account_after: Strikes
    client_after: Strikes


class LoginThrottle:
    def __init__(self, engine: AsyncEngine, rules: ThrottleRules) -> None:
        self._engine = engine
        self.rules = rules

    async def strikes(self, account: str, client: str) -> tuple[Strikes, Strikes]:
        """(the account name's, the address's) strikes as stored (one read)."""
        c = t.login_throttle.c
        wanted = [(ACCOUNT, _key(account)), (CLIENT, _key(client))]
        query = select(c.kind, c.failures, c.window_started_at, c.locked_until).where(
            tuple_(c.kind, c.key).in_(wanted)
        )
        async with self._engine.connect() as conn:
            rows = {row.kind: _strikes(row) for row in await conn.execute(query)}
        return rows.get(ACCOUNT, throttle.NONE), rows.get(CLIENT, throttle.NONE)

    async def fail(self, account: str, client: str, now: datetime) -> Failure:
        """Count one failed login of ``account`` from ``client`` at ``now``."""
        async with self._engine.begin() as conn:
            # account first, then client, in every transaction: no two can deadlock
            before = await self._locked(conn, ACCOUNT, account, now)
            after = throttle.after_failure(before, now, self.rules)
            await self._save(conn, ACCOUNT, account, after, now)
            held = await self._locked(conn, CLIENT, client, now)
            client_after = throttle.after_client_failure(held, now, self.rules)
            await self._save(conn, CLIENT, client, client_after, now)
        await self._forget_old(now)
        return Failure(throttle.current(before, now, self.rules), after, client_after)

    async def clear(self, account: str) -> bool:
        """Forget an account's failures and lock (a login, an admin's unlock); False if none."""
        c = t.login_throttle.c
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(t.login_throttle).where(c.kind == ACCOUNT, c.key == _key(account))
            )
        return bool(result.rowcount)

    async def _locked(self, conn: AsyncConnection, kind: str, key: str, now: datetime) -> Strikes:
        c = t.login_throttle.c
        await conn.execute(
            insert(t.login_throttle)
            .values(kind=kind, key=_key(key), failures=0, last_failure_at=now)
            .on_conflict_do_nothing(index_elements=[c.kind, c.key])
        )
        row = (
            await conn.execute(
                select(c.failures, c.window_started_at, c.locked_until)
                .where(c.kind == kind, c.key == _key(key))
                .with_for_update()
            )
        ).one()
        return _strikes(row)

    async def _save(
        self, conn: AsyncConnection, kind: str, key: str, strikes: Strikes, now: datetime
    ) -> None:
        c = t.login_throttle.c
        await conn.execute(
            update(t.login_throttle)
            .where(c.kind == kind, c.key == _key(key))
            .values(
                failures=strikes.failures,
                window_started_at=strikes.window_started_at,
                locked_until=strikes.locked_until,
                last_failure_at=now,
            )
        )

    async def _forget_old(self, now: datetime) -> None:
        """Delete rows that count nothing any more: window over, no running lock."""
        c = t.login_throttle.c
        stale = now - timedelta(seconds=self.rules.window_s)
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(t.login_throttle).where(
                    c.last_failure_at < stale,
                    or_(c.window_started_at.is_(None), c.window_started_at < stale),
                    or_(c.locked_until.is_(None), c.locked_until < now),
                )
            )


def account_strikes_query() -> Any:
    """``login_throttle`` rows of accounts, for joining with ``users`` (the admin's list)."""
    c = t.login_throttle.c
    return (
        select(c.key, c.failures, c.window_started_at, c.locked_until)
        .where(c.kind == ACCOUNT)
        .subquery("strikes")
    )
