"""One simulated ambulance crew: the pure ``Crew`` rules wired to the API and a clock.

The bot logs in as its unit's crew, so the server applies exactly the permissions a real crew
app has.  It learns of assignments from console updates routed to its inbox, performs what
``Crew`` decides, and never dies on an HTTP error: it logs, and when unsure asks the server.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Protocol

import httpx

from dispatch.clock import PacedClock
from dispatch.demo.client import ApiError, Assignment, Place, RouteAnswer, Token, Unit
from dispatch.demo.crew import (
    Action,
    Crew,
    CrewState,
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
from dispatch.demo.geometry import LonLat, Polyline, nearest

log = logging.getLogger("goldenhour.sim")

Message = tuple[str, str | None, Unit]
"""(event name or "snapshot"/"poll", actor, the unit's full current state)."""

OWN_POST_GRACE_S = 3.0
"""Snapshots and polls this soon after our own status post may predate it: ignore them."""

MAX_FOLLOW_UPS = 8
"""Bound on chained reactions (resync -> fetch assignment -> ...) within one step."""

HttpErrors = (ApiError, httpx.HTTPError)


class CrewApi(Protocol):
    """The part of ``ApiClient`` a crew uses; tests pass an in-memory fake."""

    username: str | None

    async def login(self) -> Token: ...

    async def unit(self, unit_id: int) -> Unit | None: ...

    async def assignment(self, unit_id: int) -> Assignment | None: ...

    async def set_status(self, unit_id: int, status: str) -> Unit: ...

    async def report_position(
        self, unit_id: int, position: tuple[float, float], reported_at: str | None = None
    ) -> Unit: ...

    async def route(
        self, origin: tuple[float, float] | list[float], target: tuple[float, float] | list[float]
    ) -> RouteAnswer: ...


def _lonlat(value: list[float] | None) -> LonLat | None:
    return None if not value else (float(value[0]), float(value[1]))


class CrewBot:
    """Drives one unit until cancelled."""

    def __init__(
        self,
        *,
        unit: Unit,
        home: LonLat,
        api: CrewApi,
        crew: Crew,
        clock: PacedClock,
        hospitals: list[Place],
    ) -> None:
        self.unit_id = unit["id"]
        self.call_sign = unit["call_sign"]
        self.position = _lonlat(unit.get("position")) or home
        self.home = home
        self.api = api
        self.crew = crew
        self.clock = clock
        self.hospitals = hospitals
        self.inbox: asyncio.Queue[Message] = asyncio.Queue()
        self.state: CrewState | None = None  # the latest settled state, for inspection
        self._last_status_post: datetime | None = None
        self._destination_name = ""
        self._position_failures = 0  # only the first of a streak is logged as a warning

    # ----- main loop ----------------------------------------------------------------------

    async def run(self) -> None:
        """Log in, then alternate between doing what the crew decided and waiting."""
        if not await self._login():
            return
        step = self.crew.start(self.position, self.home, self.clock.now())
        while True:
            step = await self._settle(step)
            self.state = step.state
            message = await self._receive(step.wake_at)
            now = self.clock.now()
            if message is None:
                step = self.crew.tick(step.state, now)
            else:
                reaction = self._react(step.state, message, now)
                if reaction is not None:
                    step = reaction

    async def _login(self) -> bool:
        delay = 1.0
        while True:
            try:
                await self.api.login()
                return True
            except ApiError as exc:
                log.warning(
                    "%s: crew login %s refused (%s); unit not simulated",
                    self.call_sign,
                    self.api.username,
                    exc.code,
                )
                return False
            except httpx.HTTPError as exc:
                log.warning("%s: crew login failed (%s); retrying", self.call_sign, exc)
                await self.clock.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _receive(self, wake_at: datetime | None) -> Message | None:
        """The next inbox message, or None when ``wake_at`` comes first."""
        if not self.inbox.empty():
            return self.inbox.get_nowait()
        if wake_at is None:
            return await self.inbox.get()
        delay = (wake_at - self.clock.now()).total_seconds()
        if delay <= 0:
            return None
        getter = asyncio.ensure_future(self.inbox.get())
        sleeper = asyncio.ensure_future(self.clock.sleep(delay))
        try:
            done, _ = await asyncio.wait({getter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (getter, sleeper):
                if not task.done():
                    task.cancel()
        return getter.result() if getter in done else None

    def _react(self, state: CrewState, message: Message, now: datetime) -> Step | None:
        """Decide what a console update means for this crew (None: nothing)."""
        name, actor, unit = message
        if name == "UnitMoved":
            return None
        if name == "UnitAssigned":
            if unit.get("incident_id") == state.incident_id and state.phase is not Phase.SYNCING:
                return None
            return Step(state, (FetchAssignment(),), None)
        if actor is not None and actor == self.api.username:
            return None  # the echo of our own post
        if (
            name in ("snapshot", "poll")
            and self._last_status_post is not None
            and ((now - self._last_status_post).total_seconds() < OWN_POST_GRACE_S)
        ):
            return None
        status = unit.get("status")
        if not status or status == expected_status(state):
            return None
        if state.phase is not Phase.SYNCING:
            log.info(
                "%s: server shows %s (by %s), was %s; following the server",
                self.call_sign,
                status,
                actor or name,
                expected_status(state),
            )
        return Step(state, (Resync(),), None)  # read it fresh: events may lag

    async def _settle(self, step: Step) -> Step:
        """Perform the step's actions; follow-up answers (routes, resyncs) yield new steps."""
        for _ in range(MAX_FOLLOW_UPS):
            follow: Step | None = None
            for action in step.actions:
                follow = await self._perform(step.state, action)
                if follow is not None:
                    break
            if follow is None:
                return Step(step.state, (), step.wake_at)
            step = follow
        log.warning("%s: could not settle with the server; retrying later", self.call_sign)
        return self.crew.unsynced(step.state, self.clock.now())

    # ----- actions ------------------------------------------------------------------------

    async def _perform(self, state: CrewState, action: Action) -> Step | None:
        """Carry out one action; a returned step replaces the rest of the current one."""
        if isinstance(action, PostPosition):
            await self._post_position(action)
            return None
        if isinstance(action, PostStatus):
            return await self._post_status(state, action.status)
        if isinstance(action, FetchRoute):
            return await self._fetch_route(state, action.destination)
        if isinstance(action, FetchAssignment):
            return await self._fetch_assignment(state)
        if isinstance(action, Resync):
            return await self._resync(state)
        raise TypeError(f"unknown action {action!r}")

    async def _post_position(self, action: PostPosition) -> None:
        try:
            await self.api.report_position(self.unit_id, action.position, action.at.isoformat())
        except HttpErrors as exc:
            self._position_failures += 1
            level = logging.WARNING if self._position_failures == 1 else logging.DEBUG
            log.log(level, "%s: position report failed: %s", self.call_sign, exc)
            return
        self._position_failures = 0

    async def _post_status(self, state: CrewState, status: str) -> Step | None:
        self._last_status_post = self.clock.now()
        try:
            await self.api.set_status(self.unit_id, status)
        except ApiError as exc:
            if exc.status == 409:
                log.info("%s: %s refused (%s); resyncing", self.call_sign, status, exc.code)
                return await self._resync(state)
            log.warning("%s: %s failed: %s", self.call_sign, status, exc)
            return self.crew.unsynced(state, self.clock.now())
        except httpx.HTTPError as exc:
            log.warning("%s: %s failed: %s", self.call_sign, status, exc)
            return self.crew.unsynced(state, self.clock.now())
        self._log_status(state, status)
        return None

    def _log_status(self, state: CrewState, status: str) -> None:
        number = state.incident_number or "-"
        if status in ("en_route", "on_scene"):
            detail = f"{'to' if status == 'en_route' else 'at'} {number}"
        elif status in ("transporting", "at_hospital"):
            detail = (
                f"{number} {'to' if status == 'transporting' else 'at'} "
                f"{self._destination_name or 'hospital'}"
            )
        else:
            detail = "(back in service)" if status == "available" else ""
        log.info("%s %s %s", self.call_sign, status, detail)

    async def _fetch_route(self, state: CrewState, destination: Destination) -> Step:
        now = self.clock.now()
        if destination is Destination.HOSPITAL:
            if not self.hospitals:
                log.warning("%s: no hospitals known; handing over on scene", self.call_sign)
                return self.crew.route_failed(state, now)
            points = [(h["location"][0], h["location"][1]) for h in self.hospitals]
            hospital = self.hospitals[nearest(state.position, points)]
            target: LonLat = (hospital["location"][0], hospital["location"][1])
            self._destination_name = hospital["name"]
        else:
            target = state.home
        try:
            answer = await self.api.route(state.position, target)
            route = Polyline.from_geojson(dict(answer["route"]))
            eta_s: float | None = answer.get("eta_s")
        except (*HttpErrors, KeyError, ValueError) as exc:
            log.warning(
                "%s: no road route to %s (%s); going straight", self.call_sign, destination, exc
            )
            route, eta_s = Polyline.of([state.position, target]), None
        step = self.crew.route_ready(state, route, eta_s, self.clock.now())
        if destination is Destination.STATION:
            log.info("%s returning to station (%.1f km)", self.call_sign, route.length_m / 1000)
        return step

    async def _fetch_assignment(self, state: CrewState) -> Step:
        try:
            assignment = await self.api.assignment(self.unit_id)
        except HttpErrors as exc:
            log.warning("%s: reading assignment failed: %s", self.call_sign, exc)
            return self.crew.unsynced(state, self.clock.now())
        if assignment is None:
            return await self._resync(state, after_missing_assignment=True)
        job = self._job(state, assignment)
        if job.incident_id != state.incident_id:
            log.info(
                "%s assigned %s (%s, eta %s s)",
                self.call_sign,
                job.incident_number,
                assignment["incident"].get("complaint") or "?",
                "?" if job.eta_s is None else f"{job.eta_s:.0f}",
            )
        return self.crew.assigned(state, job, self.clock.now())

    def _job(self, state: CrewState, assignment: Assignment) -> Job:
        incident = assignment["incident"]
        route_json = assignment.get("route")
        target = _lonlat(incident.get("location")) or state.position
        try:
            route = Polyline.from_geojson(dict(route_json)) if route_json else None
        except (KeyError, ValueError):
            route = None
        if route is None:
            route = Polyline.of([state.position, target])
        return Job(
            incident_id=incident["id"],
            incident_number=incident["number"],
            route=route,
            eta_s=assignment.get("eta_s"),
            unit_status=assignment["unit"]["status"],
        )

    async def _resync(self, state: CrewState, *, after_missing_assignment: bool = False) -> Step:
        now = self.clock.now()
        try:
            unit = await self.api.unit(self.unit_id)
        except HttpErrors as exc:
            log.warning("%s: resync failed: %s", self.call_sign, exc)
            return self.crew.unsynced(state, now)
        if unit is None:
            log.warning("%s: unit no longer listed", self.call_sign)
            return self.crew.unsynced(state, now)
        status = unit["status"]
        if after_missing_assignment and status in ("dispatched", "en_route"):
            # Busy but no assignment to read: wait and ask again rather than loop.
            return self.crew.unsynced(state, now)
        return await self._adopt(state, status)

    async def _adopt(self, state: CrewState, status: str) -> Step:
        """Follow the server's status; for a job in progress, read it to know the incident."""
        if status in ("on_scene", "transporting", "at_hospital") and state.incident_id is None:
            try:
                assignment = await self.api.assignment(self.unit_id)
            except HttpErrors:
                assignment = None
            if assignment is not None:
                job = self._job(state, assignment)
                return self.crew.assigned(state, job, self.clock.now())
        return self.crew.adopt(state, status, self.clock.now())


def unit_home(unit: Unit, stations: dict[int, LonLat], fallback: LonLat) -> LonLat:
    """Where a unit returns to: its station, else where it is now, else the map centre."""
    station_id = unit.get("station_id")
    if station_id is not None and station_id in stations:
        return stations[station_id]
    return _lonlat(unit.get("position")) or fallback
