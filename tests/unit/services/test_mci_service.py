"""The MCI service over the in-memory adapters: declare, tag, plan within surge capacity,
confirm a transport, and patients following their unit's status buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from dispatch.adapters.memory import (
    MemoryPositionLog,
    MemoryPublisher,
    MemoryStore,
    MemoryUnitOfWork,
)
from dispatch.domain import commands as cmd
from dispatch.domain import mci as m
from dispatch.domain.geo import Location
from dispatch.domain.hospitals import EdStatus, Hospital
from dispatch.domain.model import Capability, Unit, UnitStatus
from dispatch.services import handlers
from dispatch.services import mci as svc
from dispatch.services.handlers import Deps
from tests.unit.services.doubles import OnePlaceGeocoder, StraightLineRoads, TickingClock

T0 = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
NEAR, FAR = 1, 2  # hospitals: 1.1 km and 2.2 km east of the crash


class Roads(StraightLineRoads):
    def durations_from(
        self, origin: Location, destinations: Sequence[Location]
    ) -> list[float | None]:
        return [self._metres(origin, d) / 10 for d in destinations]


@pytest.fixture
def world() -> tuple[Deps, MemoryStore, MemoryPublisher]:
    units = {
        i: Unit(
            i,
            f"A{i:02d}",
            Capability.ALS,
            UnitStatus.AVAILABLE,
            T0,
            position=Location(0.001 * i, 0.0),
            position_at=T0,
        )
        for i in (1, 2, 3)
    }
    hospitals = {
        NEAR: Hospital(NEAR, "Near", Location(0.01, 0.0), frozenset(), EdStatus.OPEN, 20),
        FAR: Hospital(FAR, "Far", Location(0.02, 0.0), frozenset(), EdStatus.OPEN, 20),
    }
    store, publisher = MemoryStore(units=units, hospitals=hospitals), MemoryPublisher(keep=1_000)
    deps = Deps(
        uow=lambda: MemoryUnitOfWork(store),
        roads=Roads(),
        geocoder=OnePlaceGeocoder(),
        clock=TickingClock(),
        publisher=publisher,
        positions=MemoryPositionLog(store),
    )
    return deps, store, publisher


async def _crash(deps: Deps) -> int:
    """A call at the origin with A01-A03 sent and an MCI declared, A01 in command."""
    answer = await handlers.receive_call(
        cmd.ReceiveCall(
            actor="d1", location=Location(0.0, 0.0), address=None, complaint="bus", priority=2
        ),
        deps,
    )
    incident = int(answer.incident["id"])
    for unit in (1, 2, 3):
        await handlers.assign_unit(
            cmd.AssignUnit(actor="d1", incident_id=incident, unit_id=unit), deps
        )
    await svc.declare(svc.DeclareMci("d1", incident, patients=4, incident_command=1), deps)
    return incident


def _tap(incident: int, tag: str, category: m.TriageCategory) -> svc.RegisterPatient:
    return svc.RegisterPatient("crew-a01", incident, tag, category)


async def test_a_replayed_tap_is_stored_once_and_a_reused_tag_is_refused(world: tuple) -> None:
    deps, store, publisher = world
    incident = await _crash(deps)
    first, created = await svc.register_patient(_tap(incident, "T1", m.C.IMMEDIATE), deps)
    again, replayed = await svc.register_patient(_tap(incident, "T1", m.C.IMMEDIATE), deps)
    assert created and not replayed and again == first
    with pytest.raises(svc.PatientTagTaken):
        await svc.register_patient(_tap(incident, "T1", m.C.MINOR), deps)
    names = [r.name for r in publisher.recent]
    assert names.count("MciPatientRegistered") == 1 and len(store.mci_patients) == 1


async def test_the_plan_keeps_within_declared_surge_and_drops_a_diverting_ed(
    world: tuple,
) -> None:
    deps, store, _ = world
    incident = await _crash(deps)
    for tag in ("T1", "T2", "T3"):
        await svc.register_patient(_tap(incident, tag, m.C.IMMEDIATE), deps)
    await svc.declare_surge(svc.DeclareSurge("ed", NEAR, immediate=1, delayed=0, minor=0), deps)

    plan = (await svc.plan(incident, deps)).plan
    sent = plan.hospital_of()
    assert sorted(sent) == ["T1", "T2", "T3"]
    assert list(sent.values()).count(NEAR) == 1, "one red place at the near ED"
    assert all(t.unit_id in (2, 3) for t in plan.transports), "A01 commands"

    store.hospitals[NEAR] = Hospital(
        NEAR, "Near", Location(0.01, 0.0), frozenset(), EdStatus.DIVERSION, 20
    )
    replanned = (await svc.plan(incident, deps)).plan
    assert set(replanned.hospital_of().values()) == {FAR}


async def test_a_confirmed_transport_leaves_and_arrives_with_its_unit(world: tuple) -> None:
    deps, store, publisher = world
    incident = await _crash(deps)
    await svc.register_patient(_tap(incident, "T1", m.C.IMMEDIATE), deps)
    await svc.register_patient(_tap(incident, "T2", m.C.DELAYED), deps)
    with pytest.raises(svc.NotRoleHolder):
        await svc.confirm(
            svc.ConfirmTransport("crew-a02", incident, 3, FAR, ("T1",), crew_unit=2), deps
        )
    await svc.confirm(svc.ConfirmTransport("d1", incident, 3, FAR, ("T1",)), deps)
    with pytest.raises(m.UnitOverloaded):
        await svc.confirm(svc.ConfirmTransport("d1", incident, 3, FAR, ("T2",)), deps)

    for status in (UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.TRANSPORTING):
        await handlers.change_unit_status(
            cmd.ChangeUnitStatus(actor="crew-a03", unit_id=3, status=status), deps
        )
    assert store.mci_patients[(incident, "T1")].status is m.PatientStatus.TRANSPORTING
    assert store.mci_patients[(incident, "T2")].status is m.PatientStatus.ON_SCENE
    _, counts = await svc.incoming(FAR, deps)
    assert counts[m.C.IMMEDIATE].en_route == 1
    await handlers.change_unit_status(
        cmd.ChangeUnitStatus(actor="crew-a03", unit_id=3, status=UnitStatus.AT_HOSPITAL), deps
    )
    arrived = store.mci_patients[(incident, "T1")]
    assert arrived.status is m.PatientStatus.ARRIVED and arrived.hospital == FAR
    names = [r.name for r in publisher.recent]
    assert names.index("MciPatientTransporting") < names.index("MciPatientArrived")
