"""Synthetic emergency calls: when they arrive, where, what and how urgent.

Arrivals form a Poisson process (exponential gaps at the configured rate), the usual model for
independent callers.  Everything is drawn from one seeded ``random.Random``, so a seed names a
reproducible demo: the same seed and roads give the same call stream, call for call.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dispatch.demo.geometry import LonLat, RoadSampler


@dataclass(frozen=True)
class Complaint:
    """A chief complaint, how often it is called in, and its priority mix (1 = critical)."""

    text: str
    weight: float
    priorities: tuple[tuple[int, float], ...]


COMPLAINTS: tuple[Complaint, ...] = (
    Complaint("chest pain", 10, ((1, 0.8), (2, 0.2))),
    Complaint("unconscious person", 6, ((1, 1.0),)),
    Complaint("breathing difficulty", 9, ((1, 0.45), (2, 0.55))),
    Complaint("cardiac arrest", 2, ((1, 1.0),)),
    Complaint("stroke symptoms", 4, ((1, 0.7), (2, 0.3))),
    Complaint("seizure", 4, ((1, 0.3), (2, 0.7))),
    Complaint("traffic collision", 5, ((1, 0.2), (2, 0.5), (3, 0.3))),
    Complaint("allergic reaction", 3, ((1, 0.25), (2, 0.75))),
    Complaint("overdose", 3, ((1, 0.4), (2, 0.6))),
    Complaint("diabetic emergency", 3, ((2, 0.6), (3, 0.4))),
    Complaint("abdominal pain", 7, ((2, 0.3), (3, 0.7))),
    Complaint("fall, hip injury", 8, ((3, 1.0),)),
    Complaint("psychiatric emergency", 3, ((2, 0.3), (3, 0.7))),
    Complaint("fever, elderly person", 4, ((3, 0.5), (4, 0.5))),
    Complaint("back pain", 4, ((4, 1.0),)),
    Complaint("minor laceration", 5, ((4, 1.0),)),
)
"""A small table shaped like real EMS call mixes: breathing, chest pain and falls dominate."""


@dataclass(frozen=True)
class Call:
    """One generated call, ``at_s`` seconds after the start of the simulation."""

    at_s: float
    location: LonLat
    complaint: str
    priority: int


def pick_complaint(rng: random.Random, table: Sequence[Complaint] = COMPLAINTS) -> tuple[str, int]:
    """Draw a complaint by call frequency, then its priority from that complaint's mix."""
    complaint = rng.choices(table, weights=[c.weight for c in table])[0]
    levels = [p for p, _ in complaint.priorities]
    weights = [w for _, w in complaint.priorities]
    return complaint.text, rng.choices(levels, weights=weights)[0]


def call_stream(
    rng: random.Random,
    calls_per_minute: float,
    roads: RoadSampler,
    table: Sequence[Complaint] = COMPLAINTS,
) -> Iterator[Call]:
    """Endless, time-ordered calls at ``calls_per_minute`` on average.

    Each call consumes a fixed pattern of draws from ``rng`` (gap, location, complaint,
    priority), which keeps the stream stable for a seed.
    """
    if calls_per_minute <= 0:
        raise ValueError("calls_per_minute must be positive")
    rate_per_s = calls_per_minute / 60.0
    t = 0.0
    while True:
        t += rng.expovariate(rate_per_s)
        location = roads.sample(rng)
        complaint, priority = pick_complaint(rng, table)
        yield Call(at_s=t, location=location, complaint=complaint, priority=priority)
