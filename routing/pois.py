"""Emergency points of interest (hospitals, ambulance and fire stations) from the extract.

They seed the station and hospital lists of a deployment and are searchable by the
geocoder; each is a name and one ``[lon, lat]`` point (a building's representative point).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MapCacheError

__all__ = ["POIS_FILE", "Poi", "PoiSet"]

POIS_FILE = "pois.json"

_DEFAULT_NAMES = {
    "hospital": "Hospital",
    "ambulance_station": "Ambulance station",
    "fire_station": "Fire station",
}


@dataclass(frozen=True, slots=True)
class Poi:
    """One point of interest; ``kind`` is hospital, ambulance_station or fire_station."""

    name: str
    lon: float
    lat: float
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "location": [self.lon, self.lat]}


@dataclass(frozen=True, slots=True)
class PoiSet:
    hospitals: tuple[Poi, ...] = ()
    ambulance_stations: tuple[Poi, ...] = ()
    fire_stations: tuple[Poi, ...] = ()

    def all(self) -> tuple[Poi, ...]:
        return self.hospitals + self.ambulance_stations + self.fire_stations

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        return {
            "hospitals": [p.as_dict() for p in self.hospitals],
            "ambulance_stations": [p.as_dict() for p in self.ambulance_stations],
            "fire_stations": [p.as_dict() for p in self.fire_stations],
        }

    def save(self, directory: Path) -> None:
        (Path(directory) / POIS_FILE).write_text(
            json.dumps(self.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> PoiSet:
        path = Path(directory) / POIS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                **{
                    group: tuple(
                        Poi(
                            str(d["name"]),
                            float(d["location"][0]),
                            float(d["location"][1]),
                            group.removesuffix("s"),
                        )
                        for d in data.get(group, [])
                    )
                    for group in ("hospitals", "ambulance_stations", "fire_stations")
                }
            )
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise MapCacheError(f"cannot read {path}: {exc}") from exc

    @classmethod
    def from_frame(cls, frame: Any) -> PoiSet:
        """From pyrosm's POI GeoDataFrame (``None`` when the extract has none)."""
        groups: dict[str, list[Poi]] = {k: [] for k in _DEFAULT_NAMES}
        if frame is None or len(frame) == 0:
            return cls()
        points = frame.geometry.representative_point()
        for i in range(len(frame)):
            kind = _kind(frame, i)
            pt = points.iloc[i]
            if kind is None or pt is None or pt.is_empty:
                continue
            raw = frame["name"].iloc[i] if "name" in frame.columns else None
            name = raw.strip() if isinstance(raw, str) and raw.strip() else _DEFAULT_NAMES[kind]
            groups[kind].append(Poi(name, float(pt.x), float(pt.y), kind))
        return cls(
            hospitals=tuple(sorted(groups["hospital"], key=lambda p: p.name)),
            ambulance_stations=tuple(sorted(groups["ambulance_station"], key=lambda p: p.name)),
            fire_stations=tuple(sorted(groups["fire_station"], key=lambda p: p.name)),
        )


def _kind(frame: Any, i: int) -> str | None:
    for column, values in (
        ("emergency", ("ambulance_station",)),
        ("amenity", ("hospital", "fire_station")),
    ):
        if column in frame.columns:
            value = frame[column].iloc[i]
            if isinstance(value, str) and value in values:
                return value
            if isinstance(value, float) and math.isnan(value):
                continue
    return None
