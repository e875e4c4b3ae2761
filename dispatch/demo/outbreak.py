"""The demo's outbreak (``make demo OUTBREAK=<seconds>``, ``goldenhour simulate --outbreak-after``).

Two parts, both through the API like every other part of the simulator:

1. **A season of history** (:func:`backfill`): the public-health watch needs a baseline before
   it can call anything unusual, and a fresh demo has none. The same call model the demo's
   callers use (where calls land: uniformly along the roads; what they are: the complaint mix
   of ``dispatch.demo.calls``, classified by the server's syndrome map) is drawn for each of the
   last ``days`` days at ``calls_per_day`` (Poisson), counted per syndrome x H3 cell x day and
   imported as the supervisor (``POST /surveillance/history``). The demo's live rate is the
   history's rate, so ordinary demo calls look ordinary.
2. **The outbreak** (:func:`outbreak_caller`): after a delay, callers from one neighbourhood
   (the roads within ``OUTBREAK_RADIUS_M`` of a point drawn from the seed) report high fever and
   cough, at their own rate, on top of the ordinary calls. The watch's burst test sees the last
   hour's fever calls there against what an hour brings and raises a signal on the consoles.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np

from dispatch.clock import PacedClock
from dispatch.demo.caller import Caller
from dispatch.demo.calls import COMPLAINTS, Complaint
from dispatch.demo.client import ApiClient, Incident
from dispatch.demo.geometry import RoadSampler
from dispatch.surveillance.areas import cell_of
from dispatch.surveillance.export import Row, write_counts_csv
from dispatch.surveillance.syndromes import load_syndrome_map

#: What the outbreak's callers say (the syndrome map reads it as fever/respiratory).
OUTBREAK_COMPLAINT = Complaint("high fever and cough", 1.0, ((2, 0.3), (3, 0.7)), "高烧伴咳嗽")
OUTBREAK_RADIUS_M = 400.0
HISTORY_DAYS = 90


def history_rows(
    roads: RoadSampler,
    *,
    days: int,
    calls_per_day: float,
    today: date,
    seed: int,
    language: str = "en",
) -> list[Row]:
    """Counts per day x syndrome x cell for the ``days`` days before ``today`` (pure)."""
    syndromes = load_syndrome_map()
    syndrome_of = [syndromes.classify(None, c.said(language)).syndrome for c in COMPLAINTS]
    weights = [c.weight for c in COMPLAINTS]
    rng = random.Random(f"{seed}:history")
    counts = np.random.default_rng(seed).poisson(calls_per_day, days)
    keyed: Counter[tuple[date, str, str]] = Counter()
    for back, n in zip(range(days, 0, -1), counts, strict=True):
        day = today - timedelta(days=back)
        picks = rng.choices(range(len(COMPLAINTS)), weights=weights, k=int(n))
        for i in picks:
            lon, lat = roads.sample(rng)
            keyed[(day, syndrome_of[i], cell_of(lon, lat))] += 1
    return sorted((d, s, a, n) for (d, s, a), n in keyed.items())


async def backfill(
    supervisor: ApiClient,
    roads: RoadSampler,
    *,
    days: int,
    calls_per_day: float,
    today: date,
    seed: int,
    language: str = "en",
) -> int:
    """Import the history as the supervisor and run a round of the watch; the rows imported."""
    rows = history_rows(
        roads, days=days, calls_per_day=calls_per_day, today=today, seed=seed, language=language
    )
    await supervisor.request("POST", "/surveillance/history", json={"csv": write_counts_csv(rows)})
    await supervisor.request("POST", "/surveillance/run")
    return len(rows)


def outbreak_caller(
    dispatcher: ApiClient,
    clock: PacedClock,
    roads: RoadSampler,
    *,
    calls_per_minute: float,
    seed: int,
    language: str = "en",
    max_calls: int | None = None,
    on_created: Callable[[Incident], None] | None = None,
) -> Caller:
    """Callers from one neighbourhood, all with fever and cough."""
    centre = roads.sample(random.Random(f"{seed}:outbreak-centre"))
    return Caller(
        dispatcher,
        clock,
        roads.near(centre, OUTBREAK_RADIUS_M),
        calls_per_minute=calls_per_minute,
        rng=random.Random(f"{seed}:outbreak"),
        language=language,
        table=(OUTBREAK_COMPLAINT,),
        max_calls=max_calls,
        on_created=on_created,
    )
