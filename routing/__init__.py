"""Golden Hour routing: offline road maps, snapping, ETAs, routes, isochrones, geocoding.

A standalone library (it never imports ``dispatch``). Typical use::

    summary = import_map(default_map_path(), Path("var/map"))
    net = RoadNetwork.load(Path("var/map"))
    etas = net.etas([(24.94, 60.17), (24.95, 60.16)], (24.93, 60.17))
    places = net.geocoder.search("Mannerheimintie 5")

Coordinates are WGS84 ``(lon, lat)``; durations are seconds, distances metres.
"""

from . import errors
from .errors import (
    MapCacheError,
    MapImportError,
    NoRouteError,
    OffRoadError,
    RoutingError,
)
from .eta import Eta
from .geocode import Geocoder, Place
from .isochrone import Coverage, Isochrone
from .network import RoadNetwork
from .osm import MapSummary, default_map_path, import_map, import_place
from .pois import Poi
from .profiles import RUSH_HOUR, SpeedProfile, TimeOfDayProfile, TimeWindow
from .route import Route, Step
from .snap import Snap

__all__ = [
    "RUSH_HOUR",
    "Coverage",
    "Eta",
    "Geocoder",
    "Isochrone",
    "MapCacheError",
    "MapImportError",
    "MapSummary",
    "NoRouteError",
    "OffRoadError",
    "Place",
    "Poi",
    "RoadNetwork",
    "Route",
    "RoutingError",
    "Snap",
    "SpeedProfile",
    "Step",
    "TimeOfDayProfile",
    "TimeWindow",
    "default_map_path",
    "errors",
    "import_map",
    "import_place",
]
