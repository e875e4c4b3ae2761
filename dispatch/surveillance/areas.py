"""Areas that counts are kept for: H3 hexagonal cells (Uber's H3, the ``h3`` package).

Why hexagons first: every map has them, at once and offline, and each cell has six neighbours
at one distance, which is what a space-time scan needs to grow clusters across area borders.
Districts from the OSM administrative boundaries of the imported map are the later step (the
names a health authority uses); they will be one more kind of area id, not a new pipeline.

Resolution 7 is the city-scale choice: cells of about 5.2 km² (edge ~1.4 km), so a city of a
million or two has a few hundred cells, each a neighbourhood seeing a few calls a day in all;
resolution 8 (~0.74 km²) leaves most syndrome series at zero, resolution 6 (~36 km²) is a
district and hides a cluster of a few streets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import h3

#: The H3 resolution of surveillance areas (see the module note).
AREA_RESOLUTION = 7


def cell_of(lon: float, lat: float, resolution: int = AREA_RESOLUTION) -> str:
    """The H3 cell id of a WGS84 point (``[lon, lat]`` order at this interface, as everywhere)."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(f"not a WGS84 position: [{lon}, {lat}]")
    return str(h3.latlng_to_cell(lat, lon, resolution))


def centre(cell: str) -> tuple[float, float]:
    """``(lon, lat)`` of a cell's centre."""
    lat, lon = h3.cell_to_latlng(cell)
    return (lon, lat)


def boundary(cell: str) -> list[list[float]]:
    """The cell outline as a closed GeoJSON ring of ``[lon, lat]`` (for the map layer)."""
    ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(cell)]
    return [*ring, ring[0]]


def disk(cell: str, rings: int) -> list[str]:
    """The cell and every cell within ``rings`` steps, sorted by id."""
    return sorted(str(c) for c in h3.grid_disk(cell, rings))


def distance_m(a: str, b: str) -> float:
    """Great-circle distance between two cell centres, metres."""
    (lon1, lat1), (lon2, lat2) = centre(a), centre(b)
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def nearest_first(cells: Sequence[str]) -> list[list[int]]:
    """For each cell, the indexes of all ``cells`` by distance from it (itself first; ties by
    id, so the order is the same on every machine)."""
    order: list[list[int]] = []
    for a in cells:
        order.append(sorted(range(len(cells)), key=lambda j: (distance_m(a, cells[j]), cells[j])))
    return order
