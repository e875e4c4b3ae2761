"""``/metrics`` in the Prometheus text format: requests, sockets, push lag, hub, database, Redis.

What is measured, and why each is worth a series:

- ``goldenhour_http_request_duration_seconds{method,route}`` (histogram) and
  ``goldenhour_http_responses_total{method,route,status}``: per route *template*
  (``/api/v1/incidents/{incident_id}``), never the raw path, so the series stay few whatever ids
  clients send; static files are ``route="static"``, anything unrouted ``"unmatched"``.
- ``goldenhour_sockets{role}``: open sockets per role (console, crew, hospital).
- ``goldenhour_event_push_lag_seconds`` (histogram): from an event's commit (its recorded time)
  to its push to a console: the number the dispatch floor feels.
- ``goldenhour_hub_queued_messages`` / ``goldenhour_hub_queue_depth_max``: what waits in the
  sockets' bounded queues; a queue nearing its bound (2,000) is a console about to resync.
- ``goldenhour_gps_fixes_total``: GPS fixes taken (HTTP and crew socket); ``rate()`` of it is
  fixes per second.
- ``goldenhour_db_pool_connections{state}``: the SQLAlchemy pool (``in_use``, ``idle``,
  ``overflow``) and ``goldenhour_db_pool_size``.
- ``goldenhour_redis_up`` (1/0, the worst worker) and ``goldenhour_hub_bus_silence_seconds``
  (since a hub last heard the bus; the longest), plus the hub's counters
  (``goldenhour_hub_bus_messages_total``, ``goldenhour_hub_events_emitted_total``,
  ``goldenhour_hub_polled_positions_total``).

Several worker processes (``goldenhour serve --workers N``): a scrape reaches whichever worker
the kernel hands the connection to, so every worker writes its values into files under
``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode; the supervisor makes a fresh
folder at start and marks dead workers) and any worker answers for all of them: counters and
histograms are summed over workers (dead ones included: counters do not go back), socket counts
and queues summed over live workers, the longest queue and bus silence are the maximum, Redis up
the minimum. One process (``--workers 1``, tests building apps in-process) uses its own registry.

Values that are states rather than counts (sockets aside) are sampled: once a second by each
worker (:meth:`Metrics.sample`, cheap: no I/O but one Redis ping) and by the scraped worker just
before it answers. The hot path only increments numbers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess

from dispatch.hub.hub import Hub
from dispatch.services.ports import Fix, PositionLog, Recorded

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

#: Request latencies: from 1 ms (a GPS POST on a quiet server) to 10 s (a stuck pool).
REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Push lag: the target is 100 ms at p99; buckets dense around it.
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def multiprocess_dir() -> str | None:
    """The multiprocess folder when this process is one of several workers, else None."""
    return os.environ.get(MULTIPROC_ENV) or None


class Metrics:
    """The series of one app (its own registry: tests may build several apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.request_seconds = Histogram(
            "goldenhour_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.responses = Counter(
            "goldenhour_http_responses",
            "HTTP responses by route template and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.sockets = Gauge(
            "goldenhour_sockets",
            "Open WebSockets by role",
            ["role"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.push_lag = Histogram(
            "goldenhour_event_push_lag_seconds",
            "From an event's commit to its push to a console socket",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.gps_fixes = Counter("goldenhour_gps_fixes", "GPS fixes taken", registry=r)
        self.queued = Gauge(
            "goldenhour_hub_queued_messages",
            "Messages waiting in the sockets' bounded queues",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.queue_max = Gauge(
            "goldenhour_hub_queue_depth_max",
            "The longest socket queue (a socket resyncs at 2000)",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.pool = Gauge(
            "goldenhour_db_pool_connections",
            "Database pool connections by state",
            ["state"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.pool_size = Gauge(
            "goldenhour_db_pool_size",
            "Database pool size (before overflow)",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.redis_up = Gauge(
            "goldenhour_redis_up",
            "Whether Redis answers a ping (the worst worker)",
            registry=r,
            multiprocess_mode="livemin",
        )
        self.bus_silence = Gauge(
            "goldenhour_hub_bus_silence_seconds",
            "Seconds since a hub last heard a message from Redis (the longest)",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.bus_heard = Counter(
            "goldenhour_hub_bus_messages",
            "Messages heard from the Redis bus, new or not",
            ["kind"],
            registry=r,
        )
        self.emitted = Counter(
            "goldenhour_hub_events_emitted",
            "Events pushed to sockets, by where the hub first got them",
            ["source"],
            registry=r,
        )
        self.polled = Counter(
            "goldenhour_hub_polled_positions",
            "Unit positions read from the database while Redis was silent",
            registry=r,
        )
        self._hub_seen: dict[str, int] = {}
        self._started = time.monotonic()

    # --- the hot path -----------------------------------------------------------------------

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.request_seconds.labels(method, route).observe(seconds)
        self.responses.labels(method, route, str(status)).inc()

    def socket_opened(self, role: str) -> None:
        self.sockets.labels(role).inc()

    def socket_closed(self, role: str) -> None:
        self.sockets.labels(role).dec()

    # --- sampled states -----------------------------------------------------------------------

    def sample(self, hub: Hub, pool: Any, redis_up: bool | None) -> None:
        """Copy the states of this process into the series (``redis_up`` None: keep the last)."""
        total, longest = hub.queue_depths()
        self.queued.set(total)
        self.queue_max.set(longest)
        stats = hub.stats
        heard = stats.heard_at or self._started
        self.bus_silence.set(round(time.monotonic() - heard, 3))
        for key, value, counter in (
            ("event", stats.bus_events, self.bus_heard.labels("event")),
            ("positions", stats.bus_positions, self.bus_heard.labels("positions")),
            ("bus", stats.emitted_from_bus, self.emitted.labels("bus")),
            ("log", stats.emitted_from_log, self.emitted.labels("log")),
            ("polled", stats.polled_positions, self.polled),
        ):
            delta = value - self._hub_seen.get(key, 0)
            if delta > 0:
                counter.inc(delta)
                self._hub_seen[key] = value
        with contextlib.suppress(AttributeError, TypeError):  # a pool without counters
            self.pool.labels("in_use").set(pool.checkedout())
            self.pool.labels("idle").set(pool.checkedin())
            self.pool.labels("overflow").set(max(0, pool.overflow()))
            self.pool_size.set(pool.size())
        if redis_up is not None:
            self.redis_up.set(1 if redis_up else 0)

    def render(self) -> bytes:
        """The text a scrape gets: every worker's series when there are several."""
        folder = multiprocess_dir()
        if folder is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


@dataclass
class Sampler:
    """Samples the process's states into :class:`Metrics` every ``every_s`` seconds."""

    metrics: Metrics
    hub: Hub
    pool: Any
    ping: Callable[[], Awaitable[bool]]
    every_s: float = 1.0
    _task: asyncio.Task[None] | None = None

    async def sample(self) -> None:
        try:
            up: bool | None = await asyncio.wait_for(self.ping(), timeout=1.0)
        except (TimeoutError, OSError):
            up = False
        self.metrics.sample(self.hub, self.pool, up)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="metrics-sampler")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(Exception):  # a metric must never take the process down
                await self.sample()
            await asyncio.sleep(self.every_s)


class CountedPositions:
    """The GPS position log, counting fixes as they are handed to it (HTTP and crew socket
    alike: both go through ``handlers.report_position`` to this port)."""

    def __init__(self, inner: PositionLog, fixes: Counter) -> None:
        self._inner = inner
        self._fixes = fixes

    async def record(self, fix: Fix) -> Recorded:
        self._fixes.inc()
        return await self._inner.record(fix)


def mark_process_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (its sockets and queues are gone with it)."""
    folder = multiprocess_dir()
    if folder is not None:
        prometheus_multiprocess.mark_process_dead(pid, folder)  # type: ignore[no-untyped-call]
