"""The server ends decontamination when its configured time is over.

Why a periodic task and not a lazy check: the end is an event in the unit's log
(``UnitStatusChanged`` to available, ``DecontaminationEnded`` by ``expiry``) and the consoles
must see the unit come back without anyone touching it, so something must write it when the
time passes. Every ``interval_s`` (30 s: a unit is at most that late back, against an hour of
cleaning) each server process looks for expired units; the row locks and the re-check under
them make two processes end one unit once (``handlers.end_expired_decontamination``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from dispatch.services.handlers import Deps, end_expired_decontamination

log = logging.getLogger("goldenhour.decontamination")

INTERVAL_S = 30.0


class DecontaminationWatch:
    """Runs :func:`end_expired_decontamination` every ``interval_s`` until closed.

    The interval is 30 s, or a tenth of the decontamination time when that is shorter (at
    least 1 s), so a short configured time is not overrun by the watch itself."""

    def __init__(self, deps: Deps, *, interval_s: float | None = None) -> None:
        self._deps = deps
        self._interval_s = interval_s or max(1.0, min(INTERVAL_S, deps.decontamination_s / 10))
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="decontamination-watch")

    async def _run(self) -> None:
        while True:
            try:
                for unit in await end_expired_decontamination(self._deps):
                    log.info("decontamination of %s over: available", unit.call_sign)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop the watch for good
                log.exception("decontamination watch round failed; retrying")
            await asyncio.sleep(self._interval_s)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
