"""Login sessions in PostgreSQL: open, check, touch, renew (rotating the refresh token), revoke.

The rules (when a session has ended, when activity is worth a write) are
``dispatch.domain.sessions``; this module keeps the rows. A refresh token is ``<session id>.<32
random bytes, base64url>`` and only its SHA-256 is stored, so a copy of the table renews nothing.
Renewing replaces it: the old token is dead, and presenting a dead one for a live session revokes
the session, since two parties then hold its tokens (RFC 6819 5.2.2.3, refresh token rotation).
The hashes of the tokens a session retired are kept with it for that. Anything else (a made-up
token that merely names a session) is refused without revoking anything: knowing a session's id,
which every access token carries, must not be enough to end it.

Checking a session is a read by primary key, joined with its account, so that a deactivated
account or a changed role or binding ends its sessions even if a revoke were missed. Concurrent
checks share one query (``dispatch.store.grouped``), as do their activity writes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Update, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.domain.sessions import Ended, SessionTimes, ended
from dispatch.store import tables as t
from dispatch.store.grouped import GroupRead

_SESSION_ID_BYTES = 16  # 22 base64url characters
_REFRESH_SECRET_BYTES = 32
_CLIENT_WIDTH = 100


def refresh_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


def _new_refresh_token(session_id: str) -> str:
    return f"{session_id}.{secrets.token_urlsafe(_REFRESH_SECRET_BYTES)}"


def session_of_refresh_token(token: str) -> str | None:
    """The session id a refresh token names, or None for something that is not one."""
    session_id, dot, secret = token.partition(".")
    if not dot or not secret or not 1 <= len(session_id) <= 32:
        return None
    return session_id


@dataclass(frozen=True, slots=True)
class SessionState:
    """A session as a request sees it: its times and its account as they are now."""

    id: str
    username: str
    times: SessionTimes
    active: bool  # the account
    role: str
    unit_id: int | None
    hospital_id: int | None
    must_change_password: bool

    def ended(self, now: datetime) -> Ended | None:
        """Why the session no longer serves requests at ``now`` (a deactivated account ends it
        too, as revoked), or None."""
        return Ended.REVOKED if not self.active else ended(self.times, now)


@dataclass(frozen=True, slots=True)
class Opened:
    session_id: str
    refresh_token: str
    expires_at: datetime


class Renewal(StrEnum):
    RENEWED = "renewed"
    UNKNOWN = "unknown"  # no such session (or not a refresh token at all)
    ENDED = "ended"  # revoked, expired or idle
    REUSED = "reused"  # a retired token of a live session: the session is now revoked


@dataclass(frozen=True, slots=True)
class Renewed:
    outcome: Renewal
    state: SessionState | None = None
    refresh_token: str | None = None


_COLUMNS = (
    t.sessions.c.id,
    t.sessions.c.username,
    t.sessions.c.last_seen_at,
    t.sessions.c.expires_at,
    t.sessions.c.idle_timeout_s,
    t.sessions.c.revoked_at,
    t.users.c.active,
    t.users.c.role,
    t.users.c.unit_id,
    t.users.c.hospital_id,
    t.users.c.must_change_password,
)
_JOINED = t.sessions.join(t.users, t.users.c.username == t.sessions.c.username)


def _state(row: Any) -> SessionState:
    """A row of ``_COLUMNS`` as a :class:`SessionState`."""
    times = SessionTimes(row.last_seen_at, row.expires_at, row.idle_timeout_s, row.revoked_at)
    return SessionState(
        id=row.id,
        username=row.username,
        times=times,
        active=row.active,
        role=row.role,
        unit_id=row.unit_id,
        hospital_id=row.hospital_id,
        must_change_password=row.must_change_password,
    )


_TOUCH_SQL = text(
    """
    UPDATE sessions AS s SET last_seen_at = a.at
    FROM unnest(CAST(:ids AS text[]), CAST(:ats AS timestamptz[])) AS a(id, at)
    WHERE s.id = a.id AND s.last_seen_at < a.at AND s.revoked_at IS NULL
    """
)


class SessionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # every request reads its session: concurrent requests share one query (and one write)
        self._grouped_state = GroupRead[str, SessionState](self.states)
        self._grouped_touch = GroupRead[tuple[str, datetime], None](self._touch_grouped)

    async def open(
        self,
        username: str,
        *,
        now: datetime,
        max_s: float,
        idle_s: float,
        client: str | None = None,
    ) -> Opened:
        """A new session for ``username``, lasting at most ``max_s`` and ``idle_s`` idle."""
        session_id = secrets.token_urlsafe(_SESSION_ID_BYTES)
        token = _new_refresh_token(session_id)
        expires_at = now + timedelta(seconds=max_s)
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(t.sessions).values(
                    id=session_id,
                    username=username,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=expires_at,
                    idle_timeout_s=max(1, round(idle_s)),
                    refresh_hash=refresh_hash(token),
                    client=None if client is None else client[:_CLIENT_WIDTH],
                )
            )
        return Opened(session_id, token, expires_at)

    async def state(self, session_id: str) -> SessionState | None:
        """The session and its account, or None if there is none: read after the call, together
        with the other sessions asked for meanwhile (``dispatch.store.grouped``)."""
        return await self._grouped_state(session_id)

    async def states(self, session_ids: Collection[str]) -> dict[str, SessionState]:
        """The sessions of ``session_ids`` that exist, with their accounts, in one read."""
        if not session_ids:
            return {}
        query = select(*_COLUMNS).select_from(_JOINED).where(t.sessions.c.id.in_(list(session_ids)))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {row.id: _state(row) for row in rows}

    async def touch(self, session_id: str, now: datetime) -> None:
        """Record activity at ``now`` (skipped when a newer one is already recorded), written
        together with the other sessions' activity recorded meanwhile."""
        await self._grouped_touch((session_id, now))

    async def touch_many(self, activity: Mapping[str, datetime]) -> None:
        """Record the activity of many sessions (session id: when) in one write."""
        if not activity:
            return
        async with self._engine.begin() as conn:
            await conn.execute(_TOUCH_SQL, {"ids": list(activity), "ats": list(activity.values())})

    async def _touch_grouped(self, touches: frozenset[tuple[str, datetime]]) -> dict[Any, None]:
        latest: dict[str, datetime] = {}
        for session_id, at in touches:
            latest[session_id] = max(at, latest.get(session_id, at))
        await self.touch_many(latest)
        return {}

    async def renew(self, token: str, now: datetime) -> Renewed:
        """Swap the refresh ``token`` for a new one while its session lasts (see the module
        docstring for what a token that is not the current one does)."""
        session_id = session_of_refresh_token(token)
        if session_id is None:
            return Renewed(Renewal.UNKNOWN)
        query = (
            select(*_COLUMNS, t.sessions.c.refresh_hash, t.sessions.c.retired_refresh_hashes)
            .select_from(_JOINED)
            .where(t.sessions.c.id == session_id)
            .with_for_update(of=t.sessions)
        )
        async with self._engine.begin() as conn:
            row = (await conn.execute(query)).one_or_none()
            if row is None:
                return Renewed(Renewal.UNKNOWN)
            state = _state(row)
            if state.ended(now) is not None:
                return Renewed(Renewal.ENDED, state)
            presented = refresh_hash(token)
            if not hmac.compare_digest(bytes(row.refresh_hash), presented):
                if presented not in {bytes(h) for h in row.retired_refresh_hashes}:
                    return Renewed(Renewal.UNKNOWN)
                await conn.execute(_revoke(session_id, "refresh-token-reused", now))
                return Renewed(Renewal.REUSED, state)
            fresh = _new_refresh_token(session_id)
            await conn.execute(
                update(t.sessions)
                .where(t.sessions.c.id == session_id)
                .values(
                    refresh_hash=refresh_hash(fresh),
                    retired_refresh_hashes=func.array_append(
                        t.sessions.c.retired_refresh_hashes, presented
                    ),
                )
            )
        return Renewed(Renewal.RENEWED, state, fresh)

    async def revoke(self, session_id: str, reason: str, now: datetime) -> bool:
        """End one session; False when it had already ended (or never existed)."""
        async with self._engine.begin() as conn:
            result = await conn.execute(_revoke(session_id, reason, now))
        return bool(result.rowcount)

    async def revoke_user(
        self, username: str, reason: str, now: datetime, *, keep: str | None = None
    ) -> int:
        """End every live session of ``username`` (but ``keep``); how many were ended."""
        stmt = (
            update(t.sessions)
            .where(t.sessions.c.username == username, t.sessions.c.revoked_at.is_(None))
            .values(revoked_at=now, revoke_reason=reason[:40])
        )
        if keep is not None:
            stmt = stmt.where(t.sessions.c.id != keep)
        async with self._engine.begin() as conn:
            result = await conn.execute(stmt)
        return int(result.rowcount)


def _revoke(session_id: str, reason: str, now: datetime) -> Update:
    return (
        update(t.sessions)
        .where(t.sessions.c.id == session_id, t.sessions.c.revoked_at.is_(None))
        .values(revoked_at=now, revoke_reason=reason[:40])
    )
