"""Audit trail and tamper evidence: append-only even for the owner, least-privilege server role,
hash chains that ``goldenhour audit verify`` recomputes and that name the first broken row.

Tampering happens in private databases (created, migrated and dropped here, role included), never
in the session's database that the servers use.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from dispatch.bootstrap import make_engine
from dispatch.config import Settings, app_role_for
from dispatch.services.ports import AuditKind
from dispatch.store import admin
from dispatch.store.audit import AuditLog, verify
from tests.conftest import ROOT, RUN_ID, ServerProcess
from tests.support import a_point_on_a_road


def _role_of(url: str) -> str:
    database = make_url(url).database
    assert database
    return app_role_for(database)


def _as_app(url: str) -> str:
    return make_url(url).set(username=_role_of(url), password=None).render_as_string(False)


def _settings(url: str) -> Settings:
    return Settings(database_url=url)


async def _role_exists(url: str, role: str) -> bool:
    conn = await asyncpg.connect(make_url(url).set(database="postgres").render_as_string(False))
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role))
    finally:
        await conn.close()


def _make_database(url: str, revision: str = "head") -> None:
    asyncio.run(admin.create_database(url))
    admin.migrate(
        make_url(url).set(drivername="postgresql+asyncpg").render_as_string(False), revision
    )


@asynccontextmanager
async def fresh_database(
    database_url: str, name: str, revision: str = "head"
) -> AsyncIterator[str]:
    """A database for one test, migrated to ``revision``; dropped with its role after."""
    url = make_url(database_url).set(database=f"gh_test_{RUN_ID}_{name}").render_as_string(False)
    await asyncio.to_thread(_make_database, url, revision)
    try:
        yield url
    finally:
        await admin.drop_database(url)
    assert not await _role_exists(url, _role_of(url)), "drop_database left the role"


@pytest.fixture(scope="module")
def private_url(database_url: str) -> Iterator[str]:
    """A database of this module's own, at the head revision; dropped with its role after."""
    url = make_url(database_url).set(database=f"gh_test_{RUN_ID}_audit").render_as_string(False)
    _make_database(url)
    try:
        yield url
    finally:
        asyncio.run(admin.drop_database(url))
    assert not asyncio.run(_role_exists(url, _role_of(url))), "drop_database left the role"


async def _append_event(conn: asyncpg.Connection, name: str, payload: dict[str, Any]) -> int:
    seq: int = await conn.fetchval(
        "INSERT INTO events (name, occurred_at, actor, payload) "
        "VALUES ($1, now(), 'test', $2::jsonb) RETURNING seq",
        name,
        json.dumps(payload),
    )
    return seq


def _verify_cli(url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=url, COLUMNS="200")
    env.pop("GOLDENHOUR_APP_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "audit", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- the running servers ------------------------------------------------------------------------


async def test_the_server_connects_as_the_application_role(
    server: ServerProcess, database_url: str
) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        users = await conn.fetch(
            "SELECT DISTINCT usename FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE 'goldenhour:%' "
            "AND application_name <> $1",
            f"goldenhour:{os.getpid()}",  # not this test process's own pools
        )
        owner = await conn.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'events'")
    finally:
        await conn.close()
    assert [u["usename"] for u in users] == [_role_of(database_url)]
    assert owner != _role_of(database_url)


async def test_logins_are_audited_and_both_chains_hold(
    http: httpx.AsyncClient, database_url: str
) -> None:
    r = await http.post(
        "/api/v1/auth/token", data={"username": "dispatcher", "password": "wrong-password"}
    )
    assert r.status_code == 401
    r = await http.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"})
    assert r.status_code == 401
    r = await http.post(
        "/api/v1/auth/token", data={"username": "supervisor", "password": "supervisor"}
    )
    assert r.status_code == 200, r.text
    supervisor = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = await http.post(  # an event written by the server, as the application role
        "/api/v1/incidents",
        headers=supervisor,
        json={
            "location": await a_point_on_a_road(http, 3),
            "complaint": "fell down the stairs",
            "complaint_code": "falls",
            "answers": {},
        },
    )
    assert r.status_code == 201, r.text

    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT kind, actor, client, detail::text AS detail FROM audit "
            "WHERE kind LIKE 'login-%' ORDER BY id"
        )
    finally:
        await conn.close()
    seen = [(r["kind"], r["actor"], json.loads(r["detail"])) for r in rows]
    assert (AuditKind.LOGIN_FAILED, "dispatcher", {"reason": "bad-password"}) in seen
    assert (AuditKind.LOGIN_FAILED, "nobody", {"reason": "no-active-account"}) in seen
    assert (AuditKind.LOGIN_SUCCEEDED, "supervisor", {"role": "supervisor"}) in seen
    # (the login-throttle stories log in from other addresses, through X-Forwarded-For)
    assert all(r["client"] == "127.0.0.1" for r in rows if r["actor"] in ("dispatcher", "nobody"))

    engine = make_engine(_settings(database_url), owner=True)
    try:
        checks = await verify(engine)
    finally:
        await engine.dispose()
    assert all(c.ok for c in checks), [c.describe() for c in checks]
    assert {c.table: c.rows > 0 for c in checks} == {"events": True, "audit": True}


# --- privileges and triggers --------------------------------------------------------------------


async def test_the_application_role_cannot_rewrite_events_or_audit(private_url: str) -> None:
    app = await asyncpg.connect(_as_app(private_url))
    try:
        assert await app.fetchval("SELECT current_user") == _role_of(private_url)
        await _append_event(app, "Appended", {"ok": True})  # INSERT it may
        await app.execute("INSERT INTO audit (kind, actor) VALUES ('export', 'app')")
        for statement in (
            "UPDATE events SET actor = 'mallory'",
            "DELETE FROM events",
            "TRUNCATE events",
            "UPDATE audit SET actor = 'mallory'",
            "DELETE FROM audit",
            "TRUNCATE audit",
            "ALTER TABLE events DISABLE TRIGGER events_append_only",
            "CREATE TABLE mine (x int)",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await app.execute(statement)
        # It is not a read-only role: it updates the state tables.
        assert await app.execute("UPDATE units SET status = status WHERE false") == "UPDATE 0"
    finally:
        await app.close()


async def test_even_the_owner_cannot_update_delete_or_truncate(private_url: str) -> None:
    owner = await asyncpg.connect(private_url)
    try:
        assert await owner.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        await _append_event(owner, "ByOwner", {})
        await owner.execute("INSERT INTO audit (kind) VALUES ('export')")
        for statement in (
            "UPDATE events SET actor = 'mallory'",
            "DELETE FROM events",
            "TRUNCATE events",
            "UPDATE audit SET actor = 'mallory'",
            "DELETE FROM audit",
            "TRUNCATE audit",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await owner.execute(statement)
        # A superuser's session-wide trigger switch does not reach them either.
        await owner.execute("SET session_replication_role = replica")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await owner.execute("DELETE FROM audit")
        await owner.execute("RESET session_replication_role")
        # A REPEATABLE READ snapshot could miss the last row: appending there is refused.
        with pytest.raises(asyncpg.RaiseError, match="READ COMMITTED"):
            async with owner.transaction(isolation="repeatable_read"):
                await owner.execute("INSERT INTO audit (kind) VALUES ('export')")
    finally:
        await owner.close()


# --- the chains ---------------------------------------------------------------------------------


def _canonical_audit(row: asyncpg.Record) -> str:
    """The documented canonical text, built by hand: jsonb orders keys shorter first, then bytes."""
    values = {
        "id": row["id"],
        "at": row["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "kind": row["kind"],
        "actor": row["actor"],
        "subject": row["subject"],
        "client": row["client"],
        "detail": json.loads(row["detail"]),
    }
    ordered = {k: values[k] for k in sorted(values, key=lambda k: (len(k), k.encode()))}
    return json.dumps(ordered, ensure_ascii=False, separators=(", ", ": "))


async def test_the_hash_is_sha256_over_the_previous_hash_and_the_documented_text(
    private_url: str,
) -> None:
    engine = make_engine(_settings(private_url))
    try:
        log = AuditLog(engine)
        await log.record(
            AuditKind.CALLER_DATA_READ,
            actor="dispatcher",
            subject="incident:12",
            client="10.0.0.7",
            detail={"fields": ["caller_number"]},
        )
        await log.record(AuditKind.LOGOUT, actor="dispatcher")
    finally:
        await engine.dispose()
    owner = await asyncpg.connect(private_url)
    try:
        rows = await owner.fetch(
            "SELECT id, at, kind, actor, subject, client, detail::text AS detail, hash "
            "FROM audit ORDER BY id"
        )
    finally:
        await owner.close()
    previous = bytes(32)
    for row in rows:
        assert row["hash"] == hashlib.sha256(previous + _canonical_audit(row).encode()).digest()
        previous = row["hash"]


async def test_concurrent_writers_keep_one_chain_in_commit_order(private_url: str) -> None:
    engine = make_engine(_settings(private_url))
    log = AuditLog(engine)

    async def events_writer(n: int) -> None:
        conn = await asyncpg.connect(_as_app(private_url))
        try:
            for i in range(10):
                async with conn.transaction():
                    await _append_event(conn, "Concurrent", {"writer": n, "i": i})
                    await _append_event(conn, "Concurrent", {"writer": n, "i": i, "second": 1})
        finally:
            await conn.close()

    try:
        await asyncio.gather(
            *(log.record("export", actor=f"user-{i}", subject=f"report:{i}") for i in range(60)),
            *(events_writer(n) for n in range(6)),
        )
        checks = await verify(engine)
    finally:
        await engine.dispose()
    assert all(c.ok for c in checks), [c.describe() for c in checks]


async def test_recorded_values_are_cleaned_not_refused(private_url: str) -> None:
    engine = make_engine(_settings(private_url))
    try:
        await AuditLog(engine).record(
            AuditKind.LOGIN_FAILED,
            actor="a\x00b" + "x" * 500,
            subject="\ud800 lone surrogate",
            detail={"at": datetime(2026, 1, 1, tzinfo=UTC), "k\x00": "v\x00", "big": "y" * 9000},
        )
        with pytest.raises(ValueError, match="audit kind"):
            await AuditLog(engine).record("Not A Kind", actor=None)
        checks = await verify(engine)
    finally:
        await engine.dispose()
    assert all(c.ok for c in checks)
    owner = await asyncpg.connect(private_url)
    try:
        row = await owner.fetchrow("SELECT actor, detail FROM audit ORDER BY id DESC LIMIT 1")
    finally:
        await owner.close()
    assert row["actor"].startswith("a\ufffdb") and len(row["actor"]) == 200
    assert json.loads(row["detail"])["truncated"] is True


async def test_verify_names_the_first_changed_or_removed_row(database_url: str) -> None:
    async with fresh_database(database_url, "tamper") as url:
        await _tamper_and_verify(url)


async def _tamper_and_verify(private_url: str) -> None:
    app = await asyncpg.connect(_as_app(private_url))
    try:
        seqs = [await _append_event(app, "Tampered", {"n": n}) for n in range(5)]
        for n in range(3):
            await app.execute("INSERT INTO audit (kind, actor) VALUES ('export', $1)", f"u{n}")
    finally:
        await app.close()

    clean = await asyncio.to_thread(_verify_cli, private_url)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "events:" in clean.stdout and "rows OK" in clean.stdout and "OK" in clean.stdout

    owner = await asyncpg.connect(private_url)
    try:
        # A superuser who first switches the guard off: the chain still tells.
        target = seqs[2]
        await owner.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await owner.execute("UPDATE events SET payload = '{\"n\": 99}' WHERE seq = $1", target)
        await owner.execute("ALTER TABLE events ENABLE ALWAYS TRIGGER events_append_only")
        changed = await asyncio.to_thread(_verify_cli, private_url)
        assert changed.returncode == 1, changed.stdout
        assert f"events: BROKEN at seq {target} " in changed.stdout, changed.stdout
        assert "FAILED: events" in changed.stdout

        # Put the old content back: the chain holds again (the hash is of the content).
        await owner.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await owner.execute("UPDATE events SET payload = '{\"n\": 2}' WHERE seq = $1", target)
        await owner.execute("ALTER TABLE events ENABLE ALWAYS TRIGGER events_append_only")
        assert (await asyncio.to_thread(_verify_cli, private_url)).returncode == 0

        # Remove an audit row: the one after it no longer links.
        ids = [r["id"] for r in await owner.fetch("SELECT id FROM audit ORDER BY id")]
        await owner.execute("ALTER TABLE audit DISABLE TRIGGER audit_append_only")
        await owner.execute("DELETE FROM audit WHERE id = $1", ids[-2])
        await owner.execute("ALTER TABLE audit ENABLE ALWAYS TRIGGER audit_append_only")
        removed = await asyncio.to_thread(_verify_cli, private_url)
        assert removed.returncode == 1
        assert f"audit: BROKEN at id {ids[-1]} (after id {ids[-3]})" in removed.stdout
        assert "events:" in removed.stdout and "rows OK" in removed.stdout
    finally:
        await owner.close()


# --- the migration and the role's life cycle ----------------------------------------------------


async def test_the_migration_chains_existing_events_and_the_role_goes_with_the_database(
    database_url: str,
) -> None:
    async with fresh_database(database_url, "backfill", "0006") as url:
        conn = await asyncpg.connect(url)
        try:
            for n in range(3):
                await conn.execute(
                    "INSERT INTO events (name, occurred_at, actor, payload) "
                    "VALUES ('Old', now(), 'before', $1::jsonb)",
                    json.dumps({"n": n, "x": 1.50}),
                )
        finally:
            await conn.close()
        await asyncio.to_thread(
            admin.migrate,
            make_url(url).set(drivername="postgresql+asyncpg").render_as_string(False),
        )
        assert await _role_exists(url, _role_of(url))
        engine = make_engine(_settings(url))
        try:
            checks = {c.table: c for c in await verify(engine)}
        finally:
            await engine.dispose()
        assert checks["events"].ok and checks["events"].rows == 3
        assert checks["audit"].ok and checks["audit"].rows == 0


def test_the_server_url_is_derived_from_the_owner_url_unless_set() -> None:
    owner = "postgresql://owner:secret@db.example:5432/goldenhour"
    derived = Settings(database_url=owner).async_app_database_url
    assert derived == "postgresql+asyncpg://goldenhour_app@db.example:5432/goldenhour"
    explicit = Settings(
        database_url=owner, app_database_url="postgres://goldenhour_app:pw@db.example/goldenhour"
    ).async_app_database_url
    assert explicit == "postgresql+asyncpg://goldenhour_app:pw@db.example/goldenhour"
    long_name = "d" * 70  # PostgreSQL keeps 63 bytes of a name: the suffix must survive
    assert app_role_for(long_name) == "d" * 59 + "_app"
