"""Adapter from the ``routing`` library to the services' ``Roads`` and ``Geocoder`` ports.

The one place where routing's types and errors are translated into the dispatch vocabulary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from dispatch.domain.errors import OffRoad
from dispatch.domain.geo import Location
from dispatch.services.ports import Place, RoadEta, RoadRoute
from routing import Geocoder as MapGeocoder
from routing import Place as MapPlace
from routing import RoadNetwork
from routing.errors import NoRouteError, OffRoadError


class RoadsAdapter:
    def __init__(self, network: RoadNetwork, *, max_snap_distance_m: float) -> None:
        self.network = network
        self._max = max_snap_distance_m

    def check_on_road(self, location: Location) -> str | None:
        try:
            snap = self.network.snap(location.lon, location.lat, max_distance_m=self._max)
        except OffRoadError as exc:
            raise OffRoad(
                f"[{location.lon}, {location.lat}] is {exc.distance_m:.0f} m from the nearest road "
                f"of this map (limit {self._max:.0f} m)"
            ) from exc
        return self.network.graph.name_of(snap.edge) or None

    def etas(self, origins: Sequence[Location], destination: Location) -> list[RoadEta | None]:
        try:
            raw = self.network.etas(
                [(o.lon, o.lat) for o in origins], (destination.lon, destination.lat)
            )
        except OffRoadError as exc:
            raise OffRoad(f"destination is {exc.distance_m:.0f} m from any road") from exc
        return [None if e is None else RoadEta(e.duration_s, e.distance_m) for e in raw]

    def route(self, origin: Location, destination: Location) -> RoadRoute:
        try:
            r = self.network.route((origin.lon, origin.lat), (destination.lon, destination.lat))
        except OffRoadError as exc:
            raise OffRoad(f"a route end is {exc.distance_m:.0f} m from any road") from exc
        except NoRouteError as exc:
            raise OffRoad(str(exc)) from exc
        return RoadRoute(
            [list(c) for c in r.coordinates],
            r.duration_s,
            r.distance_m,
            tuple(step.as_dict() for step in r.steps),
        )

    def durations_from(
        self, origin: Location, destinations: Sequence[Location]
    ) -> list[float | None]:
        if not destinations:
            return []
        try:
            matrix = self.network.matrix(
                [(origin.lon, origin.lat)], [(d.lon, d.lat) for d in destinations]
            )
        except OffRoadError as exc:
            raise OffRoad(f"a point is {exc.distance_m:.0f} m from any road") from exc
        return [None if not math.isfinite(v) else float(v) for v in matrix[:, 0]]

    def best(
        self, origins: Sequence[Location], destination: Location, k: int
    ) -> list[tuple[int, RoadEta]]:
        try:
            ranked = self.network.best(
                [(o.lon, o.lat) for o in origins], (destination.lon, destination.lat), k
            )
        except OffRoadError as exc:
            raise OffRoad(f"destination is {exc.distance_m:.0f} m from any road") from exc
        return [(i, RoadEta(e.duration_s, e.distance_m)) for i, e in ranked]


class GeocoderAdapter:
    def __init__(self, geocoder: MapGeocoder) -> None:
        self._geocoder = geocoder

    def search(self, query: str, *, limit: int = 5) -> list[Place]:
        return [_place(p) for p in self._geocoder.search(query, limit=limit)]

    def reverse(self, location: Location) -> Place | None:
        found = self._geocoder.reverse(location.lon, location.lat)
        return None if found is None else _place(found)


def _place(p: MapPlace) -> Place:
    return Place(p.label, Location(p.lon, p.lat), p.kind, p.score, p.interpolated, p.distance_m)
