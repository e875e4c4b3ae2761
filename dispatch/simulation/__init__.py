"""Offline discrete-event simulator: the real domain and services, an injected clock, policies.

Not to be confused with :mod:`dispatch.sim`, the live demo that drives a running server over
HTTP. See :mod:`dispatch.simulation.runner` for the entry points.
"""
