"""``goldenhour serve --workers 2``: two app processes on one port, and what an operator sees of
them: JSON logs with request id and user and no token, ``/metrics`` for both workers, ``/readyz``,
and a graceful stop (1012 "service restart", then a console resumes with ``since`` and misses
nothing).

One server for the module (a supervisor and two workers, logging at INFO into a file the tests
read). Which worker holds a given socket is read from ``/proc`` (the server-side end of the
client's TCP connection and the process owning it), so the SIGTERM goes to the right one.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from dispatch.socket_protocol import SERVICE_RESTART_CLOSE_CODE
from tests.conftest import ServerProcess
from tests.support import (
    ConsoleSocket,
    a_point_on_a_road,
    assert_problem,
    connect_socket,
    login,
    token_of,
)


@pytest.fixture(scope="module")
def workers(
    server_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    proc = ServerProcess(env=server_env, args=("--workers", "2"), log_level="info")
    proc.log_path = tmp_path_factory.mktemp("workers") / "server.log"
    proc.start()
    try:
        wait_for_workers(proc, 2)
        yield proc
    finally:
        proc.stop()


@pytest.fixture
async def client(workers: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=workers.url, timeout=15) as http:
        yield http


def worker_pids(server: ServerProcess) -> list[int]:
    assert server.proc is not None
    pid = server.proc.pid
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def wait_for_workers(server: ServerProcess, n: int, timeout: float = 60) -> list[int]:
    """The workers' pids once ``n`` run and each has answered ``/readyz``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(server)
        if len(pids) == n and all(_listening(pid, server.port) for pid in pids):
            return pids
        time.sleep(0.2)
    raise AssertionError(f"{n} workers did not come up: {server.log_path}")


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def _tcp_rows() -> Iterator[tuple[int, int, int, str]]:
    """(local port, remote port, state, inode) of every TCP socket of this network namespace."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            local, remote = int(f[1].rsplit(":", 1)[1], 16), int(f[2].rsplit(":", 1)[1], 16)
            yield local, remote, int(f[3], 16), f[9]


def _listening(pid: int, port: int) -> bool:
    mine = _socket_inodes(pid)
    return any(lp == port and st == 0x0A and ino in mine for lp, _, st, ino in _tcp_rows())


def owner_of(server: ServerProcess, client_port: int) -> int:
    """The worker holding the server end of the connection from ``client_port``."""
    inodes = {ino for lp, rp, _, ino in _tcp_rows() if lp == server.port and rp == client_port}
    for pid in worker_pids(server):
        if inodes & _socket_inodes(pid):
            return pid
    raise AssertionError(f"no worker holds the connection from port {client_port}")


async def scrape(http: httpx.AsyncClient) -> dict[str, float]:
    """``/metrics`` as ``name{label=value,...}`` -> value."""
    r = await http.get("/metrics")
    assert r.status_code == 200, r.text
    out = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = sample.value
    return out


async def new_call(http: httpx.AsyncClient, who: dict[str, str], index: int) -> dict[str, Any]:
    r = await http.post(
        "/api/v1/incidents",
        headers=who,
        json={"location": await a_point_on_a_road(http, index), "complaint": "fall", "priority": 3},
    )
    assert r.status_code == 201, r.text
    answer: dict[str, Any] = r.json()
    return answer


async def test_two_workers_take_sockets_on_one_port_and_metrics_count_them_all(
    workers: ServerProcess, client: httpx.AsyncClient
) -> None:
    token = token_of(await login(client, "dispatcher"))
    consoles = [await ConsoleSocket.open(workers.ws_url, token) for _ in range(16)]
    try:
        for c in consoles:
            await c.wait_for(lambda m: m["type"] == "snapshot")
        owners = {owner_of(workers, c.ws.local_address[1]) for c in consoles}
        assert owners == set(worker_pids(workers))  # the kernel spread them over both
        metrics = await scrape(client)  # answered by one worker, for both
        assert metrics["goldenhour_sockets{role=console}"] == 16
    finally:
        for c in consoles:
            await c.close()
    deadline = time.monotonic() + 10
    while (await scrape(client))["goldenhour_sockets{role=console}"] != 0:
        assert time.monotonic() < deadline, "closed sockets still counted"
        await asyncio.sleep(0.2)


async def test_metrics_have_route_templates_push_lag_gps_pool_and_redis(
    workers: ServerProcess, client: httpx.AsyncClient
) -> None:
    dispatcher = await login(client, "dispatcher")
    console = await ConsoleSocket.open(workers.ws_url, token_of(dispatcher))
    try:
        await console.wait_for(lambda m: m["type"] == "snapshot")
        before = await scrape(client)
        call = await new_call(client, dispatcher, 3)
        await console.wait_for(
            lambda m: m.get("name") == "CallReceived" and m["data"]["incident"]["id"] == call["id"]
        )
        assert (await client.get(f"/api/v1/incidents/{call['id']}", headers=dispatcher)).is_success
        crew = await login(client, "crew-a01")
        units = {
            u["call_sign"]: u for u in (await client.get("/api/v1/units", headers=crew)).json()
        }
        a01 = units["A01"]
        r = await client.post(
            f"/api/v1/units/{a01['id']}/position", headers=crew, json={"position": a01["position"]}
        )
        assert r.status_code == 200, r.text
        await asyncio.sleep(1.2)  # the other worker samples its states once a second
        after = await scrape(client)
    finally:
        await console.close()

    def grew(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    one = (
        "goldenhour_http_request_duration_seconds_count"
        "{method=GET,route=/api/v1/incidents/{incident_id}}"
    )
    assert grew(one) >= 1  # the route template, not /api/v1/incidents/<id>
    assert not any(f"/api/v1/incidents/{call['id']}" in k for k in after)
    assert (
        grew("goldenhour_http_responses_total{method=POST,route=/api/v1/incidents,status=201}") == 1
    )
    assert grew("goldenhour_event_push_lag_seconds_count{}") >= 1
    assert grew("goldenhour_gps_fixes_total{}") >= 1
    assert after["goldenhour_redis_up{}"] == 1
    assert after["goldenhour_db_pool_size{}"] > 0  # both workers' pools, summed
    assert "goldenhour_db_pool_connections{state=in_use}" in after
    assert "goldenhour_hub_queue_depth_max{}" in after
    assert after["goldenhour_hub_bus_messages_total{kind=event}"] >= 1


async def test_metrics_answer_the_monitoring_networks_only(client: httpx.AsyncClient) -> None:
    # uvicorn believes X-Forwarded-For from loopback (the reverse proxy): a client from elsewhere
    r = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert_problem(r, 403, "network-not-allowed")
    assert "goldenhour_" not in r.text
    assert (await client.get("/metrics")).status_code == 200  # loopback itself
    assert (await client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})).is_success


async def test_readyz_checks_database_redis_and_map(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"] == {"database": True, "redis": True, "map": True}
    health = (await client.get("/healthz")).json()  # unchanged: what make demo waits on
    assert health["status"] == "ok" and health["redis"] is True and health["seq"] >= 0


async def test_logs_are_json_lines_with_request_id_and_user_and_never_a_token(
    workers: ServerProcess, client: httpx.AsyncClient
) -> None:
    dispatcher = await login(client, "dispatcher")
    token = token_of(dispatcher)
    r = await client.get("/api/v1/units", headers={**dispatcher, "X-Request-ID": "story-42.a"})
    assert r.status_code == 200 and r.headers["x-request-id"] == "story-42.a"
    minted = (await client.get("/api/v1/config", headers=dispatcher)).headers["x-request-id"]
    assert len(minted) == 32
    console = await ConsoleSocket.open(workers.ws_url, token)  # the token as a subprotocol
    await console.wait_for(lambda m: m["type"] == "snapshot")
    await console.close()
    with pytest.raises(websockets.InvalidStatus):  # an old client's token in the URL: refused
        await connect_socket(f"{workers.ws_url}/ws/console?token={token}", token)

    assert workers.log_path is not None
    lines: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while not any(line.get("event") == "socket" for line in lines):
        assert time.monotonic() < deadline, "no socket line logged"
        await asyncio.sleep(0.2)
        text = workers.log_path.read_text(encoding="utf-8")
        lines = [json.loads(x) for x in text.splitlines() if x.startswith("{")]
    assert token not in text and token.rsplit(".", 1)[-1] not in text
    units = [x for x in lines if x.get("request_id") == "story-42.a"]
    assert units and units[-1]["event"] == "request", units
    assert units[-1]["user"] == "dispatcher" and units[-1]["route"] == "/api/v1/units"
    assert units[-1]["status"] == 200 and units[-1]["level"] == "info" and "time" in units[-1]
    assert {"pid", "worker"} <= set(units[-1])
    socket = [x for x in lines if x.get("event") == "socket" and x.get("user") == "dispatcher"]
    assert socket and socket[-1]["route"] == "/ws/console" and socket[-1]["status"] == 101
    # uvicorn's own line for the refused socket names its URL, with the token blanked
    refused = [x for x in lines if "/ws/console?token=" in x["event"]]
    assert refused and all("token=[redacted]" in x["event"] for x in refused), refused


async def test_a_stopping_worker_closes_sockets_with_1012_and_the_console_resumes_with_since(
    workers: ServerProcess, client: httpx.AsyncClient
) -> None:
    dispatcher = await login(client, "dispatcher")
    token = token_of(dispatcher)
    console = await ConsoleSocket.open(workers.ws_url, token)
    snapshot = await console.wait_for(lambda m: m["type"] == "snapshot")
    first = await new_call(client, dispatcher, 5)
    seen = await console.wait_for(
        lambda m: m.get("name") == "CallReceived" and m["data"]["incident"]["id"] == first["id"]
    )
    last = max([snapshot["seq"], *(e["seq"] for e in console.events)])
    assert last >= seen["seq"]
    victim = owner_of(workers, console.ws.local_address[1])

    os.kill(victim, signal.SIGTERM)
    await asyncio.wait_for(console._reader, 10)  # the server closed it
    assert console.ws.close_code == SERVICE_RESTART_CLOSE_CODE
    assert "since" in (console.ws.close_reason or "")

    # while the console is away, a call comes in (through the same port: the other worker)
    missed = await new_call(client, dispatcher, 6)
    resumed = await ConsoleSocket.open(workers.ws_url, token, since=last)
    try:
        await resumed.wait_for(
            lambda m: (
                m.get("name") == "CallReceived" and m["data"]["incident"]["id"] == missed["id"]
            )
        )
        seqs = [e["seq"] for e in resumed.events]
        assert seqs == list(range(last + 1, last + 1 + len(seqs))), seqs  # no gap, no repeat
        assert not any(m["type"] in ("snapshot", "resync") for m in resumed.messages)
    finally:
        await resumed.close()

    # the supervisor replaced the stopped worker
    pids = await asyncio.to_thread(wait_for_workers, workers, 2)
    assert victim not in pids
    assert (await client.get("/readyz")).status_code == 200


def test_sigterm_to_the_supervisor_stops_every_worker(workers: ServerProcess) -> None:
    assert workers.proc is not None
    pids = worker_pids(workers)
    workers.proc.send_signal(signal.SIGTERM)
    assert workers.proc.wait(timeout=30) == 0
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"
