"""Run an optimiser under a deadline; on timeout or error answer with the fallback instead.

The dispatcher must never wait on a solver: the primary runs in a worker thread and is given
``timeout_s``; if it has not answered (or raised), the fallback's answer is returned and the
reason recorded in each decision's explanation. A stuck worker is abandoned (its executor is
replaced), so one pathological solve cannot delay the next call.

``threaded=False`` runs the primary inline (still falling back on errors, and on overruns
*after the fact*): the simulator uses it so that a run is reproducible whatever the machine.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from dispatch.policies.base import Decision

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class GuardStats:
    calls: int = 0
    fallbacks: int = 0
    timeouts: int = 0
    errors: int = 0
    seconds: list[float] = field(default_factory=list)


class Guard:
    def __init__(self, timeout_s: float | None = 1.0, *, threaded: bool = True) -> None:
        self.timeout_s = timeout_s
        self.threaded = threaded and timeout_s is not None
        self.stats = GuardStats()
        self._pool: cf.ThreadPoolExecutor | None = None

    def _executor(self) -> cf.ThreadPoolExecutor:
        if self._pool is None:
            self._pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="policy-solver")
        return self._pool

    def run(
        self,
        primary: Callable[[], list[Decision]],
        fallback: Callable[[], list[Decision]],
    ) -> list[Decision]:
        self.stats.calls += 1
        started = time.perf_counter()
        reason: str | None = None
        try:
            if self.threaded:
                future = self._executor().submit(primary)
                try:
                    result = future.result(timeout=self.timeout_s)
                except cf.TimeoutError:
                    future.cancel()
                    assert self._pool is not None
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
                    self.stats.timeouts += 1
                    reason = f"solver timeout after {self.timeout_s:.3f} s"
                    result = []
            else:
                result = primary()
        except Exception as exc:  # noqa: BLE001 - any solver failure falls back
            log.warning("policy solver failed, falling back: %r", exc)
            self.stats.errors += 1
            reason = f"solver error: {type(exc).__name__}: {exc}"
            result = []
        self.stats.seconds.append(time.perf_counter() - started)
        if reason is None:
            return result
        self.stats.fallbacks += 1
        return [replace(d, explanation={**d.explanation, "fallback": reason}) for d in fallback()]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
