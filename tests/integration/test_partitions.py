"""A centre that has run for over a year upgrades: its log and GPS track move into monthly
partitions without losing a row or breaking the hash chain; the server then keeps months ready
ahead and drops GPS track older than the retention setting, never an event.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.bootstrap import make_engine
from dispatch.config import Settings, app_role_for
from dispatch.store import admin
from dispatch.store.audit import verify
from dispatch.store.partitions import keep_up

NOW = datetime.now(UTC)


def _month(moment: datetime) -> str:
    return f"{moment:%Y_%m}"


@pytest.fixture
async def old_centre(database_url: str) -> AsyncIterator[str]:
    """A database at revision 0012 (before partitioning) with 15 months of history."""
    url = (
        make_url(database_url)
        .set(database=f"gh_partitions_{uuid.uuid4().hex[:8]}")
        .render_as_string(hide_password=False)
    )
    await admin.create_database(url)
    try:
        async_url = make_url(url).set(drivername="postgresql+asyncpg")
        await asyncio.to_thread(
            admin.migrate, async_url.render_as_string(hide_password=False), "0012"
        )
        conn = await asyncpg.connect(url)
        try:
            # The fleet as the 0012 schema knew it, in plain SQL: today's seed writes columns
            # that later migrations added, and this database must stay at 0012 until the test.
            station = await conn.fetchval(
                "INSERT INTO stations (name, location) "
                "VALUES ('Old station', ST_SetSRID(ST_MakePoint(24.94, 60.17), 4326)) RETURNING id"
            )
            for call_sign in ("A01", "A02"):
                await conn.execute(
                    "INSERT INTO units (call_sign, capability, status, status_at, station_id) "
                    "VALUES ($1, 'ALS', 'available', $2, $3)",
                    call_sign,
                    NOW,
                    station,
                )
            for days in (500, 460, 60, 0):  # two months wholly past retention, recent, today
                at = NOW - timedelta(days=days)
                await conn.execute(
                    "INSERT INTO events (name, occurred_at, recorded_at, actor, payload) "
                    "VALUES ('CallReceived', $1, $1, 'dispatcher', '{}'::jsonb)",
                    at,
                )
                await conn.execute(
                    "INSERT INTO unit_positions (unit_id, position, reported_at, recorded_at) "
                    "SELECT min(id), ST_SetSRID(ST_MakePoint(24.94, 60.17), 4326), $1, $1 "
                    "FROM units",
                    at,
                )
        finally:
            await conn.close()
        yield url
    finally:
        await admin.drop_database(url)


async def _rows(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def _engine(url: str, *, owner: bool) -> AsyncEngine:
    return make_engine(Settings(database_url=url, secret_key="x" * 40), owner=owner)  # type: ignore[call-arg]


async def test_upgrade_partitions_history_keeps_the_chain_and_retention_drops_gps_only(
    old_centre: str,
) -> None:
    url = old_centre
    before = await _rows(url, "SELECT seq, hash FROM events ORDER BY seq")
    fixes_before = (await _rows(url, "SELECT count(*) AS n FROM unit_positions"))[0]["n"]
    assert fixes_before == 4

    async_url = make_url(url).set(drivername="postgresql+asyncpg")
    await asyncio.to_thread(admin.migrate, async_url.render_as_string(hide_password=False))

    after = await _rows(url, "SELECT seq, hash FROM events ORDER BY seq")
    assert [(r["seq"], bytes(r["hash"])) for r in after] == [
        (r["seq"], bytes(r["hash"])) for r in before
    ], "every event kept, with its seq and hash"
    owner = _engine(url, owner=True)
    try:
        assert all(check.ok for check in await verify(owner))
    finally:
        await owner.dispose()

    # Each row sits in its own month's partition; the coming months exist already.
    placed = await _rows(
        url,
        "SELECT tableoid::regclass::text AS part, reported_at FROM unit_positions "
        "ORDER BY reported_at",
    )
    assert [r["part"] for r in placed] == [
        f"unit_positions_{_month(r['reported_at'])}" for r in placed
    ]
    ahead = NOW.replace(day=1) + timedelta(days=95)
    assert await _rows(url, "SELECT to_regclass($1) AS t", f"public.events_{_month(ahead)}")

    # The server's login does the upkeep (SECURITY DEFINER functions) and cannot rewrite a month.
    app = _engine(url, owner=False)
    try:
        done = await keep_up(app, now=NOW, retention_days=400)
    finally:
        await app.dispose()
    old = {_month(NOW - timedelta(days=500)), _month(NOW - timedelta(days=460))}
    assert {f"unit_positions_{m}" for m in old} <= set(done.dropped)
    cutoff_month = _month(NOW - timedelta(days=400))
    assert all(name < f"unit_positions_{cutoff_month}" for name in done.dropped), (
        "only whole months that ended before the cutoff go"
    )
    assert sum(done.dropped.values()) == 2
    fixes = await _rows(url, "SELECT reported_at FROM unit_positions ORDER BY reported_at")
    assert [r["reported_at"] for r in fixes] == [r["reported_at"] for r in placed][2:]
    assert len(await _rows(url, "SELECT seq FROM events")) == len(before), "events never dropped"

    role = app_role_for(make_url(url).database or "")
    app_conn = await asyncpg.connect(make_url(url).set(username=role).render_as_string())
    try:
        month = f"events_{_month(NOW)}"
        with pytest.raises(asyncpg.PostgresError) as refused:
            await app_conn.execute(f"UPDATE {month} SET actor = 'someone else'")
        assert isinstance(refused.value, asyncpg.InsufficientPrivilegeError)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await app_conn.execute(f"DROP TABLE unit_positions_{_month(NOW)}")
    finally:
        await app_conn.close()


async def test_a_fix_from_beyond_the_prepared_months_is_kept_and_its_month_reported(
    old_centre: str,
) -> None:
    url = old_centre
    await asyncio.to_thread(
        admin.migrate,
        make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False),
    )
    # A device whose clock runs five months ahead: its fix is accepted into the default partition.
    far = NOW + timedelta(days=160)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO unit_positions (unit_id, position, reported_at) "
            "SELECT min(id), ST_SetSRID(ST_MakePoint(24.94, 60.17), 4326), $1 FROM units",
            far,
        )
        part = await conn.fetchval(
            "SELECT tableoid::regclass::text FROM unit_positions WHERE reported_at = $1", far
        )
    finally:
        await conn.close()
    assert part == "unit_positions_default"

    app = _engine(url, owner=False)
    try:
        done = await keep_up(app, now=NOW, retention_days=None, months_ahead=7)
    finally:
        await app.dispose()
    assert f"unit_positions_{_month(far)}" in done.blocked
    assert f"events_{_month(far)}" in done.created
    assert not done.dropped
    left = await _rows(url, "SELECT count(*) AS n FROM unit_positions WHERE reported_at = $1", far)
    assert left[0]["n"] == 1, "nothing accepted is lost"
