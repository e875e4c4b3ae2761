"""The call-taker side: turns the generated call stream into ``POST /incidents`` on time."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import timedelta

import httpx

from dispatch.clock import PacedClock, sleep_until
from dispatch.demo.calls import call_stream
from dispatch.demo.client import ApiClient, ApiError, Incident
from dispatch.demo.geometry import RoadSampler
from dispatch.demo.phone import Phone

log = logging.getLogger("goldenhour.sim")


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
    ) -> None:
        self.api = api
        self.clock = clock
        self.roads = roads
        self.calls_per_minute = calls_per_minute
        self.rng = rng
        self.on_created = on_created
        self.phone = phone  # rings a line through the telephony interface before each call

    async def run(self) -> None:
        """Place the calls on time; the first one at once, so a fresh demo is alive immediately
        (Poisson arrivals are memoryless, so shifting the stream changes nothing else)."""
        start = self.clock.now()
        shift: float | None = None
        for call in call_stream(self.rng, self.calls_per_minute, self.roads):
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
                incident = await self.api.create_incident(
                    call.location, call.complaint, call.priority, caller
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
            if self.on_created is not None:
                self.on_created(incident)
