"""The simulator's notion of time, injected so tests and in-process runs need not wait."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Aware-UTC ``now`` plus a sleep that advances along the same time line."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time: what ``goldenhour simulate`` uses against a running server."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ScaledClock:
    """Time running ``factor`` times faster than the wall clock, from the moment of creation.

    For in-process demos and tests against a real server: every delay of the simulation
    (call gaps, chute and scene times, report intervals) shrinks alike, and real I/O still
    works because sleeps are real, only shorter.
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


async def sleep_until(clock: Clock, when: datetime) -> None:
    """Sleep on ``clock`` until ``when`` (returns at once if that has passed)."""
    await clock.sleep(max(0.0, (when - clock.now()).total_seconds()))
