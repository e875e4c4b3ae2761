"""The real clock. Everything that needs the time takes a Clock, so the simulator can run faster."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
