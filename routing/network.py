"""``RoadNetwork``: one loaded map and everything dispatch asks of it.

The facade is what the dispatch adapter holds; it is immutable after loading and safe
to share across threads (each query builds its own search state).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .cache import read_meta
from .eta import Eta, EtaEngine, Headings, Placement
from .geocode import Geocoder
from .graph import RoadGraph
from .isochrone import Coverage, Isochrone, reach_from
from .pois import Poi, PoiSet
from .profiles import SpeedProfile, edge_factors
from .projection import LocalProjection
from .route import Route, build_route
from .snap import DEFAULT_MAX_DISTANCE_M, Snap, Snapper

__all__ = ["RoadNetwork"]

LonLat = tuple[float, float]


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A map loaded from an import cache directory (see :func:`routing.import_map`)."""

    name: str
    bbox: tuple[float, float, float, float]
    """``[west, south, east, north]`` in degrees."""
    center: tuple[float, float]
    graph: RoadGraph = field(repr=False)
    geocoder: Geocoder = field(repr=False)
    poi_set: PoiSet = field(repr=False)
    meta: dict[str, Any] = field(repr=False)
    projection: LocalProjection = field(repr=False)
    snapper: Snapper = field(repr=False)
    engine: EtaEngine = field(repr=False)
    speed_profile: SpeedProfile | None = field(default=None, repr=False)
    """Applied by :meth:`at`; the base engine uses the imported speeds."""
    _variants: dict[tuple[float, ...], EtaEngine] = field(
        default_factory=dict, repr=False, compare=False
    )
    _variants_lock: threading.Lock = field(
        default_factory=threading.Lock, repr=False, compare=False
    )

    @classmethod
    def load(cls, directory: Path, *, speed_profile: SpeedProfile | None = None) -> RoadNetwork:
        """Load a cache; raises MapCacheError if it is missing, partial or outdated.

        ``speed_profile`` (e.g. :data:`routing.profiles.RUSH_HOUR`) is used by :meth:`at`."""
        directory = Path(directory)
        meta = read_meta(directory)
        graph = RoadGraph.load(directory)
        center = (float(meta["center"][0]), float(meta["center"][1]))
        projection = LocalProjection(*center)
        snapper = Snapper(graph, projection)
        engine = EtaEngine(graph, snapper)
        return cls(
            name=str(meta["name"]),
            bbox=(
                float(meta["bbox"][0]),
                float(meta["bbox"][1]),
                float(meta["bbox"][2]),
                float(meta["bbox"][3]),
            ),
            center=center,
            graph=graph,
            geocoder=Geocoder.load(directory),
            poi_set=PoiSet.load(directory),
            meta=meta,
            projection=projection,
            snapper=snapper,
            engine=engine,
            speed_profile=speed_profile,
            _variants={(): engine},
        )

    # -- time of day ------------------------------------------------------------------

    def with_speed_profile(self, profile: SpeedProfile | None) -> RoadNetwork:
        """The same map with another time-of-day profile (shares every array)."""
        base = self._variants.get((), self.engine)
        return dataclasses.replace(self, speed_profile=profile, engine=base, _variants={(): base})

    def at(self, when: datetime) -> RoadNetwork:
        """This map with the speeds of ``when`` under :attr:`speed_profile`: a view
        sharing graph, snapper and geocoder; only edge weights differ (cached per
        distinct set of factors, so switching profiles never rebuilds anything)."""
        if self.speed_profile is None:
            return self
        base = self._variants.get((), self.engine)
        per_class = self.speed_profile.factors(when)
        default = float(per_class.get("*", 1.0))
        key = tuple(float(per_class.get(h, default)) for h in self.graph.highways)
        if all(f == 1.0 for f in key):
            return self if self.engine is base else dataclasses.replace(self, engine=base)
        with self._variants_lock:
            engine = self._variants.get(key)
            if engine is None:
                factors = edge_factors(self.graph, per_class)
                engine = base.with_travel_times(self.graph.edge_travel_time_s * factors)
                self._variants[key] = engine
        return dataclasses.replace(self, engine=engine)

    def snap(
        self, lon: float, lat: float, *, max_distance_m: float = DEFAULT_MAX_DISTANCE_M
    ) -> Snap:
        """Nearest road point; OffRoadError beyond ``max_distance_m``."""
        return self.snapper.snap(lon, lat, max_distance_m=max_distance_m)

    def snap_call(
        self,
        lon: float,
        lat: float,
        address: str | None = None,
        *,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> Snap:
        """Where an ambulance stops for a call at ``(lon, lat)``: on the street that
        ``address`` names when one lies within :data:`routing.snap.NAMED_STREET_RADIUS_M`,
        else on the nearest road. ``distance_m`` is the snap distance (point to road)."""
        if address and address.strip():
            return self.snapper.snap_to_street(lon, lat, address, max_distance_m=max_distance_m)
        return self.snapper.snap(lon, lat, max_distance_m=max_distance_m)

    def street_at(self, snap: Snap) -> str:
        """The name of the road part under a snapped point (merged edges carry several
        names, see routing.roadnames); ``""`` if unnamed."""
        return self.graph.name_at(snap.edge, snap.fraction)

    def snap_many(
        self, points: Sequence[LonLat], *, max_distance_m: float = DEFAULT_MAX_DISTANCE_M
    ) -> list[Snap | None]:
        """Snap many points (vectorised, recent answers cached); None where off-road."""
        return self.engine.snap_many(points, max_distance_m=max_distance_m)

    def etas(
        self,
        origins: Sequence[LonLat],
        destination: LonLat,
        *,
        cutoff_s: float | None = None,
        headings: Headings = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
        address: str | None = None,
    ) -> list[Eta | None]:
        """Road ETA of every origin to ``destination`` (one search); None if off-road
        or beyond ``cutoff_s``. ``headings`` (degrees, None where unknown) keep moving
        units on their direction of travel. ``address``: the call's address text, whose
        street the destination is placed on (:meth:`snap_call`)."""
        if address:
            target = self.snap_call(*destination, address, max_distance_m=max_distance_m)
            placed = self.engine.place(origins, headings=headings, max_distance_m=max_distance_m)
            limit = math.inf if cutoff_s is None else float(cutoff_s)
            return self.engine.search(target, limit=limit).etas_placed(placed)
        return self.engine.etas(
            origins,
            destination,
            cutoff_s=cutoff_s,
            headings=headings,
            max_distance_m=max_distance_m,
        )

    def best(
        self,
        origins: Sequence[LonLat],
        destination: LonLat,
        k: int,
        *,
        cutoff_s: float | None = None,
        headings: Headings = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
        address: str | None = None,
    ) -> list[tuple[int, Eta]]:
        """The ``k`` fastest origins as ``(index, Eta)``, fastest first (bounded search
        that stops once k origins are settled); ``address`` as in :meth:`etas`."""
        if address:
            target = self.snap_call(*destination, address, max_distance_m=max_distance_m)
            placed = self.engine.place(origins, headings=headings, max_distance_m=max_distance_m)
            return self.engine.best_placed(placed, target, k, cutoff_s=cutoff_s)
        return self.engine.best(
            origins,
            destination,
            k,
            cutoff_s=cutoff_s,
            headings=headings,
            max_distance_m=max_distance_m,
        )

    def matrix(
        self,
        origins: Sequence[LonLat],
        destinations: Sequence[LonLat],
        *,
        cutoff_s: float | None = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> NDArray[np.float64]:
        """Durations ``[destination, origin]``, ``inf`` where impossible (for assign)."""
        return self.engine.matrix(
            origins, destinations, cutoff_s=cutoff_s, max_distance_m=max_distance_m
        )

    def route(
        self,
        origin: LonLat,
        destination: LonLat,
        *,
        heading: float | None = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
        address: str | None = None,
    ) -> Route:
        """Fastest route with steps; its duration equals ``etas([origin], destination)``
        (with the same ``address``)."""
        target = self.snap_call(*destination, address, max_distance_m=max_distance_m)
        start = self.snapper.snap(*origin, max_distance_m=max_distance_m)
        leg = self.engine.search(target).leg(start, heading=heading)
        return build_route(
            self.graph, self.projection, leg, start, target, self.engine.travel_time_s
        )

    # -- coverage -----------------------------------------------------------------------

    def isochrones(
        self,
        sources: Sequence[LonLat],
        seconds: Sequence[float],
        *,
        cell_m: float = 100.0,
        demand: Sequence[LonLat] | None = None,
        weights: Sequence[float] | None = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> list[Isochrone]:
        """Areas reachable within each of ``seconds`` from any source (one search),
        with the road (and demand) share covered. Sources off-road are ignored;
        ValueError if none is on the road network."""
        reach = reach_from(self.engine, self._place(sources, max_distance_m), seconds)
        placed = None if demand is None else self._place(demand, max_distance_m)
        return [
            Isochrone(
                seconds=float(t),
                geometry=reach.polygon(float(t), self.projection, cell_m=cell_m),
                coverage=reach.coverage(float(t), demand=placed, weights=weights),
            )
            for t in seconds
        ]

    def coverage(
        self,
        sources: Sequence[LonLat],
        seconds: float,
        *,
        demand: Sequence[LonLat] | None = None,
        weights: Sequence[float] | None = None,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> Coverage:
        """Share of the road network (and of ``demand`` weight) within ``seconds`` of
        any source; no polygon, so cheap enough for an optimiser's inner loop."""
        reach = reach_from(self.engine, self._place(sources, max_distance_m), seconds)
        placed = None if demand is None else self._place(demand, max_distance_m)
        return reach.coverage(float(seconds), demand=placed, weights=weights)

    def _place(self, points: Sequence[LonLat], max_distance_m: float) -> Placement:
        return self.engine.place(points, max_distance_m=max_distance_m)

    def roads_geojson(self) -> dict[str, Any]:
        """Every street segment once (two-way pairs merged) as a GeoJSON FeatureCollection."""
        g = self.graph
        features = []
        for e in g.canonical_edges().tolist():
            lon, lat = g.geometry(e)
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [
                            [round(x, 7), round(y, 7)]
                            for x, y in zip(lon.tolist(), lat.tolist(), strict=True)
                        ],
                    },
                    "properties": {
                        "highway": g.highway_of(e),
                        "name": g.name_of(e) or None,
                        "oneway": bool(g.edge_twin[e] < 0),
                    },
                }
            )
        return {"type": "FeatureCollection", "features": features}

    def pois(self, kind: str | None = None) -> list[Poi]:
        """Hospitals, ambulance and fire stations from the extract (``kind`` filters)."""
        return [p for p in self.poi_set.all() if kind is None or p.kind == kind]
