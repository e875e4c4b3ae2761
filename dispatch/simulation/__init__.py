"""Offline discrete-event simulator: the real domain and services, an injected clock, policies.

(:mod:`dispatch.demo` is something else: traffic that drives a running server over HTTP for
``make demo``.) See :mod:`dispatch.simulation.runner` for the entry points.
"""

from dispatch.simulation.runner import SimulationConfig, World, run, run_sync, simulate_once

__all__ = ["SimulationConfig", "World", "run", "run_sync", "simulate_once"]
