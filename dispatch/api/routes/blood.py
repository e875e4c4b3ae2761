"""Emergency blood supply (issue 19): banks and stock (one lot, or a CSV all or nothing),
hospitals' requests allocated at once (first expiry first out, compatible substitutes),
couriers, delivery jobs moved by their own crew and handed over to the receiving hospital,
and the courier plan (advice).

Who may call what is ``dispatch.api.policy`` (rows under "emergency blood supply"). Paths name
the object a scope is about: a hospital's requests live under ``/blood/hospitals/{hospital_id}``
(its own only), a crew's jobs under ``/blood/units/{unit_id}`` (its own unit only); the service
checks the second half, that the request or job in the path belongs to that hospital or unit.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import ServiceDeps, User
from dispatch.api.schemas.blood import (
    AssignIn,
    BankIn,
    BloodBank,
    BloodPlan,
    BloodRequest,
    BloodRequestIn,
    Courier,
    CourierIn,
    DeliveryJob,
    HandoverIn,
    JobReassignIn,
    StockImported,
    StockImportIn,
    StockIn,
    StockLot,
)
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.types import PathId
from dispatch.domain.blood import AboRh
from dispatch.domain.geo import Location
from dispatch.services import blood

router = APIRouter(tags=["blood"])

READ = problems(401, 403, 404, 422, 503)
COMMAND = problems(401, 403, 404, 409, 422, 503)


# -- banks and stock ---------------------------------------------------------------------


@router.get("/blood/banks", response_model=list[BloodBank], responses=READ)
async def list_banks(_: User, deps: ServiceDeps) -> list[dict[str, Any]]:
    """The blood banks, with the code the stock CSV names them by."""
    return [blood.bank_view(bank) for bank in await blood.banks(deps)]


@router.post("/blood/banks", status_code=201, response_model=BloodBank, responses=COMMAND)
async def add_bank(body: BankIn, user: User, deps: ServiceDeps) -> dict[str, Any]:
    """A new blood bank (409 ``blood-bank-exists`` when its code or name is taken)."""
    bank = await blood.add_bank(
        blood.AddBank(
            actor=user.username,
            code=body.code,
            name=body.name.strip(),
            location=Location.from_lonlat(list(body.location)),
        ),
        deps,
    )
    return blood.bank_view(bank)


@router.get("/blood/stock", response_model=list[StockLot], responses=READ)
async def list_stock(_: User, deps: ServiceDeps) -> list[dict[str, Any]]:
    """Every lot with its free units (units held for requests are not counted)."""
    return [blood.lot_view(lot) for lot in await blood.stock(deps)]


@router.put("/blood/banks/{bank_id}/stock", response_model=StockLot, responses=COMMAND)
async def set_stock(
    bank_id: PathId, body: StockIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Set one lot's free units, group and expiry, as counted at the bank (created if new).
    An expired lot is refused (422 ``invalid-stock-lot``)."""
    lot = await blood.set_stock(
        blood.SetStock(
            actor=user.username,
            bank_id=bank_id,
            lot=body.lot,
            product=body.product,
            group=AboRh.parse(body.group),
            units=body.units,
            expires_at=body.expires_at,
        ),
        deps,
    )
    return blood.lot_view(lot)


@router.post("/blood/stock/import", response_model=StockImported, responses=COMMAND)
async def import_stock(body: StockImportIn, user: User, deps: ServiceDeps) -> dict[str, Any]:
    """Import a stock CSV, all rows or none: any bad cell refuses the whole file (422
    ``stock-import-refused``) and ``rows`` lists every ``row`` (the header is row 1),
    ``column`` and ``reason``."""
    lots = await blood.import_stock(blood.ImportStock(actor=user.username, csv=body.csv), deps)
    return {"lots": len(lots), "units": sum(lot.units for lot in lots)}


# -- couriers ----------------------------------------------------------------------------


@router.get("/blood/couriers", response_model=list[Courier], responses=READ)
async def list_couriers(_: User, deps: ServiceDeps) -> list[dict[str, Any]]:
    """Units registered to carry blood, with their box capacities."""
    return [blood.courier_view(u, cap) for u, cap in (await blood.couriers(deps)).items()]


@router.put("/blood/couriers/{unit_id}", response_model=Courier, responses=COMMAND)
async def register_courier(
    unit_id: PathId, body: CourierIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Give a unit the ``blood`` capability: units it carries in a cool (red cells), frozen
    (plasma, cryo) and ambient (platelets) box."""
    capacity = await blood.register_courier(
        blood.RegisterCourier(
            actor=user.username,
            unit_id=unit_id,
            cool=body.cool,
            frozen=body.frozen,
            ambient=body.ambient,
        ),
        deps,
    )
    return blood.courier_view(unit_id, capacity)


# -- requests ----------------------------------------------------------------------------


@router.get("/blood/requests", response_model=list[BloodRequest], responses=READ)
async def list_requests(_: User, deps: ServiceDeps) -> list[dict[str, Any]]:
    """Every hospital's requests, newest first."""
    return [
        blood.request_view(v) for v in await blood.with_contexts(deps, await blood.requests(deps))
    ]


@router.post(
    "/blood/hospitals/{hospital_id}/requests",
    status_code=201,
    response_model=BloodRequest,
    responses=COMMAND,
)
async def create_request(
    hospital_id: PathId, body: BloodRequestIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Ask for units; they are allocated at once. ``status`` reserved: the ``allocation`` lists
    the units held (first expiry first out; ``identical`` false for a compatible substitute,
    with a ``note`` for the ward). ``status`` waitlisted: nothing is held, ``refusal`` says why
    (no compatible stock, or too little unless ``accept_partial``)."""
    view = await blood.request_blood(
        blood.RequestBlood(
            actor=user.username,
            hospital_id=hospital_id,
            product=body.product,
            group=AboRh.parse(body.group),
            units=body.units,
            urgency=body.urgency,
            deadline=body.deadline,
            accept_partial=body.accept_partial,
        ),
        deps,
    )
    [view] = await blood.with_contexts(deps, [view])
    return blood.request_view(view)


@router.get(
    "/blood/hospitals/{hospital_id}/requests", response_model=list[BloodRequest], responses=READ
)
async def hospital_requests(
    hospital_id: PathId, _: User, deps: ServiceDeps
) -> list[dict[str, Any]]:
    """One hospital's requests, newest first, with their deliveries."""
    views = await blood.with_contexts(deps, await blood.requests(deps, hospital_id))
    return [blood.request_view(v) for v in views]


@router.get(
    "/blood/hospitals/{hospital_id}/requests/{request_id}",
    response_model=BloodRequest,
    responses=READ,
)
async def hospital_request(
    hospital_id: PathId, request_id: PathId, _: User, deps: ServiceDeps
) -> dict[str, Any]:
    """One request of the hospital (another hospital's answers 404)."""
    [view] = await blood.with_contexts(deps, [await blood.request(hospital_id, request_id, deps)])
    return blood.request_view(view)


@router.post(
    "/blood/requests/{request_id}/jobs",
    status_code=201,
    response_model=BloodRequest,
    responses=COMMAND,
)
async def assign_courier(
    request_id: PathId, body: AssignIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Send a courier for a reserved request: one delivery job per bank holding its units
    (409 ``not-a-courier`` for a unit not registered or whose box is too small,
    ``request-not-reserved`` for a waitlisted or already dispatched request)."""
    view = await blood.assign_courier(
        blood.AssignCourier(actor=user.username, request_id=request_id, unit_id=body.unit_id),
        deps,
    )
    [view] = await blood.with_contexts(deps, [view])
    return blood.request_view(view)


@router.post(
    "/blood/requests/{request_id}/ambulance",
    status_code=201,
    response_model=BloodRequest,
    responses=COMMAND,
)
async def send_ambulance(
    request_id: PathId, body: AssignIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Send an available ambulance with the blood when no courier will make a life-threatening
    deadline (the plan's ``offer_ambulance``; the dispatcher chooses). 409
    ``ambulance-not-offered`` for a request that is not life-threatening, ``unit-not-available``
    for a busy unit, ``not-a-courier`` for frozen products (an ambulance has no freezer) or more
    units than its cool box holds."""
    view = await blood.send_ambulance(
        blood.SendAmbulance(actor=user.username, request_id=request_id, unit_id=body.unit_id),
        deps,
    )
    [view] = await blood.with_contexts(deps, [view])
    return blood.request_view(view)


# -- delivery jobs -----------------------------------------------------------------------


@router.post("/blood/jobs/{job_id}/reassign", response_model=DeliveryJob, responses=COMMAND)
async def reassign_job(
    job_id: PathId, body: JobReassignIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """Another courier takes a delivery not yet picked up (409 ``illegal-job-transition`` once
    the units are on board; ``not-a-courier`` for a unit not registered or a box too small)."""
    job = await blood.reassign_job(
        blood.ReassignJob(
            actor=user.username, job_id=job_id, unit_id=body.unit_id, reason=body.reason.strip()
        ),
        deps,
    )
    contexts = await blood.job_contexts(deps, [job])
    return blood.job_view(job, contexts.get(job.id))


@router.get("/blood/units/{unit_id}/jobs", response_model=list[DeliveryJob], responses=READ)
async def unit_jobs(unit_id: PathId, _: User, deps: ServiceDeps) -> list[dict[str, Any]]:
    """The deliveries a unit carries or carried."""
    jobs = await blood.unit_jobs(unit_id, deps)
    contexts = await blood.job_contexts(deps, jobs)
    return [blood.job_view(j, contexts.get(j.id)) for j in jobs]


@router.post(
    "/blood/units/{unit_id}/jobs/{job_id}/pickup", response_model=DeliveryJob, responses=COMMAND
)
async def pick_up(unit_id: PathId, job_id: PathId, user: User, deps: ServiceDeps) -> dict[str, Any]:
    """The courier has the units (403 ``not-your-job`` when another unit carries the job; 409
    ``illegal-job-transition`` when it is not assigned)."""
    job = await blood.pick_up(
        blood.PickUp(actor=user.username, unit_id=unit_id, job_id=job_id), deps
    )
    contexts = await blood.job_contexts(deps, [job])
    return blood.job_view(job, contexts.get(job.id))


@router.post(
    "/blood/hospitals/{hospital_id}/jobs/{job_id}/handover",
    response_model=DeliveryJob,
    responses=COMMAND,
)
async def handover(
    hospital_id: PathId, job_id: PathId, body: HandoverIn, user: User, deps: ServiceDeps
) -> dict[str, Any]:
    """The receiving hospital confirms it has the units, naming who took them (403
    ``handover-refused`` for a delivery to another hospital; 409 ``illegal-job-transition``
    before pick-up)."""
    job = await blood.handover(
        blood.Handover(
            actor=user.username,
            hospital_id=hospital_id,
            job_id=job_id,
            received_by=body.received_by,
        ),
        deps,
    )
    contexts = await blood.job_contexts(deps, [job])
    return blood.job_view(job, contexts.get(job.id))


@router.get("/blood/plan", response_model=BloodPlan, responses=READ)
async def plan(_: User, deps: ServiceDeps) -> dict[str, Any]:
    """Courier routes now (advice; nothing is stored): open jobs stay on their courier,
    reserved requests without one are proposed (``job_id`` null, ``proposed_bank_id``). A
    life-threatening request the couriers will not deliver in time has ``offer_ambulance``."""
    return blood.plan_view(await blood.plan(deps))
