"""The centre's server dies; the administrator restores last night's backup on a new machine.

``goldenhour backup`` writes the database, map cache and settings into one archive;
``goldenhour restore`` puts them into a new database and map directory, and only says OK when
the restored log holds the same events as the backup did and both hash chains verify. Then a
server starts on the restored database and the supervisor finds the incident taken before.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from dispatch.store import admin
from tests.conftest import ROOT, ServerProcess
from tests.support import a_point_on_a_road, login


def _goldenhour(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dispatch.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def _count(url: str, sql: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


@pytest.fixture
def restored_url(database_url: str) -> Iterator[str]:
    url = make_url(database_url).set(database=f"gh_restored_{uuid.uuid4().hex[:8]}")
    plain = url.render_as_string(hide_password=False)
    yield plain
    asyncio.run(admin.drop_database(plain))


async def test_restored_backup_has_every_event_verifies_and_serves(
    http: httpx.AsyncClient,
    server: ServerProcess,
    server_env: dict[str, str],
    database_url: str,
    restored_url: str,
    tmp_path: Path,
) -> None:
    dispatcher = await login(http, "dispatcher")
    where = await a_point_on_a_road(http)
    r = await http.post(
        "/api/v1/incidents",
        headers=dispatcher,
        json={"location": where, "complaint": "fall from a ladder", "priority": 2},
    )
    assert r.status_code == 201, r.text
    incident = r.json()

    env = {**server_env, "GOLDENHOUR_TIMEZONE": "Europe/Helsinki"}
    archive = tmp_path / "nightly.ghbackup"
    done = await asyncio.to_thread(_goldenhour, env, "backup", str(archive))
    assert done.returncode == 0, done.stdout + done.stderr
    with tarfile.open(archive) as t:
        names = set(t.getnames())
        manifest = json.loads(t.extractfile("manifest.json").read())  # type: ignore[union-attr]
        settings = t.extractfile("settings.env").read().decode()  # type: ignore[union-attr]
        whole = b"".join(
            t.extractfile(m).read()  # type: ignore[union-attr]
            for m in t.getmembers()
            if m.isfile() and m.name != "database.dump"
        )
    assert {"manifest.json", "database.dump", "settings.env", "map/meta.json"} <= names
    assert "GOLDENHOUR_TIMEZONE='Europe/Helsinki'" in settings
    assert server_env["GOLDENHOUR_SECRET_KEY"].encode() not in whole, "a backup carries no secret"
    events_then = manifest["log"]["events"]
    assert events_then >= 1 and manifest["log"]["last_event_hash"]
    assert events_then <= await _count(database_url, "SELECT count(*) FROM events")

    map_dir = tmp_path / "restored-map"
    settings_out = tmp_path / "restored.env"
    done = await asyncio.to_thread(
        _goldenhour,
        env,
        "restore",
        str(archive),
        "--database-url",
        restored_url,
        "--map-dir",
        str(map_dir),
        "--settings-out",
        str(settings_out),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "events:" in done.stdout and "OK" in done.stdout
    assert await _count(restored_url, "SELECT count(*) FROM events") == events_then
    assert (map_dir / "meta.json").is_file()
    assert "Europe/Helsinki" in settings_out.read_text()

    # A server on the restored database and map: the incident is there, new calls are taken.
    restored = ServerProcess(
        env={**env, "DATABASE_URL": restored_url, "GOLDENHOUR_MAP_DIR": str(map_dir)}
    )
    restored.log_path = tmp_path / "restored-server.log"
    restored.start()
    try:
        async with httpx.AsyncClient(base_url=restored.url, timeout=30) as there:
            assert (await there.get("/readyz")).status_code == 200
            supervisor = await login(there, "supervisor")
            r = await there.get(f"/api/v1/incidents/{incident['id']}", headers=supervisor)
            assert r.status_code == 200, r.text
            assert r.json()["complaint"] == "fall from a ladder"
            dispatcher_there = await login(there, "dispatcher")
            r = await there.post(
                "/api/v1/incidents",
                headers=dispatcher_there,
                json={"location": where, "complaint": "after the restore", "priority": 3},
            )
            assert r.status_code == 201, r.text
    finally:
        restored.stop()
    assert await _count(restored_url, "SELECT count(*) FROM events") > events_then


async def test_a_damaged_or_repeated_restore_is_refused_and_leaves_nothing(
    server_env: dict[str, str], database_url: str, restored_url: str, tmp_path: Path
) -> None:
    archive = tmp_path / "b.ghbackup"
    done = await asyncio.to_thread(_goldenhour, server_env, "backup", str(archive))
    assert done.returncode == 0, done.stdout + done.stderr
    again = await asyncio.to_thread(_goldenhour, server_env, "backup", str(archive))
    assert again.returncode == 2 and "never overwrites" in again.stdout

    # One byte of the dump flipped in transit: the manifest's checksum catches it.
    damaged = tmp_path / "damaged.ghbackup"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "database.dump":
                data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
            dst.addfile(member, io.BytesIO(data))
    done = await asyncio.to_thread(
        _goldenhour,
        server_env,
        "restore",
        str(damaged),
        "--database-url",
        restored_url,
        "--map-dir",
        str(tmp_path / "m1"),
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "database.dump is damaged" in done.stdout
    name = make_url(restored_url).database
    assert (
        await _count(
            database_url.rsplit("/", 1)[0] + "/postgres",
            f"SELECT count(*) FROM pg_database WHERE datname = '{name}'",
        )
        == 0
    )

    # Restoring over a live database is refused (the target must be new).
    done = await asyncio.to_thread(
        _goldenhour,
        server_env,
        "restore",
        str(archive),
        "--database-url",
        database_url,
        "--map-dir",
        str(tmp_path / "m2"),
    )
    assert done.returncode == 2 and "exists" in done.stdout, done.stdout
