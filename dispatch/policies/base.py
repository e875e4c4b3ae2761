"""The policy interface: what a dispatch policy sees, what it decides, and why.

A policy is pure-ish: it reads snapshots (:class:`PendingCall`, :class:`UnitState`) and asks an
:class:`EtaProvider` for road times; it changes nothing. The simulator applies its decisions
through the service handlers; the server can show them to the dispatcher as recommendations
(each :class:`Decision` carries an ``explanation`` dict ready for JSON).

Times are seconds, coordinates WGS84 ``[lon, lat]`` (:class:`dispatch.domain.geo.Location`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from dispatch.domain.geo import Location
from dispatch.domain.model import DISPATCHABLE, Capability, UnitStatus, required_capabilities

F64 = NDArray[np.float64]

#: Statuses in which a unit is on its way to a call and may be diverted to a more urgent one.
DIVERTIBLE = frozenset({UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE})

#: A unit with a stale GPS fix counts this many seconds slower than its ETA from its last known
#: position when compared with fresh units (the rule of ``dispatch.domain.freshness``).
STALE_MARGIN_S = 60.0


@dataclass(frozen=True, slots=True)
class PendingCall:
    """An incident waiting for a unit (no unit assigned, or its unit was diverted away)."""

    incident_id: int
    location: Location
    priority: int
    received_at: datetime
    needs: frozenset[Capability] = frozenset()

    @property
    def capabilities(self) -> frozenset[Capability]:
        """Unit types that may answer (the domain rule unless ``needs`` narrows it)."""
        return self.needs or required_capabilities(self.priority)

    def waited_s(self, now: datetime) -> float:
        return max(0.0, (now - self.received_at).total_seconds())


@dataclass(frozen=True, slots=True)
class UnitState:
    """A unit as a policy sees it.

    ``station_id`` is where the unit is posted (home, or where a move-up sent it); for a unit
    on a call, ``incident_id`` / ``incident_priority`` say which call (divert candidates).
    ``position_age_s`` is the age of its last GPS fix and ``stale`` whether that is too old to
    trust (the simulator's units are never stale).
    """

    unit_id: int
    call_sign: str
    capability: Capability
    status: UnitStatus
    position: Location | None
    station_id: int | None = None
    incident_id: int | None = None
    incident_priority: int | None = None
    at_station: bool = False
    position_age_s: float | None = None
    stale: bool = False

    @property
    def available(self) -> bool:
        return self.status in DISPATCHABLE and self.position is not None

    @property
    def divertible(self) -> bool:
        return (
            self.status in DIVERTIBLE and self.incident_id is not None and self.position is not None
        )


@dataclass(frozen=True, slots=True)
class Station:
    id: int
    name: str
    location: Location
    capacity: int = 4


@dataclass(frozen=True, slots=True)
class Decision:
    """Send ``unit_id`` to ``incident_id``; ``divert_from`` names the call it leaves, if any."""

    incident_id: int
    unit_id: int
    eta_s: float
    policy: str
    divert_from: int | None = None
    explanation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Move:
    """Move-up order: an available unit drives to (and is posted at) ``station_id``."""

    unit_id: int
    station_id: int
    travel_s: float
    explanation: dict[str, Any] = field(default_factory=dict)


class EtaProvider(Protocol):
    """Road travel times. ``matrix`` is ``[destination, origin]`` seconds, ``inf`` where a
    trip is impossible (off-road, no route)."""

    def matrix(self, origins: Sequence[Location], destinations: Sequence[Location]) -> F64: ...


class Policy(Protocol):
    """Decide which units to send now. May leave calls pending (nothing suitable free, or a
    call that may wait is held back); never returns two decisions for one unit or call."""

    name: str

    def choose(
        self,
        pending: Sequence[PendingCall],
        units: Sequence[UnitState],
        eta: EtaProvider,
        now: datetime,
    ) -> list[Decision]: ...


def queue_order(pending: Sequence[PendingCall]) -> list[PendingCall]:
    """Most urgent first, then oldest (the console's queue order)."""
    return sorted(pending, key=lambda c: (c.priority, c.received_at, c.incident_id))


def eligible(call: PendingCall, unit: UnitState) -> bool:
    return unit.capability in call.capabilities


def ranking_times(times: F64, units: Sequence[UnitState], margin_s: float) -> F64:
    """``times`` with each stale unit's column ``margin_s`` longer: what policies compare, never
    what the dispatcher is shown."""
    if not len(units) or margin_s == 0:
        return times
    stale = np.array([u.stale for u in units], dtype=np.float64)
    out: F64 = times + margin_s * stale[None, :]
    return out


def eta_matrix(pending: Sequence[PendingCall], units: Sequence[UnitState], eta: EtaProvider) -> F64:
    """``[call, unit]`` road seconds with ineligible pairs (capability, no position) at ``inf``."""
    if not pending or not units:
        return np.full((len(pending), len(units)), np.inf)
    origins = [u.position for u in units]
    placed = [i for i, p in enumerate(origins) if p is not None]
    out = np.full((len(pending), len(units)), np.inf)
    if placed:
        sub = np.asarray(
            eta.matrix([origins[i] for i in placed], [c.location for c in pending]),  # type: ignore[misc]
            dtype=np.float64,
        )
        out[:, placed] = sub
    for i, call in enumerate(pending):
        for j, unit in enumerate(units):
            if not eligible(call, unit):
                out[i, j] = np.inf
    return out
