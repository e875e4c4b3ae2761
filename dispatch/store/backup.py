"""``goldenhour backup`` and ``goldenhour restore``: the database, the map cache and the centre's
settings in one archive, restored into a new database and checked before anyone relies on it.

Why one archive: after a disk dies a centre needs all three at once. A database without its map
cache cannot route (and rebuilding it needs the original extract); a map without the settings
loses the time zone, alarm thresholds and language the supervisors configured.

The archive (a plain tar; the database dump is already compressed) holds:

* ``database.dump``: ``pg_dump --format=custom`` of the whole database, taken from an exported
  snapshot so that the counts written in the manifest are those of the dump, exactly;
* ``map/``: the map cache directory, file by file;
* ``settings.env``: the ``GOLDENHOUR_*`` settings this server was started with, without secrets
  (the signing key and database or Redis passwords are never written: a backup travels);
* ``manifest.json``: when, which schema revision, how many events and audit rows, the last
  event's ``seq`` and hash, and the SHA-256 of every other member.

Restoring checks every member against the manifest, refuses to touch an existing database, map
directory or settings file, restores without the dump's owners and grants (the new database has
its own application role, ``<database>_app``, granted here as migrations 0007 and 0013 grant
it), then compares the restored log with the manifest and recomputes both hash chains
(``dispatch.store.audit.verify``). A restore that does not verify says so and exits non-zero.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from dispatch.config import app_role_for

FORMAT = 1
#: Settings never written to a backup: secrets, and where this machine's servers are.
_NOT_CARRIED = frozenset(
    {"secret_key", "database_url", "app_database_url", "redis_url", "map_dir", "frontend_dir"}
)
#: Tables the application role may only read and append to (migration 0007).
APPEND_ONLY = ("events", "audit")
#: Functions the application role may execute (migration 0013).
APP_FUNCTIONS = (
    "ensure_log_partitions(integer)",
    "drop_position_partitions_before(timestamptz)",
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class LogState:
    """What the log held at the moment of the backup (or holds after the restore)."""

    revision: str
    events: int
    last_event_seq: int | None
    last_event_hash: str | None
    audit_rows: int
    positions: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "events": self.events,
            "last_event_seq": self.last_event_seq,
            "last_event_hash": self.last_event_hash,
            "audit_rows": self.audit_rows,
            "positions": self.positions,
        }


def _plain(url: str) -> str:
    """A libpq URL (``postgresql://``) for pg_dump, pg_restore and asyncpg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _log_state(conn: asyncpg.Connection) -> LogState:
    last = await conn.fetchrow("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
    return LogState(
        revision=await conn.fetchval("SELECT version_num FROM alembic_version"),
        events=await conn.fetchval("SELECT count(*) FROM events"),
        last_event_seq=None if last is None else int(last["seq"]),
        last_event_hash=None if last is None else bytes(last["hash"]).hex(),
        audit_rows=await conn.fetchval("SELECT count(*) FROM audit"),
        positions=await conn.fetchval("SELECT count(*) FROM unit_positions"),
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def settings_env(values: Mapping[str, Any]) -> str:
    """``GOLDENHOUR_*=value`` lines for the settings a server was started with (lists and
    mappings as JSON, as pydantic-settings reads them back), secrets left out."""
    lines = []
    for name in sorted(values):
        if name in _NOT_CARRIED:
            continue
        value = values[name]
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list | dict):
            text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        else:
            text = str(value)
        if "\n" in text or "'" in text:
            raise BackupError(f"setting {name} cannot be written to an env file: {text!r}")
        lines.append(f"GOLDENHOUR_{name.upper()}='{text}'")
    return "\n".join(lines) + ("\n" if lines else "")


async def backup(
    database_url: str,
    map_dir: Path,
    settings: Mapping[str, Any],
    out: Path,
    *,
    now: datetime,
) -> dict[str, Any]:
    """Write the archive ``out`` (refused if it exists); returns its manifest."""
    if out.exists():
        raise BackupError(f"{out} exists: choose a new file name (a backup never overwrites)")
    if not (map_dir / "meta.json").is_file():
        raise BackupError(f"{map_dir} is not a map cache (no meta.json)")
    dsn = _plain(database_url)
    with tempfile.TemporaryDirectory(prefix="gh-backup-") as tmp:
        dump = Path(tmp) / "database.dump"
        conn = await asyncpg.connect(dsn)
        try:
            # One snapshot for the dump and the manifest: they describe the same log.
            tx = conn.transaction(isolation="repeatable_read", readonly=True)
            await tx.start()
            try:
                snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
                state = await _log_state(conn)
                done = await asyncio.to_thread(
                    subprocess.run,
                    [
                        "pg_dump",
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        f"--file={dump}",
                        f"--dbname={dsn}",
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
            finally:
                await tx.rollback()
        finally:
            await conn.close()
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        env = Path(tmp) / "settings.env"
        env.write_text(settings_env(settings), encoding="utf-8")
        members: dict[str, Path] = {"database.dump": dump, "settings.env": env}
        for path in sorted(p for p in map_dir.rglob("*") if p.is_file()):
            members[f"map/{path.relative_to(map_dir).as_posix()}"] = path
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "database": make_url(database_url).database,
            "map": json.loads((map_dir / "meta.json").read_text(encoding="utf-8")).get("name"),
            "log": state.as_dict(),
            "files": {name: _sha256(path) for name, path in members.items()},
        }
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(body)
            info.mtime = int(now.timestamp())
            archive.addfile(info, io.BytesIO(body))
            for name, path in members.items():
                archive.add(path, arcname=name, recursive=False)
        partial.replace(out)  # a crash mid-write leaves a .partial, never a truncated backup
    return manifest


def _read_members(archive: tarfile.TarFile, into: Path) -> dict[str, Any]:
    """Extract every member under ``into`` and check it against the manifest."""
    try:
        raw = archive.extractfile("manifest.json")
    except KeyError:
        raise BackupError("not a Golden Hour backup: no manifest.json") from None
    if raw is None:
        raise BackupError("not a Golden Hour backup: manifest.json is not a file")
    manifest: dict[str, Any] = json.loads(raw.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
    expected: dict[str, str] = manifest["files"]
    names = {m.name for m in archive.getmembers() if m.isfile()} - {"manifest.json"}
    if names != set(expected):
        missing, extra = sorted(set(expected) - names), sorted(names - set(expected))
        raise BackupError(f"backup members differ from its manifest: missing {missing}, {extra=}")
    archive.extractall(into, members=[archive.getmember(n) for n in expected], filter="data")
    for name, digest in expected.items():
        if _sha256(into / name) != digest:
            raise BackupError(f"{name} is damaged: its SHA-256 differs from the manifest")
    return manifest


def _grant_statements(role: str, tables: Iterable[tuple[str, str | None]]) -> list[str]:
    """The application role's privileges, as migrations 0007 and 0013 grant them: SELECT on
    ``alembic_version``; SELECT and INSERT on the append-only log (and its partitions);
    SELECT, INSERT, UPDATE, DELETE elsewhere; sequences; the two upkeep functions."""
    q = '"' + role.replace('"', '""') + '"'
    out = [f"GRANT USAGE ON SCHEMA public TO {q}"]
    for table, parent in tables:
        if table == "alembic_version":
            privileges = "SELECT"
        elif table in APPEND_ONLY or parent in APPEND_ONLY:
            privileges = "SELECT, INSERT"
        else:
            privileges = "SELECT, INSERT, UPDATE, DELETE"
        out.append(f'GRANT {privileges} ON TABLE public."{table}" TO {q}')
    out.append(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {q}")
    out.append(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {q}"
    )
    out.append(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO {q}")
    for function in APP_FUNCTIONS:
        out.append(f"REVOKE ALL ON FUNCTION public.{function} FROM PUBLIC")
        out.append(f"GRANT EXECUTE ON FUNCTION public.{function} TO {q}")
    return out


async def _grant_app_role(conn: asyncpg.Connection, database: str) -> str:
    role = app_role_for(database)
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    if not exists:
        await conn.execute(
            await conn.fetchval(
                "SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                "NOREPLICATION NOBYPASSRLS', $1::text)",
                role,
            )
        )
    await conn.execute(
        await conn.fetchval(
            "SELECT format('GRANT CONNECT ON DATABASE %I TO %I', $1::text, $2::text)",
            database,
            role,
        )
    )
    rows = await conn.fetch(
        "SELECT c.relname AS name, p.relname AS parent FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT EXISTS ("
        "  SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
        "  AND d.objid = c.oid AND d.deptype = 'e') ORDER BY c.relname"
    )
    for statement in _grant_statements(role, [(r["name"], r["parent"]) for r in rows]):
        await conn.execute(statement)
    return role


async def _restore_database(work: Path, database_url: str, name: str) -> tuple[LogState, str]:
    """pg_restore without the dump's owners and grants, then the new database's own role."""
    done = await asyncio.to_thread(
        subprocess.run,
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={_plain(database_url)}",
            str(work / "database.dump"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    conn = await asyncpg.connect(_plain(database_url))
    try:
        role = await _grant_app_role(conn, name)
        state = await _log_state(conn)
    finally:
        await conn.close()
    return state, role


@dataclass(frozen=True, slots=True)
class Restored:
    manifest: dict[str, Any]
    state: LogState
    role: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


async def restore(
    archive_path: Path,
    database_url: str,
    map_dir: Path,
    settings_out: Path | None,
) -> Restored:
    """Restore ``archive_path`` into the new database of ``database_url``, the map cache into
    ``map_dir`` and the settings into ``settings_out``; then check the restored log."""
    from dispatch.store import admin

    name = make_url(database_url).database
    if not name:
        raise BackupError("the database URL names no database")
    if map_dir.exists() and any(map_dir.iterdir()):
        raise BackupError(f"{map_dir} exists and is not empty: restore the map somewhere new")
    if settings_out is not None and settings_out.exists():
        raise BackupError(f"{settings_out} exists: a restore never overwrites settings")
    with (
        tempfile.TemporaryDirectory(prefix="gh-restore-") as tmp,
        tarfile.open(archive_path, "r") as archive,
    ):
        work = Path(tmp)
        manifest = _read_members(archive, work)
        if not await admin.create_database(database_url):
            raise BackupError(f"database {name} exists: a restore goes into a new database")
        try:
            state, role = await _restore_database(work, database_url, name)
        except BaseException:
            await admin.drop_database(database_url)  # ours, new: nothing half-restored stays
            raise
        map_dir.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=".restore-", dir=map_dir.parent))
        shutil.copytree(work / "map", staged, dirs_exist_ok=True)
        if map_dir.exists():
            map_dir.rmdir()  # empty, checked above
        os.replace(staged, map_dir)
        if settings_out is not None:
            shutil.copyfile(work / "settings.env", settings_out)
    problems = [
        f"{key}: backup {manifest['log'][key]!r}, restored {value!r}"
        for key, value in state.as_dict().items()
        if manifest["log"][key] != value
    ]
    return Restored(manifest, state, role, problems)
