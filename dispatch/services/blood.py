"""Emergency blood supply (issue 19): the commands and reads behind ``/blood/...``.

One async function per command, like ``dispatch.services.mci``: load through the unit of work,
apply the pure rules of ``dispatch.domain.blood``, hand the events to ``uow.record`` and commit,
then publish. Rows (``dispatch.store.blood``) and events commit together.

A request is allocated the moment it arrives, inside the transaction that stores it and under
row locks on every lot that could serve it (:meth:`SqlBloodRepository.lock_lots`): first expiry
first out, identical group first, compatible substitutes after (the domain's table). What cannot
be served is stored **waitlisted** with the reason and how many compatible units there were, and
nothing is held for it: it never holds units another patient could use while it waits.

The courier plan is advice and is never stored: it is computed on request from the open jobs,
the reserved requests still without a courier, and the registered couriers free now.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from dispatch.domain import blood as b
from dispatch.domain.errors import DomainError, NotFound, UnitNotAvailable
from dispatch.domain.events import Event
from dispatch.domain.geo import Location
from dispatch.domain.model import DISPATCHABLE, UnitStatus
from dispatch.domain.text import Text
from dispatch.policies.base import F64
from dispatch.policies.blood_plan import BloodPlan, BloodPlanner, Courier, PlanJob
from dispatch.services.ports import (
    BloodBank,
    RequestStatus,
    Roads,
    StoredBloodRequest,
    UnitOfWork,
)

if TYPE_CHECKING:
    from dispatch.services.handlers import Deps


# -- errors ------------------------------------------------------------------------------


class BloodBankExists(DomainError):
    code = "blood-bank-exists"
    title = "A blood bank with this code or name exists"


class NotACourier(DomainError):
    """The unit is not registered to carry blood, or lacks the box (or room) the product needs."""

    code = "not-a-courier"
    title = "Unit cannot carry this blood"


class RequestNotReserved(DomainError):
    """A courier is assigned only to a request whose units are reserved and not yet sent."""

    code = "request-not-reserved"
    title = "Blood request has no units waiting for a courier"


class AmbulanceNotOffered(DomainError):
    """Ambulances are for patients: one carries blood only for a life-threatening bleed."""

    code = "ambulance-not-offered"
    title = "An ambulance carries blood only for a life-threatening bleed"


#: What an ambulance carries blood in when the dispatcher sends one (no courier registration):
#: the cool box every ambulance has for fluids, and room at room temperature; no freezer, so
#: never plasma or cryoprecipitate, which travel frozen.
AMBULANCE_BOXES: dict[b.Box, int] = {b.Box.COOL: 6, b.Box.FROZEN: 0, b.Box.AMBIENT: 4}


class NotYourJob(DomainError):
    """A crew moving a delivery its unit does not carry (the API answers 403)."""

    code = "not-your-job"
    title = "This delivery is not your unit's"


# -- commands ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddBank:
    actor: str
    code: str
    name: str
    location: Location


@dataclass(frozen=True, slots=True)
class SetStock:
    actor: str
    bank_id: int
    lot: str
    product: b.Product
    group: b.AboRh
    units: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ImportStock:
    actor: str
    csv: str


@dataclass(frozen=True, slots=True)
class RequestBlood:
    actor: str
    hospital_id: int
    product: b.Product
    group: b.AboRh
    units: int
    urgency: b.Urgency
    deadline: datetime | None = None
    #: a bleeding patient may take what there is now (the rest is not waitlisted: ask again)
    accept_partial: bool = False


@dataclass(frozen=True, slots=True)
class RegisterCourier:
    actor: str
    unit_id: int
    cool: int
    frozen: int
    ambient: int


@dataclass(frozen=True, slots=True)
class AssignCourier:
    actor: str
    request_id: int
    unit_id: int


@dataclass(frozen=True, slots=True)
class SendAmbulance:
    """The dispatcher's choice when no courier can meet a life-threatening deadline."""

    actor: str
    request_id: int
    unit_id: int


@dataclass(frozen=True, slots=True)
class ReassignJob:
    """Another courier takes a delivery not yet picked up (the first broke down, or the plan
    found a better one)."""

    actor: str
    job_id: int
    unit_id: int
    reason: str


@dataclass(frozen=True, slots=True)
class PickUp:
    actor: str
    unit_id: int  # the unit in the path: a crew's own (the policy table checks it)
    job_id: int


@dataclass(frozen=True, slots=True)
class Handover:
    actor: str
    hospital_id: int  # the hospital in the path: the login's own (the policy table checks it)
    job_id: int
    received_by: str


@dataclass(frozen=True, slots=True)
class RequestView:
    stored: StoredBloodRequest
    lines: list[b.AllocationLine]
    jobs: list[b.DeliveryJob]
    contexts: dict[int, JobContext] = field(default_factory=dict)


# -- handlers ----------------------------------------------------------------------------


async def add_bank(c: AddBank, deps: Deps) -> BloodBank:
    async with deps.new_uow() as uow:
        now = deps.clock.now()
        bank_id = await uow.blood.add_bank(c.code, c.name, c.location, now)
        if bank_id is None:
            raise BloodBankExists(f"a blood bank named {c.name!r} or coded {c.code!r} exists")
        event = b.BloodBankAdded(
            occurred_at=now,
            bank=bank_id,
            code=c.code,
            bank_name=c.name,
            location=(c.location.lon, c.location.lat),
        )
        await _commit(uow, c.actor, deps, [event])
    return BloodBank(bank_id, c.code, c.name, c.location)


async def set_stock(c: SetStock, deps: Deps) -> b.StockLot:
    """One lot's free units, as counted at the bank (overwrites; units held for requests are
    not part of it)."""
    now = deps.clock.now()
    lot = b.StockLot(c.lot.strip(), c.bank_id, c.product, c.group, c.units, c.expires_at)
    if not lot.in_date(now):
        raise b.InvalidStockLot(f"lot {lot.lot_id} expired at {lot.expires_at.isoformat()}")
    async with deps.new_uow() as uow:
        await uow.blood.bank(c.bank_id)
        previous = await uow.blood.set_lot(lot, now)
        await _commit(uow, c.actor, deps, [_stock_set(lot, previous, now, "api")])
    await allocate_waitlist(deps, c.actor)
    return lot


async def import_stock(c: ImportStock, deps: Deps) -> list[b.StockLot]:
    """Every lot of the file or none: a bad cell anywhere refuses the file
    (``stock-import-refused``, with every row, column and reason) and nothing is written."""
    now = deps.clock.now()
    async with deps.new_uow() as uow:
        banks = {bank.code: bank.id for bank in await uow.blood.banks()}
        lots = b.parse_stock_csv(c.csv, banks=banks, now=now)
        events: list[Event] = []
        for lot in lots:
            previous = await uow.blood.set_lot(lot, now)
            events.append(_stock_set(lot, previous, now, "csv"))
        events.append(
            b.BloodStockImported(
                occurred_at=now,
                banks=tuple(sorted({lot.bank_id for lot in lots})),
                lots=len(lots),
                units=sum(lot.units for lot in lots),
            )
        )
        await _commit(uow, c.actor, deps, events)
    await allocate_waitlist(deps, c.actor)
    return lots


_URGENCY_RANK = {b.Urgency.LIFE_THREATENING: 0, b.Urgency.URGENT: 1, b.Urgency.ROUTINE: 2}


async def allocate_waitlist(deps: Deps, actor: str) -> list[int]:
    """New stock: every waitlisted request tries again, the most urgent first, then the earliest
    deadline, each first-expiry-first-out with substitutes as on arrival. Returns the requests
    now reserved.

    Its own transaction, after the stock change committed: it locks all lots of a product in id
    order before taking any (the order every request's allocation locks in), so it never holds
    one lot while waiting for a lower one, and cannot deadlock with a request arriving."""
    async with deps.new_uow() as uow:
        waiting = [s for s in await uow.blood.requests() if s.status is RequestStatus.WAITLISTED]
        if not waiting:
            return []
        waiting.sort(key=lambda s: (_URGENCY_RANK[s.request.urgency], s.request.deadline))
        now = deps.clock.now()
        events: list[Event] = []
        reserved: list[int] = []
        for product in sorted({s.request.product for s in waiting}, key=lambda p: p.value):
            await uow.blood.lock_lots(product, list(b.AboRh))
            for seen in (s for s in waiting if s.request.product is product):
                # read again under its lock: another process's round may have served it
                stored = await uow.blood.request(seen.request.request_id, lock=True)
                if stored.status is not RequestStatus.WAITLISTED:
                    continue
                r = stored.request
                lots = await uow.blood.lock_lots(product, b.compatible_donors(product, r.group))
                found = b.allocate(r, lots, now, allow_partial=stored.accept_partial)
                if not isinstance(found, b.Allocation):
                    continue
                await uow.blood.reserve(r.request_id, product, found.lines, now)
                changed = replace(
                    stored,
                    status=RequestStatus.RESERVED,
                    reserved_units=found.units,
                    refusal_code=None,
                    refusal=None,
                )
                await uow.blood.save_request(changed, now)
                events.append(
                    b.BloodReserved(
                        occurred_at=now,
                        request=r.request_id,
                        lines=tuple(
                            (ln.bank_id, ln.lot_id, ln.group.value, ln.units) for ln in found.lines
                        ),
                        substituted=found.substituted,
                        short_units=found.short_units,
                    )
                )
                events.append(_status_changed(stored, changed, now))
                reserved.append(r.request_id)
        if events:
            await _commit(uow, actor, deps, events)
    return reserved


async def request_blood(c: RequestBlood, deps: Deps) -> RequestView:
    """Store the request and allocate it at once, under the lots' row locks: reserved (units
    held: first expiry first out, identical group first, then the table's substitutes) or
    waitlisted (nothing held, with the reason)."""
    async with deps.new_uow() as uow:
        await uow.hospitals.get(c.hospital_id)
        now = deps.clock.now()
        request = b.BloodRequest.new(
            request_id=await uow.blood.next_request_id(),
            hospital_id=c.hospital_id,
            product=c.product,
            group=c.group,
            units=c.units,
            urgency=c.urgency,
            requested_at=now,
            deadline=c.deadline,
        )
        lots = await uow.blood.lock_lots(c.product, b.compatible_donors(c.product, c.group))
        found = b.allocate(request, lots, now, allow_partial=c.accept_partial)
        events: list[Event] = [
            b.BloodRequested(
                occurred_at=now,
                request=request.request_id,
                hospital=request.hospital_id,
                product=request.product.value,
                group=request.group.value,
                units=request.units,
                urgency=request.urgency.value,
                deadline=request.deadline,
            )
        ]
        if isinstance(found, b.Allocation):
            stored = StoredBloodRequest(
                request,
                RequestStatus.RESERVED,
                c.actor,
                accept_partial=c.accept_partial,
                reserved_units=found.units,
            )
            await uow.blood.add_request(stored, now)
            await uow.blood.reserve(request.request_id, request.product, found.lines, now)
            events.append(
                b.BloodReserved(
                    occurred_at=now,
                    request=request.request_id,
                    lines=tuple(
                        (ln.bank_id, ln.lot_id, ln.group.value, ln.units) for ln in found.lines
                    ),
                    substituted=found.substituted,
                    short_units=found.short_units,
                )
            )
            lines = list(found.lines)
        else:
            stored = StoredBloodRequest(
                request,
                RequestStatus.WAITLISTED,
                c.actor,
                accept_partial=c.accept_partial,
                refusal_code=found.code,
                refusal=_text(found.reason),
            )
            await uow.blood.add_request(stored, now)
            events.append(
                b.BloodWaitlisted(
                    occurred_at=now,
                    request=request.request_id,
                    code=found.code,
                    reason=found.reason.en,
                    available_units=found.available_units,
                )
            )
            lines = []
        await _commit(uow, c.actor, deps, events)
    return RequestView(stored, lines, [])


async def register_courier(c: RegisterCourier, deps: Deps) -> dict[b.Box, int]:
    """Give a unit the ``blood`` capability with its boxes' capacities (0 everywhere: none)."""
    capacity = {b.Box.COOL: c.cool, b.Box.FROZEN: c.frozen, b.Box.AMBIENT: c.ambient}
    async with deps.new_uow() as uow:
        await uow.units.get(c.unit_id)
        now = deps.clock.now()
        await uow.blood.set_courier(c.unit_id, capacity, now)
        event = b.BloodCourierRegistered(
            occurred_at=now, unit=c.unit_id, cool=c.cool, frozen=c.frozen, ambient=c.ambient
        )
        await _commit(uow, c.actor, deps, [event])
    return capacity


async def assign_courier(c: AssignCourier, deps: Deps) -> RequestView:
    """Send a courier: one delivery job per bank the request's units are held at."""
    async with deps.new_uow() as uow:
        stored = await uow.blood.request(c.request_id, lock=True)
        if stored.status is not RequestStatus.RESERVED:
            raise RequestNotReserved(
                f"request {c.request_id} is {stored.status.value}: no units wait for a courier"
            )
        unit = await uow.units.get(c.unit_id)
        capacity = (await uow.blood.couriers()).get(c.unit_id)
        if capacity is None:
            raise NotACourier(f"unit {unit.call_sign} is not registered to carry blood")
        now = deps.clock.now()
        changed, lines, events = await _send(uow, stored, unit.id, unit.call_sign, capacity, now)
        await _commit(uow, c.actor, deps, events)
    return RequestView(changed, lines, await _jobs_of(deps, c.request_id))


async def send_ambulance(c: SendAmbulance, deps: Deps) -> RequestView:
    """Send an available ambulance with the blood: the dispatcher's choice when the couriers
    will not meet a life-threatening deadline (the plan's ``offer_ambulance``). The ambulance
    carries it in its cool box (red cells, platelets: ``AMBULANCE_BOXES``); its crew picks up
    and the hospital confirms as for a courier, and ``BloodAmbulanceSent`` records the choice."""
    async with deps.new_uow() as uow:
        stored = await uow.blood.request(c.request_id, lock=True)
        if stored.status is not RequestStatus.RESERVED:
            raise RequestNotReserved(
                f"request {c.request_id} is {stored.status.value}: no units wait for a courier"
            )
        if stored.request.urgency is not b.Urgency.LIFE_THREATENING:
            raise AmbulanceNotOffered(
                f"request {c.request_id} is {stored.request.urgency.value}: send a courier"
            )
        unit = await uow.units.get(c.unit_id, lock=True)
        if unit.status not in DISPATCHABLE:
            raise UnitNotAvailable(
                f"{unit.call_sign} is {unit.status.value}",
                unit=unit.call_sign,
                status=unit.status.value,
            )
        now = deps.clock.now()
        changed, lines, events = await _send(
            uow, stored, unit.id, unit.call_sign, AMBULANCE_BOXES, now
        )
        events.append(
            b.BloodAmbulanceSent(
                occurred_at=now, request=c.request_id, unit=unit.id, call_sign=unit.call_sign
            )
        )
        await _commit(uow, c.actor, deps, events)
    return RequestView(changed, lines, await _jobs_of(deps, c.request_id))


async def _send(
    uow: UnitOfWork,
    stored: StoredBloodRequest,
    unit_id: int,
    call_sign: str,
    capacity: dict[b.Box, int],
    now: datetime,
) -> tuple[StoredBloodRequest, list[b.AllocationLine], list[Event]]:
    """One delivery job per bank the request's units are held at, carried by ``unit_id``
    (refused when its box for the product is too small), and the request dispatched."""
    request = stored.request
    box = b.DEFAULT_COLD_CHAIN.box(request.product)
    lines = (await uow.blood.reservations([request.request_id])).get(request.request_id, [])
    allocation = b.Allocation(request.request_id, request.product, tuple(lines))
    existing = {j.bank_id for j in await uow.blood.jobs(request_ids=[request.request_id])}
    jobs: list[b.DeliveryJob] = []
    for bank_id, bank_lines in allocation.by_bank().items():
        if bank_id in existing:
            continue
        units = sum(ln.units for ln in bank_lines)
        if capacity.get(box, 0) < units:
            raise NotACourier(
                f"unit {call_sign} carries {capacity.get(box, 0)} units in a {box.value} box; "
                f"this delivery is {units}"
            )
        job = b.DeliveryJob.assign(
            id=await uow.blood.next_job_id(),
            request_id=request.request_id,
            bank_id=bank_id,
            hospital_id=request.hospital_id,
            product=request.product,
            units=units,
            lot_ids=[ln.lot_id for ln in bank_lines],
            unit_id=unit_id,
            at=now,
        )
        await uow.blood.add_job(job)
        jobs.append(job)
    changed = _with_status(stored, RequestStatus.DISPATCHED)
    await uow.blood.save_request(changed, now)
    events: list[Event] = [e for j in jobs for e in j.events]
    events.append(_status_changed(stored, changed, now))
    return changed, lines, events


async def reassign_job(c: ReassignJob, deps: Deps) -> b.DeliveryJob:
    """Give an assigned delivery to another registered courier whose box holds it; once the
    units are picked up they stay with their courier (409 ``illegal-job-transition``)."""
    async with deps.new_uow() as uow:
        job = await uow.blood.job(c.job_id, lock=True)
        unit = await uow.units.get(c.unit_id)
        capacity = (await uow.blood.couriers()).get(c.unit_id)
        if capacity is None:
            raise NotACourier(f"unit {unit.call_sign} is not registered to carry blood")
        box = b.DEFAULT_COLD_CHAIN.box(job.product)
        if capacity.get(box, 0) < job.units:
            raise NotACourier(
                f"unit {unit.call_sign} carries {capacity.get(box, 0)} units in a {box.value} "
                f"box; this delivery is {job.units}"
            )
        job.reassign(c.unit_id, at=deps.clock.now(), reason=c.reason)
        await uow.blood.save_job(job)
        await _commit(uow, c.actor, deps, job.events)
    return job


async def pick_up(c: PickUp, deps: Deps) -> b.DeliveryJob:
    """The courier has the units (its crew's button): the cold-chain clock starts."""
    async with deps.new_uow() as uow:
        job = await uow.blood.job(c.job_id, lock=True)
        if job.unit_id != c.unit_id:
            raise NotYourJob(f"delivery {job.id} is carried by another unit")
        job.pick_up(at=deps.clock.now())
        await uow.blood.save_job(job)
        await _commit(uow, c.actor, deps, job.events)
    return job


async def handover(c: Handover, deps: Deps) -> b.DeliveryJob:
    """The receiving hospital confirms it has the units, naming who took them; when the last
    delivery of the request is handed over, the request is delivered."""
    async with deps.new_uow() as uow:
        job = await uow.blood.job(c.job_id, lock=True)
        stored = await uow.blood.request(job.request_id, lock=True)
        now = deps.clock.now()
        job.deliver(at=now, hospital_id=c.hospital_id, confirmed_by=c.received_by)
        await uow.blood.save_job(job)
        events: list[Event] = list(job.events)
        siblings = await uow.blood.jobs(request_ids=[job.request_id])
        done = all(
            (j.state is b.JobState.DELIVERED) or j.id == job.id
            for j in siblings
            if j.state is not b.JobState.CANCELLED
        )
        if done and stored.status is RequestStatus.DISPATCHED:
            changed = _with_status(stored, RequestStatus.DELIVERED)
            await uow.blood.save_request(changed, now)
            events.append(_status_changed(stored, changed, now))
        await _commit(uow, c.actor, deps, events)
    return job


# -- reads -------------------------------------------------------------------------------


async def banks(deps: Deps) -> list[BloodBank]:
    async with deps.new_uow() as uow:
        return await uow.blood.banks()


async def stock(deps: Deps) -> list[b.StockLot]:
    async with deps.new_uow() as uow:
        return await uow.blood.lots()


async def couriers(deps: Deps) -> dict[int, dict[b.Box, int]]:
    async with deps.new_uow() as uow:
        return await uow.blood.couriers()


async def requests(deps: Deps, hospital_id: int | None = None) -> list[RequestView]:
    """Requests, newest first (``hospital_id``: that hospital's own only)."""
    async with deps.new_uow() as uow:
        if hospital_id is not None:
            await uow.hospitals.get(hospital_id)
        found = await uow.blood.requests(hospital_id)
        return await _views(uow, found)


async def request(hospital_id: int, request_id: int, deps: Deps) -> RequestView:
    """One request of ``hospital_id``; another hospital's answers 404 like a missing one (its
    existence is not the asker's business)."""
    async with deps.new_uow() as uow:
        stored = await uow.blood.request(request_id)
        if stored.request.hospital_id != hospital_id:
            raise NotFound(f"No blood request {request_id} of hospital {hospital_id}")
        return (await _views(uow, [stored]))[0]


async def unit_jobs(unit_id: int, deps: Deps) -> list[b.DeliveryJob]:
    async with deps.new_uow() as uow:
        await uow.units.get(unit_id)
        return await uow.blood.jobs(unit_id=unit_id)


# -- what a screen shows with a job ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobContext:
    """What the ward and the courier's crew read beside a job: who carries it, where it is
    picked up, what it is for, and when it should arrive. ``eta_at`` (open jobs with a courier
    position): now plus the road time from where the courier is to the bank, the bank stop
    (``pickup_s``) and on to the hospital, or straight to the hospital once picked up."""

    call_sign: str | None
    bank_name: str
    bank_location: Location
    urgency: b.Urgency
    deadline: datetime
    eta_at: datetime | None


async def job_contexts(deps: Deps, jobs: Iterable[b.DeliveryJob]) -> dict[int, JobContext]:
    wanted = list(jobs)
    if not wanted:
        return {}
    async with deps.new_uow() as uow:
        units = {u.id: u for u in await uow.units.list()}
        banks = {bank.id: bank for bank in await uow.blood.banks()}
        hospitals = {h.id: h.location for h in await uow.hospitals.list()}
        asked = {
            rid: (await uow.blood.request(rid)).request for rid in {j.request_id for j in wanted}
        }
    now = deps.clock.now()

    def road_s(origin: Location, destination: Location) -> float | None:
        try:
            found = deps.roads.etas([origin], destination)[0]
        except DomainError:
            return None
        return None if found is None else found.duration_s

    def eta(job: b.DeliveryJob) -> datetime | None:
        unit = units.get(job.unit_id)
        if unit is None or unit.position is None:
            return None
        hospital, bank = hospitals.get(job.hospital_id), banks[job.bank_id].location
        if hospital is None:
            return None
        if job.state is b.JobState.PICKED_UP:
            legs = [road_s(unit.position, hospital)]
        elif job.state is b.JobState.ASSIGNED:
            legs = [road_s(unit.position, bank), _PLANNER.params.pickup_s, road_s(bank, hospital)]
        else:
            return None
        if any(leg is None for leg in legs):
            return None
        return now + timedelta(seconds=sum(leg for leg in legs if leg is not None))

    def build() -> dict[int, JobContext]:
        return {
            j.id: JobContext(
                call_sign=units[j.unit_id].call_sign if j.unit_id in units else None,
                bank_name=banks[j.bank_id].name,
                bank_location=banks[j.bank_id].location,
                urgency=asked[j.request_id].urgency,
                deadline=asked[j.request_id].deadline,
                eta_at=eta(j),
            )
            for j in wanted
        }

    return await asyncio.to_thread(build)


async def with_contexts(deps: Deps, views: list[RequestView]) -> list[RequestView]:
    """The views with every job's :class:`JobContext`."""
    found = await job_contexts(deps, [j for v in views for j in v.jobs])
    return [replace(v, contexts=found) for v in views]


# -- the plan ----------------------------------------------------------------------------

_PLANNER = BloodPlanner()


@dataclass(frozen=True, slots=True)
class Proposal:
    """A job the plan proposes for reserved units with no courier yet (negative ``job_id`` in
    the plan's routes)."""

    job_id: int
    request_id: int
    bank_id: int


@dataclass(frozen=True, slots=True)
class PlanAnswer:
    plan: BloodPlan
    proposals: list[Proposal]
    #: per offered request still waiting: the nearest available ambulance (id, call sign, s)
    ambulances: dict[int, tuple[int, str, float]] = field(default_factory=dict)


class _RoadEta:
    """The planner's ``EtaProvider`` over the service's roads: ``[destination, origin]`` s."""

    def __init__(self, roads: Roads) -> None:
        self.roads = roads

    def matrix(self, origins: Sequence[Location], destinations: Sequence[Location]) -> F64:
        out = np.full((len(destinations), len(origins)), np.inf)
        for i, destination in enumerate(destinations):
            try:
                etas = self.roads.etas(list(origins), destination)
            except DomainError:  # off the road network: no route from anywhere
                continue
            for j, eta in enumerate(etas):
                if eta is not None and math.isfinite(eta.duration_s):
                    out[i, j] = eta.duration_s
        return out


async def plan(deps: Deps) -> PlanAnswer:
    """Routes for every registered courier free now (available or returning, with a position,
    or already carrying a job) over every open job (kept on its courier) and every reserved
    request still without a courier (proposed, one job per bank). Advice: nothing is stored."""
    async with deps.new_uow() as uow:
        stored = {s.request.request_id: s for s in await uow.blood.requests()}
        open_jobs = await uow.blood.jobs(open_only=True)
        reserved = [s for s in stored.values() if s.status is RequestStatus.RESERVED]
        lines = await uow.blood.reservations([s.request.request_id for s in reserved])
        bank_at = {bank.id: bank.location for bank in await uow.blood.banks()}
        hospital_at = {h.id: h.location for h in await uow.hospitals.list()}
        capacity = await uow.blood.couriers()
        fleet = await uow.units.list()
    units = {u.id: u for u in fleet if u.id in capacity}
    now = deps.clock.now()
    carrying = {j.unit_id for j in open_jobs}
    couriers = [
        Courier(u.id, u.position, now, capacity[u.id], u.call_sign)
        for u in units.values()
        if u.position is not None
        and (u.status in (UnitStatus.AVAILABLE, UnitStatus.RETURNING) or u.id in carrying)
    ]
    jobs: list[PlanJob] = []
    for j in open_jobs:
        r = stored[j.request_id].request
        jobs.append(
            PlanJob(
                j.id,
                j.request_id,
                j.product,
                j.units,
                r.urgency,
                r.requested_at,
                r.deadline,
                bank_at[j.bank_id],
                hospital_at[j.hospital_id],
                unit_id=j.unit_id,
                picked_up_at=j.picked_up_at,
                fixed=True,
            )
        )
    proposals: list[Proposal] = []
    for s in reserved:
        r = s.request
        allocation = b.Allocation(r.request_id, r.product, tuple(lines.get(r.request_id, [])))
        for bank_id, bank_lines in allocation.by_bank().items():
            proposal = Proposal(-(len(proposals) + 1), r.request_id, bank_id)
            proposals.append(proposal)
            jobs.append(
                PlanJob(
                    proposal.job_id,
                    r.request_id,
                    r.product,
                    sum(ln.units for ln in bank_lines),
                    r.urgency,
                    r.requested_at,
                    r.deadline,
                    bank_at[bank_id],
                    hospital_at[r.hospital_id],
                )
            )
    eta = _RoadEta(deps.roads)
    result = await asyncio.to_thread(_PLANNER.plan, jobs, couriers, eta, now)
    ambulances = [
        u
        for u in fleet
        if u.id not in capacity and u.status in DISPATCHABLE and u.position is not None
    ]
    waiting = {
        r.request_id
        for r in result.ambulance_offers
        if stored[r.request_id].status is RequestStatus.RESERVED
    }
    legs = [(x.request_id, bank_at[x.bank_id]) for x in proposals if x.request_id in waiting]
    suggestions = await asyncio.to_thread(
        _nearest_ambulances,
        eta,
        ambulances,
        legs,
        {rid: hospital_at[stored[rid].request.hospital_id] for rid in waiting},
    )
    return PlanAnswer(result, proposals, suggestions)


def _nearest_ambulances(
    eta: _RoadEta,
    ambulances: Sequence[Any],
    legs: Sequence[tuple[int, Location]],
    hospitals: dict[int, Location],
) -> dict[int, tuple[int, str, float]]:
    """Per request: the ambulance that reaches its (first) bank and then the hospital soonest."""
    if not ambulances:
        return {}
    best: dict[int, tuple[int, str, float]] = {}
    for request_id, bank in legs:
        if request_id in best:
            continue  # a request split over banks: the first bank's leg stands for it
        to_bank = eta.matrix([u.position for u in ambulances], [bank])[0]
        onward = float(eta.matrix([bank], [hospitals[request_id]])[0][0])
        total = to_bank + onward
        i = int(np.argmin(total))
        if math.isfinite(float(total[i])):
            best[request_id] = (ambulances[i].id, ambulances[i].call_sign, float(total[i]))
    return best


# -- views (the API's response models describe these dicts) ------------------------------


def bank_view(bank: BloodBank) -> dict[str, Any]:
    return {
        "id": bank.id,
        "code": bank.code,
        "name": bank.name,
        "location": [bank.location.lon, bank.location.lat],
    }


def lot_view(lot: b.StockLot) -> dict[str, Any]:
    return {
        "bank_id": lot.bank_id,
        "lot": lot.lot_id,
        "product": lot.product.value,
        "group": lot.group.value,
        "units": lot.units,
        "expires_at": lot.expires_at.isoformat(),
    }


def courier_view(unit_id: int, capacity: dict[b.Box, int]) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "cool": capacity[b.Box.COOL],
        "frozen": capacity[b.Box.FROZEN],
        "ambient": capacity[b.Box.AMBIENT],
    }


def job_view(job: b.DeliveryJob, context: JobContext | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "call_sign": None,
        "bank_name": None,
        "bank_location": None,
        "urgency": None,
        "deadline": None,
        "eta_at": None,
    }
    if context is not None:
        extra = {
            "call_sign": context.call_sign,
            "bank_name": context.bank_name,
            "bank_location": [context.bank_location.lon, context.bank_location.lat],
            "urgency": context.urgency.value,
            "deadline": context.deadline.isoformat(),
            "eta_at": _iso(context.eta_at),
        }
    return {
        **extra,
        "id": job.id,
        "request_id": job.request_id,
        "bank_id": job.bank_id,
        "hospital_id": job.hospital_id,
        "unit_id": job.unit_id,
        "product": job.product.value,
        "units": job.units,
        "lots": list(job.lot_ids),
        "state": job.state.value,
        "assigned_at": job.assigned_at.isoformat(),
        "picked_up_at": _iso(job.picked_up_at),
        "delivered_at": _iso(job.delivered_at),
        "handover_by": job.handover_by,
        "cold_chain_breached": job.cold_chain_breached(b.DEFAULT_COLD_CHAIN),
    }


def request_view(view: RequestView) -> dict[str, Any]:
    s, r = view.stored, view.stored.request
    return {
        "id": r.request_id,
        "hospital_id": r.hospital_id,
        "product": r.product.value,
        "group": r.group.value,
        "units": r.units,
        "urgency": r.urgency.value,
        "requested_at": r.requested_at.isoformat(),
        "deadline": r.deadline.isoformat(),
        "requested_by": s.requested_by,
        "accept_partial": s.accept_partial,
        "status": s.status.value,
        "reserved_units": s.reserved_units,
        "refusal_code": s.refusal_code,
        "refusal": s.refusal,
        "allocation": [
            {
                "bank_id": ln.bank_id,
                "lot": ln.lot_id,
                "group": ln.group.value,
                "units": ln.units,
                "expires_at": ln.expires_at.isoformat(),
                "identical": ln.identical,
                "note": None if ln.note is None else _text(ln.note),
            }
            for ln in view.lines
        ],
        "jobs": [job_view(j, view.contexts.get(j.id)) for j in view.jobs],
    }


def _ambulance(found: tuple[int, str, float] | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"unit_id": found[0], "call_sign": found[1], "eta_s": round(found[2], 1)}


def plan_view(answer: PlanAnswer) -> dict[str, Any]:
    p = answer.plan
    proposed = {x.job_id: x for x in answer.proposals}

    def job_id(value: int) -> int | None:
        return None if value in proposed else value

    def bank_of(value: int) -> int | None:
        return proposed[value].bank_id if value in proposed else None

    return {
        "strategy": p.strategy,
        "now": p.now.isoformat(),
        "fallback": p.fallback_reason,
        "routes": [
            {
                "unit_id": route.unit_id,
                "stops": [
                    {
                        "kind": s.kind.value,
                        "job_id": job_id(s.job_id),
                        "request_id": s.request_id,
                        "proposed_bank_id": bank_of(s.job_id),
                        "location": [s.location.lon, s.location.lat],
                        "arrive_at": s.arrive_at.isoformat(),
                        "leave_at": s.leave_at.isoformat(),
                    }
                    for s in route.stops
                ],
            }
            for route in p.routes
        ],
        "requests": [
            {
                "request_id": r.request_id,
                "urgency": r.urgency.value,
                "deadline": r.deadline.isoformat(),
                "delivered_at": _iso(r.delivered_at),
                "late_s": round(r.late_s, 1),
                "offer_ambulance": r.offer_ambulance,
                "ambulance": _ambulance(answer.ambulances.get(r.request_id)),
                "reason": None if r.reason is None else _text(r.reason),
            }
            for r in p.requests
        ],
        "unplanned": [
            {
                "job_id": job_id(u.job_id),
                "request_id": u.request_id,
                "reason": _text(u.reason),
            }
            for u in p.unplanned
        ],
    }


# -- helpers -----------------------------------------------------------------------------


async def _commit(uow: UnitOfWork, actor: str, deps: Deps, events: Iterable[Event]) -> None:
    """Record the events with the rows, commit, then publish (as handlers do)."""
    for event in events:
        uow.record(event)
    records = await uow.commit(actor=actor)
    await deps.publisher.publish(records)


async def _views(uow: UnitOfWork, found: list[StoredBloodRequest]) -> list[RequestView]:
    ids = [s.request.request_id for s in found]
    lines = await uow.blood.reservations(ids)
    jobs: dict[int, list[b.DeliveryJob]] = {}
    for j in await uow.blood.jobs(request_ids=ids) if ids else []:
        jobs.setdefault(j.request_id, []).append(j)
    return [
        RequestView(s, lines.get(s.request.request_id, []), jobs.get(s.request.request_id, []))
        for s in found
    ]


async def _jobs_of(deps: Deps, request_id: int) -> list[b.DeliveryJob]:
    async with deps.new_uow() as uow:
        return await uow.blood.jobs(request_ids=[request_id])


def _stock_set(lot: b.StockLot, previous: int | None, at: datetime, source: str) -> Event:
    return b.BloodStockSet(
        occurred_at=at,
        bank=lot.bank_id,
        lot=lot.lot_id,
        product=lot.product.value,
        group=lot.group.value,
        units=lot.units,
        previous_units=previous,
        expires_at=lot.expires_at,
        source=source,
    )


def _with_status(stored: StoredBloodRequest, status: RequestStatus) -> StoredBloodRequest:
    return StoredBloodRequest(
        stored.request,
        status,
        stored.requested_by,
        accept_partial=stored.accept_partial,
        reserved_units=stored.reserved_units,
        refusal_code=stored.refusal_code,
        refusal=stored.refusal,
    )


def _status_changed(
    before: StoredBloodRequest, after: StoredBloodRequest, at: datetime
) -> b.BloodRequestStatusChanged:
    return b.BloodRequestStatusChanged(
        occurred_at=at,
        request=after.request.request_id,
        previous=before.status.value,
        status=after.status.value,
    )


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _text(t: Text) -> dict[str, str]:
    return {"en": t.en, "zh": t.zh}
