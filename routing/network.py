"""``RoadNetwork``: one loaded map and everything dispatch asks of it.

The facade is what the dispatch adapter holds; it is immutable after loading and safe
to share across threads (each query builds its own search state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import read_meta
from .eta import Eta, EtaEngine
from .geocode import Geocoder
from .graph import RoadGraph
from .pois import Poi, PoiSet
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

    @classmethod
    def load(cls, directory: Path) -> RoadNetwork:
        """Load a cache; raises MapCacheError if it is missing, partial or outdated."""
        directory = Path(directory)
        meta = read_meta(directory)
        graph = RoadGraph.load(directory)
        center = (float(meta["center"][0]), float(meta["center"][1]))
        projection = LocalProjection(*center)
        snapper = Snapper(graph, projection)
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
            engine=EtaEngine(graph, snapper),
        )

    def snap(
        self, lon: float, lat: float, *, max_distance_m: float = DEFAULT_MAX_DISTANCE_M
    ) -> Snap:
        """Nearest road point; OffRoadError beyond ``max_distance_m``."""
        return self.snapper.snap(lon, lat, max_distance_m=max_distance_m)

    def etas(
        self,
        origins: Sequence[LonLat],
        destination: LonLat,
        *,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> list[Eta | None]:
        """Road ETA of every origin to ``destination`` (one search); None if off-road."""
        return self.engine.etas(origins, destination, max_distance_m=max_distance_m)

    def best(
        self,
        origins: Sequence[LonLat],
        destination: LonLat,
        k: int,
        *,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> list[tuple[int, Eta]]:
        """The ``k`` fastest origins as ``(index, Eta)``, fastest first."""
        return self.engine.best(origins, destination, k, max_distance_m=max_distance_m)

    def route(
        self,
        origin: LonLat,
        destination: LonLat,
        *,
        max_distance_m: float = DEFAULT_MAX_DISTANCE_M,
    ) -> Route:
        """Fastest route; its duration equals ``etas([origin], destination)``."""
        target = self.snapper.snap(*destination, max_distance_m=max_distance_m)
        start = self.snapper.snap(*origin, max_distance_m=max_distance_m)
        leg = self.engine.search(target).leg(start)
        return build_route(self.graph, self.projection, leg, start, target)

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
