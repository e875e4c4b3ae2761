"""WebSocket fan-out inside one app process: every console gets every event, in order, no gaps.

The hub keeps one cursor (the last ``seq`` it emitted). Events come from Redis; an event whose
``seq`` jumps ahead makes the hub read the missing ones from the events table first, and a poll of
the table every few seconds covers a lost publish or a Redis outage. Each connection has a bounded
queue: a console that cannot keep up is told to resync instead of stalling everyone else.

GPS positions are telemetry, not events: the hub keeps only the newest per unit and pushes them
to consoles a few times a second (so a fleet reporting at 1 Hz costs each console one small
message per tick, however large the fleet). While Redis is silent it reads them from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dispatch.services.ports import EventRecord

log = logging.getLogger("goldenhour.hub")

ReadAfter = Callable[[int, int | None], Awaitable[list[EventRecord]]]
ReadPositions = Callable[[datetime], Awaitable[list[dict[str, Any]]]]
Subscribe = Callable[[], AsyncIterator[tuple[str, Any]]]


#: Whether a socket may receive the caller data of an incident (the first argument), given the
#: incident its unit works now (the second; None for a socket that serves no unit). Built from
#: the login with ``dispatch.api.policy.may_see_caller``; sessions blank the rest with
#: ``dispatch.domain.payloads.without_caller``.
SeesCaller = Callable[[int | None, int | None], bool]


class Resync:
    """Queue sentinel: this connection fell too far behind and must take a fresh snapshot."""


RESYNC = Resync()


@dataclass(frozen=True, slots=True)
class Positions:
    """A coalesced batch of unit positions for consoles (no sequence number: latest wins).

    ``text`` is the message JSON-encoded once for all consoles, not once per socket (100
    consoles x 10 pushes a second x the whole moving fleet adds up).
    """

    message: dict[str, Any]
    text: str = ""


@dataclass(eq=False)
class Connection:
    """One socket's view of the stream; ``wants`` narrows it (a crew sees only its own unit)."""

    queue: asyncio.Queue[EventRecord | Resync | Positions] = field(
        default_factory=lambda: asyncio.Queue(maxsize=2000)
    )
    last_seq: int = 0
    wants: Callable[[EventRecord], bool] | None = None
    positions: bool = True

    def offer(self, item: EventRecord | Positions) -> None:
        if isinstance(item, EventRecord) and self.wants is not None and not self.wants(item):
            return
        if isinstance(item, Positions) and not self.positions:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)


@dataclass
class HubStats:
    """What the hub has heard and emitted since it started (exported at ``/metrics``).

    ``bus_*`` count every message heard from Redis, whether or not it was new, so a test or an
    operator can see that push works without timing anything; ``emitted_*`` say where each event
    the consoles received came from.
    """

    bus_events: int = 0
    bus_positions: int = 0
    emitted_from_bus: int = 0
    emitted_from_log: int = 0
    polled_positions: int = 0
    #: monotonic time of the last message heard from Redis (0: none yet): a hub that hears
    #: nothing for long while events are written is cut off from the bus (``/metrics``)
    heard_at: float = 0.0


class Hub:
    def __init__(
        self,
        *,
        read_after: ReadAfter,
        read_positions: ReadPositions,
        subscribe: Subscribe,
        start_seq: int,
        poll_interval_s: float = 2.0,
        position_pushes_per_s: float = 10.0,
    ) -> None:
        self._read_after = read_after
        self._read_positions = read_positions
        self._subscribe = subscribe
        self._seq = start_seq
        self._poll_interval_s = poll_interval_s
        self._push_interval_s = 1.0 / position_pushes_per_s
        self._lock = asyncio.Lock()
        self._connections: set[Connection] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._pending_positions: dict[int, dict[str, Any]] = {}
        self._positions_heard = 0.0  # monotonic time of the last position message from Redis
        self.stats = HubStats()
        #: told the age in seconds of each event a console session pushes live (commit to push
        #: lag, ``/metrics``); a plain callback so the hub knows nothing of Prometheus
        self.on_pushed: Callable[[float], None] | None = None

    @property
    def seq(self) -> int:
        return self._seq

    def connect(
        self, wants: Callable[[EventRecord], bool] | None = None, *, positions: bool = True
    ) -> Connection:
        conn = Connection(wants=wants, positions=positions)
        self._connections.add(conn)
        return conn

    def disconnect(self, conn: Connection) -> None:
        self._connections.discard(conn)

    def queue_depths(self) -> tuple[int, int]:
        """(messages queued for all sockets, the longest single queue): a socket whose queue
        grows towards its bound is about to be told to resync (``/metrics``)."""
        sizes = [conn.queue.qsize() for conn in self._connections]
        return sum(sizes), max(sizes, default=0)

    def pushed(self, record: EventRecord) -> None:
        """A session sent ``record`` to its client live: report its lag since it was recorded."""
        if self.on_pushed is not None:
            self.on_pushed((datetime.now(UTC) - record.occurred_at).total_seconds())

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="hub-listen"),
            asyncio.create_task(self._poll(), name="hub-poll"),
            asyncio.create_task(self._push_positions(), name="hub-positions"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def deliver(self, record: EventRecord) -> None:
        """Emit ``record`` after any events the hub has not yet emitted before it."""
        async with self._lock:
            if record.seq <= self._seq:
                return
            if record.seq > self._seq + 1:
                for missing in await self._read_after(self._seq, record.seq):
                    if self._emit(missing):
                        self.stats.emitted_from_log += 1
            if self._emit(record):
                self.stats.emitted_from_bus += 1

    async def catch_up(self) -> None:
        """Emit whatever the log holds beyond the cursor (lost publishes, Redis outages)."""
        async with self._lock:
            for record in await self._read_after(self._seq, None):
                if self._emit(record):
                    self.stats.emitted_from_log += 1

    def take_positions(self, units: list[dict[str, Any]]) -> None:
        """Keep the newest position per unit until the next push."""
        for unit in units:
            held = self._pending_positions.get(unit["id"])
            if held is None or (unit["position_at"] or "") >= (held["position_at"] or ""):
                self._pending_positions[unit["id"]] = unit

    def _emit(self, record: EventRecord) -> bool:
        if record.seq <= self._seq:
            return False
        self._seq = record.seq
        for conn in self._connections:
            conn.offer(record)
        return True

    async def _listen(self) -> None:
        async for kind, payload in self._subscribe():
            self.stats.heard_at = time.monotonic()
            try:
                if kind == "positions":
                    self.stats.bus_positions += 1
                    self._positions_heard = time.monotonic()
                    self.take_positions(payload)
                else:
                    self.stats.bus_events += 1
                    await self.deliver(payload)
            except Exception:  # keep the hub alive; the poll will heal the gap
                log.exception("hub failed to handle a %s message", kind)

    async def _poll(self) -> None:
        since = datetime.now(UTC)
        while True:
            await asyncio.sleep(self._poll_interval_s)
            try:
                await self.catch_up()
                if time.monotonic() - self._positions_heard > 2 * self._poll_interval_s:
                    polled_at = datetime.now(UTC)
                    polled = await self._read_positions(since)
                    self.stats.polled_positions += len(polled)
                    self.take_positions(polled)
                    since = polled_at
            except Exception:
                log.exception("hub poll of the database failed")

    async def _push_positions(self) -> None:
        while True:
            await asyncio.sleep(self._push_interval_s)
            if not self._pending_positions:
                continue
            units, self._pending_positions = list(self._pending_positions.values()), {}
            message = {
                "type": "positions",
                "server_time": datetime.now(UTC).isoformat(),
                "units": units,
            }
            batch = Positions(message, json.dumps(message, separators=(",", ":")))
            for conn in self._connections:
                conn.offer(batch)
