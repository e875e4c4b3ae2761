"""Load benchmark: a fleet reporting GPS, consoles watching, calls coming in; one JSON object.

Usage::

    python bench/load.py --transport ws --workers 2       # the target: 1,000 units x 1 Hz,
                                                          # 100 consoles, 100 calls/min, one
                                                          # server of 2 workers on one port
    python bench/load.py --units 2000 --processes 2       # two servers on two ports
    python bench/load.py --transport ws --find-break      # step units up until p99 > 1 s,
                                                          # with 1 and then 2 workers

Everything runs on this machine, loopback only: the bench starts its own app server
(``python -m dispatch.cli serve --workers W``; ``--processes P`` starts P such servers on P ports,
each client spread over them) on a throwaway database of the server in ``DATABASE_URL``
(dropped afterwards) and its own private ``redis-server`` on a free port, seeds N units with
``dispatch.seed.seed`` (crew passwords hashed once, not N times: tokens are minted with the
bench's own secret), and drives them from client processes (multiprocessing):

- reporters: every unit POSTs ``/api/v1/units/{id}/position`` once a second (its own keep-alive
  connection, a minimal HTTP/1.1 client so the load generator stays cheap), ``reported_at`` =
  the send time;
- consoles: ``/ws/console`` sockets; position latency = arrival of a ``positions`` message minus
  the fix's ``position_at`` (the send time), call latency = arrival of ``CallReceived`` minus the
  moment before the POST (carried in the complaint text); each console checks that it saw every
  event of the log after its snapshot (``missing``);
- a caller: ``POST /api/v1/incidents`` at C calls a minute.

Latencies are counted in the measurement window after a warm-up. Server CPU and RSS come from
/proc; so do PostgreSQL (the backends of the bench database), Redis and the client processes,
which share the two cores with the server: read them together.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUCKET_MS = 1  # histogram resolution
MAX_MS = 60_000
TARGET = {"p99_ms": 100, "errors": 0, "missing": 0}  # issue 16, on one 2-core node
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------------------------
# Histograms (mergeable across processes)
# ------------------------------------------------------------------------------------------------


def subprotocols(token: str) -> list[Any]:
    """A socket's token goes in ``Sec-WebSocket-Protocol``, never in the URL."""
    from dispatch.socket_protocol import offer

    return list(offer(token))


def new_hist() -> list[int]:
    return [0] * (MAX_MS // BUCKET_MS + 1)


def add(hist: list[int], seconds: float) -> None:
    ms = int(max(seconds, 0.0) * 1000 / BUCKET_MS)
    hist[min(ms, len(hist) - 1)] += 1


def merge(hists: list[list[int]]) -> list[int]:
    out = new_hist()
    for h in hists:
        for i, n in enumerate(h):
            if n:
                out[i] += n
    return out


def summary(hist: list[int]) -> dict[str, Any]:
    total = sum(hist)
    if not total:
        return {"samples": 0}
    out: dict[str, Any] = {"samples": total}
    marks = {"p50": 0.50, "p90": 0.90, "p99": 0.99, "p999": 0.999}
    seen, pending = 0, dict(marks)
    for i, n in enumerate(hist):
        seen += n
        for name, q in list(pending.items()):
            if seen >= q * total:
                out[name] = i * BUCKET_MS
                del pending[name]
        if n:
            out["max"] = i * BUCKET_MS
    return out


# ------------------------------------------------------------------------------------------------
# Client processes
# ------------------------------------------------------------------------------------------------


class RawHttp:
    """One keep-alive HTTP/1.1 connection; just enough protocol for JSON POSTs to uvicorn."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        try:
            self.writer.write(head.encode() + body)
            status_line = await self.reader.readline()
            if not status_line:
                raise ConnectionError("connection closed")
            status = int(status_line.split()[1])
            length, close = 0, False
            while True:
                line = await self.reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and b"close" in value.lower():
                    close = True
            data = await self.reader.readexactly(length)
            if close:
                self.close()
            return status, data
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def reporter_main(cfg: dict[str, Any], out: Any) -> None:
    """Each unit: one fix a second at its own phase, on its own connection."""

    async def main() -> dict[str, Any]:
        t0, t_start, t_end, t_stop = cfg["t0"], cfg["t_start"], cfg["t_end"], cfg["t_stop"]
        http_hist = new_hist()
        stats = {"sent": 0, "errors": 0, "late": 0, "error_samples": []}
        rng = random.Random(cfg["seed"])

        async def unit_ws(unit_id: int, token: str, home: list[float], port: int) -> None:
            """The same reports over the crew socket; the answer confirms each stored fix."""
            from websockets.asyncio.client import connect

            nxt = t0 + rng.random() / cfg["hz"]
            async with connect(
                f"ws://127.0.0.1:{port}/ws/crew",
                subprotocols=subprotocols(token),
                open_timeout=30,
                ping_timeout=None,
                max_size=None,
            ) as ws:
                await ws.recv()  # snapshot
                while True:
                    now = time.time()
                    if nxt > t_stop:
                        return
                    if nxt > now:
                        await asyncio.sleep(nxt - now)
                    elif now - nxt > 1 / cfg["hz"]:
                        if t_start <= now <= t_end:
                            stats["late"] += 1
                        nxt = now
                    sent = time.time()
                    lon = home[0] + rng.uniform(-4e-4, 4e-4)
                    lat = home[1] + rng.uniform(-2e-4, 2e-4)
                    at = datetime.fromtimestamp(sent, UTC).isoformat()
                    await ws.send(
                        json.dumps({"type": "position", "position": [lon, lat], "reported_at": at})
                    )
                    while True:
                        answer = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                        if answer["type"] in ("position-stored", "error"):
                            break
                    if t_start <= sent <= t_end:
                        if answer["type"] == "error":
                            stats["errors"] += 1
                        else:
                            add(http_hist, time.time() - sent)
                            stats["sent"] += 1
                    nxt += 1 / cfg["hz"]

        async def unit(unit_id: int, token: str, home: list[float], port: int) -> None:
            if cfg.get("transport") == "ws":
                await unit_ws(unit_id, token, home, port)
                return
            conn = RawHttp("127.0.0.1", port)
            path = f"/api/v1/units/{unit_id}/position"
            nxt = t0 + rng.random() / cfg["hz"]
            try:
                while True:
                    now = time.time()
                    if nxt > t_stop:
                        return
                    if nxt > now:
                        await asyncio.sleep(nxt - now)
                    elif now - nxt > 1 / cfg["hz"]:
                        if t_start <= now <= t_end:
                            stats["late"] += 1
                        nxt = now
                    sent = time.time()
                    lon = home[0] + rng.uniform(-4e-4, 4e-4)
                    lat = home[1] + rng.uniform(-2e-4, 2e-4)
                    at = datetime.fromtimestamp(sent, UTC).isoformat()
                    body = f'{{"position":[{lon:.6f},{lat:.6f}],"reported_at":"{at}"}}'.encode()
                    try:
                        status, data = await asyncio.wait_for(
                            conn.post(path, body, token), timeout=10
                        )
                        if status != 200:
                            raise RuntimeError(f"{status} {data[:200]!r}")
                    except Exception as exc:  # counted, then carry on like a real device
                        if t_start <= sent <= t_end:
                            stats["errors"] += 1
                            if len(stats["error_samples"]) < 5:
                                stats["error_samples"].append(repr(exc)[:200])
                        conn.close()
                    else:
                        if t_start <= sent <= t_end:
                            add(http_hist, time.time() - sent)
                            stats["sent"] += 1
                    nxt += 1 / cfg["hz"]
            finally:
                conn.close()

        await asyncio.gather(*(unit(*u) for u in cfg["units"]))
        return {"kind": "reporter", "http": http_hist, **stats}

    out.put(asyncio.run(main()))


def console_main(cfg: dict[str, Any], out: Any) -> None:
    """M console sockets: latency of positions and calls, and the completeness of the stream."""
    import websockets
    from websockets.asyncio.client import connect

    async def main() -> dict[str, Any]:
        t_start, t_end, t_stop = cfg["t_start"], cfg["t_end"], cfg["t_stop"]
        pos_hist, call_hist = new_hist(), new_hist()
        consoles: list[dict[str, Any]] = []
        parse = datetime.fromisoformat

        async def console(url: str) -> None:
            state: dict[str, Any] = {
                "snapshot_seq": None,
                "seqs": [],
                "resyncs": 0,
                "disconnects": 0,
                "positions_msgs": 0,
            }
            consoles.append(state)
            compression = "deflate" if cfg["compression"] else None
            try:
                async with connect(
                    url,
                    subprotocols=subprotocols(cfg["token"]),
                    max_size=None,
                    compression=compression,
                    open_timeout=30,
                    ping_timeout=None,
                ) as ws:
                    while True:
                        remaining = t_stop + cfg["drain_s"] - time.time()
                        if remaining <= 0:
                            return
                        try:
                            raw = await asyncio.wait_for(ws.recv(), remaining)
                        except TimeoutError:
                            return
                        now = time.time()
                        m = json.loads(raw)
                        kind = m["type"]
                        if kind == "positions":
                            state["positions_msgs"] += 1
                            if t_start <= now <= t_end:
                                for u in m["units"]:
                                    add(pos_hist, now - parse(u["position_at"]).timestamp())
                        elif kind == "event":
                            state["seqs"].append(m["seq"])
                            if m["name"] == "CallReceived" and t_start <= now <= t_end:
                                complaint = m["data"]["incident"]["complaint"]
                                if complaint.startswith("bench@"):
                                    add(call_hist, now - float(complaint[6:]))
                        elif kind == "snapshot":
                            state["snapshot_seq"] = m["seq"]
                        elif kind == "resync":
                            state["resyncs"] += 1
            except (OSError, websockets.WebSocketException, TimeoutError):
                state["disconnects"] += 1

        await asyncio.gather(*(console(u) for u in cfg["urls"]))
        return {"kind": "console", "positions": pos_hist, "calls": call_hist, "consoles": consoles}

    out.put(asyncio.run(main()))


def caller_main(cfg: dict[str, Any], out: Any) -> None:
    """Calls at a steady rate, alternating over the app processes."""

    async def main() -> dict[str, Any]:
        t0, t_start, t_end, t_stop = cfg["t0"], cfg["t_start"], cfg["t_end"], cfg["t_stop"]
        hist = new_hist()
        stats = {"sent": 0, "errors": 0, "error_samples": []}
        conns = [RawHttp("127.0.0.1", p) for p in cfg["ports"]]
        interval = 60.0 / cfg["calls_per_minute"]
        rng = random.Random(cfg["seed"])
        k = 0
        tasks: set[asyncio.Task[None]] = set()

        async def one(conn: RawHttp, sent: float) -> None:
            point = rng.choice(cfg["points"])
            body = json.dumps(
                {"location": point, "complaint": f"bench@{sent:.6f}", "priority": rng.randint(1, 4)}
            ).encode()
            try:
                status, data = await asyncio.wait_for(
                    conn.post("/api/v1/incidents", body, cfg["token"]), timeout=10
                )
                if status != 201:
                    raise RuntimeError(f"{status} {data[:200]!r}")
            except Exception as exc:
                conn.close()
                if t_start <= sent <= t_end:
                    stats["errors"] += 1
                    if len(stats["error_samples"]) < 5:
                        stats["error_samples"].append(repr(exc)[:200])
            else:
                if t_start <= sent <= t_end:
                    add(hist, time.time() - sent)
                    stats["sent"] += 1

        while True:
            due = t0 + k * interval
            if due > t_stop:
                break
            await asyncio.sleep(max(0.0, due - time.time()))
            # one connection per process, one call at a time on it (calls are rare)
            conn = conns[k % len(conns)]
            task = asyncio.create_task(one(conn, time.time()))
            tasks.add(task)
            await task
            tasks.discard(task)
            k += 1
        return {"kind": "caller", "http": hist, **stats}

    out.put(asyncio.run(main()))


# ------------------------------------------------------------------------------------------------
# Servers, private Redis, database
# ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (a supervisor's workers)."""
    found = [pid]
    for child in _children(pid):
        found += descendants(child)
    return found


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                out += [int(p) for p in (task / "children").read_text().split()]
    return out


def listeners(port: int) -> int:
    """How many processes listen on ``port`` (workers of one server bind it each, SO_REUSEPORT):
    the bench starts its clients once every worker listens, or the kernel would give all the
    connections to the first one up."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == port and f[3] == "0A":
                inodes.add(f[9])
    return len(inodes)


def proc_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class Stack:
    """Private Redis + a throwaway database (seeded lazily up to the units asked for)."""

    def __init__(self, base_url: str, tmp: Path) -> None:
        from sqlalchemy.engine import make_url

        self.tmp = tmp
        self.secret = secrets.token_hex(32)
        self.redis_port = free_port()
        self.redis = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.redis_port),
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
        name = f"gh_bench_{secrets.token_hex(4)}"
        self.db_url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
        self.map_dir = tmp / "map"
        self.seeded = 0
        #: the hubs' position pushes per second (None: the server's default); a position waits
        #: up to one push interval in the hub, so this bounds position->console from below
        self.pushes_per_s: float | None = None
        self.servers: list[tuple[subprocess.Popen[bytes], int]] = []

    def setup(self) -> None:
        from sqlalchemy.engine import make_url

        import routing
        from dispatch.store import admin

        routing.import_map(routing.default_map_path(), self.map_dir)
        asyncio.run(admin.create_database(self.db_url))
        admin.migrate(
            make_url(self.db_url)
            .set(drivername="postgresql+asyncpg")
            .render_as_string(hide_password=False)
        )

    def seed(self, units: int) -> None:
        if units <= self.seeded:
            return
        import dispatch.seed as seeding
        from dispatch.bootstrap import make_engine
        from dispatch.config import Settings
        from dispatch.passwords import hash_password
        from routing import RoadNetwork

        one_hash = hash_password(secrets.token_hex(8))  # the bench mints tokens; nobody logs in
        seeding.hash_password = lambda _password: one_hash  # type: ignore[assignment]

        async def go() -> None:
            engine = make_engine(Settings(database_url=self.db_url, secret_key=self.secret))
            try:
                await seeding.seed(
                    engine, RoadNetwork.load(self.map_dir), units=units, demo_logins=True
                )
            finally:
                await engine.dispose()

        asyncio.run(go())
        self.seeded = units

    async def _fetch(self, query: str, *args: Any) -> list[Any]:
        import asyncpg

        conn = await asyncpg.connect(self.db_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    def fetch(self, query: str, *args: Any) -> list[Any]:
        return asyncio.run(self._fetch(query, *args))

    def start_servers(self, processes: int, workers: int = 1) -> None:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.db_url,
            REDIS_URL=f"redis://127.0.0.1:{self.redis_port}/0",
            GOLDENHOUR_SECRET_KEY=self.secret,
            GOLDENHOUR_MAP_DIR=str(self.map_dir),
            GOLDENHOUR_REDIS_CHANNEL="bench:events",
        )
        if self.pushes_per_s is not None:
            env["GOLDENHOUR_POSITION_PUSHES_PER_S"] = str(self.pushes_per_s)
        import httpx

        for i in range(processes):
            port = free_port()
            log = (self.tmp / f"server{i}.log").open("ab")
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dispatch.cli",
                    "serve",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                    "--log-level",
                    "warning",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
            log.close()
            self.servers.append((proc, port))
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError((self.tmp / f"server{i}.log").read_text()[-3000:])
                with contextlib.suppress(httpx.HTTPError):
                    url = f"http://127.0.0.1:{port}/readyz"
                    if httpx.get(url, timeout=1).status_code == 200 and listeners(port) >= workers:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start")
                time.sleep(0.2)

    def stop_servers(self) -> None:
        for proc, _ in self.servers:
            if proc.poll() is None:
                proc.terminate()
        for proc, _ in self.servers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.servers = []

    def close(self) -> None:
        from dispatch.store import admin

        self.stop_servers()
        if self.redis.poll() is None:
            self.redis.kill()
        self.redis.wait()
        with contextlib.suppress(Exception):
            asyncio.run(admin.drop_database(self.db_url))

    def tokens(self, logins: list[tuple[str, str, int | None]]) -> list[str]:
        """Tokens of login sessions opened in the database (the server honours a token only
        while its session lasts), one per ``(username, role, unit_id)``; four hours long, so a
        bench run needs no renewal. All in one connection: a thousand engines, one per crew, took
        longer than the warm-up, so the crews were still connecting in the measured window."""
        from dispatch.api.auth import Principal, Role, issue_token
        from dispatch.bootstrap import make_engine
        from dispatch.config import Settings
        from dispatch.store.sessions import SessionStore

        async def go() -> list[str]:
            engine = make_engine(Settings(database_url=self.db_url, secret_key=self.secret))
            store = SessionStore(engine)
            tokens = []
            try:
                for username, role, unit_id in logins:
                    now = datetime.now(UTC)
                    opened = await store.open(username, now=now, max_s=4 * 3600, idle_s=3600)
                    login = Principal(username, Role(role), unit_id, session_id=opened.session_id)
                    tokens.append(issue_token(login, secret=self.secret, ttl_s=4 * 3600, now=now))
            finally:
                await engine.dispose()
            return tokens

        return asyncio.run(go())


# ------------------------------------------------------------------------------------------------
# One run
# ------------------------------------------------------------------------------------------------


def run_once(
    stack: Stack, args: argparse.Namespace, units: int, processes: int, workers: int = 1
) -> dict[str, Any]:
    stack.seed(units)
    stack.start_servers(processes, workers)
    ports = [port for _, port in stack.servers]
    children: list[mp.process.BaseProcess] = []
    try:
        rows = stack.fetch(
            "SELECT id, call_sign, ST_X(position) AS lon, ST_Y(position) AS lat FROM units "
            "ORDER BY id LIMIT $1",
            units,
        )
        import httpx

        roads = httpx.get(f"http://127.0.0.1:{ports[0]}/api/v1/map/roads", timeout=30).json()
        points = [
            f["geometry"]["coordinates"][len(f["geometry"]["coordinates"]) // 2]
            for f in roads["features"]
        ]
        # every session is opened before the clock starts: the warm-up is the clients' own
        dispatcher, *crews = stack.tokens(
            [("dispatcher", "dispatcher", None)]
            + [(f"crew-{r['call_sign'].lower()}", "crew", r["id"]) for r in rows]
        )

        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        t0 = time.time() + args.client_start_s
        times = {
            "t0": t0,
            "t_start": t0 + args.warmup,
            "t_end": t0 + args.warmup + args.duration,
            "t_stop": t0 + args.warmup + args.duration,
        }
        unit_specs = [
            (
                r["id"],
                token,
                [r["lon"], r["lat"]],
                ports[i % len(ports)],
            )
            for i, (r, token) in enumerate(zip(rows, crews, strict=True))
        ]
        n_rep = max(1, min(args.reporter_procs, len(unit_specs)))
        for k in range(n_rep):
            cfg = {
                **times,
                "units": unit_specs[k::n_rep],
                "hz": args.hz,
                "seed": k,
                "transport": args.transport,
            }
            children.append(ctx.Process(target=reporter_main, args=(cfg, out), daemon=True))
        ws_urls = [
            f"ws://127.0.0.1:{ports[i % len(ports)]}/ws/console" for i in range(args.consoles)
        ]
        n_con = max(1, min(args.console_procs, args.consoles))
        for k in range(n_con if args.consoles else 0):
            cfg = {
                **times,
                "urls": ws_urls[k::n_con],
                "token": dispatcher,
                "drain_s": args.drain,
                "compression": not args.no_compression,
            }
            children.append(ctx.Process(target=console_main, args=(cfg, out), daemon=True))
        if args.calls_per_minute > 0:
            cfg = {
                **times,
                "ports": ports,
                "calls_per_minute": args.calls_per_minute,
                "points": points,
                "token": dispatcher,
                "seed": 7,
            }
            children.append(ctx.Process(target=caller_main, args=(cfg, out), daemon=True))
        for c in children:
            c.start()

        # sample CPU / RSS over the measurement window
        # the app processes: each server, or its workers when it supervises several
        server_pids = [
            pid
            for p, _ in stack.servers
            for pid in (descendants(p.pid)[1:] if workers > 1 else [p.pid])
        ]
        time.sleep(max(0.0, times["t_start"] - time.time()))
        pg_pids = [
            r["pid"]
            for r in stack.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        ]
        watched = {
            "server": server_pids,
            "postgres": pg_pids,
            "redis": [stack.redis.pid],
            "clients": [c.pid for c in children if c.pid],
        }
        cpu0 = {k: sum(proc_cpu_s(p) for p in v) for k, v in watched.items()}
        per_server0 = [proc_cpu_s(p) for p in server_pids]
        rss_max = [0.0] * len(server_pids)
        w0 = time.time()
        while time.time() < times["t_end"]:
            for i, p in enumerate(server_pids):
                rss_max[i] = max(rss_max[i], proc_rss_mb(p))
            time.sleep(0.5)
        wall = time.time() - w0
        cpu = {
            k: round(100 * (sum(proc_cpu_s(p) for p in v) - cpu0[k]) / wall, 1)
            for k, v in watched.items()
        }
        per_server = [
            round(100 * (proc_cpu_s(p) - c) / wall, 1)
            for p, c in zip(server_pids, per_server0, strict=True)
        ]
        load1 = os.getloadavg()[0]

        results = []
        deadline = times["t_stop"] + args.drain + 60
        for _ in children:
            results.append(out.get(timeout=max(1.0, deadline - time.time())))
        for c in children:
            c.join(timeout=10)
        head_rows = stack.fetch("SELECT seq FROM events ORDER BY seq")
    finally:
        for c in children:
            if c.is_alive():
                c.kill()
                c.join(timeout=5)
        stack.stop_servers()

    logged = [r["seq"] for r in head_rows]
    reporters = [r for r in results if r["kind"] == "reporter"]
    consoles = [c for r in results if r["kind"] == "console" for c in r["consoles"]]
    callers = [r for r in results if r["kind"] == "caller"]
    missing = []
    for c in consoles:
        if c["snapshot_seq"] is None:
            missing.append(len(logged))
            continue
        expected = {s for s in logged if s > c["snapshot_seq"]}
        missing.append(len(expected - set(c["seqs"])))
    pos = summary(merge([r["positions"] for r in results if r["kind"] == "console"]))
    calls = summary(merge([r["calls"] for r in results if r["kind"] == "console"]))
    errors = {
        "position_http": sum(r["errors"] for r in reporters),
        "call_http": sum(r["errors"] for r in callers),
        "console_disconnects": sum(c["disconnects"] for c in consoles),
        "console_resyncs": sum(c["resyncs"] for c in consoles),
        "consoles_without_snapshot": sum(c["snapshot_seq"] is None for c in consoles),
    }
    error_total = sum(errors.values())
    p99s = [x.get("p99", 0) for x in (pos, calls) if x.get("samples")]
    return {
        "units": units,
        "hz": args.hz,
        "consoles": args.consoles,
        "calls_per_minute": args.calls_per_minute,
        "app_processes": processes,
        "workers": workers,
        "position_pushes_per_s": stack.pushes_per_s,
        "window_s": args.duration,
        "position_to_console_ms": pos,
        "call_to_console_ms": calls,
        "position_post_ms": summary(merge([r["http"] for r in reporters])),
        "call_post_ms": summary(merge([r["http"] for r in callers])),
        "positions_accepted_per_s": round(sum(r["sent"] for r in reporters) / args.duration, 1),
        "late_reports": sum(r["late"] for r in reporters),
        "calls_made": sum(r["sent"] for r in callers),
        "errors": {**errors, "total": error_total},
        "error_samples": [s for r in reporters + callers for s in r["error_samples"]][:5],
        "events_logged": len(logged),
        "missing_events_per_console": {"max": max(missing, default=0), "total": sum(missing)},
        "positions_msgs_per_console_per_s": round(
            sum(c["positions_msgs"] for c in consoles)
            / max(1, len(consoles))
            / (args.warmup + args.duration),
            1,
        ),
        "cpu_pct": {**cpu, "per_server": per_server},
        "server_rss_mb_max": [round(x, 1) for x in rss_max],
        "loadavg_1m": round(load1, 2),
        "p99_ms": max(p99s, default=None),
        "meets_target": bool(p99s)
        and max(p99s) <= TARGET["p99_ms"]
        and error_total == 0
        and sum(missing) == 0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--hz", type=float, default=1.0)
    ap.add_argument("--consoles", type=int, default=100)
    ap.add_argument("--calls-per-minute", type=float, default=100.0)
    ap.add_argument("--processes", type=int, default=1, help="app servers (ports) on one Redis")
    ap.add_argument(
        "--workers", type=int, default=1, help="worker processes of each server, on its one port"
    )
    ap.add_argument(
        "--transport",
        choices=("http", "ws"),
        default="http",
        help="units report by HTTP POST or over their crew WebSocket",
    )
    ap.add_argument(
        "--pushes-per-s",
        type=float,
        help="GOLDENHOUR_POSITION_PUSHES_PER_S of the servers (default: theirs, 10)",
    )
    ap.add_argument("--warmup", type=float, default=10.0)
    ap.add_argument("--duration", type=float, default=30.0, help="measurement window, s")
    ap.add_argument("--drain", type=float, default=5.0)
    ap.add_argument("--client-start-s", type=float, default=6.0, help="time for clients to spawn")
    ap.add_argument("--reporter-procs", type=int, default=2)
    ap.add_argument("--console-procs", type=int, default=2)
    ap.add_argument(
        "--no-compression",
        action="store_true",
        help="consoles refuse permessage-deflate (browsers accept it)",
    )
    ap.add_argument("--keep-logs", type=Path, help="copy the server logs into this folder")
    ap.add_argument(
        "--find-break",
        action="store_true",
        help="step units up until p99 > 1 s, with 1 and then 2 workers (one server)",
    )
    ap.add_argument("--steps", default="250,500,750,1000,1500,2000,3000")
    ap.add_argument("--break-ms", type=float, default=1000.0)
    args = ap.parse_args()

    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/goldenhour")
    tmp = Path(tempfile.mkdtemp(prefix="gh-load-"))
    stack = Stack(base, tmp)
    stack.pushes_per_s = args.pushes_per_s
    report: dict[str, Any] = {
        "bench": "load",
        "machine": {"cpus": os.cpu_count(), "loadavg_before": os.getloadavg()[0]},
        "target": {"units": 1000, "hz": 1, "consoles": 100, "calls_per_minute": 100, **TARGET},
        "runs": [],
    }

    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        stack.setup()
        if not args.find_break:
            report["runs"].append(run_once(stack, args, args.units, args.processes, args.workers))
        else:
            steps = [int(s) for s in args.steps.split(",")]
            for workers in (1, 2):
                broke = None
                for units in steps:
                    run = run_once(stack, args, units, args.processes, workers)
                    report["runs"].append(run)
                    print(
                        json.dumps(
                            {
                                "progress": {
                                    k: run[k] for k in ("units", "workers", "p99_ms", "errors")
                                }
                            }
                        ),
                        file=sys.stderr,
                        flush=True,
                    )
                    if (run["p99_ms"] or 0) > args.break_ms or run["errors"]["total"]:
                        broke = units
                        break
                report[f"breaking_point_{workers}_workers"] = {
                    "units": broke,
                    "p99_over_ms": args.break_ms,
                    "last_good_units": max(
                        [
                            r["units"]
                            for r in report["runs"]
                            if r["workers"] == workers
                            and (r["p99_ms"] or 0) <= args.break_ms
                            and not r["errors"]["total"]
                        ],
                        default=None,
                    ),
                }
    finally:
        stack.close()
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for log in tmp.glob("server*.log"):
                shutil.copy(log, args.keep_logs / log.name)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
