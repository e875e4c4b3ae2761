"""The blood service over the in-memory adapters: stock, a request allocated first-expiry-first-
out, a waitlisted one holding nothing, a courier sent, picked up and handed over, the plan.

The SQL repository's locking is tested over real PostgreSQL (tests/integration/test_blood.py);
here the service's own rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.adapters.memory import (
    MemoryPositionLog,
    MemoryPublisher,
    MemoryStore,
    MemoryUnitOfWork,
)
from dispatch.domain import blood as b
from dispatch.domain.geo import Location
from dispatch.domain.hospitals import EdStatus, Hospital
from dispatch.domain.model import Capability, Unit, UnitStatus
from dispatch.services import blood as svc
from dispatch.services.handlers import Deps
from dispatch.services.ports import RequestStatus
from tests.unit.services.doubles import OnePlaceGeocoder, StraightLineRoads, TickingClock

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
WARD = 7


@pytest.fixture
def world() -> tuple[Deps, MemoryStore, MemoryPublisher]:
    units = {
        1: Unit(1, "B01", Capability.BLS, UnitStatus.AVAILABLE, T0, position=Location(0.0, 0.0)),
        2: Unit(2, "B02", Capability.BLS, UnitStatus.AVAILABLE, T0, position=Location(0.0, 0.01)),
    }
    hospitals = {
        WARD: Hospital(WARD, "Ward", Location(0.02, 0.0), frozenset(), EdStatus.OPEN, 10),
    }
    store, publisher = MemoryStore(units=units, hospitals=hospitals), MemoryPublisher(keep=1_000)
    deps = Deps(
        uow=lambda: MemoryUnitOfWork(store),
        roads=StraightLineRoads(),
        geocoder=OnePlaceGeocoder(),
        clock=TickingClock(),
        publisher=publisher,
        positions=MemoryPositionLog(store),
    )
    return deps, store, publisher


async def _stock(deps: Deps) -> int:
    bank = await svc.add_bank(
        svc.AddBank(actor="sup", code="N", name="North", location=Location(0.01, 0.0)), deps
    )
    for lot, units, days in (("L1", 3, 9), ("L2", 2, 2)):
        await svc.set_stock(
            svc.SetStock(
                actor="sup",
                bank_id=bank.id,
                lot=lot,
                product=b.Product.RED_CELLS,
                group=b.AboRh.O_NEG,
                units=units,
                expires_at=T0 + timedelta(days=days),
            ),
            deps,
        )
    return bank.id


def _ask(units: int) -> svc.RequestBlood:
    return svc.RequestBlood(
        actor="ward",
        hospital_id=WARD,
        product=b.Product.RED_CELLS,
        group=b.AboRh.O_NEG,
        units=units,
        urgency=b.Urgency.LIFE_THREATENING,
    )


async def test_a_request_is_reserved_first_expiry_first_and_the_next_one_waits(
    world: tuple[Deps, MemoryStore, MemoryPublisher],
) -> None:
    deps, store, _ = world
    bank = await _stock(deps)
    first = await svc.request_blood(_ask(3), deps)
    assert first.stored.status is RequestStatus.RESERVED
    assert [(ln.lot_id, ln.units) for ln in first.lines] == [("L2", 2), ("L1", 1)]
    assert {lot.lot_id: lot.units for lot in await svc.stock(deps)} == {"L1": 2, "L2": 0}

    second = await svc.request_blood(_ask(3), deps)
    assert second.stored.status is RequestStatus.WAITLISTED
    assert second.stored.refusal_code == "short-stock" and second.lines == []
    assert {lot.lot_id: lot.units for lot in await svc.stock(deps)} == {"L1": 2, "L2": 0}
    assert store.blood.reservations.keys() == {first.stored.request.request_id}
    assert bank in store.blood.banks


async def test_a_courier_is_sent_picks_up_and_the_ward_confirms_the_handover(
    world: tuple[Deps, MemoryStore, MemoryPublisher],
) -> None:
    deps, _, publisher = world
    await _stock(deps)
    asked = await svc.request_blood(_ask(2), deps)
    request_id = asked.stored.request.request_id
    with pytest.raises(svc.NotACourier):
        await svc.assign_courier(svc.AssignCourier("disp", request_id, 1), deps)
    await svc.register_courier(svc.RegisterCourier("sup", 1, cool=1, frozen=0, ambient=0), deps)
    with pytest.raises(svc.NotACourier):  # the cool box holds one unit, the delivery is two
        await svc.assign_courier(svc.AssignCourier("disp", request_id, 1), deps)
    await svc.register_courier(svc.RegisterCourier("sup", 1, cool=6, frozen=0, ambient=0), deps)

    plan = svc.plan_view(await svc.plan(deps))
    stops = [s for route in plan["routes"] for s in route["stops"]]
    assert [(s["kind"], s["request_id"], s["job_id"]) for s in stops] == [
        ("pickup", request_id, None),
        ("delivery", request_id, None),
    ]

    sent = await svc.assign_courier(svc.AssignCourier("disp", request_id, 1), deps)
    assert sent.stored.status is RequestStatus.DISPATCHED and len(sent.jobs) == 1
    job = sent.jobs[0]
    with pytest.raises(svc.RequestNotReserved):
        await svc.assign_courier(svc.AssignCourier("disp", request_id, 1), deps)
    with pytest.raises(svc.NotYourJob):
        await svc.pick_up(svc.PickUp("crew-b02", 2, job.id), deps)
    with pytest.raises(b.IllegalJobTransition):
        await svc.handover(svc.Handover("ward", WARD, job.id, "Nurse"), deps)
    picked = await svc.pick_up(svc.PickUp("crew-b01", 1, job.id), deps)
    assert picked.state is b.JobState.PICKED_UP
    with pytest.raises(b.HandoverRefused):
        await svc.handover(svc.Handover("other", WARD + 1, job.id, "Nurse"), deps)
    done = await svc.handover(svc.Handover("ward", WARD, job.id, "Nurse Aalto"), deps)
    assert done.state is b.JobState.DELIVERED and done.handover_by == "Nurse Aalto"
    view = await svc.request(WARD, request_id, deps)
    assert view.stored.status is RequestStatus.DELIVERED

    names = [r.name for r in publisher.recent if r.name.startswith("Blood")]
    assert names[-6:] == [
        "BloodCourierRegistered",
        "BloodJobAssigned",
        "BloodRequestStatusChanged",
        "BloodJobStatusChanged",
        "BloodJobStatusChanged",
        "BloodRequestStatusChanged",
    ]
