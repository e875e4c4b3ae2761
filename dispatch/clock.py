"""The one notion of time: a ``Clock`` gives aware-UTC ``now()``; a ``PacedClock`` can also wait.

The dispatch core takes a :class:`Clock` (the server passes :class:`SystemClock`; the offline
simulation passes its ``SimClock``, which moves only when its event loop says so, and lives in
``dispatch.simulation.clock``). The demo traffic generator also sleeps between calls and crew
steps, so it takes a :class:`PacedClock`: real time, or :class:`ScaledClock` to run faster.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Aware-UTC ``now``."""

    def now(self) -> datetime: ...


class PacedClock(Clock, Protocol):
    """A clock with a sleep that advances along the same time line."""

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time: the server, and the demo against a running server."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Time running ``factor`` times faster than the wall clock, from the moment of creation.

    For in-process demos and tests against a real server: every delay of the demo (call gaps,
    chute and scene times, report intervals) shrinks alike, and real I/O still works because
    sleeps are real, only shorter.
    """

    def __init__(self, factor: float, start: datetime | None = None) -> None:
        if factor <= 0:
            raise ValueError("factor must be positive")
        self.factor = factor
        self._start = start or datetime.now(UTC)
        self._real_start = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._real_start) * self.factor
        return self._start + timedelta(seconds=elapsed)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.factor)


async def sleep_until(clock: PacedClock, when: datetime) -> None:
    """Sleep on ``clock`` until ``when`` (returns at once if that has passed)."""
    await clock.sleep(max(0.0, (when - clock.now()).total_seconds()))
