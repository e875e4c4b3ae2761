"""``/metrics`` in the Prometheus text format: what this app process's hub heard and emitted.

A registry per app (not the library's global one): tests and tools may build several apps in one
Python process. The counters are read from the hub when scraped, so the hot path only increments
plain integers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from dispatch.hub.hub import HubStats

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class HubCollector(Collector):
    def __init__(self, stats: Callable[[], HubStats]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        s = self._stats()
        heard = CounterMetricFamily(
            "goldenhour_hub_bus_messages",
            "Messages heard from the Redis bus, new or not",
            labels=["kind"],
        )
        heard.add_metric(["event"], s.bus_events)
        heard.add_metric(["positions"], s.bus_positions)
        yield heard
        emitted = CounterMetricFamily(
            "goldenhour_hub_events_emitted",
            "Events pushed to this process's sockets, by where the hub first got them",
            labels=["source"],
        )
        emitted.add_metric(["bus"], s.emitted_from_bus)
        emitted.add_metric(["log"], s.emitted_from_log)
        yield emitted
        yield CounterMetricFamily(
            "goldenhour_hub_polled_positions",
            "Unit positions read from the database while Redis was silent",
            value=s.polled_positions,
        )


def registry_for(stats: Callable[[], HubStats]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)  # collect only when scraped
    registry.register(HubCollector(stats))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
