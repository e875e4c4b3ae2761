"""One async function per command: load through the unit of work, apply pure rules, commit.

Handlers never talk to HTTP or WebSockets; they return plain results the API layer renders.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dispatch.clock import Clock
from dispatch.domain import commands as cmd
from dispatch.domain import fieldtime, model, nemsis, unit_times
from dispatch.domain.duplicates import (
    CallFacts,
    DuplicateCandidate,
    OpenIncident,
    likely_duplicates,
)
from dispatch.domain.errors import (
    AddressNotFound,
    ConcurrentChange,
    DivertRefused,
    IdempotencyKeyReused,
    InvalidLocation,
    InvalidTriage,
    NotFound,
    PhoneCallAlreadyTaken,
)
from dispatch.domain.events import HospitalStatusChanged
from dispatch.domain.freshness import StaleRule, position_age_s, rank
from dispatch.domain.geo import Extent, Location
from dispatch.domain.hospitals import (
    FEVER_CLINIC,
    DestinationOption,
    EdStatus,
    Hospital,
    rank_destinations,
)
from dispatch.domain.model import Incident, PhoneCallRef, Unit
from dispatch.domain.payloads import incident_view, position_view
from dispatch.domain.text import Text
from dispatch.domain.triage import load_protocol
from dispatch.services import mci
from dispatch.services.ports import (
    Fix,
    Geocoder,
    PositionLog,
    Publisher,
    RoadEta,
    RoadRoute,
    Roads,
    UnitOfWork,
)
from dispatch.surveillance.syndromes import infectious_syndrome

#: Below this geocoder confidence, address text alone does not locate a call: the call-taker
#: must pick a candidate or drop a pin (a wrong street costs minutes; asking costs seconds).
MIN_ADDRESS_SCORE = 0.6
#: An address counts as verified when the geocoder matched it (almost) exactly, not interpolated,
#: or when the call-taker's pin lies within this distance of where the address text resolves.
VERIFIED_SCORE = 0.95
PIN_AGREES_M = 150.0
#: The address of a call placed by pin alone, in the centre's language (the street it snaps to).
NEAR_STREET = Text("near {street}", "{street}附近")


@dataclass(frozen=True, slots=True)
class Deps:
    """Everything a handler may use; built once by ``dispatch.bootstrap``."""

    uow: Any  # a zero-argument factory returning a fresh UnitOfWork
    roads: Roads
    geocoder: Geocoder
    clock: Clock
    publisher: Publisher
    positions: PositionLog
    #: GPS fixes outside it are refused (``outside-map``); None takes any valid coordinate.
    service_area: Extent | None = None
    #: The centre's language (``Settings.language``): words the server itself writes into a
    #: record, such as the "near <street>" address of a call placed by pin only, are stored in it.
    language: str = "en"
    #: A crew device's time older than this is not believed (``GOLDENHOUR_FIELD_TIME_MAX_AGE_S``).
    field_time_max_age_s: float = fieldtime.DEFAULT_MAX_AGE_S
    #: How long a unit stays in decontamination after an infectious transport
    #: (``GOLDENHOUR_DECONTAMINATION_MIN``), unless the crew clears it sooner.
    decontamination_s: float = model.DEFAULT_DECONTAMINATION_S

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
    #: Seconds since the unit's last GPS fix (None: never reported) and whether that is stale.
    position_age_s: float | None = None
    stale: bool = False
    #: The call is suspected infectious and no isolation unit is available: this unit is offered
    #: so the patient is not left without an ambulance, but it cannot isolate (said, not hidden).
    no_isolation_unit: bool = False


@dataclass(frozen=True, slots=True)
class Dispatched:
    incident: Incident
    unit: Unit
    route: RoadRoute | None


@dataclass(frozen=True, slots=True)
class CallAnswer:
    """The new incident as the API shows it; ``replayed`` when an Idempotency-Key matched."""

    incident: dict[str, Any]
    replayed: bool = False


def _replay(found: tuple[str, int, dict[str, Any]], key: cmd.IdempotencyKey) -> CallAnswer:
    request_hash, _, response = found
    if request_hash != key.request_hash:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key.key!r} was used for a different call; use a new key"
        )
    return CallAnswer(response, replayed=True)


async def receive_call(c: cmd.ReceiveCall, deps: Deps) -> CallAnswer:
    """A call-taker logs a call: a map pin wins over address text; the location must be on roads.

    The incident is flagged ``address_verified`` only when the address is backed by the map: an
    exact geocoder match, or address text that resolves within 150 m of the call-taker's pin.

    With an Idempotency-Key, a retried request gets the first answer and never a second incident,
    even when both copies arrive at once: the key is claimed in the incident's own transaction.
    """
    if c.idempotency is not None:
        async with deps.new_uow() as uow:
            found = await uow.idempotency.find(c.idempotency.key)
        if found is not None:
            return _replay(found, c.idempotency)
    location, address = c.location, (c.address or "").strip() or None
    if location is None:
        if address is None:
            raise InvalidLocation("give a location [lon, lat] or an address")
        places = deps.geocoder.search(address, limit=1)
        if not places or places[0].score < MIN_ADDRESS_SCORE:
            raise AddressNotFound(f"No address on this map matches {address!r}", address=address)
        location, address = places[0].location, places[0].label
        verified = places[0].score >= VERIFIED_SCORE and not places[0].interpolated
    elif address is not None:
        places = deps.geocoder.search(address, limit=1)
        verified = bool(places) and (
            places[0].score >= MIN_ADDRESS_SCORE
            and places[0].location.distance_m(location) <= PIN_AGREES_M
        )
    else:
        verified = False
    street = deps.roads.check_on_road(location)
    if address is None and street:
        address = NEAR_STREET.get(deps.language).format(street=street)
    triage = None
    if c.complaint_code is not None:
        triage = load_protocol().triage(c.complaint_code, dict(c.answers))
    priority = c.priority or (triage.priority if triage else None)
    if priority is None:
        raise InvalidTriage("give a priority or a complaint code to triage")
    async with deps.new_uow() as uow:
        now = deps.clock.now()
        phone = await _phone_call(uow, c.phone_call_id, into=None)
        incident = Incident.receive(
            id=await uow.incidents.next_id(),
            location=location,
            address=address,
            complaint=c.complaint.strip(),
            priority=priority,
            at=now,
            address_verified=verified,
            caller=c.caller,
            phone_call=phone,
        )
        if triage is not None:
            incident.apply_triage(triage, at=now)
            if c.priority is not None:  # the call-taker's explicit priority wins over the card
                incident.priority = c.priority
        _flag_by_triage(incident, c.complaint_code, now)
        await uow.incidents.add(incident)
        await uow.calls.add(
            incident_id=incident.id,
            at=now,
            actor=c.actor,
            number=None if c.caller is None else c.caller.number,
            complaint=incident.complaint,
            linked=False,
            phone_call_id=c.phone_call_id,
        )
        view = incident_view(incident)
        if c.idempotency is not None and not await uow.idempotency.claim(
            c.idempotency.key,
            actor=c.actor,
            request_hash=c.idempotency.request_hash,
            status_code=201,
            response=view,
        ):
            found = await uow.idempotency.find(c.idempotency.key)
            assert found is not None, "claim lost to a committed twin"
            return _replay(found, c.idempotency)  # our copy rolls back unseen
        await _commit(uow, c.actor, deps)
    return CallAnswer(view)


async def recommend(
    incident_id: int, limit: int, deps: Deps, stale: StaleRule | None = None
) -> list[Recommendation]:
    """Rank the available, capable units by road travel time to the incident (fastest first).

    With a ``stale`` rule, units whose GPS fix is stale are ranked by their last known position
    with their ETA handicapped by the rule's margin (``dispatch.domain.freshness``), and every
    answer carries its fix's age. The fastest ``limit`` fresh and ``limit`` stale units are
    computed separately, which is enough for the merged top ``limit``.
    """
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(incident_id)
        units = await uow.units.list()
    needs = incident.required_capabilities()
    now = deps.clock.now()
    candidates = [
        u
        for u in units
        if u.status in model.DISPATCHABLE and u.capability in needs and u.position is not None
    ]
    # A suspected infectious call is offered isolation units only. With none available the
    # others are offered each marked ``no_isolation_unit``: said, never silently substituted.
    isolating = [u for u in candidates if u.isolation]
    no_isolation_unit = incident.infectious and not isolating
    if incident.infectious and isolating:
        candidates = isolating
    age = {u.id: position_age_s(u.position_at, now) for u in candidates}
    is_stale = {u.id: stale is not None and stale.is_stale(age[u.id]) for u in candidates}
    found: list[tuple[Unit, RoadEta]] = []
    for group in (
        [u for u in candidates if not is_stale[u.id]],
        [u for u in candidates if is_stale[u.id]],
    ):
        positions = [u.position for u in group if u.position is not None]
        best = deps.roads.best(positions, incident.location, limit, address=incident.address)
        found += [(group[i], eta) for i, eta in best]
    if stale is not None:
        found = rank(
            found, stale, eta_s=lambda f: f[1].duration_s, stale=lambda f: is_stale[f[0].id]
        )
    else:
        found.sort(key=lambda f: f[1].duration_s)
    ranked = []
    for n, (unit, eta) in enumerate(found[:limit], 1):
        assert unit.position is not None
        route = deps.roads.route(unit.position, incident.location, address=incident.address)
        ranked.append(
            Recommendation(
                n,
                unit,
                eta.duration_s,
                eta.distance_m,
                route,
                age[unit.id],
                is_stale[unit.id],
                no_isolation_unit,
            )
        )
    return ranked


async def assign_unit(c: cmd.AssignUnit, deps: Deps) -> Dispatched:
    """Send a unit; row locks make two dispatchers racing for one unit end with exactly one winner.

    Locks are always taken incident first, then unit, in every handler, so they cannot deadlock.
    """
    async with deps.new_uow() as uow:
        peek = await uow.units.get(c.unit_id)
        if peek.status not in model.DISPATCHABLE:
            # Fail fast without queueing on the row lock: someone else already has it.
            raise model.unit_not_available(peek)
        order_id = await uow.assignments.next_id()
        incident = await uow.incidents.get(c.incident_id, lock=True)
        unit = await uow.units.get(c.unit_id, lock=True)
        model.assign(unit, incident, order_id=order_id, at=deps.clock.now())
        route = await _record_order(uow, deps, c.actor, order_id, unit, incident)
        await _commit(uow, c.actor, deps)
    return Dispatched(incident, unit, route)


async def change_unit_status(c: cmd.ChangeUnitStatus, deps: Deps) -> Unit:
    """A crew presses a status button; the unit's incident follows it through its lifecycle."""
    async with deps.new_uow() as uow:
        incident, unit, others = await _lock_unit_with_incident(uow, c.unit_id)
        if not await _first_time(uow, c.unit_id, c.stamp):
            return unit
        order, acknowledged = unit.order_id, unit.order_acknowledged_at
        timing = _device_timing(c.device, unit, deps)
        if incident is not None and c.status in model.UNIT_TRANSITIONS[unit.status]:
            stamps = unit_times.stamps_of_change(unit.status, c.status, released=False)
            timing = timing.flagged(*await _check_times(uow, incident, unit, stamps, timing.at))
        model.change_unit_status(
            unit,
            incident,
            others,
            c.status,
            at=timing.at,
            timing=timing,
            decontamination_s=deps.decontamination_s,
        )
        await mci.follow_unit(uow, unit, timing.at)  # its MCI patients leave / arrive with it
        if order is not None and acknowledged is None and unit.order_acknowledged_at is not None:
            await uow.assignments.acknowledged(order, timing.at)
        await uow.units.save(unit)
        if incident is not None:
            await uow.incidents.save(incident)
        await _commit(uow, c.actor, deps)
    return unit


async def divert_unit(c: cmd.DivertUnit, deps: Deps) -> Dispatched:
    """Pull a unit on its way to one call onto a higher-priority call."""
    async with deps.new_uow() as uow:
        source_id = (await uow.units.get(c.unit_id)).incident_id
        if source_id is None:
            raise DivertRefused("The unit is not on a call; assign it instead")
        if source_id == c.to_incident_id:
            raise DivertRefused("The unit already works that call")
        first, second = sorted({source_id, c.to_incident_id})
        locked = {first: await uow.incidents.get(first, lock=True)}
        locked[second] = await uow.incidents.get(second, lock=True)
        source, target = locked[source_id], locked[c.to_incident_id]
        crew = await uow.units.on_incident(source_id, lock=True)
        unit = next((u for u in crew if u.id == c.unit_id), None)
        if unit is None:
            raise ConcurrentChange("The unit changed call meanwhile; look again")
        others = [u for u in crew if u.id != unit.id]
        order_id = await uow.assignments.next_id()
        model.divert(unit, source, others, target, c.reason, order_id=order_id, at=deps.clock.now())
        route = await _record_order(uow, deps, c.actor, order_id, unit, target)
        await uow.incidents.save(source)
        await _commit(uow, c.actor, deps)
    return Dispatched(target, unit, route)


async def reassign_unit(c: cmd.ReassignUnit, deps: Deps) -> Dispatched:
    """Send ``to_unit`` to an incident in place of ``from_unit`` (which becomes available)."""
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(c.incident_id, lock=True)
        crew = await uow.units.on_incident(incident.id)
        units = {u.id: u for u in await uow.units.lock_many([*(u.id for u in crew), c.to_unit_id])}
        leaving, joining = units.get(c.from_unit_id), units.get(c.to_unit_id)
        if leaving is None or leaving.incident_id != incident.id:
            raise DivertRefused(f"Unit {c.from_unit_id} does not work {incident.number}")
        if joining is None:
            raise NotFound(f"No unit with id {c.to_unit_id}")
        others = [
            u
            for u in units.values()
            if u.id not in (leaving.id, joining.id) and u.incident_id == incident.id
        ]
        order_id = await uow.assignments.next_id()
        model.reassign(
            incident, leaving, joining, others, c.reason, order_id=order_id, at=deps.clock.now()
        )
        route = await _record_order(uow, deps, c.actor, order_id, joining, incident)
        await uow.units.save(leaving)
        await _commit(uow, c.actor, deps)
    return Dispatched(incident, joining, route)


async def _lock_unit_with_incident(
    uow: UnitOfWork, unit_id: int
) -> tuple[Incident | None, Unit, list[Unit]]:
    """Lock (incident first, then its units in id order) a unit and the call it works."""
    incident_id = (await uow.units.get(unit_id)).incident_id
    if incident_id is None:
        free = await uow.units.get(unit_id, lock=True)
        if free.incident_id is not None:
            raise ConcurrentChange(f"Unit {free.call_sign} was assigned meanwhile; try again")
        return None, free, []
    incident = await uow.incidents.get(incident_id, lock=True)
    crew = await uow.units.on_incident(incident_id, lock=True)
    unit = next((u for u in crew if u.id == unit_id), None)
    if unit is None:
        raise ConcurrentChange("The unit changed call meanwhile; try again")
    return incident, unit, [u for u in crew if u.id != unit_id]


async def _record_order(
    uow: UnitOfWork, deps: Deps, actor: str, order_id: int, unit: Unit, incident: Incident
) -> RoadRoute | None:
    """Store the dispatch order with the route the unit is given; save both aggregates."""
    route = None
    if unit.position is not None:
        route = deps.roads.route(unit.position, incident.location, address=incident.address)
    await uow.units.save(unit)
    await uow.incidents.save(incident)
    await uow.assignments.add(
        order_id=order_id,
        incident_id=incident.id,
        unit_id=unit.id,
        at=unit.status_at,
        actor=actor,
        route=route,
    )
    return route


async def report_position(c: cmd.ReportPosition, deps: Deps) -> Unit:
    """A GPS fix from the vehicle: stored durably, then pushed to consoles (coalesced there).

    Fixes are telemetry, not dispatch decisions: they go to the unit's track, not the event log,
    so a fleet reporting every second never queues behind (or in front of) a 911 call. A fix from
    the future (a device clock running fast) is taken as now; an older fix than the one held is
    kept in the track but does not move the unit back. A fix outside the service area (the map
    and a margin) is refused: it would draw an ambulance in another city.
    """
    if deps.service_area is not None:
        deps.service_area.require(c.location)
    now = deps.clock.now()
    at = min(c.reported_at or now, now)
    recorded = await deps.positions.record(Fix(c.unit_id, c.location, at))
    if recorded.accepted:
        await deps.publisher.publish_positions([position_view(recorded.unit)])
    return recorded.unit


async def acknowledge_order(c: cmd.AcknowledgeOrder, deps: Deps) -> Unit:
    """The crew confirms the dispatch order reached them; a repeat is answered, not re-applied."""
    async with deps.new_uow() as uow:
        unit = await uow.units.get(c.unit_id, lock=True)
        timing = _device_timing(c.device, unit, deps)
        if unit.acknowledge(c.order_id, at=timing.at, timing=timing):
            await uow.units.save(unit)
            await uow.assignments.acknowledged(c.order_id, timing.at)
            await _commit(uow, c.actor, deps)
    return unit


def _device_timing(device: cmd.DeviceTime, unit: Unit, deps: Deps) -> fieldtime.FieldTime:
    """The time to record for a crew action: the device's, skew-corrected and bounded (not in
    the future, not before the unit's previous status, not too old), else the server's."""
    now = deps.clock.now()
    offset = device.clock_offset_s
    if offset is None:
        offset = fieldtime.offset_from(device.sent_at, now)
    return fieldtime.accept(
        device.at,
        received_at=now,
        offset_s=offset,
        previous_at=unit.status_at,
        max_age_s=deps.field_time_max_age_s,
    )


async def _check_times(
    uow: UnitOfWork, incident: Incident, unit: Unit, stamps: list[nemsis.Stamp], at: datetime
) -> tuple[str, ...]:
    """The timestamp-order rules (``nemsis.check_entry``) on a unit's new times, against its
    order's other times and the PSAP call: raises when impossible, returns warning flags."""
    if not stamps or unit.order_id is None:
        return ()
    recorded = await uow.assignments.of_order(unit.order_id)
    if recorded is None:
        return ()
    return unit_times.check(unit_times.times_with_call(incident, recorded), stamps, at)


async def _first_time(uow: UnitOfWork, unit_id: int, stamp: cmd.ClientStamp | None) -> bool:
    """False for a replayed crew update (its client sequence number was already applied)."""
    if stamp is None:
        return True
    return await uow.client_cursors.advance(unit_id, stamp.client_id, stamp.client_seq)


async def _commit(uow: UnitOfWork, actor: str, deps: Deps) -> None:
    """Commit state and events together, then hand the stamped events to the publisher.

    Publishing after commit means a console can never see an event whose state did not commit; a
    lost publish is healed by the hub, which fills gaps from the events table.
    """
    records = await uow.commit(actor=actor)
    await deps.publisher.publish(records)


async def cancel_incident(c: cmd.CancelIncident, deps: Deps) -> Incident:
    """Cancel a call; units still on their way are released (incident lock first, then units)."""
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(c.incident_id, lock=True)
        units = await uow.units.on_incident(incident.id, lock=True)
        model.cancel(incident, units, c.reason, at=deps.clock.now())
        for unit in units:
            await uow.units.save(unit)
        await uow.incidents.save(incident)
        await _commit(uow, c.actor, deps)
    return incident


async def add_note(c: cmd.AddNote, deps: Deps) -> Incident:
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(c.incident_id)
        incident.add_note(c.text, author=c.actor, at=deps.clock.now())
        await _commit(uow, c.actor, deps)
    return incident


async def triage_incident(c: cmd.TriageIncident, deps: Deps) -> Incident:
    """Triage (again) as the caller answers more questions; priority follows the protocol."""
    result = load_protocol().triage(c.complaint_code, dict(c.answers))
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(c.incident_id, lock=True)
        now = deps.clock.now()
        incident.apply_triage(result, at=now)
        _flag_by_triage(incident, c.complaint_code, now)
        if incident.infectious:
            for unit in await uow.units.on_incident(incident.id, lock=True):
                unit.infectious_load = True
                await uow.units.save(unit)
        await uow.incidents.save(incident)
        await _commit(uow, c.actor, deps)
    return incident


def _flag_by_triage(incident: Incident, complaint_code: str | None, at: datetime) -> None:
    """Flag the call suspected infectious when the caller's words say fever / respiratory.

    The public-health syndrome map's keywords decide (``dispatch.surveillance``: it knows "no
    fever" is not a fever), not the complaint code alone: every breathing problem is not an
    infection (asthma, anaphylaxis), and sending only isolation units to those would delay them.
    Triage only sets the flag; clearing it is a dispatcher's decision (:func:`flag_infectious`).
    """
    if incident.infectious:
        return
    found = infectious_syndrome(complaint_code, incident.complaint)
    if found is not None:
        incident.flag_infectious(True, found, by="triage", at=at)


async def flag_infectious(c: cmd.FlagInfectious, deps: Deps) -> Incident:
    """A dispatcher sets or clears the suspected-infectious flag by hand, with a reason."""
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(c.incident_id, lock=True)
        units = await uow.units.on_incident(incident.id, lock=True)
        if model.flag_infectious(
            incident, units, c.infectious, c.reason, by="dispatcher", at=deps.clock.now()
        ):
            for unit in units:
                await uow.units.save(unit)
            await uow.incidents.save(incident)
            await _commit(uow, c.actor, deps)
    return incident


async def end_expired_decontamination(deps: Deps) -> list[Unit]:
    """Units whose decontamination time is over become available (the server's periodic task,
    ``dispatch.services.decontamination.DecontaminationWatch``); each gets its events."""
    now = deps.clock.now()
    async with deps.new_uow() as uow:
        due = [u for u in await uow.units.list() if u.decontamination_expired(now)]
        if not due:
            return []
        ended = []
        for unit in await uow.units.lock_many(sorted(u.id for u in due)):
            if unit.decontamination_expired(now):  # the crew may have cleared it meanwhile
                unit.end_decontamination(at=now)
                await uow.units.save(unit)
                ended.append(unit)
        await _commit(uow, "system", deps)
    return ended


async def _phone_call(
    uow: UnitOfWork, phone_call_id: int | None, *, into: Incident | None
) -> PhoneCallRef | None:
    """The phone line call a call-taker took this call on, locked so that two submits of one
    call (a double click, two call-takers on one line) cannot both open an incident from it."""
    if phone_call_id is None:
        return None
    call = await uow.phone_calls.get(phone_call_id, lock=True)
    taken = await uow.calls.incident_of_phone_call(phone_call_id)
    if taken is not None:
        where = "this incident" if into is not None and taken == into.id else f"incident {taken}"
        raise PhoneCallAlreadyTaken(f"phone call {phone_call_id} is already on {where}")
    return PhoneCallRef(call.id, call.received_at)


async def link_call(c: cmd.LinkCall, deps: Deps) -> Incident:
    """A duplicate call joins the open incident's record instead of becoming a new incident."""
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(c.incident_id, lock=True)
        now = deps.clock.now()
        phone = await _phone_call(uow, c.phone_call_id, into=incident)
        incident.link_call(c.caller, c.complaint.strip(), at=now, phone_call=phone)
        await uow.calls.add(
            incident_id=incident.id,
            at=now,
            actor=c.actor,
            number=None if c.caller is None else c.caller.number,
            complaint=c.complaint.strip(),
            linked=True,
            phone_call_id=c.phone_call_id,
        )
        await _commit(uow, c.actor, deps)
    return incident


@dataclass(frozen=True, slots=True)
class IntakeCheck:
    """What the call-taker should see before creating an incident."""

    duplicates: list[tuple[DuplicateCandidate, Incident]]
    repeat_calls: list[tuple[int, datetime]]  # incident id, time of the earlier call


async def check_intake(
    *,
    location: Location | None,
    complaint: str,
    complaint_code: str | None,
    caller_number: str | None,
    accuracy_m: float | None,
    deps: Deps,
    within_m: float = 300.0,
    within_s: float = 1800.0,
    repeat_within_s: float = 6 * 3600.0,
) -> IntakeCheck:
    """Likely duplicates (open incidents nearby, recent, similar) and earlier calls from the
    same phone. Advice only: the call-taker decides whether to link or create."""
    now = deps.clock.now()
    async with deps.new_uow() as uow:
        open_incidents = await uow.incidents.list(open_only=True)
        earlier = []
        if caller_number:
            earlier = await uow.calls.from_number(
                caller_number, now - timedelta(seconds=repeat_within_s)
            )
    found: list[tuple[DuplicateCandidate, Incident]] = []
    if location is not None:
        by_id = {i.id: i for i in open_incidents}
        facts = CallFacts(location, now, complaint_code, complaint, accuracy_m)
        candidates = likely_duplicates(
            facts,
            [
                OpenIncident(
                    i.id, CallFacts(i.location, i.received_at, i.complaint_code, i.complaint)
                )
                for i in open_incidents
            ],
            now=now,
            within_m=within_m,
            within_s=within_s,
            related=load_protocol().related_pairs(),
        )
        found = [(d, by_id[d.incident_id]) for d in candidates]
    return IntakeCheck(found, earlier)


async def update_hospital(c: cmd.UpdateHospital, deps: Deps) -> Hospital:
    """A hospital reports its emergency department status, free beds or capabilities."""
    async with deps.new_uow() as uow:
        current = await uow.hospitals.get(c.hospital_id, lock=True)
        updated = dataclasses.replace(
            current,
            ed_status=current.ed_status if c.ed_status is None else EdStatus(c.ed_status),
            beds_available=(
                current.beds_available if c.beds_available is None else c.beds_available
            ),
            capabilities=current.capabilities if c.capabilities is None else c.capabilities,
            capability_beds=_capability_beds(current, c),
        )
        now = deps.clock.now()
        updated = dataclasses.replace(updated, status_at=now)
        await uow.hospitals.save(updated, now)
        uow.record(
            HospitalStatusChanged(
                occurred_at=now,
                hospital=updated.id,
                hospital_name=updated.name,
                ed_status=updated.ed_status.value,
                beds_available=updated.beds_available,
                capabilities=tuple(sorted(updated.capabilities)),
                capability_beds=dict(sorted(updated.capability_beds.items())),
            )
        )
        await _commit(uow, c.actor, deps)
    return updated


def _capability_beds(current: Hospital, c: cmd.UpdateHospital) -> Mapping[str, int]:
    """The new per-speciality counts: the reported ones, else the old ones minus any for a
    capability the update removes (a count for a ward the hospital no longer has would lie)."""
    if c.capability_beds is not None:
        return dict(c.capability_beds)
    keep = current.capabilities if c.capabilities is None else c.capabilities
    return {k: n for k, n in current.capability_beds.items() if k in keep}


async def recommend_destinations(
    incident_id: int, deps: Deps
) -> tuple[Incident, list[tuple[DestinationOption, Hospital]]]:
    """Hospitals for this patient: by road time from the scene, with the capability the triage
    asks for, skipping closed EDs and preferring open ones to those on diversion."""
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(incident_id)
        hospitals = await uow.hospitals.list()
    etas = deps.roads.durations_from(incident.location, [h.location for h in hospitals])
    by_id = {h.id: h for h in hospitals}
    # A suspected infectious patient goes to a fever clinic, and only to one: an ED without
    # one would put its waiting room at risk (listed as skipped, with why, like every other).
    options = rank_destinations(
        hospitals,
        {h.id: eta for h, eta in zip(hospitals, etas, strict=True)},
        FEVER_CLINIC if incident.infectious else incident.hospital_capability,
        capable_only=incident.infectious,
    )
    return incident, [(o, by_id[o.hospital_id]) for o in options]


async def choose_destination(c: cmd.ChooseDestination, deps: Deps) -> Unit:
    async with deps.new_uow() as uow:
        incident, unit, _ = await _lock_unit_with_incident(uow, c.unit_id)
        hospital = await uow.hospitals.get(c.hospital_id)
        unit.choose_destination(hospital, at=deps.clock.now())
        await uow.units.save(unit)
        if incident is not None:
            await uow.incidents.save(incident)
        await _commit(uow, c.actor, deps)
    return unit


async def set_unit_isolation(c: cmd.SetUnitIsolation, deps: Deps) -> Unit:
    """Record whether a unit can carry a suspected infectious patient in isolation (fleet
    data: the supervisor or the administrator keeps it). Recorded as ``UnitIsolationSet``."""
    async with deps.new_uow() as uow:
        unit = await uow.units.get(c.unit_id, lock=True)
        unit.set_isolation(c.isolation, at=deps.clock.now())
        await uow.units.save(unit)
        await _commit(uow, c.actor, deps)
    return unit


async def relocate_unit(c: cmd.RelocateUnit, deps: Deps) -> Unit:
    """A move-up order from the dispatcher (often one the optimiser suggested).

    Its order id comes from the dispatch orders' sequence, so one acknowledgement path (socket
    ``ack`` or ``POST /units/{id}/orders/{order_id}/ack``) serves both kinds and an id names one
    order only. It has no row in ``assignments`` (which are orders to incidents); the event log
    keeps it: ``UnitRelocated`` with its ``order_id``, then ``OrderAcknowledged``.
    """
    async with deps.new_uow() as uow:
        incident, unit, _ = await _lock_unit_with_incident(uow, c.unit_id)
        if not await uow.stations_exist([c.station_id]):
            raise NotFound(f"No station with id {c.station_id}")
        order_id = await uow.assignments.next_id()
        unit.relocate(c.station_id, order_id=order_id, at=deps.clock.now())
        await uow.units.save(unit)
        await _commit(uow, c.actor, deps)
    return unit
