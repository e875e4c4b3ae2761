"""Shared fixtures: a throwaway PostGIS database, the Helsinki map, and real server processes.

Nothing here stands in for PostgreSQL or Redis: tests talk to the servers named by DATABASE_URL
and REDIS_URL (``make test`` finds or starts them). Each run creates its own database and Redis
channel and drops the database at the end.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SHARED_OSM = ROOT.parent / "shared" / "data" / "osm"
RUN_ID = secrets.token_hex(4)


def _base_database_url() -> str:
    return os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/goldenhour")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh database with the schema migrated; dropped when the session ends."""
    from dispatch.store import admin

    url = make_url(_base_database_url()).set(database=f"gh_test_{RUN_ID}")
    plain = url.render_as_string(hide_password=False)
    asyncio.run(admin.create_database(plain))
    try:
        admin.migrate(
            url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
        )
        yield plain
    finally:
        asyncio.run(admin.drop_database(plain))


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def map_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled Helsinki extract, imported once per session."""
    import routing

    out = tmp_path_factory.mktemp("map") / "helsinki"
    routing.import_map(routing.default_map_path(), out)
    return out


@pytest.fixture(scope="session")
def shanghai_map_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Central Shanghai (Chinese street names, no POIs, no house numbers), imported once per
    session from the shared extract, read where it lies: never copied into the repository."""
    import routing

    out = tmp_path_factory.mktemp("map") / "shanghai"
    routing.import_map(SHARED_OSM / "shanghai_center.osm", out)
    return out


@pytest.fixture(scope="session")
def secret_key() -> str:
    return secrets.token_hex(32)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """One real ``goldenhour serve`` process; several may share the database and Redis."""

    env: dict[str, str]
    port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    #: more ``serve`` options, e.g. ``("--workers", "2")``
    args: tuple[str, ...] = ()
    log_level: str = "warning"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self.log_path is not None
        with self.log_path.open("ab") as log:  # the child keeps its own copy of the handle
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dispatch.cli",
                    "serve",
                    "--port",
                    str(self.port),
                    "--log-level",
                    self.log_level,
                    *self.args,
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture(scope="session")
def server_env(database_url: str, redis_url: str, map_dir: Path, secret_key: str) -> dict[str, str]:
    from dispatch.bootstrap import make_engine
    from dispatch.config import Settings
    from dispatch.seed import seed
    from routing import RoadNetwork

    settings = Settings(database_url=database_url, secret_key=secret_key)  # type: ignore[call-arg]

    async def go() -> None:
        engine = make_engine(settings)
        try:
            await seed(engine, RoadNetwork.load(map_dir), units=12, demo_logins=True)
        finally:
            await engine.dispose()

    asyncio.run(go())
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        GOLDENHOUR_SECRET_KEY=secret_key,
        GOLDENHOUR_MAP_DIR=str(map_dir),
        GOLDENHOUR_REDIS_CHANNEL=f"gh-test-{RUN_ID}:events",
        GOLDENHOUR_HUB_POLL_INTERVAL_S="1.0",
        GOLDENHOUR_ORDER_RESEND_S="1.0",
        # consoles flag an unacknowledged order after 4 s instead of 60 (the stories are short)
        GOLDENHOUR_ACK_ALERT_AFTER_S="4",
        # decontamination after an infectious transport ends after 6 s instead of an hour, so the
        # story sees the server end it (tests/integration/test_infectious_transport.py)
        GOLDENHOUR_DECONTAMINATION_MIN="0.1",
        # the public-health watch judges every 20 s instead of 10 minutes, so the console story
        # sees a signal appear by itself (tests/e2e/test_outbreak.py)
        GOLDENHOUR_SURVEILLANCE_INTERVAL_S="20",
        # the demo logins (password = user name, no forced change): the stories log in as them
        GOLDENHOUR_DEMO_LOGINS="true",
    )
    return env


@pytest.fixture(scope="session")
def servers(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServerProcess]]:
    """Two app processes on the same database and Redis channel."""
    logs = tmp_path_factory.mktemp("logs")
    procs = [ServerProcess(env=server_env) for _ in range(2)]
    try:
        for i, p in enumerate(procs):
            p.log_path = logs / f"server{i}.log"
            p.start()
        yield procs
    finally:
        for p in procs:
            p.stop()


@pytest.fixture(scope="session")
def server(servers: list[ServerProcess]) -> ServerProcess:
    return servers[0]


@pytest.fixture(scope="session")
def chinese_centre(
    redis_url: str,
    shanghai_map_dir: Path,
    secret_key: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerProcess]:
    """A 120 centre in Shanghai: its own database seeded on the Shanghai map (the demo layout
    places stations and hospitals, the map has none), its own Redis channel, Chinese as the
    centre's language (``GOLDENHOUR_LANGUAGE=zh``) and Shanghai time. One app process."""
    from dispatch.bootstrap import make_engine
    from dispatch.config import Settings
    from dispatch.seed import seed
    from dispatch.store import admin
    from routing import RoadNetwork

    url = make_url(_base_database_url()).set(database=f"gh_test_{RUN_ID}_zh")
    plain = url.render_as_string(hide_password=False)
    asyncio.run(admin.create_database(plain))
    proc: ServerProcess | None = None
    try:
        admin.migrate(
            url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
        )
        settings = Settings(database_url=plain, secret_key=secret_key)  # type: ignore[call-arg]

        async def go() -> None:
            engine = make_engine(settings, owner=True)
            try:
                network = RoadNetwork.load(shanghai_map_dir)
                await seed(engine, network, units=12, demo_logins=True, language="zh")
            finally:
                await engine.dispose()

        asyncio.run(go())
        env = dict(os.environ)
        env.update(
            DATABASE_URL=plain,
            REDIS_URL=redis_url,
            GOLDENHOUR_SECRET_KEY=secret_key,
            GOLDENHOUR_MAP_DIR=str(shanghai_map_dir),
            GOLDENHOUR_REDIS_CHANNEL=f"gh-test-{RUN_ID}-zh:events",
            GOLDENHOUR_HUB_POLL_INTERVAL_S="1.0",
            GOLDENHOUR_DEMO_LOGINS="true",
            GOLDENHOUR_LANGUAGE="zh",
            GOLDENHOUR_TIMEZONE="Asia/Shanghai",
        )
        proc = ServerProcess(env=env)
        proc.log_path = tmp_path_factory.mktemp("logs-zh") / "server.log"
        proc.start()
        yield proc
    finally:
        if proc is not None:
            proc.stop()
        asyncio.run(admin.drop_database(plain))


@pytest.fixture
async def reset_fleet(database_url: str) -> None:
    """Each story starts with every unit available at its station and no open incident.

    Test housekeeping only (it writes no events): stories must not depend on each other's leftovers.
    """
    await _reset(database_url)


@pytest.fixture
async def reset_chinese_centre(chinese_centre: ServerProcess) -> None:
    """``reset_fleet`` for the Chinese centre's own database."""
    await _reset(chinese_centre.env["DATABASE_URL"])


async def _reset(database_url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE units u SET status = 'available', incident_id = NULL, status_at = now(), "
            "order_id = NULL, order_acknowledged_at = NULL, destination_hospital_id = NULL, "
            "infectious_load = false, decontamination_until = NULL, "
            "position = s.location, position_at = now() FROM stations s WHERE s.id = u.station_id"
        )
        await conn.execute(
            "UPDATE incidents SET status = 'closed', closed_at = now() WHERE status <> 'closed'"
        )
    finally:
        await conn.close()


@pytest.fixture
async def posts_restored(database_url: str) -> AsyncIterator[None]:
    """After a story that moves units up, each unit is posted back at the station it had before
    (test housekeeping only, like ``reset_fleet``), so later stories find the fleet as seeded."""
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        posted = await conn.fetch("SELECT id, station_id FROM units")
        yield
        await conn.executemany(
            "UPDATE units SET station_id = $2, order_id = NULL, order_acknowledged_at = NULL "
            "WHERE id = $1",
            [(r["id"], r["station_id"]) for r in posted],
        )
    finally:
        await conn.close()


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
