"""From detections to signals: alert levels, and one open signal per outbreak, not one per day.

A detector reports a :class:`Detection` for each day a series (or a cluster) is above its
threshold. A supervisor wants one line per thing happening: "fever/respiratory in these cells,
since Tuesday, 14 observed vs 5.2 expected, alert", so :class:`SignalBook` folds detections of
the same syndrome and method whose areas overlap into one open :class:`Signal`, keeps "since",
updates the latest observed/expected, raises the level to the highest seen, and closes the
signal after ``quiet_days`` days without a detection. A later detection opens a new signal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum


class Level(StrEnum):
    """``warning``: worth a look. ``alert``: the method's published threshold is crossed."""

    WARNING = "warning"
    ALERT = "alert"


def _rank(level: Level) -> int:
    return 2 if level is Level.ALERT else 1


@dataclass(frozen=True, slots=True)
class Detection:
    """One method's finding on one day: the areas it covers (one cell for a per-area method, a
    cluster for the scan), the observed and expected counts, and the method's statistic."""

    method: str
    syndrome: str
    areas: frozenset[str]
    day: date
    observed: float
    expected: float
    statistic: float
    level: Level
    first_day: date | None = None  # the cluster's first day, when the method finds one


@dataclass(frozen=True, slots=True)
class Signal:
    """One deduplicated signal. ``areas`` grows as the signal's detections cover more cells."""

    id: int
    method: str
    syndrome: str
    areas: frozenset[str]
    since: date
    last_seen: date
    observed: float
    expected: float
    statistic: float
    level: Level
    days: int = 1

    @property
    def key(self) -> tuple[str, str]:
        return (self.syndrome, self.method)


@dataclass
class SignalBook:
    """Open and closed signals; feed it each day's detections in day order."""

    quiet_days: int = 3
    open: list[Signal] = field(default_factory=list)
    closed: list[Signal] = field(default_factory=list)
    _next_id: int = 1

    def update(self, day: date, detections: Iterable[Detection]) -> list[Signal]:
        """Apply one day's detections; returns the signals *opened* that day."""
        opened: list[Signal] = []
        for d in sorted(detections, key=lambda d: (d.syndrome, d.method, sorted(d.areas))):
            if d.day != day:
                raise ValueError(f"a detection of {d.day} fed on {day}")
            match = next(
                (
                    i
                    for i, s in enumerate(self.open)
                    if s.key == (d.syndrome, d.method) and s.areas & d.areas
                ),
                None,
            )
            if match is None:
                signal = Signal(
                    id=self._next_id,
                    method=d.method,
                    syndrome=d.syndrome,
                    areas=d.areas,
                    since=d.first_day or d.day,
                    last_seen=d.day,
                    observed=d.observed,
                    expected=d.expected,
                    statistic=d.statistic,
                    level=d.level,
                )
                self._next_id += 1
                self.open.append(signal)
                opened.append(signal)
                continue
            s = self.open[match]
            self.open[match] = replace(
                s,
                areas=s.areas | d.areas,
                last_seen=d.day,
                observed=d.observed,
                expected=d.expected,
                statistic=d.statistic,
                level=d.level if _rank(d.level) > _rank(s.level) else s.level,
                days=s.days + (d.day != s.last_seen),
            )
        still: list[Signal] = []
        for s in self.open:
            (still if (day - s.last_seen).days < self.quiet_days else self.closed).append(s)
        self.open = still
        return opened
