"""Synthetic emergency calls: when they arrive, where, what and how urgent.

Arrivals form a Poisson process (exponential gaps at the configured rate), the usual model for
independent callers.  Everything is drawn from one seeded ``random.Random``, so a seed names a
reproducible demo: the same seed and roads give the same call stream, call for call.

Callers speak the centre's language (English or Chinese) and say where they are as people do:
at a crossing of two named streets ("延安西路与江苏路"), or on a street. A map without house
numbers (central Shanghai) is thus fully usable: the caller's words are what the geocoder finds.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dispatch.demo.geometry import Crossing, LonLat, RoadSampler
from dispatch.domain.text import Text


@dataclass(frozen=True)
class Complaint:
    """A chief complaint (as the caller says it, in English and Chinese), how often it is called
    in, and its priority mix (1 = critical)."""

    text: str
    weight: float
    priorities: tuple[tuple[int, float], ...]
    zh: str

    def said(self, language: str) -> str:
        """The complaint in the centre's language (``en`` or ``zh``)."""
        return Text(self.text, self.zh).get(language)


COMPLAINTS: tuple[Complaint, ...] = (
    Complaint("chest pain", 10, ((1, 0.8), (2, 0.2)), "胸痛"),
    Complaint("unconscious person", 6, ((1, 1.0),), "有人昏迷不醒"),
    Complaint("breathing difficulty", 9, ((1, 0.45), (2, 0.55)), "呼吸困难"),
    Complaint("cardiac arrest", 2, ((1, 1.0),), "心脏骤停"),
    Complaint("stroke symptoms", 4, ((1, 0.7), (2, 0.3)), "疑似中风，口角歪斜"),
    Complaint("seizure", 4, ((1, 0.3), (2, 0.7)), "抽搐"),
    Complaint("traffic collision", 5, ((1, 0.2), (2, 0.5), (3, 0.3)), "交通事故"),
    Complaint("allergic reaction", 3, ((1, 0.25), (2, 0.75)), "过敏反应"),
    Complaint("overdose", 3, ((1, 0.4), (2, 0.6)), "药物过量"),
    Complaint("diabetic emergency", 3, ((2, 0.6), (3, 0.4)), "糖尿病患者低血糖"),
    Complaint("abdominal pain", 7, ((2, 0.3), (3, 0.7)), "腹痛"),
    Complaint("fall, hip injury", 8, ((3, 1.0),), "跌倒，髋部受伤"),
    Complaint("psychiatric emergency", 3, ((2, 0.3), (3, 0.7)), "精神行为异常"),
    Complaint("fever, elderly person", 4, ((3, 0.5), (4, 0.5)), "老人发热"),
    Complaint("back pain", 4, ((4, 1.0),), "腰背痛"),
    Complaint("minor laceration", 5, ((4, 1.0),), "轻微割伤"),
)
"""A small table shaped like real EMS call mixes: breathing, chest pain and falls dominate."""

#: How a caller names a crossing, per language (the geocoder reads both, and "A and B", "A/B").
CROSSING = Text("{a} & {b}", "{a}与{b}")

#: The share of calls placed at a crossing of two named streets when the map has any; the rest
#: are along a street. Traffic and street emergencies cluster at junctions.
CROSSING_SHARE = 0.3


@dataclass(frozen=True)
class Call:
    """One generated call, ``at_s`` seconds after the start of the simulation.

    ``place`` is where the caller says they are: two crossing streets (``at_crossing``), the
    street they are on, or None on a road without a name (the pin alone locates the call).
    """

    at_s: float
    location: LonLat
    complaint: str
    priority: int
    place: str | None = None
    at_crossing: bool = False


def pick_complaint(
    rng: random.Random, table: Sequence[Complaint] = COMPLAINTS, language: str = "en"
) -> tuple[str, int]:
    """Draw a complaint by call frequency, then its priority from that complaint's mix; the
    complaint as a caller says it in ``language``."""
    complaint = rng.choices(table, weights=[c.weight for c in table])[0]
    levels = [p for p, _ in complaint.priorities]
    weights = [w for _, w in complaint.priorities]
    return complaint.said(language), rng.choices(levels, weights=weights)[0]


def call_stream(
    rng: random.Random,
    calls_per_minute: float,
    roads: RoadSampler,
    table: Sequence[Complaint] = COMPLAINTS,
    *,
    crossings: Sequence[Crossing] = (),
    language: str = "en",
) -> Iterator[Call]:
    """Endless, time-ordered calls at ``calls_per_minute`` on average, in ``language``.

    Each call consumes a fixed pattern of draws from ``rng`` (gap, [crossing or street: one more
    draw when the map has ``crossings``], location, complaint, priority), which keeps the
    stream stable for a seed.
    """
    if calls_per_minute <= 0:
        raise ValueError("calls_per_minute must be positive")
    rate_per_s = calls_per_minute / 60.0
    t = 0.0
    while True:
        t += rng.expovariate(rate_per_s)
        place: str | None
        if crossings and rng.random() < CROSSING_SHARE:
            crossing = crossings[rng.randrange(len(crossings))]
            a, b = crossing.streets
            location, place = crossing.location, CROSSING.get(language).format(a=a, b=b)
            at_crossing = True
        else:
            location, place = roads.sample_on_street(rng)
            at_crossing = False
        complaint, priority = pick_complaint(rng, table, language)
        yield Call(
            at_s=t,
            location=location,
            complaint=complaint,
            priority=priority,
            place=place,
            at_crossing=at_crossing,
        )
