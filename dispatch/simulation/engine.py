"""Discrete-event simulation of a dispatch centre, driving the real domain and service code.

Every state change goes through :mod:`dispatch.services.handlers` (``receive_call``,
``assign_unit``, ``divert_unit``, ``change_unit_status``, ``report_position``) over the
in-memory adapters of :mod:`dispatch.adapters.memory`, so the incident and unit state
machines, their rules (ALS for priority 1, divert only to a more urgent call, ...) and their
NEMSIS timestamps are the production ones. The clock is a :class:`SimClock` the event loop
moves from event to event: no sleeping, a day runs in seconds.

What the engine adds is the world: calls arriving, crews driving (road travel times, positions
part-way along the road), on-scene, transport and hospital times, and the dispatcher, which is
a :class:`~dispatch.policies.base.Policy` run each time the queue changes (a call becomes ready
for dispatch, a unit comes free, and every ``recheck_s`` while calls wait), plus an optional
move-up run after each dispatch and each unit coming free.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dispatch.adapters.memory import (
    MemoryPositionLog,
    MemoryPublisher,
    MemoryStore,
    MemoryUnitOfWork,
    NullGeocoder,
    TravelRoads,
)
from dispatch.domain import commands as cmd
from dispatch.domain.errors import DomainError
from dispatch.domain.geo import Location
from dispatch.domain.model import Incident, IncidentStatus, Unit, UnitStatus
from dispatch.policies.base import Decision, PendingCall, Policy, UnitState
from dispatch.policies.moveup import MoveUp
from dispatch.services import handlers
from dispatch.simulation.clock import SimClock
from dispatch.simulation.demand import CallSpec
from dispatch.simulation.scenario import Scenario
from dispatch.simulation.service_times import CallTimes
from dispatch.simulation.travel import TravelModel, Trip

POLICY = "sim:dispatcher"
CALL_TAKER = "sim:call-taker"


@dataclass
class CallRecord:
    """One call's story, for the metrics (times in simulation seconds)."""

    incident_id: int
    spec: CallSpec
    times: CallTimes
    ready_t: float
    first_dispatch_t: float | None = None
    dispatches: int = 0
    diverted_away: int = 0
    decision: dict[str, Any] | None = None


@dataclass
class Crew:
    unit_id: int
    call_sign: str
    post: int
    at: Location
    trip: Trip | None = None
    trip_start: float = 0.0
    token: int = 0
    at_station: bool = True
    busy_since: float | None = None
    busy: list[tuple[float, float]] = field(default_factory=list)
    moves: int = 0
    move_s: float = 0.0


@dataclass
class SimResult:
    policy: str
    calls: list[CallRecord]
    incidents: dict[int, Incident]
    crews: list[Crew]
    capability: dict[int, str]
    queue: list[tuple[float, int]]
    solve_s: list[float]
    moveup_s: list[float]
    moves: int
    rejected: int
    events: int
    end_t: float
    clock: SimClock
    wall_s: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)


class Simulation:
    def __init__(
        self,
        *,
        scenario: Scenario,
        travel: TravelModel,
        policy: Policy,
        calls: Sequence[tuple[CallSpec, CallTimes]],
        clock: SimClock,
        moveup: MoveUp | None = None,
        recheck_s: float = 60.0,
        drain_s: float = 6 * 3600.0,
        keep_log: bool = False,
    ) -> None:
        self.scenario = scenario
        self.travel = travel
        self.policy = policy
        self.moveup = moveup
        self.calls = list(calls)
        self.clock = clock
        self.recheck_s = recheck_s
        self.drain_s = drain_s
        self.store = MemoryStore(keep_log=keep_log)
        self.publisher = MemoryPublisher()
        self.deps = handlers.Deps(
            uow=lambda: MemoryUnitOfWork(self.store),
            roads=TravelRoads(lambda o, d: list(travel.times(o, d))),
            geocoder=NullGeocoder(),
            clock=clock,
            publisher=self.publisher,
            positions=MemoryPositionLog(self.store),
        )
        self.stations = {s.id: s for s in scenario.stations}
        self.hospitals = scenario.hospitals
        self.crews: dict[int, Crew] = {}
        self.records: dict[int, CallRecord] = {}
        self.ready: set[int] = set()
        self._heap: list[tuple[float, int, str, tuple[Any, ...]]] = []
        self._seq = itertools.count()
        self._recheck_at: float | None = None
        self.queue: list[tuple[float, int]] = []
        self.solve_s: list[float] = []
        self.moveup_s: list[float] = []
        self.moves = 0
        self.rejected = 0
        self.events = 0
        start = clock.now()
        for spec in scenario.fleet:
            station = self.stations[spec.station_id]
            self.store.units[spec.id] = Unit(
                id=spec.id,
                call_sign=spec.call_sign,
                capability=spec.capability,
                status=UnitStatus.AVAILABLE,
                status_at=start,
                station_id=spec.station_id,
                position=station.location,
                position_at=start,
            )
            self.crews[spec.id] = Crew(spec.id, spec.call_sign, spec.station_id, station.location)

    # -- the loop ---------------------------------------------------------------------

    def _at(self, t: float, kind: str, *args: Any) -> None:
        heapq.heappush(self._heap, (t, next(self._seq), kind, args))

    async def run(self) -> SimResult:
        started = time.perf_counter()
        for spec, times in self.calls:
            self._at(spec.t, "call", spec, times)
        last = max((spec.t for spec, _ in self.calls), default=0.0)
        horizon = last + self.drain_s
        while self._heap:
            t, _, kind, args = heapq.heappop(self._heap)
            if t > horizon:
                break
            self.clock.advance_to(t)
            self.events += 1
            await getattr(self, f"_on_{kind}")(*args)
        return SimResult(
            policy=self.policy.name + ("+move-up" if self.moveup else ""),
            calls=sorted(self.records.values(), key=lambda r: r.spec.t),
            incidents=dict(self.store.incidents),
            crews=list(self.crews.values()),
            capability={u.id: u.capability.value for u in self.store.units.values()},
            queue=self.queue,
            solve_s=self.solve_s,
            moveup_s=self.moveup_s,
            moves=self.moves,
            rejected=self.rejected,
            events=self.events,
            end_t=self.clock.t,
            clock=self.clock,
            wall_s=time.perf_counter() - started,
            stats={"published_events": self.publisher.events},
        )

    # -- positions and snapshots ------------------------------------------------------

    def _where(self, crew: Crew) -> Location:
        if crew.trip is None:
            return crew.at
        return crew.trip.position(self.clock.t - crew.trip_start)

    def _snapshot(self) -> list[UnitState]:
        out = []
        for crew in self.crews.values():
            unit = self.store.units[crew.unit_id]
            prio = None
            if unit.incident_id is not None:
                prio = self.store.incidents[unit.incident_id].priority
            out.append(
                UnitState(
                    unit_id=unit.id,
                    call_sign=unit.call_sign,
                    capability=unit.capability,
                    status=unit.status,
                    position=self._where(crew),
                    station_id=crew.post,
                    incident_id=unit.incident_id,
                    incident_priority=prio,
                    at_station=crew.at_station,
                )
            )
        return out

    def _pending(self) -> list[PendingCall]:
        out = []
        for iid in sorted(self.ready):
            incident = self.store.incidents[iid]
            if incident.status is IncidentStatus.PENDING:
                out.append(
                    PendingCall(iid, incident.location, incident.priority, incident.received_at)
                )
            elif not incident.is_open:
                self.ready.discard(iid)
        return out

    async def _report(self, crew: Crew, where: Location) -> None:
        await handlers.report_position(
            cmd.ReportPosition(
                actor=f"crew:{crew.call_sign}", unit_id=crew.unit_id, location=where
            ),
            self.deps,
        )

    async def _status(self, crew: Crew, status: UnitStatus) -> None:
        await handlers.change_unit_status(
            cmd.ChangeUnitStatus(
                actor=f"crew:{crew.call_sign}", unit_id=crew.unit_id, status=status
            ),
            self.deps,
        )

    # -- dispatching ----------------------------------------------------------------------

    async def _dispatch_round(self) -> bool:
        pending = self._pending()
        self.queue.append((self.clock.t, len(pending)))
        if not pending:
            return False
        started = time.perf_counter()
        decisions = self.policy.choose(pending, self._snapshot(), self.travel.eta, self.clock.now())
        self.solve_s.append(time.perf_counter() - started)
        applied = 0
        for decision in decisions:
            applied += await self._apply(decision)
        if applied and self.moveup is not None:
            await self._move_up()
        if self._pending() and self._recheck_at is None:
            self._recheck_at = self.clock.t + self.recheck_s
            self._at(self._recheck_at, "recheck")
        return applied > 0

    async def _apply(self, d: Decision) -> int:
        crew = self.crews[d.unit_id]
        here = self._where(crew)
        mobile = crew.trip is not None or not crew.at_station
        record = self.records[d.incident_id]
        try:
            await self._report(crew, here)
            if d.divert_from is not None:
                await handlers.divert_unit(
                    cmd.DivertUnit(
                        actor=POLICY,
                        unit_id=d.unit_id,
                        to_incident_id=d.incident_id,
                        reason=f"{d.policy}: more urgent call",
                    ),
                    self.deps,
                )
                self.records[d.divert_from].diverted_away += 1
            else:
                await handlers.assign_unit(
                    cmd.AssignUnit(actor=POLICY, incident_id=d.incident_id, unit_id=d.unit_id),
                    self.deps,
                )
        except DomainError:
            self.rejected += 1
            return 0
        now = self.clock.t
        if record.first_dispatch_t is None:
            record.first_dispatch_t = now
            record.decision = d.explanation
        record.dispatches += 1
        if crew.busy_since is None:
            crew.busy_since = now
        crew.token += 1
        crew.at_station = False
        if d.divert_from is not None:
            chute = 0.0
        else:
            chute = record.times.chute_mobile_s if mobile else record.times.chute_s
        crew.trip, crew.at = None, here
        trip = self.travel.trip(here, record.spec.location)
        self._at(now + chute, "en_route", crew.unit_id, crew.token, trip)
        self._at(now + chute + trip.duration_s, "on_scene", crew.unit_id, crew.token, d.incident_id)
        return 1

    async def _move_up(self) -> None:
        assert self.moveup is not None
        started = time.perf_counter()
        moves = self.moveup.suggest(self._snapshot(), self.travel.eta, self.clock.now())
        self.moveup_s.append(time.perf_counter() - started)
        for move in moves:
            crew = self.crews[move.unit_id]
            if self.store.units[crew.unit_id].status is not UnitStatus.AVAILABLE:
                continue
            crew.post = move.station_id
            crew.moves += 1
            crew.move_s += move.travel_s
            self.moves += 1
            self._drive_home(crew)

    def _drive_home(self, crew: Crew) -> None:
        here = self._where(crew)
        crew.token += 1
        crew.at_station = False
        station = self.stations[crew.post].location
        crew.trip = self.travel.trip(here, station)
        crew.trip_start = self.clock.t
        crew.at = here
        self._at(self.clock.t + crew.trip.duration_s, "arrive", crew.unit_id, crew.token)

    async def _freed(self, crew: Crew) -> None:
        if crew.busy_since is not None:
            crew.busy.append((crew.busy_since, self.clock.t))
            crew.busy_since = None
        self._drive_home(crew)
        await self._dispatch_round()
        if (
            self.moveup is not None
            and self.store.units[crew.unit_id].status is UnitStatus.AVAILABLE
        ):
            await self._move_up()

    # -- events -----------------------------------------------------------------------

    async def _on_call(self, spec: CallSpec, times: CallTimes) -> None:
        answer = await handlers.receive_call(
            cmd.ReceiveCall(
                actor=CALL_TAKER,
                location=spec.location,
                address=None,
                complaint="simulated call",
                priority=spec.priority,
            ),
            self.deps,
        )
        iid = int(answer.incident["id"])
        self.records[iid] = CallRecord(iid, spec, times, spec.t + times.processing_s)
        self._at(spec.t + times.processing_s, "ready", iid)

    async def _on_ready(self, iid: int) -> None:
        self.ready.add(iid)
        await self._dispatch_round()

    async def _on_recheck(self) -> None:
        self._recheck_at = None
        await self._dispatch_round()

    def _current(self, unit_id: int, token: int) -> Crew | None:
        crew = self.crews[unit_id]
        return crew if crew.token == token else None

    async def _on_en_route(self, unit_id: int, token: int, trip: Trip) -> None:
        crew = self._current(unit_id, token)
        if crew is None:
            return
        await self._status(crew, UnitStatus.EN_ROUTE)
        crew.trip, crew.trip_start = trip, self.clock.t

    async def _on_on_scene(self, unit_id: int, token: int, iid: int) -> None:
        crew = self._current(unit_id, token)
        if crew is None:
            return
        record = self.records[iid]
        crew.trip, crew.at = None, record.spec.location
        await self._report(crew, crew.at)
        await self._status(crew, UnitStatus.ON_SCENE)
        self._at(self.clock.t + record.times.on_scene_s, "leave_scene", unit_id, token, iid)

    async def _on_leave_scene(self, unit_id: int, token: int, iid: int) -> None:
        crew = self._current(unit_id, token)
        if crew is None:
            return
        record = self.records[iid]
        if record.times.transport and self.hospitals:
            here = crew.at
            times = [self.travel.times([here], h.location)[0] for h in self.hospitals]
            hospital = self.hospitals[min(range(len(times)), key=times.__getitem__)]
            await self._status(crew, UnitStatus.TRANSPORTING)
            crew.trip, crew.trip_start = self.travel.trip(here, hospital.location), self.clock.t
            self._at(self.clock.t + crew.trip.duration_s, "at_hospital", unit_id, token, hospital)
        else:
            await self._status(crew, UnitStatus.AVAILABLE)
            await self._freed(crew)

    async def _on_at_hospital(self, unit_id: int, token: int, hospital: Any) -> None:
        crew = self._current(unit_id, token)
        if crew is None:
            return
        crew.trip, crew.at = None, hospital.location
        await self._report(crew, crew.at)
        await self._status(crew, UnitStatus.AT_HOSPITAL)
        iid = self.store.units[unit_id].incident_id
        turnaround = self.records[iid].times.turnaround_s if iid in self.records else 900.0
        self._at(self.clock.t + turnaround, "clear", unit_id, token)

    async def _on_clear(self, unit_id: int, token: int) -> None:
        crew = self._current(unit_id, token)
        if crew is None:
            return
        await self._status(crew, UnitStatus.AVAILABLE)
        await self._freed(crew)

    async def _on_arrive(self, unit_id: int, token: int) -> None:
        crew = self._current(unit_id, token)
        if crew is None:
            return
        crew.trip, crew.at = None, self.stations[crew.post].location
        crew.at_station = True
        await self._report(crew, crew.at)
