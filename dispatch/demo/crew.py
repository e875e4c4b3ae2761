"""The ambulance crew as a pure state machine: given its state and the time, what to do next.

No I/O and no sleeping: the runner feeds in the time and what the server said, performs the
returned actions (status posts, position reports, route look-ups) and comes back at
``Step.wake_at``.  That keeps the whole shift (chute, drive, scene, transport, handover,
return) testable in microseconds with made-up clocks.

The server's unit status is the truth.  ``expected_status`` is what the crew believes the
server shows; when the server disagrees (a dispatcher changed it, a post failed with 409) the
runner calls ``adopt`` and the crew continues from the server's status.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from dispatch.demo.geometry import LonLat, Polyline, distance_m

AT_HOME_M = 30.0
"""A crew this close to its station counts as home: no drive back needed."""

FALLBACK_SPEED_MPS = 11.0
"""Used when a route comes without a usable ETA (about 40 km/h, urban emergency driving)."""


class Phase(StrEnum):
    """What the crew is doing; several phases share one server status."""

    SYNCING = "syncing"  # does not know what the server thinks yet
    IDLE = "idle"  # available at the station
    RETURNING = "returning"  # available, driving back to the station
    AWAIT_STATION_ROUTE = "await_station_route"  # available, asked for the way home
    CHUTE = "chute"  # dispatched, crew getting into the ambulance
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    AWAIT_HOSPITAL_ROUTE = "await_hospital_route"  # on scene (or transporting), asked the way
    TRANSPORTING = "transporting"
    AT_HOSPITAL = "at_hospital"
    OFF_DUTY = "off_duty"  # out_of_service: the crew waits for a human to bring it back


class Destination(StrEnum):
    HOSPITAL = "hospital"
    STATION = "station"


@dataclass(frozen=True)
class PostStatus:
    """POST /units/{id}/status."""

    status: str


@dataclass(frozen=True)
class PostPosition:
    """POST /units/{id}/position."""

    position: LonLat
    at: datetime


@dataclass(frozen=True)
class FetchRoute:
    """Find a route from the crew's position to the destination; answer with ``route_ready``."""

    destination: Destination


@dataclass(frozen=True)
class FetchAssignment:
    """GET /units/{id}/assignment; answer with ``assigned`` (or ``unsynced`` on 404)."""


@dataclass(frozen=True)
class Resync:
    """GET the unit from the server; answer with ``adopt``."""


Action = PostStatus | PostPosition | FetchRoute | FetchAssignment | Resync


@dataclass(frozen=True)
class Drive:
    """A drive along a path at constant speed, started at a given time."""

    path: Polyline
    speed_mps: float
    started_at: datetime

    @property
    def duration_s(self) -> float:
        return self.path.length_m / self.speed_mps if self.speed_mps > 0 else 0.0

    @property
    def arrives_at(self) -> datetime:
        return self.started_at + timedelta(seconds=self.duration_s)

    def position(self, now: datetime) -> LonLat:
        elapsed = max(0.0, (now - self.started_at).total_seconds())
        return self.path.point_at(elapsed * self.speed_mps)


@dataclass(frozen=True)
class Job:
    """An assignment as the server tells it to the crew."""

    incident_id: int
    incident_number: str
    route: Polyline
    eta_s: float | None
    unit_status: str  # the unit's status on the server when the assignment was read


@dataclass(frozen=True)
class CrewTiming:
    """How long the human parts take, in real seconds (divided by ``speedup`` when used).

    Ranges are uniform ``(low, high)``; equal ends give fixed times for tests.
    """

    chute_s: tuple[float, float] = (20.0, 60.0)
    on_scene_s: tuple[float, float] = (360.0, 900.0)
    at_hospital_s: tuple[float, float] = (300.0, 720.0)
    transport_probability: float = 0.7
    resync_retry_s: float = 10.0


@dataclass(frozen=True)
class CrewState:
    """Everything a crew remembers; immutable so each step is a value to compare in tests."""

    phase: Phase
    position: LonLat
    home: LonLat
    incident_id: int | None = None
    incident_number: str | None = None
    until: datetime | None = None  # end of a timed phase (chute, scene, handover, retry)
    drive: Drive | None = None
    next_report_at: datetime | None = None
    transport: bool = False  # decided on arrival at the scene
    announce: bool = True  # post ``transporting`` once the hospital route is known


@dataclass(frozen=True)
class Step:
    """The crew's new state, what to do now (in order), and when to be asked again."""

    state: CrewState
    actions: tuple[Action, ...] = ()
    wake_at: datetime | None = None


_EXPECTED: dict[Phase, str | None] = {
    Phase.SYNCING: None,
    Phase.IDLE: "available",
    Phase.RETURNING: "available",
    Phase.AWAIT_STATION_ROUTE: "available",
    Phase.CHUTE: "dispatched",
    Phase.EN_ROUTE: "en_route",
    Phase.ON_SCENE: "on_scene",
    Phase.AWAIT_HOSPITAL_ROUTE: "on_scene",
    Phase.TRANSPORTING: "transporting",
    Phase.AT_HOSPITAL: "at_hospital",
    Phase.OFF_DUTY: "out_of_service",
}

_MOVING = (Phase.EN_ROUTE, Phase.TRANSPORTING, Phase.RETURNING)


def expected_status(state: CrewState) -> str | None:
    """The unit status the crew believes the server shows (None while syncing)."""
    if state.phase is Phase.AWAIT_HOSPITAL_ROUTE and not state.announce:
        return "transporting"
    return _EXPECTED[state.phase]


@dataclass
class Crew:
    """The decision rules for one crew; holds only settings and its own random stream.

    Parameters
    ----------
    timing : human delays and the transport probability
    rng : the crew's own stream, so one crew's luck does not shift another's
    speedup : multiplies driving speed and divides the human delays
    report_interval_s : seconds between position reports while driving
    """

    timing: CrewTiming = field(default_factory=CrewTiming)
    rng: random.Random = field(default_factory=random.Random)
    speedup: float = 1.0
    report_interval_s: float = 1.0

    # ----- entry points -------------------------------------------------------------------

    def start(self, position: LonLat, home: LonLat, now: datetime) -> Step:
        """A fresh crew that first asks the server what its unit is doing."""
        state = CrewState(phase=Phase.SYNCING, position=position, home=home, until=now)
        return self.tick(state, now)

    def tick(self, state: CrewState, now: datetime) -> Step:
        """Time has passed: report positions, arrive, finish timed phases."""
        if state.phase in _MOVING:
            return self._drive_tick(state, now)
        if state.until is None or now < state.until:
            return Step(state, (), state.until)
        if state.phase is Phase.SYNCING:
            return Step(replace(state, until=None), (Resync(),), None)
        if state.phase is Phase.CHUTE:
            assert state.drive is not None
            drive = replace(state.drive, started_at=now)
            return self._moving(
                replace(state, phase=Phase.EN_ROUTE, drive=drive, until=None),
                now,
                (PostStatus("en_route"),),
            )
        if state.phase is Phase.ON_SCENE:
            if state.transport:
                nxt = replace(state, phase=Phase.AWAIT_HOSPITAL_ROUTE, until=None, announce=True)
                return Step(nxt, (FetchRoute(Destination.HOSPITAL),), None)
            return self._go_home(state, (PostStatus("available"),))
        if state.phase is Phase.AT_HOSPITAL:
            return self._go_home(state, (PostStatus("available"),))
        return Step(replace(state, until=None), (), None)

    def assigned(self, state: CrewState, job: Job, now: datetime) -> Step:
        """The server gave this unit a job; continue from whatever status the server shows."""
        same = job.incident_id == state.incident_id
        if same and expected_status(state) == job.unit_status:
            return Step(state, (), self.wake_at(state))
        base = replace(
            state,
            incident_id=job.incident_id,
            incident_number=job.incident_number,
            drive=Drive(job.route, self._speed(job.route, job.eta_s), now),
            next_report_at=None,
            until=None,
            announce=True,
        )
        status = job.unit_status
        if status == "dispatched":
            return self._timed(base, Phase.CHUTE, now, self.timing.chute_s)
        if status == "en_route":
            return self._moving(replace(base, phase=Phase.EN_ROUTE), now, ())
        if status == "on_scene":
            base = replace(base, position=job.route.end)
        # Later stages (or a stale assignment of a unit already free): follow the status.
        return self.adopt(replace(base, phase=Phase.SYNCING, drive=None), status, now)

    def adopt(self, state: CrewState, server_status: str, now: datetime) -> Step:
        """The server shows ``server_status``; keep going if that is what we expected."""
        if expected_status(state) == server_status:
            return Step(state, (), self.wake_at(state))
        if server_status == "available":
            return self._go_home(state, ())
        if server_status == "out_of_service":
            off = replace(
                state,
                phase=Phase.OFF_DUTY,
                drive=None,
                until=None,
                incident_id=None,
                incident_number=None,
                next_report_at=None,
            )
            return Step(off, (), None)
        if server_status in ("dispatched", "en_route"):
            # Only the assignment tells where to drive.
            return Step(replace(state, phase=Phase.SYNCING, until=None), (FetchAssignment(),), None)
        if server_status == "on_scene":
            return self._arrive_on_scene(replace(state, drive=None), now, (), post=False)
        if server_status == "transporting":
            nxt = replace(
                state, phase=Phase.AWAIT_HOSPITAL_ROUTE, drive=None, until=None, announce=False
            )
            return Step(nxt, (FetchRoute(Destination.HOSPITAL),), None)
        if server_status == "at_hospital":
            return self._timed(
                replace(state, drive=None), Phase.AT_HOSPITAL, now, self.timing.at_hospital_s
            )
        return self.unsynced(state, now)

    def unsynced(self, state: CrewState, now: datetime) -> Step:
        """Something did not add up (no assignment, unknown status): ask again later."""
        retry = now + timedelta(seconds=self.timing.resync_retry_s)
        return Step(replace(state, phase=Phase.SYNCING, drive=None, until=retry), (), retry)

    def route_ready(
        self, state: CrewState, route: Polyline, eta_s: float | None, now: datetime
    ) -> Step:
        """A route asked for with ``FetchRoute`` arrived: start driving it."""
        drive = Drive(route, self._speed(route, eta_s), now)
        if state.phase is Phase.AWAIT_HOSPITAL_ROUTE:
            actions: tuple[Action, ...] = (PostStatus("transporting"),) if state.announce else ()
            nxt = replace(state, phase=Phase.TRANSPORTING, drive=drive, announce=True)
            return self._moving(nxt, now, actions)
        if state.phase is Phase.AWAIT_STATION_ROUTE:
            return self._moving(replace(state, phase=Phase.RETURNING, drive=drive), now, ())
        return Step(state, (), self.wake_at(state))  # stale answer: the crew moved on

    def route_failed(self, state: CrewState, now: datetime) -> Step:
        """No destination at all (no hospitals or stations known): skip that leg."""
        if state.phase is Phase.AWAIT_HOSPITAL_ROUTE:
            return self._timed(
                replace(state, drive=None), Phase.AT_HOSPITAL, now, self.timing.at_hospital_s
            )
        if state.phase is Phase.AWAIT_STATION_ROUTE:
            return Step(replace(state, phase=Phase.IDLE, drive=None, home=state.position))
        return Step(state, (), self.wake_at(state))

    # ----- internals ----------------------------------------------------------------------

    def _drive_tick(self, state: CrewState, now: datetime) -> Step:
        drive = state.drive
        assert drive is not None
        if now >= drive.arrives_at:
            end = drive.path.end
            arrived = replace(state, position=end, drive=None, next_report_at=None)
            report = (PostPosition(end, now),)
            if state.phase is Phase.EN_ROUTE:
                return self._arrive_on_scene(arrived, now, report)
            if state.phase is Phase.TRANSPORTING:
                return self._timed(
                    arrived,
                    Phase.AT_HOSPITAL,
                    now,
                    self.timing.at_hospital_s,
                    report + (PostStatus("at_hospital"),),
                )
            return Step(replace(arrived, phase=Phase.IDLE), report, None)
        return self._moving(state, now, ())

    def _moving(self, state: CrewState, now: datetime, actions: tuple[Action, ...]) -> Step:
        """Report the position if one is due, and wake for the next report or the arrival."""
        drive = state.drive
        assert drive is not None
        if now >= drive.arrives_at:
            return self._prefix(actions, self._drive_tick(state, now))
        due = state.next_report_at
        if due is None or now >= due:
            position = drive.position(now)
            state = replace(
                state,
                position=position,
                next_report_at=now + timedelta(seconds=self.report_interval_s),
            )
            actions = actions + (PostPosition(position, now),)
        return Step(state, actions, self.wake_at(state))

    def _arrive_on_scene(
        self, state: CrewState, now: datetime, actions: tuple[Action, ...], *, post: bool = True
    ) -> Step:
        """Start the scene timer; whether to transport is decided now, once per patient."""
        transport = self.rng.random() < self.timing.transport_probability
        if post:
            actions = actions + (PostStatus("on_scene"),)
        return self._timed(
            replace(state, transport=transport),
            Phase.ON_SCENE,
            now,
            self.timing.on_scene_s,
            actions,
        )

    def _timed(
        self,
        state: CrewState,
        phase: Phase,
        now: datetime,
        span: tuple[float, float],
        actions: tuple[Action, ...] = (),
    ) -> Step:
        until = now + self._delay(span)
        return Step(replace(state, phase=phase, until=until, next_report_at=None), actions, until)

    def _go_home(self, state: CrewState, actions: tuple[Action, ...]) -> Step:
        cleared = replace(
            state,
            incident_id=None,
            incident_number=None,
            drive=None,
            until=None,
            next_report_at=None,
            transport=False,
            announce=True,
        )
        if distance_m(state.position, state.home) <= AT_HOME_M:
            return Step(replace(cleared, phase=Phase.IDLE), actions, None)
        return Step(
            replace(cleared, phase=Phase.AWAIT_STATION_ROUTE),
            actions + (FetchRoute(Destination.STATION),),
            None,
        )

    def _prefix(self, actions: tuple[Action, ...], step: Step) -> Step:
        return Step(step.state, actions + step.actions, step.wake_at)

    def wake_at(self, state: CrewState) -> datetime | None:
        """When ``tick`` has something to do next: a position report, an arrival, a timer."""
        if state.phase in _MOVING and state.drive is not None:
            arrival = state.drive.arrives_at
            due = state.next_report_at
            return arrival if due is None else min(arrival, due)
        return state.until

    def _speed(self, route: Polyline, eta_s: float | None) -> float:
        """Drive at the speed the server's ETA implies, times the speed-up."""
        if eta_s is not None and eta_s > 0 and route.length_m > 0:
            base = route.length_m / eta_s
        else:
            base = FALLBACK_SPEED_MPS
        return base * self.speedup

    def _delay(self, span: tuple[float, float]) -> timedelta:
        low, high = span
        seconds = low if high <= low else self.rng.uniform(low, high)
        return timedelta(seconds=seconds / self.speedup)
