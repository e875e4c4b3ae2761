"""Demand zones: where calls come from, as the live advisor and the offline simulation see it.

A density map over the road network: each street segment weighs its length times a road-class
factor (people live along residential streets, not motorways), times the local road density to
the power ``alpha - 1`` (dense street grids are dense neighbourhoods). Address points add weight
as buildings. K-means of points drawn from it gives demand zones with their shares: the coverage
model behind move-up advice and coverage-aware dispatch.

Pure numpy over any object shaped like ``routing.RoadNetwork`` (``graph``, ``geocoder``), so the
policies never import ``routing`` (only :mod:`dispatch.adapters.roads` does).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from dispatch.domain.geo import Location
from dispatch.policies.base import F64

#: Demand weight per metre of road, by OSM highway class.
ROAD_CLASS_WEIGHT: Mapping[str, float] = MappingProxyType(
    {
        "residential": 1.0,
        "living_street": 1.0,
        "pedestrian": 0.8,
        "tertiary": 0.8,
        "unclassified": 0.6,
        "secondary": 0.6,
        "primary": 0.5,
        "road": 0.5,
        "service": 0.3,
        "trunk": 0.1,
        "motorway": 0.03,
    }
)
_LINK_WEIGHT = 0.03
_ADDRESS_WEIGHT_M = 30.0  # one address (building) weighs like 30 m of residential street


@dataclass(frozen=True)
class DensityMap:
    """Weighted segments ``(x0, y0) -> (x1, y1)`` (a point is a segment of length 0)."""

    x0: F64
    y0: F64
    x1: F64
    y1: F64
    weight: F64

    def __post_init__(self) -> None:
        if not len(self.weight) or float(self.weight.sum()) <= 0:
            raise ValueError("a density map needs some positive weight")

    @classmethod
    def from_points(
        cls, points: Sequence[Location], weights: Sequence[float] | None = None
    ) -> DensityMap:
        x = np.array([p.lon for p in points], dtype=np.float64)
        y = np.array([p.lat for p in points], dtype=np.float64)
        w = np.ones(len(points)) if weights is None else np.asarray(weights, dtype=np.float64)
        return cls(x, y, x, y, w)

    @classmethod
    def from_network(
        cls,
        network: object,
        *,
        alpha: float = 1.5,
        cell_m: float = 500.0,
        class_weight: Mapping[str, float] = ROAD_CLASS_WEIGHT,
    ) -> DensityMap:
        """Road (and address) density of a :class:`routing.RoadNetwork`."""
        g = network.graph  # type: ignore[attr-defined]
        edges = g.canonical_edges()
        s, t = g.edge_source[edges], g.edge_target[edges]
        x0, y0 = g.node_lon[s], g.node_lat[s]
        x1, y1 = g.node_lon[t], g.node_lat[t]
        length = g.edge_length_m[edges]
        highway = np.array([_class_weight(h, class_weight) for h in g.highways], dtype=np.float64)
        w = length * highway[g.edge_highway[edges]]
        entries = network.geocoder.entries  # type: ignore[attr-defined]
        addresses = [e for e in entries if e.get("kind") == "address"]
        ax = np.array([float(e["lon"]) for e in addresses], dtype=np.float64)
        ay = np.array([float(e["lat"]) for e in addresses], dtype=np.float64)
        x0, y0 = np.concatenate([x0, ax]), np.concatenate([y0, ay])
        x1, y1 = np.concatenate([x1, ax]), np.concatenate([y1, ay])
        w = np.concatenate([w, np.full(len(ax), _ADDRESS_WEIGHT_M)])
        if alpha != 1.0:
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            lat0 = math.radians(float(np.mean(my)))
            cx = np.floor(mx * 111_195 * math.cos(lat0) / cell_m).astype(np.int64)
            cy = np.floor(my * 111_195 / cell_m).astype(np.int64)
            key = (cx - cx.min()) * (int(cy.max() - cy.min()) + 1) + (cy - cy.min())
            _, inverse = np.unique(key, return_inverse=True)
            cell = np.bincount(inverse, weights=w)
            density = cell[inverse] / max(float(np.median(cell)), 1e-9)
            w = w * np.power(np.maximum(density, 1e-6), alpha - 1.0)
        return cls(x0, y0, x1, y1, w)

    def sample(self, rng: np.random.Generator, n: int) -> list[Location]:
        p = self.weight / self.weight.sum()
        idx = rng.choice(len(p), size=n, p=p)
        f = rng.random(n)
        xs = self.x0[idx] + f * (self.x1[idx] - self.x0[idx])
        ys = self.y0[idx] + f * (self.y1[idx] - self.y0[idx])
        return [Location(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]


def _class_weight(highway: str, table: Mapping[str, float]) -> float:
    first = highway.split(";")[0]
    if first.endswith("_link"):
        return _LINK_WEIGHT
    return float(table.get(first, 0.3))


def kmeans(
    xy: F64, k: int, rng: np.random.Generator, *, iterations: int = 25
) -> tuple[F64, NDArray[np.int64]]:
    """Plain k-means (k-means++ start); returns centres and each point's cluster."""
    n = len(xy)
    k = max(1, min(k, n))
    centres = [xy[int(rng.integers(n))]]
    d2 = ((xy - centres[0]) ** 2).sum(axis=1)
    for _ in range(1, k):
        p = d2 / d2.sum() if d2.sum() > 0 else None
        centres.append(xy[int(rng.choice(n, p=p))])
        d2 = np.minimum(d2, ((xy - centres[-1]) ** 2).sum(axis=1))
    c = np.array(centres)
    label = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        dist = ((xy[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        label = np.argmin(dist, axis=1)
        for j in range(k):
            members = xy[label == j]
            if len(members):
                c[j] = members.mean(axis=0)
    return c, label


def demand_zones(
    network: object, *, zones: int = 40, seed: int = 7, samples: int = 3000
) -> tuple[list[Location], F64]:
    """``zones`` demand centres (k-means of ``samples`` density-weighted points) and each one's
    share of the points (zones that drew no point are dropped)."""
    rng = np.random.default_rng(seed)
    points = DensityMap.from_network(network).sample(rng, samples)
    xy = np.array([[p.lon, p.lat] for p in points])
    centres, label = kmeans(xy, zones, rng)
    counts = np.bincount(label, minlength=len(centres)).astype(np.float64)
    keep = counts > 0
    return [Location(float(x), float(y)) for x, y in centres[keep]], counts[keep]
