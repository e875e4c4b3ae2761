"""Private servers and fault-tolerant clients for the chaos tests.

Nothing here ever stops the machine's shared PostgreSQL or Redis: a test that breaks Redis starts
its own ``redis-server`` on a free port, and the PostgreSQL restart test runs its own throwaway
cluster (``initdb`` as the ``postgres`` OS user). Every wait is bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import websockets

from tests.conftest import ServerProcess, _free_port
from tests.support import connect_socket


def _pg_bin() -> Path:
    """The newest installed PostgreSQL server binaries (Debian layout)."""
    found = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return found[-1]


# --------------------------------------------------------------------------------------------
# Private Redis
# --------------------------------------------------------------------------------------------


class PrivateRedis:
    """A ``redis-server`` subprocess on a free loopback port that a test may pause or kill."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("PING") == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def cli(self, *args: str) -> str | None:
        r = subprocess.run(
            ["redis-cli", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return r.stdout.strip() if r.returncode == 0 else None

    def numsub(self, channel: str) -> int:
        out = self.cli("PUBSUB", "NUMSUB", channel)
        if not out:
            return 0
        lines = out.splitlines()
        return int(lines[1]) if len(lines) >= 2 else 0

    def pause(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a stopped process must run to die cleanly
            self.proc.kill()
            self.proc.wait(timeout=10)

    def close(self) -> None:
        self.kill()
        self.proc = None


# --------------------------------------------------------------------------------------------
# Private PostgreSQL cluster
# --------------------------------------------------------------------------------------------


class PrivatePostgres:
    """A throwaway PostgreSQL 15 cluster (PostGIS available) that a test may restart."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="gh-chaos-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.log = self.root / "pg.log"
        self.started = False

    @property
    def base_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _as_postgres(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            check=True,
            timeout=timeout,
            capture_output=True,
        )

    def init(self) -> None:
        self.sock.mkdir()
        shutil.chown(self.root, "postgres", "postgres")
        shutil.chown(self.sock, "postgres", "postgres")
        self._as_postgres(
            str(_pg_bin() / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self.start()

    def _ctl(self, action: str, *extra: str) -> None:
        self._as_postgres(
            str(_pg_bin() / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "30",
            "-o",
            f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off",
            *extra,
            action,
        )

    def start(self) -> None:
        self._ctl("start")
        self.started = True

    def stop(self, mode: str = "fast") -> None:
        self._ctl("stop", "-m", mode)
        self.started = False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.started or (self.data / "postmaster.pid").exists():
                self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.root, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# Database and app processes
# --------------------------------------------------------------------------------------------


def make_database(base_url: str, name: str, map_dir: Path, units: int = 12) -> str:
    """Create, migrate and seed a database; returns its plain ``postgresql://`` URL."""
    from sqlalchemy.engine import make_url

    from dispatch.bootstrap import make_engine
    from dispatch.config import Settings
    from dispatch.seed import seed
    from dispatch.store import admin
    from routing import RoadNetwork

    url = make_url(base_url).set(database=name)
    plain = url.render_as_string(hide_password=False)

    async def go() -> None:
        await admin.create_database(plain)
        await asyncio.to_thread(
            admin.migrate,
            url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False),
        )
        engine = make_engine(Settings(database_url=plain, secret_key="x" * 40))  # type: ignore[call-arg]
        try:
            await seed(engine, RoadNetwork.load(map_dir), units=units, demo_logins=True)
        finally:
            await engine.dispose()

    asyncio.run(go())
    return plain


def drop_database(url: str) -> None:
    from dispatch.store import admin

    with contextlib.suppress(Exception):
        asyncio.run(admin.drop_database(url))


@dataclass
class App:
    """App processes sharing one database and one Redis."""

    servers: list[ServerProcess]
    database_url: str
    redis: PrivateRedis
    channel: str

    def kill9(self, i: int) -> None:
        proc = self.servers[i].proc
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        self.servers[i].proc = None

    def restart(self, i: int) -> None:
        self.servers[i].start()  # same port: the server binds with SO_REUSEADDR

    def stop(self) -> None:
        for s in self.servers:
            s.stop()


def start_app(
    *,
    database_url: str,
    redis: PrivateRedis,
    map_dir: Path,
    secret_key: str,
    log_dir: Path,
    processes: int,
    extra_env: dict[str, str] | None = None,
) -> App:
    channel = f"gh-chaos-{uuid.uuid4().hex[:8]}:events"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis.url,
        GOLDENHOUR_SECRET_KEY=secret_key,
        GOLDENHOUR_MAP_DIR=str(map_dir),
        GOLDENHOUR_REDIS_CHANNEL=channel,
        GOLDENHOUR_HUB_POLL_INTERVAL_S="1.0",
        GOLDENHOUR_ORDER_RESEND_S="5.0",
        GOLDENHOUR_DEMO_LOGINS="true",
    )
    env.update(extra_env or {})
    app = App([], database_url, redis, channel)
    try:
        for i in range(processes):
            s = ServerProcess(env=env)
            s.log_path = log_dir / f"server{i}.log"
            app.servers.append(s)
            s.start()
    except BaseException:
        app.stop()
        raise
    return app


async def tokens(secret_key: str, database_url: str) -> dict[str, str]:
    """Bearer tokens of real login sessions, opened in the database and signed with the servers'
    secret: no Argon2 logins (and no login throttling) during a fault test.

    The server honours a token only while the session it names lasts, so each token gets a
    session of its own (``dispatch.store.sessions``). They live an hour, longer than the 15 minutes
    of a login's token, so that a long ``make chaos`` run needs no renewal.
    """
    from dispatch.api.auth import Principal, Role, issue_token
    from dispatch.bootstrap import make_engine
    from dispatch.config import Settings
    from dispatch.store.sessions import SessionStore

    logins = {"dispatcher": Principal("dispatcher", Role.DISPATCHER, None)}
    for unit_id in range(1, 13):
        logins[f"crew-{unit_id}"] = Principal(f"crew-a{unit_id:02d}", Role.CREW, unit_id)
    engine = make_engine(Settings(database_url=database_url, secret_key="x" * 40), owner=True)  # type: ignore[call-arg]
    try:
        sessions = SessionStore(engine)
        out = {}
        for key, principal in logins.items():
            now = datetime.now(UTC)
            opened = await sessions.open(principal.username, now=now, max_s=4 * 3600, idle_s=3600)
            login = replace(principal, session_id=opened.session_id)
            out[key] = issue_token(login, secret=secret_key, ttl_s=3600, now=now)
    finally:
        await engine.dispose()
    return out


# --------------------------------------------------------------------------------------------
# Clients that retry like real ones, and record what was acknowledged
# --------------------------------------------------------------------------------------------


RETRYABLE_STATUS = {502, 503, 504}


@dataclass
class Ledger:
    """Everything the clients saw: acknowledged writes and every non-success answer.

    Transport errors are sorted by what they prove. ``refused``: the connection could not be made,
    so nothing was sent (a process was down). ``interrupted``: the request went to a process that
    was killed after it was sent and before its answer came: the fault really cut a request in
    flight, the case the test exists for. ``stale``: sent after that kill on a pooled keep-alive
    connection to the dead process (it never reached a live server). ``other``: none of these
    (no kill explains it; the Redis and PostgreSQL tests require zero).
    """

    calls: dict[str, int] = field(default_factory=dict)  # idempotency key -> incident id
    assignments: dict[int, int] = field(default_factory=dict)  # incident id -> unit id
    statuses: list[tuple[int, int, str, int | None]] = field(default_factory=list)
    # (unit, client_seq, status, incident) acknowledged
    positions: dict[int, tuple[str, list[float]]] = field(default_factory=dict)  # newest acked
    answers: dict[int, int] = field(default_factory=dict)  # status code -> count
    bad: list[str] = field(default_factory=list)  # answers breaking the contract
    kills: list[tuple[str, float]] = field(default_factory=list)  # (base url, monotonic time)
    transport_errors: int = 0  # all of the four below
    refused: int = 0
    interrupted: int = 0
    stale: int = 0
    other: int = 0
    problems_503: int = 0

    def count(self, status: int) -> None:
        self.answers[status] = self.answers.get(status, 0) + 1

    def transport_error(self, url: str, sent: float, exc: httpx.TransportError) -> None:
        self.transport_errors += 1
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            self.refused += 1
        elif any(u == url and sent < at for u, at in self.kills):
            self.interrupted += 1
        elif any(u == url for u, _ in self.kills):
            self.stale += 1
        else:
            self.other += 1


class Client:
    """Round-robins over the app processes; retries transport errors and 502/503/504."""

    def __init__(self, urls: list[str], ledger: Ledger, *, offset: int = 0) -> None:
        self._urls = urls
        self._i = offset
        self._http = httpx.AsyncClient(
            # longer than any fault holds a request (a request timed out by the client would
            # count as neither interrupted nor answered)
            timeout=httpx.Timeout(60.0, connect=2.0),
            limits=httpx.Limits(keepalive_expiry=2.0),  # before uvicorn drops idle ones (5 s)
        )
        self.ledger = ledger

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        deadline_s: float = 60.0,
        ok: Callable[[httpx.Response], bool] = lambda r: r.status_code < 300,
    ) -> httpx.Response:
        """Send until a non-retryable answer arrives (or the deadline passes: AssertionError)."""
        deadline = time.monotonic() + deadline_s
        h = {"Authorization": f"Bearer {token}", **(headers or {})}
        while True:
            base = self._urls[self._i % len(self._urls)]
            sent = time.monotonic()
            try:
                r = await self._http.request(method, base + path, json=json_body, headers=h)
            except httpx.TransportError as exc:
                self.ledger.transport_error(base, sent, exc)
                self._i += 1  # another process may be up
            else:
                self.ledger.count(r.status_code)
                if r.status_code >= 500:
                    check_problem(r, self.ledger)
                if r.status_code not in RETRYABLE_STATUS:
                    if not ok(r) and r.status_code >= 500:
                        self.ledger.bad.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
                    return r
                self._i += 1
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {path} not answered within {deadline_s} s")
            await asyncio.sleep(0.1)


def check_problem(r: httpx.Response, ledger: Ledger) -> None:
    """A 5xx must be a clear, retryable 503 problem document, never a bare 500."""
    try:
        body = r.json()
    except ValueError:
        body = None
    good = (
        r.status_code == 503
        and r.headers.get("content-type", "").startswith("application/problem+json")
        and isinstance(body, dict)
        and body.get("code") == "storage-unavailable"
        and "Retry-After" in r.headers
    )
    if good:
        ledger.problems_503 += 1
    else:
        ledger.bad.append(
            f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}"
        )


async def road_points(url: str, count: int) -> list[list[float]]:
    """``count`` points on the map's roads (a vertex in the middle of a street)."""
    async with httpx.AsyncClient(timeout=30) as http:
        roads = (await http.get(url + "/api/v1/map/roads")).json()["features"]
    out = []
    for index in range(count):
        coords = roads[(index * 37) % len(roads)]["geometry"]["coordinates"]
        out.append(list(coords[len(coords) // 2]))
    return out


class Dispatcher:
    """One dispatcher desk with its own units: call -> assign -> en route -> on scene -> free.

    Every step is retried until acknowledged. A non-idempotent step (assignment) whose answer was
    lost is reconciled by reading the unit, as a real console would after a reconnect.
    """

    def __init__(
        self,
        client: Client,
        tok: dict[str, str],
        units: list[int],
        points: list[list[float]],
        name: str,
    ) -> None:
        self.client = client
        self.tok = tok
        self.units = units
        self.points = points
        self.name = name
        self.client_seq = dict.fromkeys(units, 0)
        self.cycles = 0

    async def call(self, n: int) -> int:
        key = f"{self.name}-{n}-{uuid.uuid4().hex[:6]}"
        body = {
            "location": self.points[n % len(self.points)],
            "complaint": f"chaos call {key}",
            "priority": 2,
        }
        r = await self.client.request(
            "POST",
            "/api/v1/incidents",
            token=self.tok["dispatcher"],
            json_body=body,
            headers={"Idempotency-Key": key},
        )
        assert r.status_code == 201, r.text
        incident_id = int(r.json()["id"])
        self.client.ledger.calls[key] = incident_id
        return incident_id

    async def assign(self, incident_id: int, unit_id: int) -> None:
        r = await self.client.request(
            "POST",
            f"/api/v1/incidents/{incident_id}/assignments",
            token=self.tok["dispatcher"],
            json_body={"unit_id": unit_id},
            ok=lambda r: r.status_code in (201, 409),
        )
        if r.status_code == 409:
            # our first attempt may have committed before its answer was lost: look
            units = await self.client.request("GET", "/api/v1/units", token=self.tok["dispatcher"])
            unit = next(u for u in units.json() if u["id"] == unit_id)
            assert unit["incident_id"] == incident_id, (r.text, unit)
        else:
            assert r.status_code == 201, r.text
        self.client.ledger.assignments[incident_id] = unit_id

    async def status(self, unit_id: int, status: str, incident_id: int | None) -> None:
        self.client_seq[unit_id] += 1
        seq = self.client_seq[unit_id]
        r = await self.client.request(
            "POST",
            f"/api/v1/units/{unit_id}/status",
            token=self.tok[f"crew-{unit_id}"],
            json_body={"status": status, "client_id": f"{self.name}-dev", "client_seq": seq},
        )
        assert r.status_code == 200, r.text
        self.client.ledger.statuses.append((unit_id, seq, status, incident_id))

    async def run(self, stop: asyncio.Event) -> None:
        n = 0
        while not stop.is_set():
            for unit_id in self.units:
                if stop.is_set():
                    break
                n += 1
                incident_id = await self.call(n)
                await self.assign(incident_id, unit_id)
                for status in ("en_route", "on_scene", "available"):
                    await self.status(unit_id, status, incident_id)
                self.cycles += 1


class Reporter:
    """GPS fixes for some units, a few per second, retried until acknowledged."""

    def __init__(
        self,
        client: Client,
        tok: dict[str, str],
        units: list[int],
        points: list[list[float]],
        hz: float = 4.0,
    ) -> None:
        self.client = client
        self.tok = tok
        self.units = units
        self.points = points
        self.hz = hz
        self.sent = 0

    async def run(self, stop: asyncio.Event) -> None:
        from datetime import UTC, datetime

        k = 0
        while not stop.is_set():
            k += 1
            for unit_id in self.units:
                at = datetime.now(UTC).isoformat()
                p = self.points[(k + unit_id) % len(self.points)]
                r = await self.client.request(
                    "POST",
                    f"/api/v1/units/{unit_id}/position",
                    token=self.tok[f"crew-{unit_id}"],
                    json_body={"position": p, "reported_at": at},
                )
                if r.status_code == 200:
                    self.client.ledger.positions[unit_id] = (at, p)
                    self.sent += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1 / self.hz)


# --------------------------------------------------------------------------------------------
# A console that resumes with ?since= after every disconnect and records the stream
# --------------------------------------------------------------------------------------------


class ResumingConsole:
    """Connects, takes the snapshot, and on any disconnect reconnects with ``since=<last seq>``
    (to the next app process in the list): the stream it sees must have no gap and no repeat."""

    def __init__(self, ws_urls: list[str], token: str, offset: int = 0) -> None:
        self.ws_urls = ws_urls
        self.token = token
        self.i = offset
        self.snapshot_seq: int | None = None
        self.last_seq: int | None = None
        self.seqs: list[int] = []
        self.event_times: dict[int, tuple[float, dict[str, Any]]] = {}
        self.positions: dict[int, str] = {}  # unit -> newest position_at seen
        self.position_lag: list[tuple[float, float]] = []  # (wall time received, lag s)
        self.resyncs: list[str] = []
        self.reconnects = 0
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stop = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        from datetime import datetime

        delay = 0.1
        while not self._stop:
            url = f"{self.ws_urls[self.i % len(self.ws_urls)]}/ws/console"
            if self.last_seq is not None:
                url += f"?since={self.last_seq}"
            try:
                async with connect_socket(url, self.token, open_timeout=3) as ws:
                    delay = 0.1
                    self.connected.set()
                    async for raw in ws:
                        now = time.time()
                        m = json.loads(raw)
                        kind = m["type"]
                        if kind == "snapshot":
                            assert self.last_seq is None, "snapshot after since="
                            self.snapshot_seq = self.last_seq = m["seq"]
                        elif kind == "event":
                            self.seqs.append(m["seq"])
                            self.event_times.setdefault(m["seq"], (now, m))
                            self.last_seq = m["seq"]
                        elif kind == "positions":
                            for u in m["units"]:
                                held = self.positions.get(u["id"])
                                if held is None or u["position_at"] > held:
                                    self.positions[u["id"]] = u["position_at"]
                                at = datetime.fromisoformat(u["position_at"]).timestamp()
                                self.position_lag.append((now, now - at))
                        elif kind == "resync":
                            self.resyncs.append(m.get("reason", ""))
            except (OSError, websockets.WebSocketException, TimeoutError):
                pass
            if self._stop:
                break
            self.connected.clear()
            self.reconnects += 1
            self.i += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def close(self) -> None:
        self._stop = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def wait_until(
    predicate: Callable[[], Awaitable[bool]] | Callable[[], bool], timeout: float, what: str
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)


# --------------------------------------------------------------------------------------------
# What the database says afterwards
# --------------------------------------------------------------------------------------------


async def db_events(database_url: str, after: int) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetch(
            "SELECT seq, name, incident_id, unit_id, payload FROM events WHERE seq > $1 "
            "ORDER BY seq",
            after,
        )
    finally:
        await conn.close()


async def check_console_stream(console: ResumingConsole, database_url: str) -> None:
    """The console saw every logged event after its snapshot exactly once, in order."""
    assert console.snapshot_seq is not None, "console never got its snapshot"
    assert not console.resyncs, f"console was told to resync: {console.resyncs}"
    logged = [r["seq"] for r in await db_events(database_url, console.snapshot_seq)]
    assert console.seqs == sorted(set(console.seqs)), "events repeated or out of order"
    missing = sorted(set(logged) - set(console.seqs))
    extra = sorted(set(console.seqs) - set(logged))
    assert not missing and not extra, f"missing {missing[:20]}, not in log {extra[:20]}"


async def check_consistency(database_url: str, ledger: Ledger) -> dict[str, int]:
    """No lost, duplicated or half-written call, assignment or status."""
    conn = await asyncpg.connect(database_url)
    try:
        incidents = await conn.fetch("SELECT id, complaint, status FROM incidents")
        by_id = {r["id"]: r for r in incidents}
        keys_seen: dict[str, int] = {}
        for r in incidents:
            if r["complaint"].startswith("chaos call "):
                key = r["complaint"].removeprefix("chaos call ")
                keys_seen[key] = keys_seen.get(key, 0) + 1
        dups = {k: n for k, n in keys_seen.items() if n > 1}
        assert not dups, f"duplicate incidents for one call: {dups}"
        for key, incident_id in ledger.calls.items():
            assert incident_id in by_id, f"acknowledged call {key} (incident {incident_id}) lost"
            assert by_id[incident_id]["complaint"] == f"chaos call {key}"

        # every incident has exactly one CallReceived; every assignment one UnitAssigned
        received = await conn.fetch(
            "SELECT incident_id, count(*) AS n FROM events WHERE name = 'CallReceived' "
            "GROUP BY incident_id"
        )
        per_incident = {r["incident_id"]: r["n"] for r in received}
        for r in incidents:
            n = per_incident.get(r["id"], 0)
            assert n == 1, f"incident {r['id']} has {n} CallReceived events (half-written)"
        assert set(per_incident) <= set(by_id), "CallReceived event without its incident"
        assignments = await conn.fetch("SELECT id, incident_id, unit_id FROM assignments")
        assigned_events = await conn.fetch(
            "SELECT (payload->>'order_id')::int AS order_id, incident_id, unit_id FROM events "
            "WHERE name = 'UnitAssigned'"
        )
        a_rows = {(r["id"], r["incident_id"], r["unit_id"]) for r in assignments}
        a_events = [(r["order_id"], r["incident_id"], r["unit_id"]) for r in assigned_events]
        assert len(a_events) == len(set(a_events)), "an assignment was logged twice"
        assert a_rows == set(a_events), "assignments and UnitAssigned events disagree"
        for incident_id, unit_id in ledger.assignments.items():
            assert any(i == incident_id and u == unit_id for _, i, u in a_rows), (
                f"acknowledged assignment {unit_id} -> {incident_id} lost"
            )

        # every acknowledged status change logged exactly once; state agrees with the last one
        changes = await conn.fetch(
            "SELECT unit_id, incident_id, payload->>'status' AS status FROM events "
            "WHERE name = 'UnitStatusChanged'"
        )
        logged = [(r["unit_id"], r["incident_id"], r["status"]) for r in changes]
        assert len(logged) == len(set(logged)), "a status change was applied twice"
        for unit_id, _, status, incident_id in ledger.statuses:
            assert (unit_id, incident_id, status) in set(logged), (
                f"acknowledged status {status} of unit {unit_id} (incident {incident_id}) lost"
            )
        units = await conn.fetch("SELECT id, status, incident_id FROM units")
        for u in units:
            if u["incident_id"] is not None:
                inc = by_id[u["incident_id"]]
                assert inc["status"] != "closed", f"unit {u['id']} on closed incident"
        open_dispatched = await conn.fetch(
            "SELECT i.id FROM incidents i WHERE i.status NOT IN ('pending', 'closed') AND NOT "
            "EXISTS (SELECT 1 FROM units u WHERE u.incident_id = i.id)"
        )
        assert not open_dispatched, f"incidents in progress with no unit: {open_dispatched}"
        # the newest acknowledged GPS fix of every unit is in its track
        from datetime import datetime

        for unit_id, (at, _) in ledger.positions.items():
            found = await conn.fetchval(
                "SELECT count(*) FROM unit_positions WHERE unit_id = $1 AND reported_at = $2",
                unit_id,
                datetime.fromisoformat(at),
            )
            assert found == 1, f"acknowledged GPS fix of unit {unit_id} at {at} lost"
        return {"incidents": len(incidents), "assignments": len(a_rows), "statuses": len(logged)}
    finally:
        await conn.close()


# --------------------------------------------------------------------------------------------
# The whole scenario: load, a fault, then every check
# --------------------------------------------------------------------------------------------


DESKS = 4


@dataclass
class Scene:
    """What a fault injector may look at and do while the load runs."""

    app: App
    consoles: list[ResumingConsole]
    tok: dict[str, str]
    points: list[list[float]]
    ledger: Ledger

    def kill9(self, i: int) -> None:
        """kill -9 app process ``i``; requests sent to it before now count as interrupted."""
        url = self.app.servers[i].url
        self.app.kill9(i)
        self.ledger.kills.append((url, time.monotonic()))

    @contextlib.asynccontextmanager
    async def requests_held_in(self, i: int, timeout: float = 60.0) -> AsyncIterator[int]:
        """Hold the event log's write lock until at least one request is stuck in process ``i``.

        Every write takes ``pg_advisory_xact_lock(EVENT_LOCK_KEY)`` before inserting its events,
        so while the test holds that lock the next call, assignment or status change sent to the
        process waits inside it: accepted, in the middle of its transaction, not answered. The
        app names its connections ``goldenhour:<pid>``, so ``pg_stat_activity`` says which
        process is waiting. Yields how many of its requests are stuck; the lock is released on
        exit (after the caller has killed the process, say).
        """
        from dispatch.store.unit_of_work import EVENT_LOCK_KEY

        proc = self.app.servers[i].proc
        assert proc is not None, f"process {i} is not running"
        name = f"goldenhour:{proc.pid}"
        conn = await asyncpg.connect(self.app.database_url)
        try:
            tx = conn.transaction()
            await tx.start()
            await conn.execute("SELECT pg_advisory_xact_lock($1)", EVENT_LOCK_KEY)
            deadline = time.monotonic() + timeout
            while True:
                waiting = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                    "AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
                    name,
                )
                if waiting:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"no request of {name} waited for the log lock")
                await asyncio.sleep(0.05)
            try:
                yield int(waiting)
            finally:
                await tx.rollback()
        finally:
            await conn.close()


async def run_load_with_fault(
    app: App,
    secret_key: str,
    fault: Callable[[Scene], Awaitable[dict[str, Any] | None]],
    *,
    settle_s: float = 2.0,
) -> dict[str, Any]:
    """Start consoles, desks and GPS reporters; run ``fault()``; stop; check every guarantee."""
    urls = [s.url for s in app.servers]
    ws_urls = [s.ws_url for s in app.servers]
    tok = await tokens(secret_key, app.database_url)
    points = await road_points(urls[0], 16)
    ledger = Ledger()
    consoles = [ResumingConsole(ws_urls, tok["dispatcher"], offset=i) for i in range(2 * len(urls))]
    for c in consoles:
        c.start()
    clients = [Client(urls, ledger, offset=i) for i in range(DESKS + 1)]
    stop = asyncio.Event()
    tasks: list[asyncio.Task] = []
    try:
        await wait_until(
            lambda: all(c.snapshot_seq is not None for c in consoles), 20, "console snapshots"
        )
        desks = [
            Dispatcher(
                clients[i],
                tok,
                [i + 1 + DESKS * k for k in range(12 // DESKS)],
                points,
                name=f"desk{i}",
            )
            for i in range(DESKS)
        ]
        reporter = Reporter(clients[DESKS], tok, list(range(1, 13)), points, hz=2.0)
        tasks = [asyncio.create_task(d.run(stop)) for d in desks]
        tasks.append(asyncio.create_task(reporter.run(stop)))
        await asyncio.sleep(settle_s)
        info = await fault(Scene(app, consoles, tok, points, ledger))
        await asyncio.sleep(settle_s)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        tasks = []

        head = max([0, *(r["seq"] for r in await db_events(app.database_url, 0))])
        await wait_until(
            lambda: all((c.last_seq or 0) >= head for c in consoles),
            30,
            f"consoles to reach seq {head}",
        )
        for c in consoles:
            await check_console_stream(c, app.database_url)
        assert not ledger.bad, ledger.bad[:10]
        counts = await check_consistency(app.database_url, ledger)
        assert sum(d.cycles for d in desks) > 0
        return {
            **counts,
            **(info or {}),
            "calls_acked": len(ledger.calls),
            "statuses_acked": len(ledger.statuses),
            "positions_acked": reporter.sent,
            "transport_errors": ledger.transport_errors,
            "refused": ledger.refused,
            "interrupted": ledger.interrupted,
            "stale": ledger.stale,
            "other": ledger.other,
            "problems_503": ledger.problems_503,
            "answers": ledger.answers,
            "console_reconnects": [c.reconnects for c in consoles],
            "events": head,
        }
    finally:
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for c in consoles:
            await c.close()
        for cl in clients:
            await cl.aclose()
