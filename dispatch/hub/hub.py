"""WebSocket fan-out inside one app process: every console gets every event, in order, no gaps.

The hub keeps one cursor (the last ``seq`` it emitted). Events come from Redis; an event whose
``seq`` jumps ahead makes the hub read the missing ones from the events table first, and a poll of
the table every few seconds covers a lost publish or a Redis outage. Each connection has a bounded
queue: a console that cannot keep up is told to resync instead of stalling everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from dispatch.services.ports import EventRecord

log = logging.getLogger("goldenhour.hub")

ReadAfter = Callable[[int, int | None], Awaitable[list[EventRecord]]]


class Resync:
    """Queue sentinel: this connection fell too far behind and must take a fresh snapshot."""


RESYNC = Resync()


@dataclass(eq=False)
class Connection:
    """One socket's view of the stream; ``wants`` narrows it (a crew sees only its own unit)."""

    queue: asyncio.Queue[EventRecord | Resync] = field(
        default_factory=lambda: asyncio.Queue(maxsize=2000)
    )
    last_seq: int = 0
    wants: Callable[[EventRecord], bool] | None = None

    def offer(self, record: EventRecord) -> None:
        if self.wants is not None and not self.wants(record):
            return
        try:
            self.queue.put_nowait(record)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)


class Hub:
    def __init__(
        self,
        *,
        read_after: ReadAfter,
        subscribe: Callable[[], AsyncIterator[EventRecord]],
        start_seq: int,
        poll_interval_s: float = 2.0,
    ) -> None:
        self._read_after = read_after
        self._subscribe = subscribe
        self._seq = start_seq
        self._poll_interval_s = poll_interval_s
        self._lock = asyncio.Lock()
        self._connections: set[Connection] = set()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def seq(self) -> int:
        return self._seq

    def connect(self, wants: Callable[[EventRecord], bool] | None = None) -> Connection:
        conn = Connection(wants=wants)
        self._connections.add(conn)
        return conn

    def disconnect(self, conn: Connection) -> None:
        self._connections.discard(conn)

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="hub-listen"),
            asyncio.create_task(self._poll(), name="hub-poll"),
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
                    self._emit(missing)
            self._emit(record)

    async def catch_up(self) -> None:
        """Emit whatever the log holds beyond the cursor (lost publishes, Redis outages)."""
        async with self._lock:
            for record in await self._read_after(self._seq, None):
                self._emit(record)

    def _emit(self, record: EventRecord) -> None:
        if record.seq <= self._seq:
            return
        self._seq = record.seq
        for conn in self._connections:
            conn.offer(record)

    async def _listen(self) -> None:
        async for record in self._subscribe():
            try:
                await self.deliver(record)
            except Exception:  # keep the hub alive; the poll will heal the gap
                log.exception("hub failed to deliver seq %s", record.seq)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval_s)
            try:
                await self.catch_up()
            except Exception:
                log.exception("hub poll of the events table failed")
