"""Straight-line travel times: tests, toy maps and what-if sketches without a road graph.

The road-network implementations of the same ports (``EtaProvider``, ``ZoneTimes``) live in
:mod:`dispatch.adapters.roads`, the one module that imports ``routing``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from dispatch.domain.geo import Location
from dispatch.policies.base import F64


class StraightLineEta:
    """Straight-line distance x ``detour`` at ``speed_mps``: tests and what-if sketches.

    Implements both ``EtaProvider`` and ``ZoneTimes`` (zones given at construction)."""

    def __init__(
        self,
        speed_mps: float = 10.0,
        *,
        detour: float = 1.0,
        zones: Sequence[Location] = (),
    ) -> None:
        self.speed_mps = speed_mps
        self.detour = detour
        self.zones = list(zones)

    def _metres(self, a: Sequence[Location], b: Sequence[Location]) -> F64:
        lat0 = math.radians(sum(p.lat for p in [*a, *b]) / max(1, len(a) + len(b)))
        ax = np.array([[p.lon * math.cos(lat0), p.lat] for p in a]).reshape(-1, 2)
        bx = np.array([[p.lon * math.cos(lat0), p.lat] for p in b]).reshape(-1, 2)
        d = np.hypot(ax[:, None, 0] - bx[None, :, 0], ax[:, None, 1] - bx[None, :, 1])
        out: F64 = d * 111_195.0 * self.detour
        return out

    def matrix(self, origins: Sequence[Location], destinations: Sequence[Location]) -> F64:
        if not origins or not destinations:
            return np.full((len(destinations), len(origins)), np.inf)
        out: F64 = self._metres(destinations, origins) / self.speed_mps
        return out

    def time(self, origin: Location, destination: Location) -> float:
        return float(self.matrix([origin], [destination])[0, 0])

    def to_zones(self, positions: Sequence[Location]) -> F64:
        if not positions:
            return np.zeros((0, len(self.zones)))
        return self.matrix(self.zones, positions)
