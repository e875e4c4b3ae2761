"""Trips of simulated units: how long a drive takes and where the unit is part-way.

:class:`RoadTravel` uses the road network (the same cached reverse searches the policies use,
so a unit's simulated drive takes exactly the ETA a policy was shown); a position part-way is
read off the fastest path, lazily (only when a policy asks where a moving unit is).
:class:`StraightTravel` drives in straight lines at a fixed speed (tests, toy maps).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from dispatch.domain.geo import Location
from dispatch.policies.base import F64, EtaProvider
from dispatch.policies.roadeta import NetworkEta, StraightLineEta
from routing.errors import NoRouteError, OffRoadError


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


@dataclass
class RoadTrip:
    origin: Location
    destination: Location
    duration_s: float
    travel: RoadTravel = field(repr=False)
    _marks: list[float] | None = field(default=None, repr=False)
    _points: list[tuple[float, float]] | None = field(default=None, repr=False)

    def _trace(self) -> None:
        marks: list[float] = [0.0]
        points: list[tuple[float, float]] = [(self.origin.lon, self.origin.lat)]
        try:
            pieces = self.travel.leg(self.origin, self.destination)
        except (NoRouteError, OffRoadError):
            pieces = ()
        g = self.travel.network.graph
        tt = self.travel.network.engine.travel_time_s
        total = sum((b - a) * float(tt[e]) for e, a, b in pieces) or 1.0
        scale = self.duration_s / total
        clock = 0.0
        for e, a, b in pieces:
            s, t = int(g.edge_source[e]), int(g.edge_target[e])
            x0, y0, x1, y1 = g.node_lon[s], g.node_lat[s], g.node_lon[t], g.node_lat[t]
            clock += (b - a) * float(tt[e]) * scale
            marks.append(clock)
            points.append((float(x0 + b * (x1 - x0)), float(y0 + b * (y1 - y0))))
        marks.append(max(clock, self.duration_s))
        points.append((self.destination.lon, self.destination.lat))
        self._marks, self._points = marks, points

    def position(self, elapsed_s: float) -> Location:
        if elapsed_s <= 0:
            return self.origin
        if elapsed_s >= self.duration_s:
            return self.destination
        if self._marks is None:
            self._trace()
        assert self._marks is not None and self._points is not None
        i = bisect.bisect_right(self._marks, elapsed_s)
        i = min(max(i, 1), len(self._marks) - 1)
        t0, t1 = self._marks[i - 1], self._marks[i]
        f = 0.0 if t1 <= t0 else (elapsed_s - t0) / (t1 - t0)
        (x0, y0), (x1, y1) = self._points[i - 1], self._points[i]
        return Location(x0 + f * (x1 - x0), y0 + f * (y1 - y0))


class RoadTravel:
    def __init__(self, eta: NetworkEta) -> None:
        self.eta = eta
        self.network = eta.network

    def leg(self, origin: Location, destination: Location) -> tuple[tuple[int, float, float], ...]:
        search = self.eta.search(destination)
        if search is None:
            return ()
        snap = self.network.snap(origin.lon, origin.lat, max_distance_m=self.eta.max_snap_m)
        return search.leg(snap).pieces

    def trip(self, origin: Location, destination: Location) -> Trip:
        duration = float(self.eta.matrix([origin], [destination])[0, 0])
        if not np.isfinite(duration):
            # An unreachable pair should not happen on a strongly connected map; drive on
            # regardless at 30 km/h so the simulation cannot stall.
            duration = origin.distance_m(destination) / 8.3
        return RoadTrip(origin, destination, duration, self)

    def times(self, origins: Sequence[Location], destination: Location) -> F64:
        out: F64 = self.eta.matrix(origins, [destination])[0]
        return out
