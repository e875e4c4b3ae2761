"""Which OSM ways an ambulance may drive, and how the graph keeps it off private roads.

An ambulance is not a car: it drives into gated communities (``access=private``), business
parks (``customers``, ``destination``) and hospital grounds, whose entrances are mostly
``highway=service`` roads. Leaving those out snaps a call inside them to the nearest public
road, up to a kilometre away. Keeping them in as ordinary roads would send ambulances through
car parks and estates as shortcuts. So they are kept as *restricted* roads, and every way into
the restricted part of the network from a public road costs :data:`ENTRY_PENALTY_S` extra
seconds: a call inside is reached (the last stretch pays the penalty once, like every other
unit's route to the same call, so rankings are fair), while a drive *through* pays it without
gaining anything it could not gain on public roads, unless the detour saved is longer than the
penalty plus the slow service-road speed.

Parking aisles, driveways and car parks (``service=parking_aisle|driveway|parking``) stay out
of the graph: they are numerous (a suburb has one driveway per house), lead nowhere an
ambulance must drive, and would let unit positions snap onto a neighbour's driveway. A call
at the end of a driveway snaps onto the graph road nearest to it (usually the street the
driveway leaves from) or, with its address, onto the street the address names
(:meth:`routing.snap.Snapper.snap_to_street`); the crew covers the driveway itself.

Rules follow OSM's access hierarchy for motor vehicles: the most specific of ``motorcar``,
``motor_vehicle``, ``vehicle``, ``access`` that a way carries decides. ``emergency=yes`` (or
``designated``) opens any way to us, as restricted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "ACCESS_TAGS",
    "DRIVABLE_HIGHWAYS",
    "ENTRY_PENALTY_S",
    "NOT_ROADS",
    "PUBLIC",
    "RESTRICTED",
    "Access",
    "entry_penalties",
    "road_access",
]

Access = Literal["public", "restricted"]
PUBLIC: Access = "public"
RESTRICTED: Access = "restricted"

#: Extra seconds on every edge that enters a restricted road from a public one. A gate or a
#: barrier, a slow hospital drive, finding the right entrance: about a minute in practice. It
#: is added to the edge's travel time (a point part-way along the entry edge pays its share).
ENTRY_PENALTY_S = 60.0

#: Highway classes an ambulance can drive.
DRIVABLE_HIGHWAYS = frozenset(
    (
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    )
)
#: ``service=*`` values that are not roads to route on (see the module docstring).
NOT_ROADS = frozenset(("parking_aisle", "driveway", "parking"))
#: The access keys read, most specific first.
_MODE_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")
#: Every tag the rules read (for readers that need to be told which columns to keep).
ACCESS_TAGS = ("highway", "area", "service", "emergency", *_MODE_KEYS)

_OPEN = frozenset(("yes", "permissive", "designated", "discouraged", "unknown", "official"))
_RESTRICTED = frozenset(("private", "destination", "customers", "delivery", "permit", "residents"))
_EMERGENCY_OPEN = frozenset(("yes", "designated", "official", "permissive"))


def road_access(tags: Mapping[str, Any]) -> Access | None:
    """``"public"``, ``"restricted"`` or ``None`` (not for us) for a way's tags.

    Values may be strings, ``None``/NaN (missing) or lists (a merged edge); a multi-value
    ``private;delivery`` counts by its least open part.
    """
    highway = _first(tags.get("highway"))
    if highway not in DRIVABLE_HIGHWAYS or _first(tags.get("area")) == "yes":
        return None
    if _first(tags.get("service")) in NOT_ROADS:
        return None
    emergency = _values(tags.get("emergency"))
    if "no" in emergency:
        return None
    if emergency and emergency <= _EMERGENCY_OPEN:
        return RESTRICTED
    for key in _MODE_KEYS:
        values = _values(tags.get(key))
        if not values:
            continue
        if values <= _OPEN:
            break
        if values <= _OPEN | _RESTRICTED:
            return RESTRICTED
        return None  # no, agricultural, forestry, bus, ...: closed to ambulances
    return RESTRICTED if highway == "service" else PUBLIC


def entry_penalties(
    source: NDArray[np.int64],
    target: NDArray[np.int64],
    restricted: NDArray[np.bool_],
    node_count: int,
    *,
    penalty_s: float = ENTRY_PENALTY_S,
) -> NDArray[np.float64]:
    """Seconds to add to each edge: ``penalty_s`` on a restricted edge that leaves a node
    touched by a public edge (a way in from the public network), else 0. Leaving a restricted
    area is free, so a unit parked on a hospital drive is not held back."""
    public_node = np.zeros(node_count, dtype=bool)
    public = ~restricted
    public_node[source[public]] = True
    public_node[target[public]] = True
    out: NDArray[np.float64] = np.where(restricted & public_node[source], penalty_s, 0.0)
    return out


def _values(value: object) -> frozenset[str]:
    items = value if isinstance(value, list | tuple) else [value]
    out: set[str] = set()
    for item in items:
        if isinstance(item, str):
            out.update(p.strip().lower() for p in item.split(";") if p.strip())
    return frozenset(out)


def _first(value: object) -> str | None:
    items = value if isinstance(value, list | tuple) else [value]
    for item in items:
        if isinstance(item, str) and item.strip():
            return item.strip().lower()
    return None
