"""Errors raised by the routing library.

Every error carries a machine-readable ``code`` so that an API layer can map it to an
RFC 9457 problem without knowing the routing internals (the codes match ``docs/api.md``).
"""

from __future__ import annotations

__all__ = [
    "MapCacheError",
    "MapImportError",
    "NoRouteError",
    "OffRoadError",
    "RoutingError",
]


class RoutingError(Exception):
    """Base of every routing failure; ``code`` is the stable machine-readable key."""

    code: str = "routing-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OffRoadError(RoutingError):
    """A point is farther from every drivable road than the snapping limit.

    Carries both distances so a caller can tell "just outside the limit" from "wrong city".
    ``distance_m`` is ``inf`` when no road lies within the search radius at all.
    """

    code = "off-road"

    def __init__(self, lon: float, lat: float, *, distance_m: float, max_distance_m: float) -> None:
        self.lon = lon
        self.lat = lat
        self.distance_m = distance_m
        self.max_distance_m = max_distance_m
        near = (
            "no road nearby" if distance_m == float("inf") else f"nearest road {distance_m:.0f} m"
        )
        super().__init__(
            f"Point [{lon:.6f}, {lat:.6f}] is off-road: {near}, limit {max_distance_m:.0f} m"
        )


class MapImportError(RoutingError):
    """An OSM extract could not be turned into a map cache (the previous cache is kept)."""

    code = "map-import-failed"


class MapCacheError(RoutingError):
    """A map cache directory is missing, incomplete or written by an incompatible version."""

    code = "map-cache-invalid"


class NoRouteError(RoutingError):
    """No drivable path joins two snapped points (cannot happen inside one strongly
    connected map, but kept for caches built from other sources)."""

    code = "no-route"
