"""Which calls the simulated dispatcher should assign now, and which to leave to humans.

The auto-dispatcher only steps in for calls that stayed ``pending`` longer than a grace period,
so a person at the console always gets the first go.  Ages are measured on the simulator's
clock from when the simulator first saw the call (not the server's ``received_at``), so a fast
simulated clock and the server's wall clock never have to agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class _Entry:
    number: str
    priority: int
    first_seen: datetime
    next_try: datetime


class PendingBoard:
    """Pending incidents by id, with a retry time each; no I/O."""

    def __init__(self, *, grace_s: float, retry_s: float = 5.0) -> None:
        self.grace = timedelta(seconds=grace_s)
        self.retry = timedelta(seconds=retry_s)
        self._entries: dict[int, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, incident_id: object) -> bool:
        return incident_id in self._entries

    def observe(
        self, incident_id: int, number: str, status: str, priority: int, now: datetime
    ) -> None:
        """Record the latest known state of an incident; anything not pending drops out."""
        if status != "pending":
            self._entries.pop(incident_id, None)
            return
        if incident_id not in self._entries:
            due = now + self.grace
            self._entries[incident_id] = _Entry(number, priority, now, due)
        else:
            self._entries[incident_id].priority = priority

    def due(self, now: datetime) -> list[tuple[int, str]]:
        """``(id, number)`` of calls to try now: most urgent first, then oldest first."""
        ready = [(i, e) for i, e in self._entries.items() if e.next_try <= now]
        ready.sort(key=lambda item: (item[1].priority, item[1].first_seen, item[0]))
        return [(i, e.number) for i, e in ready]

    def postpone(self, incident_id: int, now: datetime) -> None:
        """No unit could be assigned this round (none free, or a 409): try again later."""
        entry = self._entries.get(incident_id)
        if entry is not None:
            entry.next_try = now + self.retry

    def forget(self, incident_id: int) -> None:
        """The call was assigned (by us or someone else) or closed."""
        self._entries.pop(incident_id, None)

    def next_due(self) -> datetime | None:
        """When the earliest entry becomes due, so the dispatcher can sleep until then."""
        return min((e.next_try for e in self._entries.values()), default=None)
