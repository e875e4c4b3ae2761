"""Mass-casualty incidents (issue 17): the commands and reads behind ``/incidents/{id}/mci``.

One async function per command, like ``dispatch.services.handlers``: load through the unit of
work, apply the pure rules of ``dispatch.domain.mci``, hand the events they return to
``uow.record`` and commit, then publish. The rows (``dispatch.store.mci``) and the events commit
together, so the MCI board a console rebuilds from events and the one the API reads agree.

The distribution plan is advice and is never stored: it is computed on request from the current
state (patients, units on the incident, hospitals' status and surge capacity, road times), so
it re-plans by itself whenever a unit arrives, an ED changes status or a patient is re-triaged.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dispatch.domain import mci as m
from dispatch.domain.errors import DomainError, IncidentNotAssignable, NotFound
from dispatch.domain.events import Event
from dispatch.domain.hospitals import Hospital
from dispatch.domain.model import Unit, UnitStatus
from dispatch.domain.text import Text
from dispatch.policies.mci_plan import (
    MciPlan,
    MciPlanner,
    MciState,
    PlanHospital,
    PlanUnit,
    split_patients,
)
from dispatch.services.ports import UnitOfWork

if TYPE_CHECKING:  # handlers imports this module (the unit-status hook): no cycle at run time
    from dispatch.services.handlers import Deps


# -- errors ------------------------------------------------------------------------------


class MciNotDeclared(DomainError):
    code = "mci-not-declared"
    title = "No MCI declared on this incident"


class MciAlreadyDeclared(DomainError):
    code = "mci-already-declared"
    title = "An MCI is already declared on this incident"


class PatientTagTaken(DomainError):
    """The tag is already a patient of the incident with other details: two different people
    cannot share a physical tag, and a replayed tap would have matched."""

    code = "patient-tag-taken"
    title = "Triage tag already used for another patient"


class UnitNotOnIncident(DomainError):
    code = "unit-not-on-incident"
    title = "Unit is not assigned to this incident"


class NotRoleHolder(DomainError):
    """A crew acting as an MCI officer without holding the role (the API answers 403)."""

    code = "not-role-holder"
    title = "Your unit does not hold this MCI role"


# -- commands ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeclareMci:
    actor: str
    incident_id: int
    patients: int  # the estimate the level is derived from
    level: int | None = None
    incident_command: int | None = None


@dataclass(frozen=True, slots=True)
class BindRole:
    actor: str
    incident_id: int
    role: m.CommandRole
    unit_id: int
    #: the acting crew's unit (None: a dispatcher or supervisor): it must hold incident command
    crew_unit: int | None = None


@dataclass(frozen=True, slots=True)
class RegisterPatient:
    actor: str
    incident_id: int
    tag: str
    category: m.TriageCategory
    age_band: m.AgeBand = m.AgeBand.UNKNOWN
    injury: str = ""
    needs: frozenset[m.Need] = frozenset()
    note: str = ""


@dataclass(frozen=True, slots=True)
class UpdatePatient:
    """``None``: unchanged. A new category is a re-triage (with ``reason``), the rest an
    amendment."""

    actor: str
    incident_id: int
    tag: str
    category: m.TriageCategory | None = None
    reason: str = ""
    age_band: m.AgeBand | None = None
    injury: str | None = None
    needs: frozenset[m.Need] | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ConfirmTransport:
    actor: str
    incident_id: int
    unit_id: int
    hospital_id: int
    tags: tuple[str, ...]
    override: bool = False
    reason: str = ""
    #: the acting crew's unit (None: floor): it must hold the transport role
    crew_unit: int | None = None


@dataclass(frozen=True, slots=True)
class DeclareSurge:
    actor: str
    hospital_id: int
    immediate: int
    delayed: int
    minor: int


@dataclass(frozen=True, slots=True)
class Board:
    """What ``GET /incidents/{id}/mci`` shows: the declaration, the counts and the patients."""

    mci: m.Mci
    board: m.MciBoard
    patients: list[m.Patient]


# -- handlers ----------------------------------------------------------------------------


async def declare(c: DeclareMci, deps: Deps) -> Board:
    """Declare an MCI on an open incident; its level comes from the patient estimate (higher if
    the officer says so). ``incident_command`` must be a unit assigned to the incident."""
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(c.incident_id, lock=True)
        if not incident.is_open:
            raise IncidentNotAssignable(
                f"incident {incident.number} is {incident.status.value}: no MCI can be declared",
                number=incident.number,
                status=incident.status.value,
            )
        if await uow.mci.get(c.incident_id) is not None:
            raise MciAlreadyDeclared(f"incident {incident.number} is already an MCI")
        if c.incident_command is not None:
            await _unit_on(uow, c.incident_command, c.incident_id)
        now = deps.clock.now()
        mci, events = m.declare_mci(
            c.incident_id,
            at=now,
            patients=c.patients,
            level=c.level,
            incident_command=c.incident_command,
        )
        if not await uow.mci.add(mci, by=c.actor):
            raise MciAlreadyDeclared(f"incident {incident.number} is already an MCI")
        await _commit(uow, c.actor, deps, events)
    return await board(c.incident_id, deps)


async def bind_role(c: BindRole, deps: Deps) -> Board:
    """Give a command role to a unit assigned to the incident (a transfer if another held it)."""
    async with deps.new_uow() as uow:
        mci = await _mci(uow, c.incident_id, lock=True)
        _holds(mci, m.CommandRole.INCIDENT_COMMAND, c.crew_unit)
        await _unit_on(uow, c.unit_id, c.incident_id)
        carrying = {
            p.unit
            for p in await uow.mci.patients(c.incident_id)
            if p.status is m.PatientStatus.TRANSPORTING and p.unit is not None
        }
        now = deps.clock.now()
        changed, events = mci.bind(c.role, c.unit_id, at=now, transporting=carrying)
        if events:
            await uow.mci.save(changed, now)
        await _commit(uow, c.actor, deps, events)
    return await board(c.incident_id, deps)


async def register_patient(c: RegisterPatient, deps: Deps) -> tuple[m.Patient, bool]:
    """A new patient (one tap by a crew, or typed by a dispatcher): ``(patient, created)``.

    Idempotent by tag: the same tag with the same details answers the patient already stored
    (a crew's offline queue replayed, two taps of a shaky hand) and records nothing; the same
    tag with other details is refused (``patient-tag-taken``). The level rises with the count.
    """
    async with deps.new_uow() as uow:
        mci = await _mci(uow, c.incident_id, lock=True)  # serialises registrations per MCI
        now = deps.clock.now()
        patient, events = m.register_patient(
            c.incident_id,
            c.tag,
            c.category,
            at=now,
            age_band=c.age_band,
            injury=c.injury,
            needs=c.needs,
            note=c.note,
        )
        found = await uow.mci.patient(c.incident_id, patient.tag)
        if found is not None:
            if _same_registration(found, patient):
                return found, False
            raise PatientTagTaken(
                f"tag {patient.tag} is already a patient of this incident with other details",
                tag=patient.tag,
            )
        if not await uow.mci.add_patient(patient):  # pragma: no cover - the MCI lock orders us
            raise PatientTagTaken(f"tag {patient.tag} was just registered", tag=patient.tag)
        escalated, raised = mci.escalate(await uow.mci.count(c.incident_id), at=now)
        if raised:
            await uow.mci.save(escalated, now)
        await _commit(uow, c.actor, deps, (*events, *raised))
    return patient, True


async def update_patient(c: UpdatePatient, deps: Deps) -> m.Patient:
    """Re-triage and/or amend a patient; a change that changes nothing records nothing."""
    async with deps.new_uow() as uow:
        await _mci(uow, c.incident_id)
        patient = await _patient(uow, c.incident_id, c.tag)
        now = deps.clock.now()
        events: list[Event] = []
        if c.category is not None:
            patient, recorded = patient.retriage(c.category, at=now, reason=c.reason)
            events.extend(recorded)
        if any(v is not None for v in (c.age_band, c.injury, c.needs, c.note)):
            patient, recorded = patient.amend(
                at=now, age_band=c.age_band, injury=c.injury, needs=c.needs, note=c.note
            )
            events.extend(recorded)
        if events:
            await uow.mci.save_patient(patient, now)
        await _commit(uow, c.actor, deps, events)
    return patient


async def confirm(c: ConfirmTransport, deps: Deps) -> list[m.Patient]:
    """The transport officer confirms ``tags`` in ``unit_id`` for ``hospital_id``.

    The unit's room is enforced with what it already carries for this incident
    (``unit-overloaded``) unless the officer overrides, which needs a reason.
    """
    async with deps.new_uow() as uow:
        mci = await _mci(uow, c.incident_id, lock=True)
        _holds(mci, m.CommandRole.TRANSPORT, c.crew_unit)
        await _unit_on(uow, c.unit_id, c.incident_id)
        await uow.hospitals.get(c.hospital_id)
        if c.override and not c.reason.strip():
            raise m.UnitOverloaded("overriding the unit's capacity needs a reason")
        patients = [await _patient(uow, c.incident_id, tag) for tag in c.tags]
        on_board = [
            p
            for p in await uow.mci.on_unit(c.unit_id)
            if p.incident == c.incident_id and p.status is m.PatientStatus.ASSIGNED
        ]
        now = deps.clock.now()
        changed, events = m.confirm_transport(
            patients,
            c.unit_id,
            c.hospital_id,
            at=now,
            on_board=on_board,
            allow_overload=c.override,
        )
        for p in changed:
            await uow.mci.save_patient(p, now)
        await _commit(uow, c.actor, deps, events)
    return changed


async def declare_surge(c: DeclareSurge, deps: Deps) -> m.SurgeCapacity:
    """The ED (or a supervisor for it) declares what it accepts per category."""
    async with deps.new_uow() as uow:
        await uow.hospitals.get(c.hospital_id, lock=True)
        surge, events = m.declare_surge(
            c.hospital_id,
            immediate=c.immediate,
            delayed=c.delayed,
            minor=c.minor,
            at=deps.clock.now(),
        )
        await uow.mci.save_surge(surge, by=c.actor)
        await _commit(uow, c.actor, deps, events)
    return surge


async def follow_unit(uow: UnitOfWork, unit: Unit, at: datetime) -> None:
    """The hook in ``change_unit_status``: a unit's status buttons move the MCI patients it
    carries, so the crew presses nothing twice. ``transporting``: its assigned patients leave
    (for the hospital the officer chose, else the unit's destination; a patient with neither
    stays assigned, never blocking the button); ``at_hospital``: its patients on the way are
    handed over where the unit is (its destination). Events go with the status change."""
    if unit.status not in (UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL):
        return
    for p in await uow.mci.on_unit(unit.id, lock=True):
        events: tuple[Event, ...] = ()
        if unit.status is UnitStatus.TRANSPORTING and p.status is m.PatientStatus.ASSIGNED:
            if p.hospital is None and unit.destination_hospital_id is None:
                continue
            p, events = p.depart(at=at, hospital=p.hospital or unit.destination_hospital_id)
        elif unit.status is UnitStatus.AT_HOSPITAL and p.status is m.PatientStatus.TRANSPORTING:
            p, events = p.arrive(at=at, hospital=unit.destination_hospital_id)
        if events:
            await uow.mci.save_patient(p, at)
            for event in events:
                uow.record(event)


# -- reads -------------------------------------------------------------------------------


async def board(incident_id: int, deps: Deps) -> Board:
    async with deps.new_uow() as uow:
        mci = await _mci(uow, incident_id)
        patients = await uow.mci.patients(incident_id)
        units = await uow.units.on_incident(incident_id)
    committed = [u.id for u in units] + list(mci.command_units)
    return Board(mci, m.board_counts(patients, committed), patients)


async def patient(incident_id: int, tag: str, deps: Deps) -> m.Patient:
    async with deps.new_uow() as uow:
        await _mci(uow, incident_id)
        return await _patient(uow, incident_id, tag)


async def surge_of(hospital_id: int, deps: Deps) -> tuple[Hospital, m.SurgeCapacity | None]:
    """The hospital and the capacity the plan uses for it (None: on diversion or closed)."""
    async with deps.new_uow() as uow:
        hospital = await uow.hospitals.get(hospital_id)
        declared = (await uow.mci.surge()).get(hospital_id)
    return hospital, m.effective_surge(hospital, declared)


async def incoming(
    hospital_id: int, deps: Deps
) -> tuple[list[int], dict[m.TriageCategory, m.HospitalCount]]:
    """What one ED sees: the open MCIs sending it patients and, summed over them, how many of
    each category are expected (assigned), on the way and arrived. Counts only: no tag, no
    note, no injury text leaves for a hospital through this read."""
    async with deps.new_uow() as uow:
        await uow.hospitals.get(hospital_id)
        open_ids = await uow.mci.open_incidents()
        routed = [p for p in await uow.mci.routed(open_ids) if p.hospital == hospital_id]
    per = m.hospital_counts(routed).get(hospital_id, {})
    incidents = sorted({p.incident for p in routed})
    return incidents, per


_PLANNER = MciPlanner()


@dataclass(frozen=True, slots=True)
class PlanAnswer:
    plan: MciPlan
    hospitals: list[PlanHospital]
    units: list[PlanUnit]


async def plan(incident_id: int, deps: Deps) -> PlanAnswer:
    """The distribution plan for the incident now (advice; nothing is stored).

    Transport resources are the units assigned to the incident minus those holding a command
    role (plus any carrying a confirmed load). A unit's time to the scene is its road ETA from
    its last position (0 when on scene; unknown position: left out). Hospitals: every ED with
    its effective surge capacity (diversion or closed: out), road seconds both ways.
    """
    async with deps.new_uow() as uow:
        mci = await _mci(uow, incident_id)
        incident = await uow.incidents.get(incident_id)
        patients = await uow.mci.patients(incident_id)
        units = await uow.units.on_incident(incident_id)
        hospitals = await uow.hospitals.list()
        declared = await uow.mci.surge()
    waiting, confirmed, committed = split_patients(patients)
    loaded = {c.unit_id for c in confirmed}
    scene = incident.location
    movers = [
        u
        for u in units
        if u.position is not None and (u.id not in mci.command_units or u.id in loaded)
    ]
    etas = deps.roads.etas([u.position for u in movers if u.position is not None], scene)
    plan_units = [
        PlanUnit(
            u.id,
            0.0
            if u.status is UnitStatus.ON_SCENE
            else _seconds(None if e is None else e.duration_s),
        )
        for u, e in zip(movers, etas, strict=True)
    ]
    out = deps.roads.durations_from(scene, [h.location for h in hospitals])
    back = deps.roads.etas([h.location for h in hospitals], scene)
    plan_hospitals = [
        PlanHospital(
            h.id,
            frozenset(h.capabilities),
            h.ed_status,
            m.effective_surge(h, declared.get(h.id)),
            _finite_or_none(o),
            _finite_or_none(None if b is None else b.duration_s),
            h.name,
        )
        for h, o, b in zip(hospitals, out, back, strict=True)
    ]
    state = MciState(
        waiting=waiting,
        units=tuple(plan_units),
        hospitals=tuple(plan_hospitals),
        confirmed=confirmed,
        committed=committed,
    )
    result = await asyncio.to_thread(_PLANNER.plan, state)
    return PlanAnswer(result, plan_hospitals, plan_units)


# -- views (the API's response models describe these dicts) ------------------------------


def patient_view(p: m.Patient) -> dict[str, Any]:
    return {
        "tag": p.tag,
        "category": p.category.value,
        "age_band": p.age_band.value,
        "injury": p.injury,
        "needs": sorted(n.value for n in p.needs),
        "note": p.note,
        "status": p.status.value,
        "unit_id": p.unit,
        "hospital_id": p.hospital,
        "registered_at": p.registered_at.isoformat(),
        "status_at": p.status_at.isoformat(),
    }


def _row(category: str, r: m.BoardRow) -> dict[str, Any]:
    return {
        "category": category,
        "on_scene": r.on_scene,
        "assigned": r.assigned,
        "en_route": r.en_route,
        "arrived": r.arrived,
        "released": r.released,
        "total": r.total,
    }


def board_view(b: Board, *, with_patients: bool = True) -> dict[str, Any]:
    return {
        "incident_id": b.mci.incident,
        "level": b.mci.level,
        "level_for_count": b.board.level_for_count,
        "declared_at": b.mci.declared_at.isoformat(),
        "roles": {str(r): b.mci.holder(r) for r in m.CommandRole},
        "rows": [_row(str(c), b.board.rows[c]) for c in m.CATEGORY_ORDER],
        "total": _row("total", b.board.total),
        "units_committed": b.board.units_committed,
        "units_transporting": b.board.units_transporting,
        "patients": [patient_view(p) for p in b.patients] if with_patients else [],
    }


def surge_view(hospital: Hospital, surge: m.SurgeCapacity | None) -> dict[str, Any]:
    return {
        "hospital_id": hospital.id,
        "ed_status": hospital.ed_status.value,
        "in_distribution": surge is not None,
        "declared": surge is not None and surge.declared,
        "immediate": None if surge is None else surge.immediate,
        "delayed": None if surge is None else surge.delayed,
        "minor": None if surge is None else surge.minor,
    }


def incoming_view(
    hospital_id: int, incidents: list[int], per: dict[m.TriageCategory, m.HospitalCount]
) -> dict[str, Any]:
    empty = m.HospitalCount()
    rows = [
        {
            "category": c.value,
            "expected": per.get(c, empty).expected,
            "en_route": per.get(c, empty).en_route,
            "arrived": per.get(c, empty).arrived,
        }
        for c in m.CATEGORY_ORDER
    ]
    return {"hospital_id": hospital_id, "incident_ids": incidents, "rows": rows}


def plan_view(answer: PlanAnswer) -> dict[str, Any]:
    """Seconds from now; a time that cannot happen (no road back) is ``null``, never ``inf``."""
    p = answer.plan
    return {
        "method": p.method,
        "fallback": p.fallback,
        "objective": _finite_or_none(p.objective),
        "solve_ms": round(p.solve_ms, 1),
        "transports": [
            {
                "unit_id": t.unit_id,
                "trip": t.trip,
                "patients": list(t.patients),
                "categories": [c.value for c in t.categories],
                "hospital_id": t.hospital_id,
                "depart_s": _finite_or_none(t.depart_s),
                "arrive_s": _finite_or_none(t.arrive_s),
                "back_s": _finite_or_none(t.back_s),
                "confirmed": t.confirmed,
                "over_capacity": t.over_capacity,
                "reason": _text(t.reason),
            }
            for t in p.transports
        ],
        "hospitals": [
            {
                "hospital_id": h.hospital_id,
                "name": h.name,
                "ed_status": h.status.value,
                "in_distribution": h.capacity is not None,
                "capacity": None
                if h.capacity is None
                else {c.value: h.capacity.places(c) for c in m.CAPACITY_CATEGORIES},
                "from_scene_s": _finite_or_none(h.from_scene_s),
                "incoming": {c.value: n for c, n in p.incoming.get(h.hospital_id, {}).items()},
                "overflow": {c.value: n for c, n in p.overflow.get(h.hospital_id, {}).items()},
            }
            for h in answer.hospitals
        ],
        "units": [
            {"unit_id": u.unit_id, "to_scene_s": _finite_or_none(u.to_scene_s)}
            for u in answer.units
        ],
        "unassigned": [
            {"tag": u.tag, "category": u.category.value, "reason": _text(u.reason)}
            for u in p.unassigned
        ],
        "warnings": [_text(w) for w in p.warnings],
    }


# -- helpers -----------------------------------------------------------------------------


async def _commit(uow: UnitOfWork, actor: str, deps: Deps, events: Iterable[Event]) -> None:
    """Record the domain's events with the rows, commit, then publish (as handlers do)."""
    for event in events:
        uow.record(event)
    records = await uow.commit(actor=actor)
    await deps.publisher.publish(records)


async def _mci(uow: UnitOfWork, incident_id: int, *, lock: bool = False) -> m.Mci:
    found = await uow.mci.get(incident_id, lock=lock)
    if found is None:
        await uow.incidents.get(incident_id)  # 404 for an incident that does not exist
        raise MciNotDeclared(f"no MCI is declared on incident {incident_id}")
    return found


async def _patient(uow: UnitOfWork, incident_id: int, tag: str) -> m.Patient:
    found = await uow.mci.patient(incident_id, tag.strip(), lock=True)
    if found is None:
        raise NotFound(f"No patient with tag {tag} on incident {incident_id}")
    return found


async def _unit_on(uow: UnitOfWork, unit_id: int, incident_id: int) -> Unit:
    unit = await uow.units.get(unit_id)
    if unit.incident_id != incident_id:
        raise UnitNotOnIncident(
            f"unit {unit.call_sign} is not assigned to this incident", unit=unit.call_sign
        )
    return unit


def _holds(mci: m.Mci, role: m.CommandRole, crew_unit: int | None) -> None:
    """A crew acts as an officer only for a role its unit holds; the incident commander holds
    every role not delegated (ICS: command keeps what it has not handed out)."""
    if crew_unit is None or crew_unit in (
        mci.holder(role),
        mci.holder(m.CommandRole.INCIDENT_COMMAND),
    ):
        return
    raise NotRoleHolder(f"your unit does not hold the {role} role", role=str(role))


def _same_registration(stored: m.Patient, new: m.Patient) -> bool:
    keys = ("category", "age_band", "injury", "needs", "note")
    return all(getattr(stored, k) == getattr(new, k) for k in keys)


def _seconds(value: float | None) -> float:
    return math.inf if value is None or math.isnan(value) else max(0.0, float(value))


def _finite_or_none(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 1)


def _text(t: Text) -> dict[str, str]:
    return {"en": t.en, "zh": t.zh}
