"""Field and per-unit times through the service layer over the in-memory adapters: the same
projection the offline simulation uses (assignments' times follow the unit's events)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dispatch.domain import commands as cmd
from dispatch.domain.model import UnitStatus
from dispatch.domain.nemsis import Stamp, TimesOutOfOrder
from dispatch.services import handlers
from dispatch.services.times import correct_time
from tests.unit.services.test_handlers import call, world  # noqa: F401  (the fixture)


async def test_queued_presses_keep_their_times_per_unit(world: tuple) -> None:  # noqa: F811
    deps, store, _ = world
    incident = (await handlers.receive_call(call(), deps)).incident
    await handlers.assign_unit(cmd.AssignUnit("d1", incident["id"], 3), deps)
    sent = deps.clock.t + timedelta(minutes=3)  # the queue goes out three minutes later
    deps.clock.t = sent
    pressed = {"en_route": sent - timedelta(seconds=170), "on_scene": sent - timedelta(seconds=40)}
    for status, at in pressed.items():
        device = cmd.DeviceTime(at=at, sent_at=deps.clock.t)
        await handlers.change_unit_status(
            cmd.ChangeUnitStatus("crew", 3, UnitStatus(status), device=device), deps
        )
    async with deps.new_uow() as uow:
        (times,) = await uow.assignments.of_incident(incident["id"])
    # the server's clock ticks a second per reading: the offset absorbs it, within a second
    for status, stamp in (("en_route", Stamp.EN_ROUTE), ("on_scene", Stamp.ON_SCENE)):
        assert abs(times.times[stamp] - pressed[status]) <= timedelta(seconds=1), status
    assert abs(store.incidents[incident["id"]].on_scene_at - pressed["on_scene"]) <= timedelta(
        seconds=1
    )

    # a supervisor moves en route later than the crew's next press would allow: refused at entry
    later = times.times[Stamp.EN_ROUTE] + timedelta(seconds=100)
    await correct_time(cmd.CorrectTime("sup", incident["id"], 3, "eTimes.05", later, "AVL"), deps)
    async with deps.new_uow() as uow:
        (times,) = await uow.assignments.of_incident(incident["id"])
    assert times.times[Stamp.EN_ROUTE] == later and times.flags[Stamp.EN_ROUTE] == ("corrected",)
    with pytest.raises(TimesOutOfOrder):
        await correct_time(
            cmd.CorrectTime("sup", incident["id"], 3, "eTimes.06", later - timedelta(1), "x"), deps
        )
