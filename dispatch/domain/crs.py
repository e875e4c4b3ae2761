"""Chinese map datums: WGS-84 <-> GCJ-02 <-> BD-09, converted once where a coordinate enters.

Why this exists: phones and maps sold in mainland China report positions in GCJ-02 (the
"Mars" datum that the state mandates for published maps: WGS-84 plus a non-linear offset of
roughly 100-700 m) or in BD-09 (Baidu's further offset of GCJ-02). Our storage, routing and
every interface speak WGS-84 ``[lon, lat]``. A call located on an Amap or Baidu map and stored
untagged would send the ambulance to the wrong street, so callers' and devices' coordinates are
tagged with their datum and turned into WGS-84 by :func:`to_wgs84` exactly once, at the edge.

The GCJ-02 forward formula is the well-known public reconstruction (Krasovsky 1940 ellipsoid,
a = 6378245 m, e^2 = 0.00669342162296594323); it reproduces the official offset to about a
metre. It has no closed-form inverse, so GCJ-02 -> WGS-84 is solved by fixed-point iteration
on the forward formula until the residual is below 1e-9 degree (about 0.1 mm), far inside the
0.01 m the dispatch core promises. BD-09 <-> GCJ-02 uses Baidu's published rotation-and-scale
formula; its textbook inverse is only good to about a metre, so it is refined the same way.

Outside mainland China no offset exists: the standard coarse bounding box (``out_of_china``:
lon 72.004..137.8347, lat 0.8293..55.8271) decides, and a point outside it is returned as is,
whatever its tag. Caveats, documented rather than hidden: the box is a rectangle, so it also
covers parts of neighbouring countries (where a GCJ-02 tag would be a device bug anyway), and
Hong Kong, Macao and Taiwan lie inside it although their official maps are WGS-84; a device
there that tags WGS-84 correctly is unaffected.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from dispatch.domain.errors import DomainError, InvalidLocation
from dispatch.domain.geo import Location

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
# Baidu's BD-09 constant: pi * 3000 / 180.
_X_PI = math.pi * 3000.0 / 180.0
# Iteration stops when the correction is below this (degrees; 1e-9 deg is ~0.1 mm).
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30

_Forward = Callable[[float, float], tuple[float, float]]


class UnknownCoordinateSystem(DomainError):
    """A coordinate came tagged with a datum we do not know; guessing could move it 700 m."""

    code = "unknown-crs"
    title = "Unknown coordinate reference system"


class CoordinateSystem(StrEnum):
    """The datum a coordinate pair was reported in."""

    WGS84 = "WGS-84"  # GPS, OpenStreetMap, EPSG:4326, everything outside China
    GCJ02 = "GCJ-02"  # Amap/Gaode, Tencent, Apple and Google maps inside China, WeChat location
    BD09 = "BD-09"  # Baidu Maps (its "bd09ll"; Baidu's Mercator metres are not accepted)

    @classmethod
    def parse(cls, value: str | CoordinateSystem) -> CoordinateSystem:
        """Accept the spellings devices and SDKs send (``wgs84``, ``EPSG:4326``, ``gcj02``,
        ``bd09ll`` ...); refuse anything else with :class:`UnknownCoordinateSystem`."""
        if isinstance(value, CoordinateSystem):
            return value
        if not isinstance(value, str):
            raise UnknownCoordinateSystem(f"coordinate system must be a string, not {value!r}")
        key = value.strip().upper().replace("-", "").replace("_", "").replace(" ", "")
        found = _ALIASES.get(key)
        if found is None:
            known = ", ".join(m.value for m in cls)
            raise UnknownCoordinateSystem(f"unknown coordinate system {value!r} (known: {known})")
        return found


_ALIASES: dict[str, CoordinateSystem] = {
    "WGS84": CoordinateSystem.WGS84,
    "EPSG:4326": CoordinateSystem.WGS84,
    "GPS": CoordinateSystem.WGS84,
    "GCJ02": CoordinateSystem.GCJ02,
    "BD09": CoordinateSystem.BD09,
    "BD09LL": CoordinateSystem.BD09,
}


def out_of_china(lon: float, lat: float) -> bool:
    """The customary coarse test: outside this box no datum offset is applied."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Apply the GCJ-02 offset (identity outside China)."""
    if out_of_china(lon, lat):
        return lon, lat
    d_lat = _offset_lat(lon - 105.0, lat - 35.0)
    d_lon = _offset_lon(lon - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Invert the GCJ-02 offset by fixed-point iteration (converges to < 0.1 mm in a few steps).

    The offset varies by well under 1e-3 per degree, so ``w <- w + (g - f(w))`` contracts fast.
    """
    if out_of_china(lon, lat):
        return lon, lat
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Baidu's BD-09 from GCJ-02 (identity outside China, see the module note)."""
    if out_of_china(lon, lat):
        return lon, lat
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 from BD-09: the published approximate inverse, refined by iteration."""
    if out_of_china(lon, lat):
        return lon, lat
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return _invert(gcj02_to_bd09, lon, lat, start=(z * math.cos(theta), z * math.sin(theta)))


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _invert(
    forward: _Forward,
    lon: float,
    lat: float,
    start: tuple[float, float] | None = None,
) -> tuple[float, float]:
    x, y = start if start is not None else (lon, lat)
    for _ in range(_MAX_ITERATIONS):
        fx, fy = forward(x, y)
        dx, dy = lon - fx, lat - fy
        x, y = x + dx, y + dy
        if abs(dx) < _TOLERANCE_DEG and abs(dy) < _TOLERANCE_DEG:
            break
    return x, y


def to_wgs84(lon: float, lat: float, crs: CoordinateSystem | str) -> Location:
    """The one conversion at the edge: a reported ``(lon, lat)`` in ``crs`` as a WGS-84 Location.

    The input is validated as a coordinate first, so a NaN or a swapped pair fails with
    ``invalid-location`` before any arithmetic; an unknown tag fails with ``unknown-crs``.
    """
    system = CoordinateSystem.parse(crs)
    raw = Location(lon, lat)
    if system is CoordinateSystem.GCJ02:
        return Location(*gcj02_to_wgs84(raw.lon, raw.lat))
    if system is CoordinateSystem.BD09:
        return Location(*bd09_to_wgs84(raw.lon, raw.lat))
    return raw


def from_wgs84(location: Location, crs: CoordinateSystem | str) -> tuple[float, float]:
    """A WGS-84 Location as ``(lon, lat)`` in ``crs``, for drawing on a Chinese base map."""
    system = CoordinateSystem.parse(crs)
    if system is CoordinateSystem.GCJ02:
        return wgs84_to_gcj02(location.lon, location.lat)
    if system is CoordinateSystem.BD09:
        return wgs84_to_bd09(location.lon, location.lat)
    return location.lon, location.lat


@dataclass(frozen=True, slots=True)
class ReportedLocation:
    """Where the caller's network or handset says the caller is (ALI-style), kept apart from the
    location the call-taker verifies: it is evidence, with its own datum and uncertainty.

    ``location`` is already WGS-84; ``raw_lon``/``raw_lat``/``crs`` keep what was received so an
    audit can show that the conversion was right. ``accuracy_m`` is the radius of uncertainty
    (a cell-tower fix may be kilometres; a handset GNSS fix metres); ``None`` means not given.
    """

    location: Location
    accuracy_m: float | None
    crs: CoordinateSystem
    raw_lon: float
    raw_lat: float

    @classmethod
    def received(
        cls,
        lon: float,
        lat: float,
        *,
        crs: CoordinateSystem | str = CoordinateSystem.WGS84,
        accuracy_m: float | None = None,
    ) -> ReportedLocation:
        if accuracy_m is not None and not (math.isfinite(accuracy_m) and accuracy_m >= 0):
            raise InvalidLocation(
                f"accuracy radius must be a non-negative number, not {accuracy_m}"
            )
        system = CoordinateSystem.parse(crs)
        return cls(
            location=to_wgs84(lon, lat, system),
            accuracy_m=accuracy_m,
            crs=system,
            raw_lon=lon,
            raw_lat=lat,
        )
