"""The simulated clock: time moves only when the event loop says so (no sleeps, no wall time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SimClock:
    """``now()`` is ``start + t`` seconds; the engine sets ``t`` to each event's time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start or datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
        if self.start.tzinfo is None:
            raise ValueError("the simulation start must be timezone-aware (UTC)")
        self.t = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    def at(self, t: float) -> datetime:
        return self.start + timedelta(seconds=t)

    def seconds(self, when: datetime) -> float:
        return (when - self.start).total_seconds()

    def advance_to(self, t: float) -> None:
        if t < self.t - 1e-9:
            raise ValueError(f"the clock cannot go back ({t} < {self.t})")
        self.t = t
