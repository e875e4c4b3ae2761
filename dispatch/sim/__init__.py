"""Demo simulator: synthetic calls, an auto-dispatcher and crew bots, all API clients.

``run_simulation`` is the entry point (``goldenhour simulate``).  The decision logic lives in
pure modules (``geometry``, ``calls``, ``crew``, ``pending``); I/O lives in ``client``,
``feed``, the bots and ``runner``.
"""

from dispatch.sim.clock import Clock, ScaledClock, SystemClock
from dispatch.sim.config import SimConfig
from dispatch.sim.runner import run_simulation

__all__ = ["Clock", "ScaledClock", "SimConfig", "SystemClock", "run_simulation"]
