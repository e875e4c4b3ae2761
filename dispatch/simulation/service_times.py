"""Service-time distributions: call processing, chute (turnout), on scene, hospital turnaround.

A distribution is written ``kind:params`` (CLI and JSON friendly):

- ``fixed:60``                   always 60 s
- ``uniform:30,90``              between 30 and 90 s
- ``exponential:600``            mean 600 s
- ``lognormal:1200,480``         mean 1200 s, standard deviation 480 s
- ``gamma:1200,480``             mean 1200 s, standard deviation 480 s

A bare number means ``fixed``. Every sample is clipped at 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class Distribution:
    kind: str
    a: float
    b: float = 0.0

    @classmethod
    def parse(cls, spec: str | float | int | Distribution) -> Distribution:
        if isinstance(spec, Distribution):
            return spec
        if isinstance(spec, int | float):
            return cls("fixed", float(spec))
        kind, _, params = spec.partition(":")
        kind = kind.strip().lower()
        if not params:
            try:
                return cls("fixed", float(kind))
            except ValueError:
                raise ValueError(f"bad distribution {spec!r}") from None
        values = [float(v) for v in params.split(",")]
        need = {"fixed": 1, "exponential": 1, "uniform": 2, "lognormal": 2, "gamma": 2}
        if kind not in need or len(values) != need[kind]:
            raise ValueError(f"bad distribution {spec!r} (see dispatch.simulation.service_times)")
        if any(v < 0 for v in values):
            raise ValueError(f"negative parameter in {spec!r}")
        return cls(kind, values[0], values[1] if len(values) > 1 else 0.0)

    @property
    def mean(self) -> float:
        if self.kind == "uniform":
            return (self.a + self.b) / 2
        return self.a

    def sample(self, rng: np.random.Generator) -> float:
        kind, a, b = self.kind, self.a, self.b
        if kind == "fixed":
            value = a
        elif kind == "uniform":
            value = rng.uniform(a, b)
        elif kind == "exponential":
            value = rng.exponential(a) if a > 0 else 0.0
        elif kind == "lognormal":
            if a <= 0:
                return 0.0
            sigma2 = math.log(1 + (b / a) ** 2)
            value = rng.lognormal(math.log(a) - sigma2 / 2, math.sqrt(sigma2))
        elif kind == "gamma":
            if a <= 0:
                return 0.0
            if b <= 0:
                return a
            shape = (a / b) ** 2
            value = rng.gamma(shape, a / shape)
        else:  # pragma: no cover - parse() refuses other kinds
            raise ValueError(kind)
        return max(0.0, float(value))

    def __str__(self) -> str:
        return f"{self.kind}:{self.a:g}" + (
            f",{self.b:g}" if self.kind in ("uniform", "lognormal", "gamma") else ""
        )


def _d(spec: str) -> Distribution:
    return Distribution.parse(spec)


@dataclass(frozen=True)
class ServiceTimes:
    """How long each step of a call takes (seconds), and how often patients are transported.

    ``processing``: call received to ready for dispatch (call-taking, triage);
    ``chute``: order to wheels rolling, for a unit at its station (``chute_mobile`` when it is
    already on the road); ``on_scene``: arrival to leaving scene; ``turnaround``: at hospital
    until available again. Travel times come from the road network.
    """

    processing: Distribution = field(default_factory=lambda: _d("lognormal:75,30"))
    chute: Distribution = field(default_factory=lambda: _d("lognormal:60,20"))
    chute_mobile: Distribution = field(default_factory=lambda: _d("fixed:10"))
    on_scene: Distribution = field(default_factory=lambda: _d("lognormal:1200,480"))
    turnaround: Distribution = field(default_factory=lambda: _d("lognormal:1200,600"))
    transport: Mapping[int, float] = field(
        default_factory=lambda: {1: 0.85, 2: 0.75, 3: 0.6, 4: 0.4}
    )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ServiceTimes:
        known = {"processing", "chute", "chute_mobile", "on_scene", "turnaround", "transport"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"unknown service-time keys: {sorted(unknown)}")
        kwargs: dict[str, Any] = {
            k: Distribution.parse(v) for k, v in raw.items() if k != "transport"
        }
        if "transport" in raw:
            kwargs["transport"] = {int(p): float(v) for p, v in raw["transport"].items()}
        return cls(**kwargs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "processing": str(self.processing),
            "chute": str(self.chute),
            "chute_mobile": str(self.chute_mobile),
            "on_scene": str(self.on_scene),
            "turnaround": str(self.turnaround),
            "transport": {str(k): v for k, v in sorted(self.transport.items())},
        }


@dataclass(frozen=True, slots=True)
class CallTimes:
    """The service times of one call, drawn when the call is created (so every policy run on
    the same seed sees the same patient needing the same care)."""

    processing_s: float
    chute_s: float
    chute_mobile_s: float
    on_scene_s: float
    transport: bool
    turnaround_s: float


def draw(times: ServiceTimes, priority: int, rng: np.random.Generator) -> CallTimes:
    return CallTimes(
        processing_s=times.processing.sample(rng),
        chute_s=times.chute.sample(rng),
        chute_mobile_s=times.chute_mobile.sample(rng),
        on_scene_s=times.on_scene.sample(rng),
        transport=bool(rng.random() < times.transport.get(priority, 0.6)),
        turnaround_s=times.turnaround.sample(rng),
    )
