"""The simulated dispatcher: assigns the top recommendation to calls nobody took in time.

It uses exactly the console's endpoints, so it competes fairly with a human: a 409 means the
human (or another process) got that unit first, which is normal; the call is retried next
round with fresh recommendations.  Calls a human already assigned are simply dropped.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from dispatch.clock import PacedClock
from dispatch.demo.client import ApiClient, ApiError, Incident
from dispatch.demo.pending import PendingBoard

log = logging.getLogger("goldenhour.sim")

IDLE_CHECK_S = 5.0
"""Look again at least this often even without news (cheap; keeps retries flowing)."""


class AutoDispatcher:
    """Watches pending calls through ``observe`` and assigns the overdue ones."""

    def __init__(self, api: ApiClient, clock: PacedClock, *, after_s: float, retry_s: float = 5.0):
        self.api = api
        self.clock = clock
        self.board = PendingBoard(grace_s=after_s, retry_s=retry_s)
        self._news = asyncio.Event()
        self._starved: set[int] = set()  # calls already logged as waiting for a free unit

    def observe(self, incident: Incident) -> None:
        """Feed the latest state of an incident (from the console stream or our own POST)."""
        self.board.observe(
            incident["id"],
            incident["number"],
            incident["status"],
            int(incident.get("priority") or 4),
            self.clock.now(),
        )
        self._news.set()

    async def run(self) -> None:
        while True:
            for incident_id, number in self.board.due(self.clock.now()):
                try:
                    await self._try(incident_id, number)
                except (ApiError, httpx.HTTPError) as exc:
                    log.warning("auto-dispatch of %s failed: %s", number, exc)
                    self.board.postpone(incident_id, self.clock.now())
            await self._wait()

    async def _wait(self) -> None:
        """Until the next entry is due, news arrives, or ``IDLE_CHECK_S`` passes."""
        now = self.clock.now()
        due = self.board.next_due()
        delay = IDLE_CHECK_S if due is None else (due - now).total_seconds()
        if delay <= 0:
            return
        self._news.clear()
        news = asyncio.ensure_future(self._news.wait())
        timer = asyncio.ensure_future(self.clock.sleep(delay))
        try:
            await asyncio.wait({news, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (news, timer):
                task.cancel()

    async def _try(self, incident_id: int, number: str) -> None:
        now = self.clock.now()
        incident = await self.api.incident(incident_id)
        if incident["status"] != "pending" or incident.get("unit_ids"):
            self.board.forget(incident_id)  # a human (or we, earlier) already acted
            return
        recommendations = await self.api.recommendations(incident_id)
        if not recommendations:
            if incident_id not in self._starved:
                self._starved.add(incident_id)
                log.info("%s waits: no unit to recommend", number)
            self.board.postpone(incident_id, now)
            return
        top = recommendations[0]
        try:
            assignment = await self.api.assign(incident_id, top["unit"]["id"])
        except ApiError as exc:
            if exc.status != 409:
                raise
            log.info(
                "%s: %s taken meanwhile (%s); retrying", number, top["unit"]["call_sign"], exc.code
            )
            self.board.postpone(incident_id, now)
            return
        self.board.forget(incident_id)
        self._starved.discard(incident_id)
        eta = assignment.get("eta_s") or top.get("eta_s")
        log.info(
            "auto-dispatch %s -> %s (eta %s s)",
            assignment["unit"]["call_sign"],
            number,
            "?" if eta is None else f"{eta:.0f}",
        )
