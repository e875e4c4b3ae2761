"""The service layer's story over the in-memory adapters: intake, ranking, assignment, status."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from dispatch.adapters.memory import (
    MemoryPositionLog,
    MemoryPublisher,
    MemoryStore,
    MemoryUnitOfWork,
)
from dispatch.domain import commands as cmd
from dispatch.domain.errors import (
    AddressNotFound,
    IdempotencyKeyReused,
    OffRoad,
    UnitNotAvailable,
)
from dispatch.domain.geo import Location
from dispatch.domain.model import Capability, Unit, UnitStatus
from dispatch.services import handlers
from dispatch.services.handlers import Deps
from tests.unit.services.doubles import OnePlaceGeocoder, StraightLineRoads, TickingClock

T0 = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def fleet() -> dict[int, Unit]:
    spots = {
        1: (0.02, 0.0, Capability.ALS),
        2: (0.001, 0.0, Capability.BLS),
        3: (0.005, 0.0, Capability.ALS),
        4: (0.0, 0.0, Capability.ALS),
    }
    units = {
        i: Unit(
            i, f"A{i:02d}", cap, UnitStatus.AVAILABLE, T0, position=Location(x, y), position_at=T0
        )
        for i, (x, y, cap) in spots.items()
    }
    units[4].status = UnitStatus.OUT_OF_SERVICE
    return units


@pytest.fixture
def world() -> tuple[Deps, MemoryStore, MemoryPublisher]:
    store, publisher = MemoryStore(units=fleet()), MemoryPublisher(keep=10_000)
    deps = Deps(
        uow=lambda: MemoryUnitOfWork(store),
        roads=StraightLineRoads(),
        geocoder=OnePlaceGeocoder(),
        clock=TickingClock(),
        publisher=publisher,
        positions=MemoryPositionLog(store),
    )
    return deps, store, publisher


def call(**kw: object) -> cmd.ReceiveCall:
    base: dict[str, object] = {
        "actor": "d1",
        "location": Location(0.0, 0.0),
        "address": None,
        "complaint": "chest pain",
        "priority": 1,
    }
    return cmd.ReceiveCall(**{**base, **kw})  # type: ignore[arg-type]


async def test_address_text_is_located_by_the_geocoder(world: tuple) -> None:
    deps, store, publisher = world
    incident = (
        await handlers.receive_call(call(location=None, address="main st 1"), deps)
    ).incident
    assert incident["location"] == [0.01, 0.01] and incident["address"] == "Main Street 1"
    assert [r.name for r in publisher.recent] == ["CallReceived"]
    assert store.incidents[incident["id"]].status.value == "pending"


async def test_a_pin_without_address_is_named_after_the_nearest_street(world: tuple) -> None:
    deps, _, _ = world
    incident = (await handlers.receive_call(call(), deps)).incident
    assert incident["address"] == "near Test Street"


async def test_a_chinese_centre_names_a_pin_in_chinese(world: tuple) -> None:
    deps, _, _ = world
    chinese = dataclasses.replace(deps, language="zh")
    incident = (await handlers.receive_call(call(), chinese)).incident
    assert incident["address"] == "Test Street附近"


async def test_unknown_address_and_off_road_pins_are_refused_and_nothing_stored(
    world: tuple,
) -> None:
    deps, store, publisher = world
    with pytest.raises(AddressNotFound):
        await handlers.receive_call(call(location=None, address="nowhere"), deps)
    with pytest.raises(OffRoad):
        await handlers.receive_call(call(location=Location(5.0, 5.0)), deps)
    assert store.incidents == {} and publisher.recent == []


async def test_ranking_is_by_road_time_among_available_capable_units(world: tuple) -> None:
    deps, _, _ = world
    incident = (await handlers.receive_call(call(priority=1), deps)).incident
    ranked = await handlers.recommend(incident["id"], 5, deps)
    # A02 is closest but BLS; A04 is out of service.
    assert [r.unit.call_sign for r in ranked] == ["A03", "A01"]
    assert ranked[0].eta_s < ranked[1].eta_s and ranked[0].rank == 1
    low = (await handlers.receive_call(call(priority=3), deps)).incident
    assert [r.unit.call_sign for r in await handlers.recommend(low["id"], 1, deps)] == ["A02"]


async def test_assignment_then_the_crew_lifecycle(world: tuple) -> None:
    deps, store, publisher = world
    incident = (await handlers.receive_call(call(), deps)).incident
    done = await handlers.assign_unit(cmd.AssignUnit("d1", incident["id"], 3), deps)
    assert done.route is not None and store.units[3].status is UnitStatus.DISPATCHED
    assert store.orders[0]["unit_id"] == 3
    with pytest.raises(UnitNotAvailable):
        other = (await handlers.receive_call(call(), deps)).incident
        await handlers.assign_unit(cmd.AssignUnit("d2", other["id"], 3), deps)
    for status in ("en_route", "on_scene", "available"):
        await handlers.change_unit_status(cmd.ChangeUnitStatus("crew", 3, UnitStatus(status)), deps)
    assert store.incidents[incident["id"]].status.value == "closed"
    assert [r.name for r in publisher.recent].count("UnitStatusChanged") == 3
    assert publisher.recent[-1].name == "IncidentClosed"


async def test_a_replayed_crew_update_is_not_applied_twice(world: tuple) -> None:
    deps, store, publisher = world
    stamp = cmd.ClientStamp("phone-1", 7)
    await handlers.change_unit_status(
        cmd.ChangeUnitStatus("crew", 1, UnitStatus.OUT_OF_SERVICE, stamp=stamp), deps
    )
    await handlers.change_unit_status(
        cmd.ChangeUnitStatus("crew", 1, UnitStatus.AVAILABLE, stamp=cmd.ClientStamp("phone-1", 8)),
        deps,
    )
    replay = await handlers.change_unit_status(
        cmd.ChangeUnitStatus("crew", 1, UnitStatus.OUT_OF_SERVICE, stamp=stamp), deps
    )
    assert replay.status is UnitStatus.AVAILABLE and store.units[1].status is UnitStatus.AVAILABLE
    assert [r.name for r in publisher.recent] == ["UnitStatusChanged"] * 2


async def test_idempotency_key_returns_the_first_answer_and_refuses_a_different_body(
    world: tuple,
) -> None:
    deps, store, _ = world
    key = cmd.IdempotencyKey("d1:abc", "hash-1")
    first = await handlers.receive_call(call(idempotency=key), deps)
    again = await handlers.receive_call(call(idempotency=key), deps)
    assert again.replayed and again.incident == first.incident and len(store.incidents) == 1
    with pytest.raises(IdempotencyKeyReused):
        await handlers.receive_call(call(idempotency=cmd.IdempotencyKey("d1:abc", "hash-2")), deps)
    assert len(store.incidents) == 1


async def test_gps_fixes_move_the_unit_forward_in_time_only(world: tuple) -> None:
    deps, store, publisher = world
    clock = deps.clock
    ahead = clock.now()
    moved = await handlers.report_position(
        cmd.ReportPosition("crew", 2, Location(0.002, 0.001), reported_at=ahead), deps
    )
    assert moved.position == Location(0.002, 0.001)
    late = await handlers.report_position(
        cmd.ReportPosition("crew", 2, Location(0.05, 0.05), reported_at=T0), deps
    )
    assert late.position == Location(0.002, 0.001) and store.units[2].position_at == ahead
    assert [p["id"] for p in publisher.recent_positions] == [2], "only the accepted fix is pushed"
    assert publisher.recent == [], "positions are telemetry, not log events"
