"""The crew bot's I/O glue against an in-memory fake of the API and an instant clock.

The fake enforces the contract's legal crew moves and answers 409 otherwise, so these tests
show the bot follows the server after someone else changed its unit.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dispatch.demo.client import ApiError, Assignment, RouteAnswer, Token, Unit
from dispatch.demo.crew import Crew, CrewTiming, Phase
from dispatch.demo.crewbot import CrewBot

HOME = (0.0, 0.0)
SCENE = (0.01, 0.0)
HOSPITAL = (0.01, 0.02)
LEGAL = {
    ("dispatched", "en_route"),
    ("en_route", "on_scene"),
    ("on_scene", "transporting"),
    ("transporting", "at_hospital"),
    ("at_hospital", "available"),
    ("on_scene", "available"),
    ("available", "out_of_service"),
    ("out_of_service", "available"),
}


class InstantClock:
    """Every sleep returns at once, having moved time forward by its length."""

    def __init__(self) -> None:
        self.t = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += timedelta(seconds=max(0.0, seconds))
        await asyncio.sleep(0)


class FakeApi:
    """One unit's view of the server, in memory."""

    username: str | None = "crew-a01"

    def __init__(self) -> None:
        self.unit_state: dict[str, Any] = {
            "id": 1,
            "call_sign": "A01",
            "capability": "ALS",
            "status": "available",
            "status_at": None,
            "position": list(HOME),
            "position_at": None,
            "station_id": 1,
            "incident_id": None,
        }
        self.statuses: list[str] = []
        self.positions: list[tuple[float, float]] = []
        self.refuse: dict[str, str] = {}  # status -> what a "dispatcher" sets instead

    def as_unit(self) -> Unit:
        return dict(self.unit_state)  # type: ignore[return-value]

    async def login(self) -> Token:
        return {
            "access_token": "t",
            "token_type": "bearer",
            "username": "crew-a01",
            "role": "crew",
            "unit_id": 1,
        }

    async def unit(self, unit_id: int) -> Unit | None:
        return self.as_unit()

    def dispatch(self) -> None:
        self.unit_state.update(status="dispatched", incident_id=7)

    async def assignment(self, unit_id: int) -> Assignment | None:
        if self.unit_state["incident_id"] is None:
            return None
        incident = {
            "id": 7,
            "number": "2026-000007",
            "location": list(SCENE),
            "complaint": "chest pain",
            "priority": 1,
            "status": "dispatched",
            "unit_ids": [1],
            "received_at": "2026-11-26T22:00:00+00:00",
        }
        route = {"type": "LineString", "coordinates": [list(HOME), list(SCENE)]}
        return {
            "incident": incident,
            "unit": self.as_unit(),
            "route": route,  # type: ignore[typeddict-item]
            "eta_s": 111.195,
        }

    async def set_status(self, unit_id: int, status: str) -> Unit:
        if status in self.refuse:
            self.unit_state["status"] = self.refuse.pop(status)
            self.unit_state["incident_id"] = None
        current = self.unit_state["status"]
        if (current, status) not in LEGAL:
            raise ApiError(409, "illegal-transition", f"{current} -> {status}")
        self.statuses.append(status)
        self.unit_state["status"] = status
        if status == "available":
            self.unit_state["incident_id"] = None
        return self.as_unit()

    async def report_position(
        self, unit_id: int, position: tuple[float, float], reported_at: str | None = None
    ) -> Unit:
        self.positions.append(position)
        self.unit_state["position"] = list(position)
        return self.as_unit()

    async def route(self, origin: Any, target: Any) -> RouteAnswer:
        line = {"type": "LineString", "coordinates": [list(origin), list(target)]}
        return {"route": line, "eta_s": 200.0, "distance_m": 2000.0}  # type: ignore[typeddict-item]


def make_bot(api: FakeApi, transport: float) -> tuple[CrewBot, InstantClock]:
    clock = InstantClock()
    timing = CrewTiming(
        chute_s=(30, 30),
        on_scene_s=(600, 600),
        at_hospital_s=(300, 300),
        transport_probability=transport,
    )
    bot = CrewBot(
        unit=api.as_unit(),
        home=HOME,
        api=api,
        crew=Crew(timing=timing, rng=random.Random(3), report_interval_s=5.0),
        clock=clock,
        hospitals=[{"id": 1, "name": "General", "location": list(HOSPITAL)}],
    )
    return bot, clock


async def run_until(bot: CrewBot, done: Any, *, rounds: int = 20_000) -> None:
    task = asyncio.ensure_future(bot.run())
    try:
        for _ in range(rounds):
            await asyncio.sleep(0)
            if done():
                break
        else:
            pytest.fail("the bot never reached the expected state")
        # Let it settle into its idle wait, then check it is still alive.
        for _ in range(50):
            await asyncio.sleep(0)
        assert not task.done()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_bot_works_a_job_with_transport_and_returns_home() -> None:
    api = FakeApi()
    bot, clock = make_bot(api, transport=1.0)
    api.dispatch()
    bot.inbox.put_nowait(("UnitAssigned", "dispatcher", api.as_unit()))
    await run_until(bot, lambda: api.positions[-1:] == [HOME] and "available" in api.statuses)
    assert api.statuses == ["en_route", "on_scene", "transporting", "at_hospital", "available"]
    assert SCENE in api.positions and HOSPITAL in api.positions
    assert api.positions[-1] == HOME
    # 30 s chute + 111 s drive + 600 s scene + 200 s transport + 300 s handover + 200 s back.
    assert clock.t - datetime(2026, 11, 26, 22, 0, tzinfo=UTC) >= timedelta(seconds=1441)


async def test_bot_follows_the_server_after_a_409() -> None:
    api = FakeApi()
    api.refuse["transporting"] = "available"  # a dispatcher closes the job meanwhile
    bot, _ = make_bot(api, transport=1.0)
    api.dispatch()
    bot.inbox.put_nowait(("UnitAssigned", "dispatcher", api.as_unit()))
    await run_until(bot, lambda: api.positions[-1:] == [HOME] and len(api.positions) > 30)
    # It never posted transporting nor a second available: it adopted the server's status.
    assert api.statuses == ["en_route", "on_scene"]
    assert api.unit_state["status"] == "available"
    assert HOSPITAL not in api.positions


async def test_bot_ignores_its_own_echoes_and_obeys_a_dispatcher() -> None:
    api = FakeApi()
    bot, _ = make_bot(api, transport=0.0)
    task = asyncio.ensure_future(bot.run())

    async def spin() -> None:
        for _ in range(50):
            await asyncio.sleep(0)

    try:
        await spin()
        assert bot.state is not None and bot.state.phase is Phase.IDLE
        api.unit_state["status"] = "out_of_service"
        bot.inbox.put_nowait(("UnitStatusChanged", "crew-a01", api.as_unit()))  # own echo
        await spin()
        assert bot.state.phase is Phase.IDLE
        bot.inbox.put_nowait(("UnitStatusChanged", "supervisor", api.as_unit()))
        await spin()
        assert bot.state.phase is Phase.OFF_DUTY
        api.unit_state["status"] = "available"
        bot.inbox.put_nowait(("UnitStatusChanged", "supervisor", api.as_unit()))
        await spin()
        assert bot.state.phase is Phase.IDLE
        assert api.statuses == [] and not task.done()  # it never posted anything itself
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_bot_picks_up_an_assignment_seen_only_in_a_poll() -> None:
    api = FakeApi()
    bot, _ = make_bot(api, transport=0.0)
    started = False

    def dispatch_once_idle() -> bool:
        nonlocal started
        if not started and bot.state is not None and bot.state.phase is Phase.IDLE:
            started = True
            api.dispatch()  # a dispatcher assigned it; the bot only sees the next poll
            bot.inbox.put_nowait(("poll", None, api.as_unit()))
        return "available" in api.statuses

    await run_until(bot, dispatch_once_idle)
    assert started
    assert api.statuses == ["en_route", "on_scene", "available"]


async def test_bot_resumes_a_transport_after_a_restart() -> None:
    api = FakeApi()
    api.dispatch()
    api.unit_state.update(status="transporting", position=list(SCENE))
    bot, _ = make_bot(api, transport=0.0)
    await run_until(bot, lambda: api.positions[-1:] == [HOME] and "available" in api.statuses)
    # It does not announce transporting again; it drives on to the hospital and back.
    assert api.statuses == ["at_hospital", "available"]
    assert HOSPITAL in api.positions
    assert bot.state is not None and bot.state.incident_number is None  # job done, cleared
