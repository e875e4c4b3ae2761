"""Test doubles of the outside world for the service tests: a ticking clock, a small square of
straight roads and a geocoder that knows one address. (The unit of work, bus and position log
are the real in-memory adapters of :mod:`dispatch.adapters.memory`.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from dispatch.domain.errors import OffRoad
from dispatch.domain.geo import Location
from dispatch.services.ports import Place, RoadEta, RoadRoute


class TickingClock:
    """Every reading is one second after the last."""

    def __init__(self) -> None:
        self.t = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


class StraightLineRoads:
    """Roads everywhere within 0.1° of the origin, driven in straight lines at 10 m/s."""

    def check_on_road(self, location: Location) -> str | None:
        if abs(location.lon) > 0.1 or abs(location.lat) > 0.1:
            raise OffRoad("off the fake map")
        return "Test Street"

    def _metres(self, a: Location, b: Location) -> float:
        return ((a.lon - b.lon) ** 2 + (a.lat - b.lat) ** 2) ** 0.5 * 111_000

    def etas(
        self, origins: Sequence[Location], destination: Location, *, address: str | None = None
    ) -> list[RoadEta | None]:
        return [
            RoadEta(self._metres(o, destination) / 10, self._metres(o, destination))
            for o in origins
        ]

    def best(
        self,
        origins: Sequence[Location],
        destination: Location,
        k: int,
        *,
        address: str | None = None,
    ) -> list[tuple[int, RoadEta]]:
        etas = self.etas(origins, destination)
        order = sorted(range(len(origins)), key=lambda i: etas[i].duration_s)  # type: ignore[union-attr]
        return [(i, etas[i]) for i in order[:k]]  # type: ignore[misc]

    def route(
        self, origin: Location, destination: Location, *, address: str | None = None
    ) -> RoadRoute:
        d = self._metres(origin, destination)
        return RoadRoute([origin.as_lonlat(), destination.as_lonlat()], d / 10, d)


class OnePlaceGeocoder:
    def search(self, query: str, *, limit: int = 5) -> list[Place]:
        if "main" in query.lower():
            return [Place("Main Street 1", Location(0.01, 0.01), "address", 0.97)]
        return []
