"""Demo traffic for ``make demo``: synthetic calls, an auto-dispatcher and crew bots, all API
clients of a running server (the offline simulation of the core is :mod:`dispatch.simulation`).

``run_demo`` is the entry point (``goldenhour simulate`` without ``--offline``). The decision
logic lives in pure modules (``geometry``, ``calls``, ``crew``, ``pending``); I/O lives in
``client``, ``feed``, the bots and ``runner``.
"""

from dispatch.clock import PacedClock, ScaledClock, SystemClock  # re-exported for callers
from dispatch.demo.config import DemoConfig
from dispatch.demo.runner import run_demo

__all__ = ["PacedClock", "ScaledClock", "DemoConfig", "SystemClock", "run_demo"]
