"""User accounts: who may log in, with which role, bound to which unit (crews)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.store import tables as t


@dataclass(frozen=True, slots=True)
class UserRecord:
    username: str
    password_hash: str
    role: str
    unit_id: int | None
    hospital_id: int | None = None


async def get_user(engine: AsyncEngine, username: str) -> UserRecord | None:
    query = select(t.users).where(t.users.c.username == username, t.users.c.active.is_(True))
    async with engine.connect() as conn:
        row = (await conn.execute(query)).one_or_none()
    if row is None:
        return None
    return UserRecord(row.username, row.password_hash, row.role, row.unit_id, row.hospital_id)


async def upsert_user(engine: AsyncEngine, user: UserRecord) -> None:
    values = {
        "username": user.username,
        "password_hash": user.password_hash,
        "role": user.role,
        "unit_id": user.unit_id,
        "hospital_id": user.hospital_id,
    }
    stmt = insert(t.users).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=[t.users.c.username], set_=values)
    async with engine.begin() as conn:
        await conn.execute(stmt)
