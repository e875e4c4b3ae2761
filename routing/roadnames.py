"""The names along one road edge, part by part.

Graph simplification joins the OSM ways of a chain of degree-2 nodes into one edge: an avenue
that becomes another street at a bend, or an unnamed link between two named streets, is one
edge with several names. Keeping only the first name reported a point on the second street as
being on the first. Each edge instead keeps its *parts*: runs of its polyline under one name,
each starting at a fraction (0..1) of the edge's length from its source node, so the name under
any point snapped onto the edge (:attr:`routing.snap.Snap.fraction`) can be read off.

Stored in :class:`routing.graph.RoadGraph` as three flat arrays, like the geometry:
``part_offsets[e]:part_offsets[e + 1]`` index ``part_start`` (fraction where the part begins,
the first is 0.0) and ``part_name`` (index into ``RoadGraph.names``; 0 is unnamed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .projection import EARTH_RADIUS_M

__all__ = ["name_parts", "segment_fractions"]


def segment_fractions(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """The fraction of the polyline's (haversine) length at each of its vertices."""
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    dlat, dlon = np.diff(lat), np.diff(lon)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(dlon / 2) ** 2
    seg = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    total = cum[-1]
    if total <= 0:
        return np.linspace(0.0, 1.0, len(xy))
    out: NDArray[np.float64] = cum / total
    return out


def name_parts(xy: NDArray[np.float64], segment_names: Sequence[str]) -> list[tuple[float, str]]:
    """``(start fraction, name)`` runs of a polyline whose segment ``i`` (vertex ``i`` to
    ``i + 1``) carries ``segment_names[i]`` (``""`` where unnamed); consecutive segments
    with one name form one part. A name list that does not match the segments gives one
    part under its first name."""
    if len(segment_names) != len(xy) - 1 or len(set(segment_names)) <= 1:
        return [(0.0, next((n for n in segment_names if n), ""))]
    at = segment_fractions(xy)
    parts: list[tuple[float, str]] = []
    for i, name in enumerate(segment_names):
        if not parts or parts[-1][1] != name:
            parts.append((0.0 if not parts else float(at[i]), name))
    return parts


def clean_name(value: Any) -> str:
    """An OSM name value as one string (``""`` for missing/NaN; a list's first name)."""
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if isinstance(item, str) and item.strip():
            return item.strip()
    return ""
