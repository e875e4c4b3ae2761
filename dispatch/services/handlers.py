"""One async function per command: load through the unit of work, apply pure rules, commit.

Handlers never talk to HTTP or WebSockets; they return plain results the API layer renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dispatch.domain import commands as cmd
from dispatch.domain import model
from dispatch.domain.errors import AddressNotFound, ConcurrentChange, InvalidLocation
from dispatch.domain.model import Incident, Unit, UnitStatus
from dispatch.services.ports import Clock, Geocoder, Publisher, RoadRoute, Roads, UnitOfWork


@dataclass(frozen=True, slots=True)
class Deps:
    """Everything a handler may use; built once by ``dispatch.bootstrap``."""

    uow: Any  # a zero-argument factory returning a fresh UnitOfWork
    roads: Roads
    geocoder: Geocoder
    clock: Clock
    publisher: Publisher

    def new_uow(self) -> UnitOfWork:
        uow: UnitOfWork = self.uow()
        return uow


@dataclass(frozen=True, slots=True)
class Recommendation:
    rank: int
    unit: Unit
    eta_s: float
    distance_m: float
    route: RoadRoute


@dataclass(frozen=True, slots=True)
class Dispatched:
    incident: Incident
    unit: Unit
    route: RoadRoute | None


async def receive_call(c: cmd.ReceiveCall, deps: Deps) -> Incident:
    """A call-taker logs a call: a map pin wins over address text; the location must be on roads."""
    location, address = c.location, (c.address or "").strip() or None
    if location is None:
        if address is None:
            raise InvalidLocation("give a location [lon, lat] or an address")
        places = deps.geocoder.search(address, limit=1)
        if not places:
            raise AddressNotFound(f"No address on this map matches {address!r}")
        location, address = places[0].location, places[0].label
    street = deps.roads.check_on_road(location)
    if address is None and street:
        address = f"near {street}"
    async with deps.new_uow() as uow:
        incident = Incident.receive(
            id=await uow.incidents.next_id(),
            location=location,
            address=address,
            complaint=c.complaint.strip(),
            priority=c.priority,
            at=deps.clock.now(),
        )
        await uow.incidents.add(incident)
        await _commit(uow, c.actor, deps)
    return incident


async def recommend(incident_id: int, limit: int, deps: Deps) -> list[Recommendation]:
    """Rank the available, capable units by road travel time to the incident (fastest first)."""
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(incident_id)
        units = await uow.units.list()
    needs = model.required_capabilities(incident.priority)
    candidates = [
        u
        for u in units
        if u.status is UnitStatus.AVAILABLE and u.capability in needs and u.position is not None
    ]
    etas = deps.roads.etas([u.position for u in candidates if u.position], incident.location)
    reachable = sorted(
        ((eta.duration_s, u.call_sign, u, eta) for u, eta in zip(candidates, etas, strict=True) if eta),
        key=lambda row: (row[0], row[1]),
    )
    ranked = []
    for rank, (_, _, unit, eta) in enumerate(reachable[:limit], start=1):
        assert unit.position is not None
        route = deps.roads.route(unit.position, incident.location)
        ranked.append(Recommendation(rank, unit, eta.duration_s, eta.distance_m, route))
    return ranked


async def assign_unit(c: cmd.AssignUnit, deps: Deps) -> Dispatched:
    """Send a unit; row locks make two dispatchers racing for one unit end with exactly one winner.

    Locks are always taken incident first, then unit, in every handler, so they cannot deadlock.
    """
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(c.incident_id, lock=True)
        unit = await uow.units.get(c.unit_id, lock=True)
        model.assign(unit, incident, at=deps.clock.now())
        route = None
        if unit.position is not None:
            route = deps.roads.route(unit.position, incident.location)
        await uow.units.save(unit)
        await uow.incidents.save(incident)
        await uow.assignments.add(
            incident_id=incident.id, unit_id=unit.id, at=unit.status_at, actor=c.actor, route=route
        )
        await _commit(uow, c.actor, deps)
    return Dispatched(incident, unit, route)


async def change_unit_status(c: cmd.ChangeUnitStatus, deps: Deps) -> Unit:
    """A crew presses a status button; the unit's incident follows it through its lifecycle."""
    async with deps.new_uow() as uow:
        incident_id = (await uow.units.get(c.unit_id)).incident_id
        incident = None if incident_id is None else await uow.incidents.get(incident_id, lock=True)
        unit = await uow.units.get(c.unit_id, lock=True)
        if unit.incident_id != incident_id:
            raise ConcurrentChange(f"Unit {unit.call_sign} was reassigned meanwhile")
        model.change_unit_status(unit, incident, c.status, at=deps.clock.now())
        await uow.units.save(unit)
        if incident is not None:
            await uow.incidents.save(incident)
        await _commit(uow, c.actor, deps)
    return unit


async def report_position(c: cmd.ReportPosition, deps: Deps) -> Unit:
    """A GPS fix from the vehicle; an older fix than the one held is ignored, not an error."""
    now = deps.clock.now()
    reported = c.reported_at or now
    async with deps.new_uow() as uow:
        unit = await uow.units.get(c.unit_id, lock=True)
        if unit.report_position(c.location, at=min(reported, now)):
            await uow.units.save(unit)
            await _commit(uow, c.actor, deps)
    return unit


async def _commit(uow: UnitOfWork, actor: str, deps: Deps) -> None:
    """Commit state and events together, then hand the stamped events to the publisher.

    Publishing after commit means a console can never see an event whose state did not commit; a
    lost publish is healed by the hub, which fills gaps from the events table.
    """
    records = await uow.commit(actor=actor)
    await deps.publisher.publish(records)
