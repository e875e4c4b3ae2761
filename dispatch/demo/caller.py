"""The call-taker side: turns the generated call stream into ``POST /incidents`` on time.

The address typed with each call is what the caller said: the crossing of two streets, or,
along a street, the house address nearest the pin where the map has house numbers and the
street's name where it has none (central Shanghai). The pin places the call either way; the
server checks the words against its geocoder (``address_verified``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from datetime import timedelta

import httpx

from dispatch.clock import PacedClock, sleep_until
from dispatch.demo.calls import COMPLAINTS, Call, Complaint, call_stream
from dispatch.demo.client import ApiClient, ApiError, Incident
from dispatch.demo.geometry import Crossing, LonLat, RoadSampler
from dispatch.demo.phone import Phone

log = logging.getLogger("goldenhour.sim")

#: A house address this close to the pin is what a caller along a street gives.
HOUSE_NEAR_M = 30.0


class Caller:
    """Creates one incident per generated call, as the dispatcher would after answering.

    ``on_created`` lets the auto-dispatcher learn of our own calls without waiting for the
    console stream.
    """

    def __init__(
        self,
        api: ApiClient,
        clock: PacedClock,
        roads: RoadSampler,
        *,
        calls_per_minute: float,
        rng: random.Random,
        on_created: Callable[[Incident], None] | None = None,
        phone: Phone | None = None,
        crossings: Sequence[Crossing] = (),
        language: str = "en",
        table: Sequence[Complaint] = COMPLAINTS,
        max_calls: int | None = None,
    ) -> None:
        self.api = api
        self.clock = clock
        self.roads = roads
        self.calls_per_minute = calls_per_minute
        self.rng = rng
        self.on_created = on_created
        self.phone = phone  # rings a line through the telephony interface before each call
        self.crossings = crossings
        self.language = language
        self.table = table  # what callers complain of (the outbreak's callers: one thing)
        self.max_calls = max_calls  # stop after this many calls placed (None: never)

    async def run(self) -> None:
        """Place the calls on time; the first one at once, so a fresh demo is alive immediately
        (Poisson arrivals are memoryless, so shifting the stream changes nothing else)."""
        start = self.clock.now()
        shift: float | None = None
        calls = call_stream(
            self.rng,
            self.calls_per_minute,
            self.roads,
            self.table,
            crossings=self.crossings,
            language=self.language,
        )
        placed = 0
        for call in calls:
            if self.max_calls is not None and placed >= self.max_calls:
                return
            shift = call.at_s if shift is None else shift
            await sleep_until(self.clock, start + timedelta(seconds=call.at_s - shift))
            line, caller = None, None
            if self.phone is not None:
                line = await self.phone.ring(call.location)
                if line is not None:
                    await sleep_until(
                        self.clock, self.clock.now() + timedelta(seconds=self.phone.ring_time_s())
                    )
                    answered = await self.phone.answer(line)
                    shown = None if answered is None else answered.get("caller")
                    if shown:
                        caller = {
                            "number": shown["number"],
                            "location": shown["location"],
                            "accuracy_m": shown["accuracy_m"],
                        }
            try:
                address = await self.address_of(call)
                incident = await self.api.create_incident(
                    call.location, call.complaint, call.priority, caller, address
                )
            except (ApiError, httpx.HTTPError) as exc:
                log.warning("call (%s p%d) not created: %s", call.complaint, call.priority, exc)
                continue
            finally:
                if line is not None and self.phone is not None:
                    await self.phone.hang_up(line)
            log.info(
                "call %s: %s p%d at [%.5f, %.5f]",
                incident["number"],
                call.complaint,
                call.priority,
                call.location[0],
                call.location[1],
            )
            placed += 1
            if self.on_created is not None:
                self.on_created(incident)

    async def address_of(self, call: Call) -> str | None:
        """What the caller says the place is: the two streets at a crossing; along a street,
        the house address at the pin when the map has one there, else the street's name (None
        on an unnamed road: the pin alone places the call then)."""
        if call.at_crossing:
            return call.place
        return await self._nearest_house(call.location) or call.place

    async def _nearest_house(self, point: LonLat) -> str | None:
        try:
            hit = await self.api.reverse(point)
        except (ApiError, httpx.HTTPError) as exc:
            log.warning("no reverse geocoding for a call: %s", exc)
            return None
        if hit is None or hit.get("kind") != "address":
            return None
        distance = hit.get("distance_m")
        if distance is None or float(distance) > HOUSE_NEAR_M:
            return None
        return str(hit["label"])
