"""Trips of simulated units: how long a drive takes and where the unit is part-way.

:class:`dispatch.adapters.roads.RoadTravel` implements :class:`TravelModel` on the road network
(the same cached reverse searches the policies use, so a unit's simulated drive takes exactly the
ETA a policy was shown). :class:`StraightTravel` drives in straight lines at a fixed speed
(tests, toy maps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from dispatch.domain.geo import Location
from dispatch.policies.base import F64, EtaProvider
from dispatch.policies.straightline import StraightLineEta


class Trip(Protocol):
    origin: Location
    destination: Location
    duration_s: float

    def position(self, elapsed_s: float) -> Location: ...


class TravelModel(Protocol):
    @property
    def eta(self) -> EtaProvider: ...

    def trip(self, origin: Location, destination: Location) -> Trip: ...

    def times(self, origins: Sequence[Location], destination: Location) -> F64: ...


@dataclass
class StraightTrip:
    origin: Location
    destination: Location
    duration_s: float

    def position(self, elapsed_s: float) -> Location:
        if self.duration_s <= 0:
            return self.destination
        f = min(1.0, max(0.0, elapsed_s / self.duration_s))
        return Location(
            self.origin.lon + f * (self.destination.lon - self.origin.lon),
            self.origin.lat + f * (self.destination.lat - self.origin.lat),
        )


class StraightTravel:
    def __init__(self, eta: StraightLineEta) -> None:
        self.eta = eta

    def trip(self, origin: Location, destination: Location) -> Trip:
        return StraightTrip(origin, destination, self.eta.time(origin, destination))

    def times(self, origins: Sequence[Location], destination: Location) -> F64:
        out: F64 = self.eta.matrix(origins, [destination])[0]
        return out
