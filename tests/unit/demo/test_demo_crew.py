"""The crew state machine, driven by a tiny fake runner with a made-up clock.

Route used throughout: due east along the equator from (0, 0) to (0.01, 0): 1111.95 m, with an
ETA of 111.195 s, so the crew drives at exactly 10 m/s (at speed-up 1).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from dispatch.demo.crew import (
    FALLBACK_SPEED_MPS,
    Action,
    Crew,
    CrewState,
    CrewTiming,
    Destination,
    FetchAssignment,
    FetchRoute,
    Job,
    Phase,
    PostPosition,
    PostStatus,
    Resync,
    Step,
    expected_status,
)
from dispatch.demo.geometry import Polyline

T0 = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)
ONE_DEGREE_M = 111_195.080_234
SCENE_ROUTE = Polyline.of([[0.0, 0.0], [0.01, 0.0]])
SCENE_ETA_S = 0.01 * ONE_DEGREE_M / 10.0  # 10 m/s
HOME = (0.0, 0.0)
HOSPITAL_ROUTE = Polyline.of([[0.01, 0.0], [0.01, 0.02]])  # 2223.9 m north
HOME_ROUTE = Polyline.of([[0.01, 0.0], [0.0, 0.0]])
FIXED = CrewTiming(chute_s=(30, 30), on_scene_s=(600, 600), at_hospital_s=(300, 300))


def crew(transport: float, *, speedup: float = 1.0, interval: float = 10.0) -> Crew:
    timing = CrewTiming(
        chute_s=FIXED.chute_s,
        on_scene_s=FIXED.on_scene_s,
        at_hospital_s=FIXED.at_hospital_s,
        transport_probability=transport,
    )
    return Crew(timing=timing, rng=random.Random(1), speedup=speedup, report_interval_s=interval)


def job(status: str = "dispatched", incident_id: int = 12) -> Job:
    return Job(incident_id, f"2026-{incident_id:06d}", SCENE_ROUTE, SCENE_ETA_S, status)


def idle() -> CrewState:
    return CrewState(phase=Phase.IDLE, position=HOME, home=HOME)


@dataclass
class Driver:
    """Stands in for the runner: performs actions, answers route requests, advances time."""

    crew: Crew
    routes: dict[Destination, Polyline] = field(
        default_factory=lambda: {
            Destination.HOSPITAL: HOSPITAL_ROUTE,
            Destination.STATION: HOME_ROUTE,
        }
    )
    log: list[tuple[float, Action]] = field(default_factory=list)

    def settle(self, step: Step, now: datetime) -> Step:
        while True:
            follow = None
            for action in step.actions:
                self.log.append(((now - T0).total_seconds(), action))
                if isinstance(action, FetchRoute):
                    route = self.routes[action.destination]
                    follow = self.crew.route_ready(step.state, route, route.length_m / 10, now)
            if follow is None:
                return step
            step = follow

    def run(self, step: Step, now: datetime, *, until: float = 10_000) -> Step:
        step = self.settle(step, now)
        while step.wake_at is not None and (step.wake_at - T0).total_seconds() <= until:
            now = step.wake_at
            step = self.settle(self.crew.tick(step.state, now), now)
        return step

    def statuses(self) -> list[tuple[float, str]]:
        return [(t, a.status) for t, a in self.log if isinstance(a, PostStatus)]

    def positions(self) -> list[tuple[float, tuple[float, float]]]:
        return [(t, a.position) for t, a in self.log if isinstance(a, PostPosition)]


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_full_shift_with_transport() -> None:
    driver = Driver(crew(transport=1.0))
    final = driver.run(driver.crew.assigned(idle(), job(), T0), T0)
    drive_s = SCENE_ETA_S
    hospital_s = HOSPITAL_ROUTE.length_m / 10
    home_s = HOME_ROUTE.length_m / 10
    t_scene = 30 + drive_s
    t_hospital = t_scene + 600 + hospital_s
    expected = [
        (30.0, "en_route"),
        (t_scene, "on_scene"),
        (t_scene + 600, "transporting"),
        (t_hospital, "at_hospital"),
        (t_hospital + 300, "available"),
    ]
    got = driver.statuses()
    assert [s for _, s in got] == [s for _, s in expected]
    for (t_got, _), (t_want, _) in zip(got, expected, strict=True):
        assert t_got == pytest.approx(t_want, abs=1e-6)
    # Then it drove home and stopped there, idle, with nothing more to do.
    assert final.state.phase is Phase.IDLE
    assert final.state.position == HOME
    assert final.wake_at is None
    last_t, last_pos = driver.positions()[-1]
    assert last_pos == HOME
    assert last_t == pytest.approx(t_hospital + 300 + home_s, abs=1e-6)
    fetches = [a.destination for _, a in driver.log if isinstance(a, FetchRoute)]
    assert fetches == [Destination.HOSPITAL, Destination.STATION]


def test_no_transport_goes_available_after_the_scene() -> None:
    driver = Driver(crew(transport=0.0))
    final = driver.run(driver.crew.assigned(idle(), job(), T0), T0)
    t_scene = 30 + SCENE_ETA_S
    assert [s for _, s in driver.statuses()] == ["en_route", "on_scene", "available"]
    assert driver.statuses()[-1][0] == pytest.approx(t_scene + 600, abs=1e-6)
    fetches = [a.destination for _, a in driver.log if isinstance(a, FetchRoute)]
    assert fetches == [Destination.STATION]
    assert final.state.phase is Phase.IDLE and final.state.incident_id is None


def test_position_reports_follow_the_route_at_the_eta_speed() -> None:
    driver = Driver(crew(transport=0.0, interval=10.0))
    driver.run(driver.crew.assigned(idle(), job(), T0), T0, until=30 + SCENE_ETA_S)
    reports = driver.positions()
    # Reports at 30, 40, ..., 140 s, then the arrival report at 141.195 s on the scene.
    times = [t for t, _ in reports]
    assert times[:-1] == pytest.approx([30.0 + 10 * i for i in range(12)])
    assert times[-1] == pytest.approx(30 + SCENE_ETA_S)
    for t, (lon, lat) in reports[:-1]:
        assert lat == 0.0
        assert lon * ONE_DEGREE_M == pytest.approx((t - 30) * 10.0, abs=1e-6)  # 10 m/s
    assert reports[-1][1] == SCENE_ROUTE.end
    # The scene report comes before the on_scene status.
    kinds = [type(a).__name__ for _, a in driver.log]
    assert kinds[-2:] == ["PostPosition", "PostStatus"]


def test_speedup_shortens_waits_and_speeds_up_driving() -> None:
    driver = Driver(crew(transport=0.0, speedup=4.0))
    driver.run(driver.crew.assigned(idle(), job(), T0), T0)
    t_en_route = 30 / 4
    t_scene = t_en_route + SCENE_ETA_S / 4
    got = driver.statuses()
    assert got[0][1] == "en_route" and got[0][0] == pytest.approx(t_en_route)
    assert got[1][1] == "on_scene" and got[1][0] == pytest.approx(t_scene)
    assert got[2][1] == "available" and got[2][0] == pytest.approx(t_scene + 600 / 4)


def test_missing_eta_falls_back_to_a_default_speed() -> None:
    c = crew(transport=0.0)
    step = c.assigned(idle(), Job(1, "2026-000001", SCENE_ROUTE, None, "en_route"), T0)
    assert step.state.drive is not None
    assert step.state.drive.speed_mps == FALLBACK_SPEED_MPS


def test_joining_on_scene_does_not_repost_on_scene() -> None:
    driver = Driver(crew(transport=0.0))
    final = driver.run(driver.crew.assigned(idle(), job("on_scene"), T0), T0)
    assert [s for _, s in driver.statuses()] == ["available"]
    assert driver.statuses()[0][0] == pytest.approx(600)
    assert final.state.phase is Phase.IDLE and final.state.position == HOME


def test_transport_share_follows_the_probability() -> None:
    c = Crew(timing=CrewTiming(transport_probability=0.7), rng=random.Random(99))
    transports = 0
    for _ in range(5000):
        step = c.adopt(CrewState(Phase.EN_ROUTE, HOME, HOME), "on_scene", T0)
        transports += step.state.transport
    assert transports / 5000 == pytest.approx(0.7, abs=0.025)


def test_start_asks_the_server_first() -> None:
    step = crew(0.7).start(HOME, HOME, T0)
    assert step.actions == (Resync(),)
    assert expected_status(step.state) is None


@pytest.mark.parametrize(
    ("phase", "status"),
    [
        (Phase.IDLE, "available"),
        (Phase.RETURNING, "available"),
        (Phase.CHUTE, "dispatched"),
        (Phase.EN_ROUTE, "en_route"),
        (Phase.ON_SCENE, "on_scene"),
        (Phase.AWAIT_HOSPITAL_ROUTE, "on_scene"),
        (Phase.TRANSPORTING, "transporting"),
        (Phase.AT_HOSPITAL, "at_hospital"),
        (Phase.OFF_DUTY, "out_of_service"),
    ],
)
def test_expected_status_per_phase(phase: Phase, status: str) -> None:
    assert expected_status(CrewState(phase, HOME, HOME)) == status


def test_adopting_the_status_we_expect_changes_nothing() -> None:
    c = crew(0.7)
    step = c.assigned(idle(), job("en_route"), T0)
    again = c.adopt(step.state, "en_route", at(5))
    assert again.state == step.state and again.actions == ()


def test_dispatcher_cancels_a_unit_en_route() -> None:
    c = crew(0.7)
    driving = c.tick(c.assigned(idle(), job("en_route"), T0).state, at(50)).state
    assert driving.position[0] > 0  # it left home
    step = c.adopt(driving, "available", at(50))
    assert step.actions == (FetchRoute(Destination.STATION),)
    assert step.state.phase is Phase.AWAIT_STATION_ROUTE and step.state.incident_id is None
    back = c.route_ready(step.state, HOME_ROUTE, HOME_ROUTE.length_m / 10, at(50))
    assert back.state.phase is Phase.RETURNING
    assert expected_status(back.state) == "available"


def test_available_at_home_needs_no_drive() -> None:
    step = crew(0.7).adopt(CrewState(Phase.SYNCING, HOME, HOME), "available", T0)
    assert step.state.phase is Phase.IDLE and step.actions == ()


def test_out_of_service_and_back() -> None:
    c = crew(0.7)
    off = c.adopt(idle(), "out_of_service", T0)
    assert off.state.phase is Phase.OFF_DUTY and off.actions == () and off.wake_at is None
    assert c.tick(off.state, at(3600)).actions == ()
    back = c.adopt(off.state, "available", at(3600))
    assert back.state.phase is Phase.IDLE


def test_assignment_seen_in_a_poll_is_fetched_then_joined_en_route() -> None:
    c = crew(0.7)
    step = c.adopt(idle(), "dispatched", T0)
    assert step.actions == (FetchAssignment(),)
    # The fresh assignment says the unit is already en route (e.g. set by a dispatcher).
    joined = c.assigned(step.state, job("en_route"), at(2))
    assert joined.state.phase is Phase.EN_ROUTE
    assert [type(a) for a in joined.actions] == [PostPosition]  # no status post
    assert joined.state.incident_number == "2026-000012"


def test_same_assignment_twice_is_ignored() -> None:
    c = crew(0.7)
    first = c.assigned(idle(), job(), T0)
    second = c.assigned(first.state, job(), at(1))
    assert second.state == first.state and second.actions == ()


def test_joining_a_transport_does_not_repost_transporting() -> None:
    driver = Driver(crew(0.7))
    driver.run(driver.crew.assigned(idle(), job("transporting"), T0), T0)
    assert [s for _, s in driver.statuses()] == ["at_hospital", "available"]


def test_stale_route_answers_are_ignored() -> None:
    c = crew(0.7)
    state = c.assigned(idle(), job(), T0).state
    step = c.route_ready(state, HOME_ROUTE, 10.0, at(1))
    assert step.state == state and step.actions == ()


def test_no_hospital_means_handover_on_scene() -> None:
    c = crew(1.0)
    scene = c.adopt(CrewState(Phase.EN_ROUTE, HOME, HOME), "on_scene", T0)
    waiting = c.tick(scene.state, at(600))
    assert waiting.actions == (FetchRoute(Destination.HOSPITAL),)
    handover = c.route_failed(waiting.state, at(600))
    assert handover.state.phase is Phase.AT_HOSPITAL
    done = c.tick(handover.state, at(900))
    assert done.actions == (PostStatus("available"),)


def test_unsynced_crew_retries_with_a_resync() -> None:
    c = crew(0.7)
    step = c.unsynced(idle(), T0)
    assert step.state.phase is Phase.SYNCING
    assert c.tick(step.state, at(5)).actions == ()
    assert c.tick(step.state, at(10)).actions == (Resync(),)


def test_late_tick_reports_the_current_position_once() -> None:
    c = crew(0.0, interval=1.0)
    step = c.assigned(idle(), job("en_route"), T0)
    late = c.tick(step.state, at(50))  # the runner was busy for 50 s
    reports = [a for a in late.actions if isinstance(a, PostPosition)]
    assert len(reports) == 1
    assert reports[0].position[0] * ONE_DEGREE_M == pytest.approx(500.0, abs=1e-6)
    assert late.wake_at == at(51)
