"""User accounts: who may log in, with which role, bound to which unit (crews) or hospital.

Logins read an active account (:func:`get_user`); the admin's screen lists every account with its
failed logins (:func:`list_accounts`) and changes them through :class:`Accounts`. What a change may
be, and which changes end sessions, is ``dispatch.domain.accounts``; the password policy is
``dispatch.domain.password_policy``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.domain.accounts import AccountFields, InvalidBinding
from dispatch.domain.errors import DomainError
from dispatch.domain.throttle import Strikes
from dispatch.store import tables as t
from dispatch.store.throttle import ACCOUNT

_FOREIGN_KEY_VIOLATION = "23503"
_UNIQUE_VIOLATION = "23505"


class UserExists(DomainError):
    code = "user-exists"
    title = "A user of that name exists"


@dataclass(frozen=True, slots=True)
class UserRecord:
    username: str
    password_hash: str
    role: str
    unit_id: int | None
    hospital_id: int | None = None
    must_change_password: bool = False


@dataclass(frozen=True, slots=True)
class Account:
    """An account as the admin sees it (never its password hash)."""

    username: str
    role: str
    unit_id: int | None
    hospital_id: int | None
    active: bool
    must_change_password: bool
    last_login_at: datetime | None
    strikes: Strikes  # as stored: the caller applies the window (dispatch.domain.throttle)

    @property
    def fields(self) -> AccountFields:
        return AccountFields(self.role, self.unit_id, self.hospital_id, self.active)


async def get_user(engine: AsyncEngine, username: str) -> UserRecord | None:
    """An active account, for login."""
    query = select(t.users).where(t.users.c.username == username, t.users.c.active.is_(True))
    async with engine.connect() as conn:
        row = (await conn.execute(query)).one_or_none()
    if row is None:
        return None
    return UserRecord(
        row.username,
        row.password_hash,
        row.role,
        row.unit_id,
        row.hospital_id,
        row.must_change_password,
    )


def _values(user: UserRecord) -> dict[str, Any]:
    return {
        "username": user.username,
        "password_hash": user.password_hash,
        "role": user.role,
        "unit_id": user.unit_id,
        "hospital_id": user.hospital_id,
        "must_change_password": user.must_change_password,
    }


async def upsert_user(engine: AsyncEngine, user: UserRecord) -> None:
    """Create ``user``, or set every field of the account of that name (the demo's seeding)."""
    values = _values(user)
    stmt = insert(t.users).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=[t.users.c.username], set_=values)
    async with engine.begin() as conn:
        await conn.execute(stmt)


async def insert_user(engine: AsyncEngine, user: UserRecord) -> bool:
    """Create ``user`` unless an account of that name exists (then change nothing): False."""
    stmt = (
        insert(t.users)
        .values(**_values(user))
        .on_conflict_do_nothing(index_elements=[t.users.c.username])
    )
    async with engine.begin() as conn:
        result = await conn.execute(stmt)
    return bool(result.rowcount)


_STRIKES = (
    select(
        t.login_throttle.c.key,
        t.login_throttle.c.failures,
        t.login_throttle.c.window_started_at,
        t.login_throttle.c.locked_until,
    )
    .where(t.login_throttle.c.kind == ACCOUNT)
    .subquery("strikes")
)


def _accounts_query() -> Any:
    u, s = t.users.c, _STRIKES.c
    return (
        select(
            u.username,
            u.role,
            u.unit_id,
            u.hospital_id,
            u.active,
            u.must_change_password,
            u.last_login_at,
            s.failures,
            s.window_started_at,
            s.locked_until,
        )
        .select_from(t.users.outerjoin(_STRIKES, s.key == u.username))
        .order_by(u.username)
    )


def _account(row: Any) -> Account:
    strikes = Strikes(row.failures or 0, row.window_started_at, row.locked_until)
    return Account(
        row.username,
        row.role,
        row.unit_id,
        row.hospital_id,
        row.active,
        row.must_change_password,
        row.last_login_at,
        strikes,
    )


async def list_accounts(engine: AsyncEngine) -> list[Account]:
    async with engine.connect() as conn:
        return [_account(row) for row in await conn.execute(_accounts_query())]


async def get_account(engine: AsyncEngine, username: str) -> Account | None:
    query = _accounts_query().where(t.users.c.username == username)
    async with engine.connect() as conn:
        row = (await conn.execute(query)).one_or_none()
    return None if row is None else _account(row)


class Accounts:
    """Changes to accounts (the admin's and a user's own password change)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def list(self) -> list[Account]:
        return await list_accounts(self._engine)

    async def get(self, username: str) -> Account | None:
        return await get_account(self._engine, username)

    async def create(self, user: UserRecord) -> Account:
        """Raises :class:`UserExists`, or :class:`InvalidBinding` for a unit or hospital that
        does not exist."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(t.users).values(**_values(user)))
        except IntegrityError as exc:
            _raise_known(exc, user.username)
            raise
        created = await self.get(user.username)
        assert created is not None
        return created

    async def update(self, username: str, fields: AccountFields) -> None:
        """Set an account's role, binding and active flag (checked by the caller)."""
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(t.users)
                    .where(t.users.c.username == username)
                    .values(
                        role=fields.role,
                        unit_id=fields.unit_id,
                        hospital_id=fields.hospital_id,
                        active=fields.active,
                    )
                )
        except IntegrityError as exc:
            _raise_known(exc, username)
            raise

    async def password_hash(self, username: str) -> str | None:
        """The stored hash of an active account (to check a current password)."""
        user = await get_user(self._engine, username)
        return None if user is None else user.password_hash

    async def set_password(
        self, username: str, password_hash: str, *, must_change: bool, now: datetime
    ) -> bool:
        """Replace the password; ``must_change``: the next login must choose a new one."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(t.users)
                .where(t.users.c.username == username)
                .values(
                    password_hash=password_hash,
                    must_change_password=must_change,
                    password_changed_at=now,
                )
            )
        return bool(result.rowcount)

    async def logged_in(self, username: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(t.users).where(t.users.c.username == username).values(last_login_at=now)
            )


def _raise_known(exc: IntegrityError, username: str) -> None:
    sqlstate = str(getattr(exc.orig, "sqlstate", "") or "")
    if sqlstate == _UNIQUE_VIOLATION:
        raise UserExists(f"User {username} exists") from None
    if sqlstate == _FOREIGN_KEY_VIOLATION:
        raise InvalidBinding("No unit or hospital with that id") from None
