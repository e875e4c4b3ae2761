"""Offline discrete-event simulator: the real domain and services, an injected clock, policies.

Not to be confused with :mod:`dispatch.sim`, the live demo that drives a running server over
HTTP. See :mod:`dispatch.simulation.runner` for the entry points.
"""

from dispatch.simulation.runner import SimulationConfig, World, run, run_sync, simulate_once

__all__ = ["SimulationConfig", "World", "run", "run_sync", "simulate_once"]
