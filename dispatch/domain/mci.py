"""Mass-casualty incidents (issue 17): patients, command roles, surge capacity and the MCI board.

An MCI is declared on an ordinary incident when the patients outnumber what the usual
one-call-one-ambulance flow can handle. From then on the incident has *patients*, each with a
triage tag, and the question changes from "which unit" to "which patient leaves next, in which
unit, to which hospital" (``dispatch.policies.mci_plan`` answers it, as advice).

Pure, like the rest of ``dispatch.domain``: no I/O, no clock (times are passed in), no ids
invented here (a patient is known by the number on its physical triage tag). Every change
returns the new value *and* the events that record it; the caller persists both together.

The vocabulary:

- :class:`TriageCategory`: START/SALT categories. SALT's *expectant* (grey) is kept apart from
  *dead* (black) because an expectant patient is alive and is transported once the others are.
- :class:`Need`: what the receiving hospital must offer, mapped onto the capabilities of
  :mod:`dispatch.domain.hospitals` (a trauma need is met by any trauma centre, level III or
  better).
- :class:`Patient` and its lifecycle (:class:`PatientStatus`)::

      on_scene --assign--> assigned --depart--> transporting --arrive--> arrived
          |                   |
          |                   +--unassign--> on_scene     (the officer changed the plan)
          +--release--> released                          (minor, treated and released on scene)

- :class:`Mci`: the declaration, its level (:func:`mci_level`) and the command roles
  (:class:`CommandRole`) bound to units.
- :class:`SurgeCapacity`: how many more patients of each category a hospital accepts from this
  incident; :func:`default_surge` derives a conservative default from its free beds.
- :class:`UnitCapacity`: what one ambulance carries (one immediate, or two delayed, ...).
- :func:`board_counts` and :func:`hospital_counts`: the read models of the console's MCI board
  and of the receiving EDs.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from dispatch.domain.errors import DomainError
from dispatch.domain.events import Event
from dispatch.domain.hospitals import SATISFIES, EdStatus, Hospital
from dispatch.domain.text import Text

# -- errors ------------------------------------------------------------------------------


class InvalidPatient(DomainError):
    """A patient record that cannot be right: an empty tag, an unknown need, a note too long."""

    code = "invalid-patient"
    title = "Invalid patient record"


class IllegalPatientTransition(DomainError):
    """The patient is not in a state where this step makes sense (e.g. arrive before leaving)."""

    code = "illegal-patient-transition"
    title = "Illegal patient status change"


class PatientNotTransportable(DomainError):
    """The dead are not transported by ambulance; re-triage first if the tag was wrong."""

    code = "patient-not-transportable"
    title = "Patient cannot be transported"


class UnitOverloaded(DomainError):
    """More patients than the unit carries (see :class:`UnitCapacity`); the transport officer
    may overrule explicitly, never by accident."""

    code = "unit-overloaded"
    title = "More patients than the unit can carry"


class RoleBindingRefused(DomainError):
    code = "role-binding-refused"
    title = "Command role cannot be bound or released"


class InvalidSurgeCapacity(DomainError):
    code = "invalid-surge-capacity"
    title = "Invalid surge capacity"


class MciRefused(DomainError):
    code = "mci-refused"
    title = "The mass-casualty incident cannot be changed this way"


# -- triage categories -------------------------------------------------------------------


class TriageCategory(StrEnum):
    IMMEDIATE = "immediate"  # red: life-threatening, salvageable with prompt care
    DELAYED = "delayed"  # yellow: serious, can wait for care without immediate risk
    MINOR = "minor"  # green: walking wounded
    EXPECTANT = "expectant"  # grey (SALT): alive, unlikely to survive given current resources
    DEAD = "dead"  # black


C = TriageCategory

#: Board and transport order: most urgent first.
CATEGORY_ORDER: tuple[TriageCategory, ...] = (C.IMMEDIATE, C.DELAYED, C.MINOR, C.EXPECTANT, C.DEAD)

CATEGORY_LABEL: Mapping[TriageCategory, Text] = {
    C.IMMEDIATE: Text("immediate", "立即（红）"),
    C.DELAYED: Text("delayed", "延迟（黄）"),
    C.MINOR: Text("minor", "轻伤（绿）"),
    C.EXPECTANT: Text("expectant", "期待（灰）"),
    C.DEAD: Text("dead", "死亡（黑）"),
}

#: How much one second of an untreated patient's wait counts, by category, when the planner
#: compares plans (it minimises the weighted sum of times to definitive care). Our choice,
#: adjustable: an immediate second is worth ten minor ones, so no number of walking wounded
#: arriving early buys a later immediate unless the gain is tenfold. Expectant patients weigh
#: little (SALT: transported once the others are); the dead are not transported.
TRANSPORT_WEIGHT: Mapping[TriageCategory, float] = {
    C.IMMEDIATE: 10.0,
    C.DELAYED: 3.0,
    C.MINOR: 1.0,
    C.EXPECTANT: 0.5,
    C.DEAD: 0.0,
}

#: Categories a hospital declares surge capacity for. An expectant patient who is transported
#: takes a *delayed* place (a monitored bed, not a resuscitation bay); the dead take none.
CAPACITY_CATEGORIES: tuple[TriageCategory, ...] = (C.IMMEDIATE, C.DELAYED, C.MINOR)


def capacity_category(category: TriageCategory) -> TriageCategory | None:
    """The surge place a patient of ``category`` takes at the hospital (``None``: none)."""
    if category is C.EXPECTANT:
        return C.DELAYED
    if category is C.DEAD:
        return None
    return category


def parse_category(value: str) -> TriageCategory:
    try:
        return TriageCategory(value)
    except ValueError:
        raise InvalidPatient(
            f"unknown triage category {value!r} (known: {', '.join(CATEGORY_ORDER)})",
            category=value,
        ) from None


# -- needs and age -----------------------------------------------------------------------


class Need(StrEnum):
    TRAUMA = "trauma"
    BURNS = "burns"
    PEDIATRIC = "pediatric"
    OBSTETRIC = "obstetric"


#: The hospital capability (``dispatch.domain.hospitals.CAPABILITIES``) each need asks for; any
#: capability in ``SATISFIES[...]`` meets it, so a level I trauma centre meets a trauma need.
#: Trauma maps to ``trauma_3``: in an MCI the crew cannot grade injuries finely, and any trauma
#: centre beats a general ED; the planner still prefers nearer ones.
NEED_CAPABILITY: Mapping[Need, str] = {
    Need.TRAUMA: "trauma_3",
    Need.BURNS: "burns",
    Need.PEDIATRIC: "pediatric",
    Need.OBSTETRIC: "obstetric",
}

NEED_LABEL: Mapping[Need, Text] = {
    Need.TRAUMA: Text("trauma", "创伤"),
    Need.BURNS: Text("burns", "烧伤"),
    Need.PEDIATRIC: Text("paediatric", "儿科"),
    Need.OBSTETRIC: Text("obstetric", "产科"),
}


def parse_needs(values: Iterable[str]) -> frozenset[Need]:
    out = set()
    for value in values:
        try:
            out.add(Need(value))
        except ValueError:
            raise InvalidPatient(
                f"unknown need {value!r} (known: {', '.join(Need)})", need=value
            ) from None
    return frozenset(out)


def meets(capabilities: Collection[str], need: Need) -> bool:
    """Whether a hospital with ``capabilities`` meets ``need``."""
    return any(c in capabilities for c in SATISFIES[NEED_CAPABILITY[need]])


def needs_met(capabilities: Collection[str], needs: Iterable[Need]) -> int:
    """How many of ``needs`` a hospital with ``capabilities`` meets."""
    return sum(1 for n in needs if meets(capabilities, n))


def can_receive(capabilities: Collection[str], needs: Iterable[Need]) -> bool:
    """Whether a hospital with ``capabilities`` meets *every* need (no need: any ED does)."""
    return all(meets(capabilities, n) for n in needs)


class AgeBand(StrEnum):
    """Coarse, as a crew can tell at a glance. It is shown, not acted on: a child's need for a
    paediatric ED is tagged as a need by the crew (a child with a sprained wrist does not need
    one), so nothing here adds needs behind the crew's back."""

    INFANT = "infant"  # under 1
    CHILD = "child"  # 1-15
    ADULT = "adult"  # 16-64
    OLDER = "older"  # 65 and over
    UNKNOWN = "unknown"


# -- patients ----------------------------------------------------------------------------


class PatientStatus(StrEnum):
    ON_SCENE = "on_scene"  # waiting at the casualty collection point
    ASSIGNED = "assigned"  # the transport officer confirmed a unit (and usually a hospital)
    TRANSPORTING = "transporting"  # left the scene in ``unit`` for ``hospital``
    ARRIVED = "arrived"  # handed over at ``hospital``
    RELEASED = "released"  # minor, treated and released on scene


S = PatientStatus

#: A patient's record is closed in these: a hospital's own triage takes over, or no care needed.
PATIENT_FINAL = frozenset({S.ARRIVED, S.RELEASED})

TAG_MAX = 32
INJURY_MAX = 200
NOTE_MAX = 500


@dataclass(frozen=True, slots=True)
class Patient:
    """One casualty of an MCI, known by the number on its triage tag (unique per incident).

    ``unit`` is set while assigned or transporting (and kept on arrival, for the record);
    ``hospital`` is the planned destination when assigned (may be ``None`` until chosen), the
    destination when transporting, and where the patient was handed over when arrived.
    """

    incident: int
    tag: str
    category: TriageCategory
    registered_at: datetime
    status_at: datetime
    age_band: AgeBand = AgeBand.UNKNOWN
    injury: str = ""
    needs: frozenset[Need] = frozenset()
    note: str = ""
    status: PatientStatus = S.ON_SCENE
    unit: int | None = None
    hospital: int | None = None

    def __post_init__(self) -> None:
        _check_text("tag", self.tag, TAG_MAX, required=True)
        _check_text("injury", self.injury, INJURY_MAX)
        _check_text("note", self.note, NOTE_MAX)
        for when in (self.registered_at, self.status_at):
            _aware(when)
        expect_unit = self.status in (S.ASSIGNED, S.TRANSPORTING)
        expect_hospital = self.status in (S.TRANSPORTING, S.ARRIVED)
        if expect_unit != (self.unit is not None) and self.status is not S.ARRIVED:
            raise InvalidPatient(
                f"patient {self.tag}: status {self.status} "
                + ("needs a unit" if expect_unit else "has no unit"),
                tag=self.tag,
            )
        if expect_hospital and self.hospital is None:
            raise InvalidPatient(
                f"patient {self.tag}: status {self.status} needs a hospital", tag=self.tag
            )
        if self.status in (S.ON_SCENE, S.RELEASED) and self.hospital is not None:
            raise InvalidPatient(
                f"patient {self.tag}: status {self.status} has no hospital", tag=self.tag
            )
        if self.status is S.ASSIGNED and self.category is C.DEAD:
            raise PatientNotTransportable(
                f"patient {self.tag} is tagged dead: not transported", tag=self.tag
            )

    @property
    def is_final(self) -> bool:
        return self.status in PATIENT_FINAL

    @property
    def label(self) -> Text:
        return CATEGORY_LABEL[self.category]

    def retriage(
        self, category: TriageCategory, *, at: datetime, reason: str = ""
    ) -> tuple[Patient, tuple[Event, ...]]:
        """A new category (patients get worse, or better, while they wait).

        Allowed until handover (arrived) or release; re-triaging to the same category changes
        nothing and records nothing (a crew's queued offline tap may arrive twice). A patient
        who dies while assigned, before leaving, is taken off the unit (status back to
        on scene), so that the unit's place goes to the next patient; one who dies on the way
        stays in the ambulance.
        """
        self._open("re-triage")
        if category is self.category:
            return self, ()
        _check_text("reason", reason, NOTE_MAX)
        events: list[Event] = [
            MciPatientRetriaged(
                occurred_at=at,
                incident=self.incident,
                tag=self.tag,
                previous=self.category,
                category=category,
                reason=reason.strip(),
            )
        ]
        if category is C.DEAD and self.status is S.ASSIGNED:
            assert self.unit is not None
            events.append(
                MciPatientUnassigned(
                    occurred_at=at,
                    incident=self.incident,
                    tag=self.tag,
                    unit=self.unit,
                    reason="re-triaged dead",
                )
            )
            changed = replace(
                self, category=category, status=S.ON_SCENE, unit=None, hospital=None, status_at=at
            )
        else:
            changed = replace(self, category=category)
        return changed, tuple(events)

    def amend(
        self,
        *,
        at: datetime,
        age_band: AgeBand | None = None,
        injury: str | None = None,
        needs: frozenset[Need] | None = None,
        note: str | None = None,
    ) -> tuple[Patient, tuple[Event, ...]]:
        """Correct the details (``None``: unchanged). Allowed until the record is closed; an
        amendment that changes nothing records nothing."""
        self._open("amend")
        changed = replace(
            self,
            age_band=self.age_band if age_band is None else age_band,
            injury=self.injury if injury is None else injury.strip(),
            needs=self.needs if needs is None else frozenset(needs),
            note=self.note if note is None else note.strip(),
        )
        if changed == self:
            return self, ()
        event = MciPatientAmended(
            occurred_at=at,
            incident=self.incident,
            tag=self.tag,
            age_band=changed.age_band,
            injury=changed.injury,
            needs=tuple(sorted(changed.needs)),
            note=changed.note,
        )
        return changed, (event,)

    def assign(
        self, unit: int, *, at: datetime, hospital: int | None = None
    ) -> tuple[Patient, tuple[Event, ...]]:
        """The transport officer puts the patient on ``unit`` (for ``hospital``, if chosen).

        From on scene, or from assigned (the officer moves the patient to another unit or
        hospital before departure). Prefer :func:`confirm_transport`, which also checks the
        unit's load.
        """
        if self.category is C.DEAD:
            raise PatientNotTransportable(
                f"patient {self.tag} is tagged dead: not transported", tag=self.tag
            )
        self._expect("assign", S.ON_SCENE, S.ASSIGNED)
        if self.status is S.ASSIGNED and (self.unit, self.hospital) == (unit, hospital):
            return self, ()
        changed = replace(self, status=S.ASSIGNED, unit=unit, hospital=hospital, status_at=at)
        event = MciPatientAssigned(
            occurred_at=at, incident=self.incident, tag=self.tag, unit=unit, hospital=hospital
        )
        return changed, (event,)

    def unassign(self, *, at: datetime, reason: str) -> tuple[Patient, tuple[Event, ...]]:
        """Back to waiting on scene (the unit was needed elsewhere, the plan changed)."""
        self._expect("unassign", S.ASSIGNED)
        _check_text("reason", reason, NOTE_MAX, required=True)
        assert self.unit is not None
        event = MciPatientUnassigned(
            occurred_at=at,
            incident=self.incident,
            tag=self.tag,
            unit=self.unit,
            reason=reason.strip(),
        )
        changed = replace(self, status=S.ON_SCENE, unit=None, hospital=None, status_at=at)
        return changed, (event,)

    def depart(
        self, *, at: datetime, hospital: int | None = None
    ) -> tuple[Patient, tuple[Event, ...]]:
        """The unit leaves the scene with the patient, for ``hospital`` (default: the one chosen
        when assigned; one of the two is required: a patient never leaves without a
        destination the hospital can be warned of)."""
        self._expect("depart", S.ASSIGNED)
        destination = self.hospital if hospital is None else hospital
        if destination is None:
            raise IllegalPatientTransition(
                f"patient {self.tag} cannot leave without a destination hospital", tag=self.tag
            )
        assert self.unit is not None
        changed = replace(self, status=S.TRANSPORTING, hospital=destination, status_at=at)
        event = MciPatientTransporting(
            occurred_at=at,
            incident=self.incident,
            tag=self.tag,
            unit=self.unit,
            hospital=destination,
        )
        return changed, (event,)

    def redirect(self, hospital: int, *, at: datetime) -> tuple[Patient, tuple[Event, ...]]:
        """A new destination on the way (the hospital closed, or the patient got worse)."""
        self._expect("redirect", S.TRANSPORTING)
        if hospital == self.hospital:
            return self, ()
        assert self.unit is not None and self.hospital is not None
        event = MciPatientRedirected(
            occurred_at=at,
            incident=self.incident,
            tag=self.tag,
            unit=self.unit,
            previous=self.hospital,
            hospital=hospital,
        )
        return replace(self, hospital=hospital), (event,)

    def arrive(
        self, *, at: datetime, hospital: int | None = None
    ) -> tuple[Patient, tuple[Event, ...]]:
        """Handed over at ``hospital`` (default: the destination). Arriving elsewhere than the
        destination is recorded as is: the crew knows where it is."""
        self._expect("arrive", S.TRANSPORTING)
        where = self.hospital if hospital is None else hospital
        assert where is not None
        changed = replace(self, status=S.ARRIVED, hospital=where, status_at=at)
        event = MciPatientArrived(
            occurred_at=at, incident=self.incident, tag=self.tag, unit=self.unit, hospital=where
        )
        return changed, (event,)

    def release(self, *, at: datetime) -> tuple[Patient, tuple[Event, ...]]:
        """Treated and released on scene: only a minor (green) patient. Anyone else must be
        re-triaged first, so that a red tag is never closed by a slip of the finger."""
        self._expect("release", S.ON_SCENE)
        if self.category is not C.MINOR:
            raise IllegalPatientTransition(
                f"patient {self.tag} is {self.category}: only a minor patient is released on "
                "scene (re-triage first)",
                tag=self.tag,
                category=self.category,
            )
        changed = replace(self, status=S.RELEASED, status_at=at)
        return changed, (MciPatientReleased(occurred_at=at, incident=self.incident, tag=self.tag),)

    def _open(self, action: str) -> None:
        if self.is_final:
            raise IllegalPatientTransition(
                f"patient {self.tag} is {self.status}: cannot {action}",
                tag=self.tag,
                status=self.status,
            )

    def _expect(self, action: str, *allowed: PatientStatus) -> None:
        if self.status not in allowed:
            raise IllegalPatientTransition(
                f"patient {self.tag} is {self.status}: cannot {action} "
                f"(only when {' or '.join(allowed)})",
                tag=self.tag,
                status=self.status,
            )


def register_patient(
    incident: int,
    tag: str,
    category: TriageCategory,
    *,
    at: datetime,
    age_band: AgeBand = AgeBand.UNKNOWN,
    injury: str = "",
    needs: Iterable[Need] = (),
    note: str = "",
) -> tuple[Patient, tuple[Event, ...]]:
    """A new patient on scene: what the crew app's one tap per patient records (a category and
    an optional note), or what a dispatcher types. The tag is the identity: a registration
    replayed from an offline queue is recognised by the storage layer by its tag."""
    patient = Patient(
        incident=incident,
        tag=tag.strip(),
        category=category,
        registered_at=at,
        status_at=at,
        age_band=age_band,
        injury=injury.strip(),
        needs=frozenset(needs),
        note=note.strip(),
    )
    event = MciPatientRegistered(
        occurred_at=at,
        incident=incident,
        tag=patient.tag,
        category=category,
        age_band=patient.age_band,
        injury=patient.injury,
        needs=tuple(sorted(patient.needs)),
        note=patient.note,
    )
    return patient, (event,)


# -- unit capacity -----------------------------------------------------------------------

#: Room each category takes in an ambulance, out of :attr:`UnitCapacity.space` (6). Our choice,
#: adjustable per unit: an immediate or an expectant patient has the stretcher and the whole
#: crew (6), a delayed patient half (3: two on stretcher and bench), a minor one a seat (2: three
#: walking wounded, or one delayed and one minor). The dead are not in the table: not carried.
DEFAULT_LOAD: Mapping[TriageCategory, int] = {
    C.IMMEDIATE: 6,
    C.EXPECTANT: 6,
    C.DELAYED: 3,
    C.MINOR: 2,
}


@dataclass(frozen=True, slots=True)
class UnitCapacity:
    """What one unit carries: ``space`` and the room ``takes[category]`` each patient needs.

    A bus for walking wounded is ``UnitCapacity(20, {MINOR: 1})``.
    """

    space: int = 6
    takes: Mapping[TriageCategory, int] = field(default_factory=lambda: dict(DEFAULT_LOAD))

    def __post_init__(self) -> None:
        if self.space <= 0:
            raise ValueError("a unit's space must be positive")
        bad = {c: n for c, n in self.takes.items() if n <= 0 or n > self.space}
        if bad:
            raise ValueError(f"room per patient must be in 1..{self.space}: {bad}")

    def carries(self, category: TriageCategory) -> bool:
        return category in self.takes

    def used(self, categories: Iterable[TriageCategory]) -> int:
        """Room ``categories`` take; a category not carried raises :class:`UnitOverloaded`."""
        total = 0
        for c in categories:
            if c not in self.takes:
                raise UnitOverloaded(f"a {c} patient is not carried by this unit", category=c)
            total += self.takes[c]
        return total

    def fits(self, categories: Iterable[TriageCategory]) -> bool:
        cats = list(categories)
        return all(c in self.takes for c in cats) and self.used(cats) <= self.space


DEFAULT_UNIT_CAPACITY = UnitCapacity()


def confirm_transport(
    patients: Sequence[Patient],
    unit: int,
    hospital: int,
    *,
    at: datetime,
    capacity: UnitCapacity = DEFAULT_UNIT_CAPACITY,
    on_board: Sequence[Patient] = (),
    allow_overload: bool = False,
) -> tuple[list[Patient], tuple[Event, ...]]:
    """The transport officer confirms a transport: ``patients`` go in ``unit`` to ``hospital``.

    ``on_board`` are the patients already assigned to that unit (they share its room). More
    than the unit carries is refused with :class:`UnitOverloaded` unless ``allow_overload``:
    the officer may overrule the table, but says so.
    """
    if not patients:
        raise IllegalPatientTransition("a transport needs at least one patient")
    tags = [p.tag for p in patients]
    if len(set(tags)) != len(tags):
        raise IllegalPatientTransition(f"a patient is listed twice: {tags}")
    load = [p.category for p in patients] + [p.category for p in on_board if p.tag not in tags]
    for p in patients:
        if p.category is C.DEAD:
            raise PatientNotTransportable(
                f"patient {p.tag} is tagged dead: not transported", tag=p.tag
            )
    if not allow_overload and not capacity.fits(load):
        raise UnitOverloaded(
            f"unit {unit} carries room {capacity.space}; "
            f"{', '.join(sorted(str(c) for c in load))} take {_room(capacity, load)}",
            unit=str(unit),
        )
    out: list[Patient] = []
    events: list[Event] = []
    for p in patients:
        changed, recorded = p.assign(unit, at=at, hospital=hospital)
        out.append(changed)
        events.extend(recorded)
    return out, tuple(events)


def _room(capacity: UnitCapacity, load: Sequence[TriageCategory]) -> str:
    if all(capacity.carries(c) for c in load):
        return str(capacity.used(load))
    return "more than a unit carries"


# -- the declaration, its level and the command roles ------------------------------------

#: ``(largest patient count, level)``, ascending; above the last: level 4. The tiered scale of
#: many county EMS MCI plans (level 1: up to 10 patients, 2: 11-20, 3: 21-100, 4: over 100).
#: Our choice, adjustable. Fewer than 5 patients is not usually an MCI, but declaring is the
#: commander's judgement (a rural crew may be overwhelmed by 3), so the level never goes below 1.
MCI_LEVELS: tuple[tuple[int, int], ...] = ((10, 1), (20, 2), (100, 3))
MAX_LEVEL = 4


def mci_level(patient_count: int) -> int:
    """The MCI level for ``patient_count`` patients (see :data:`MCI_LEVELS`)."""
    if patient_count < 0:
        raise ValueError("a patient count cannot be negative")
    for ceiling, level in MCI_LEVELS:
        if patient_count <= ceiling:
            return level
    return MAX_LEVEL


class CommandRole(StrEnum):
    """The on-scene functions of the incident command system an EMS MCI plan fills first."""

    INCIDENT_COMMAND = "incident_command"
    TRIAGE = "triage"
    TREATMENT = "treatment"
    TRANSPORT = "transport"
    STAGING = "staging"


ROLE_LABEL: Mapping[CommandRole, Text] = {
    CommandRole.INCIDENT_COMMAND: Text("incident command", "现场指挥"),
    CommandRole.TRIAGE: Text("triage", "检伤分类"),
    CommandRole.TREATMENT: Text("treatment", "现场救治"),
    CommandRole.TRANSPORT: Text("transport", "转运"),
    CommandRole.STAGING: Text("staging", "待命集结"),
}


@dataclass(frozen=True, slots=True)
class Mci:
    """A declared mass-casualty incident on ``incident``.

    Roles: each role is held by **at most one unit** (two triage officers means nobody is in
    charge of triage); binding a role that another unit holds *transfers* it, and the event
    names both. A unit **may hold several roles**: the first crew on scene routinely holds
    incident command and triage until more resources arrive, and refusing would make the
    dispatcher record a fiction. A unit holding a role is committed to the scene and is not a
    transport resource: :attr:`command_units` is what the caller leaves out of the plan.
    Incident command is never vacated, only transferred.

    The level rises by itself with the patient count (:meth:`escalate`), never falls by itself:
    lowering it is the commander's decision (:meth:`set_level`).
    """

    incident: int
    declared_at: datetime
    level: int
    roles: Mapping[CommandRole, int] = field(default_factory=dict)

    @property
    def command_units(self) -> frozenset[int]:
        return frozenset(self.roles.values())

    def holder(self, role: CommandRole) -> int | None:
        return self.roles.get(role)

    def roles_of(self, unit: int) -> tuple[CommandRole, ...]:
        return tuple(r for r in CommandRole if self.roles.get(r) == unit)

    def bind(
        self,
        role: CommandRole,
        unit: int,
        *,
        at: datetime,
        transporting: Collection[int] = (),
    ) -> tuple[Mci, tuple[Event, ...]]:
        """Give ``role`` to ``unit`` (a transfer if another unit held it). A unit carrying
        patients (``transporting``) is refused: it is not on scene to do the job."""
        if unit in transporting:
            raise RoleBindingRefused(
                f"unit {unit} is carrying patients: bind a unit on scene to {role}",
                unit=str(unit),
                role=role,
            )
        previous = self.roles.get(role)
        if previous == unit:
            return self, ()
        roles = {**self.roles, role: unit}
        event = MciRoleBound(
            occurred_at=at, incident=self.incident, role=role, unit=unit, previous=previous
        )
        return replace(self, roles=roles), (event,)

    def release_role(self, role: CommandRole, *, at: datetime) -> tuple[Mci, tuple[Event, ...]]:
        """Stand a role down (its unit becomes a transport resource again)."""
        if role is CommandRole.INCIDENT_COMMAND:
            raise RoleBindingRefused(
                "incident command is transferred to another unit, never left vacant", role=role
            )
        unit = self.roles.get(role)
        if unit is None:
            raise RoleBindingRefused(f"nobody holds {role}", role=role)
        roles = {r: u for r, u in self.roles.items() if r is not role}
        event = MciRoleReleased(occurred_at=at, incident=self.incident, role=role, unit=unit)
        return replace(self, roles=roles), (event,)

    def escalate(self, patient_count: int, *, at: datetime) -> tuple[Mci, tuple[Event, ...]]:
        """Raise the level when the count warrants it; never lowers it."""
        wanted = mci_level(patient_count)
        if wanted <= self.level:
            return self, ()
        event = MciLevelChanged(
            occurred_at=at,
            incident=self.incident,
            previous=self.level,
            level=wanted,
            patients=patient_count,
            reason="patient count",
        )
        return replace(self, level=wanted), (event,)

    def set_level(self, level: int, *, at: datetime, reason: str) -> tuple[Mci, tuple[Event, ...]]:
        """The commander sets the level (up or down), with a reason."""
        _check_level(level)
        _check_text("reason", reason, NOTE_MAX, required=True, error=MciRefused)
        if level == self.level:
            return self, ()
        event = MciLevelChanged(
            occurred_at=at,
            incident=self.incident,
            previous=self.level,
            level=level,
            patients=None,
            reason=reason.strip(),
        )
        return replace(self, level=level), (event,)


def declare_mci(
    incident: int,
    *,
    at: datetime,
    patients: int,
    level: int | None = None,
    incident_command: int | None = None,
) -> tuple[Mci, tuple[Event, ...]]:
    """Declare an MCI on ``incident`` for an estimated ``patients`` count.

    The level is :func:`mci_level` of the estimate unless the declaring officer sets it higher
    (a level lower than the count warrants is refused: under-declaring is how an MCI runs out
    of ambulances). ``incident_command``: the unit taking command, usually the first on scene.
    """
    _aware(at)
    derived = mci_level(patients)
    chosen = derived if level is None else level
    _check_level(chosen)
    if chosen < derived:
        raise MciRefused(
            f"{patients} patients make a level {derived} MCI; level {chosen} is too low",
            level=str(chosen),
        )
    mci = Mci(incident=incident, declared_at=at, level=chosen)
    events: list[Event] = [
        MciDeclared(occurred_at=at, incident=incident, level=chosen, patients=patients)
    ]
    if incident_command is not None:
        mci, bound = mci.bind(CommandRole.INCIDENT_COMMAND, incident_command, at=at)
        events.extend(bound)
    return mci, tuple(events)


def _check_level(level: int) -> None:
    if not 1 <= level <= MAX_LEVEL:
        raise MciRefused(f"an MCI level is 1..{MAX_LEVEL}, not {level}", level=str(level))


# -- hospital surge capacity -------------------------------------------------------------

SURGE_MAX = 1_000


@dataclass(frozen=True, slots=True)
class SurgeCapacity:
    """How many patients of each category a hospital accepts **from this incident in total**:
    those already handed over and those on the way count against it (so an ED that declared 3
    immediates and has received 2 has one place left). ``declared`` is False for the default
    derived from beds (:func:`default_surge`), True once the ED (or a dispatcher on its behalf)
    declared numbers."""

    hospital: int
    immediate: int
    delayed: int
    minor: int
    declared: bool = False
    declared_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("immediate", "delayed", "minor"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not (0 <= value <= SURGE_MAX)
            ):
                raise InvalidSurgeCapacity(
                    f"hospital {self.hospital}: {name} capacity must be 0..{SURGE_MAX}, "
                    f"not {value!r}",
                    hospital=str(self.hospital),
                )

    def places(self, category: TriageCategory) -> int:
        """Places for a patient of ``category`` (expectant: delayed places; dead: none)."""
        pool = capacity_category(category)
        if pool is None:
            return 0
        return int(getattr(self, pool.value))

    def as_counts(self) -> dict[TriageCategory, int]:
        return {c: self.places(c) for c in CAPACITY_CATEGORIES}


def default_surge(hospital: Hospital) -> SurgeCapacity:
    """The capacity assumed until the ED declares its own, from its reported free beds ``B``.

    Conservative on purpose (our choice, adjustable; the ED screen corrects it in seconds):

    - immediate: the free trauma bays when the ED reports them (``capability_beds`` of a trauma
      level; resuscitation bays are what an immediate patient needs), else one per 10 free
      beds, rounded up (an ED with any free bed can resuscitate one);
    - delayed: one per 4 free beds, rounded up;
    - minor: one per 2 free beds, rounded up (a minor patient needs a chair, not a bed).

    An ED reporting no free beds gets zero everywhere: the planner then sends it patients only
    as reported overflow, when nobody else has room.
    """
    beds = max(0, hospital.beds_available)
    bays = hospital.beds_for("trauma_3") if hospital.can_treat("trauma_3") else None
    return SurgeCapacity(
        hospital=hospital.id,
        immediate=bays if bays is not None else math.ceil(beds / 10),
        delayed=math.ceil(beds / 4),
        minor=math.ceil(beds / 2),
    )


def declare_surge(
    hospital: int, *, immediate: int, delayed: int, minor: int, at: datetime
) -> tuple[SurgeCapacity, tuple[Event, ...]]:
    """The ED (or the API) declares its surge capacity for the incident."""
    _aware(at)
    surge = SurgeCapacity(hospital, immediate, delayed, minor, declared=True, declared_at=at)
    event = SurgeCapacityDeclared(
        occurred_at=at, hospital=hospital, immediate=immediate, delayed=delayed, minor=minor
    )
    return surge, (event,)


def effective_surge(hospital: Hospital, declared: SurgeCapacity | None) -> SurgeCapacity | None:
    """What the distribution may use: ``None`` when the ED is on diversion or closed (the
    hospital is taken out of the distribution; its declaration is kept for when it reopens),
    else the declared capacity, or the default from beds."""
    if hospital.ed_status is not EdStatus.OPEN:
        return None
    if declared is not None:
        if declared.hospital != hospital.id:
            raise InvalidSurgeCapacity(
                f"capacity of hospital {declared.hospital} given for hospital {hospital.id}",
                hospital=str(hospital.id),
            )
        return declared
    return default_surge(hospital)


# -- read models -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardRow:
    """Patients of one category: waiting on scene, assigned to a unit (still on scene), on the
    way to hospital, handed over, released on scene."""

    on_scene: int = 0
    assigned: int = 0
    en_route: int = 0
    arrived: int = 0
    released: int = 0

    @property
    def at_scene(self) -> int:
        return self.on_scene + self.assigned

    @property
    def total(self) -> int:
        return self.on_scene + self.assigned + self.en_route + self.arrived + self.released


@dataclass(frozen=True, slots=True)
class MciBoard:
    """The console's MCI board: counts by category x stage, and the units committed."""

    rows: Mapping[TriageCategory, BoardRow]
    total: BoardRow
    units_committed: int
    units_transporting: int
    #: the level the current count alone warrants (the declared level may be higher)
    level_for_count: int


_COLUMN: Mapping[PatientStatus, str] = {
    S.ON_SCENE: "on_scene",
    S.ASSIGNED: "assigned",
    S.TRANSPORTING: "en_route",
    S.ARRIVED: "arrived",
    S.RELEASED: "released",
}


def board_counts(patients: Iterable[Patient], committed_units: Iterable[int]) -> MciBoard:
    """The board from the incident's patients and the units committed to it (assigned to the
    incident, whatever they are doing). Every category has a row, zeros included, in
    :data:`CATEGORY_ORDER`, so the board's layout never jumps."""
    counts = {c: dict.fromkeys(_COLUMN.values(), 0) for c in CATEGORY_ORDER}
    transporting: set[int] = set()
    for p in patients:
        counts[p.category][_COLUMN[p.status]] += 1
        if p.status is S.TRANSPORTING and p.unit is not None:
            transporting.add(p.unit)
    rows = {c: BoardRow(**counts[c]) for c in CATEGORY_ORDER}
    total = BoardRow(**{k: sum(counts[c][k] for c in CATEGORY_ORDER) for k in _COLUMN.values()})
    units = set(committed_units)
    return MciBoard(
        rows=rows,
        total=total,
        units_committed=len(units | transporting),
        units_transporting=len(transporting),
        level_for_count=mci_level(total.total),
    )


@dataclass(frozen=True, slots=True)
class HospitalCount:
    """One hospital's patients of one category from the incident: ``expected`` (assigned to a
    unit for it, not yet left), ``en_route`` and ``arrived``."""

    expected: int = 0
    en_route: int = 0
    arrived: int = 0

    @property
    def committed(self) -> int:
        """What counts against its surge capacity before any new plan: on the way or there."""
        return self.en_route + self.arrived


def hospital_counts(
    patients: Iterable[Patient],
) -> dict[int, dict[TriageCategory, HospitalCount]]:
    """What each receiving ED sees live: incoming and arrived counts by category."""
    raw: dict[int, dict[TriageCategory, list[int]]] = {}
    column = {S.ASSIGNED: 0, S.TRANSPORTING: 1, S.ARRIVED: 2}
    for p in patients:
        if p.hospital is None or p.status not in column:
            continue
        raw.setdefault(p.hospital, {}).setdefault(p.category, [0, 0, 0])[column[p.status]] += 1
    return {
        h: {c: HospitalCount(*by_cat[c]) for c in CATEGORY_ORDER if c in by_cat}
        for h, by_cat in sorted(raw.items())
    }


# -- events ------------------------------------------------------------------------------
# Fields are JSON-ready (ints, strings, tuples) for the event log.


@dataclass(frozen=True, slots=True)
class MciDeclared(Event):
    incident: int
    level: int
    patients: int


@dataclass(frozen=True, slots=True)
class MciLevelChanged(Event):
    incident: int
    previous: int
    level: int
    patients: int | None  # the count that raised it; None when the commander set it
    reason: str


@dataclass(frozen=True, slots=True)
class MciRoleBound(Event):
    incident: int
    role: str
    unit: int
    previous: int | None  # the unit that held it before (a transfer), if any


@dataclass(frozen=True, slots=True)
class MciRoleReleased(Event):
    incident: int
    role: str
    unit: int


@dataclass(frozen=True, slots=True)
class MciPatientRegistered(Event):
    incident: int
    tag: str
    category: str
    age_band: str
    injury: str
    needs: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class MciPatientRetriaged(Event):
    incident: int
    tag: str
    previous: str
    category: str
    reason: str


@dataclass(frozen=True, slots=True)
class MciPatientAmended(Event):
    incident: int
    tag: str
    age_band: str
    injury: str
    needs: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class MciPatientAssigned(Event):
    incident: int
    tag: str
    unit: int
    hospital: int | None


@dataclass(frozen=True, slots=True)
class MciPatientUnassigned(Event):
    incident: int
    tag: str
    unit: int
    reason: str


@dataclass(frozen=True, slots=True)
class MciPatientTransporting(Event):
    incident: int
    tag: str
    unit: int
    hospital: int


@dataclass(frozen=True, slots=True)
class MciPatientRedirected(Event):
    incident: int
    tag: str
    unit: int
    previous: int
    hospital: int


@dataclass(frozen=True, slots=True)
class MciPatientArrived(Event):
    incident: int
    tag: str
    unit: int | None
    hospital: int


@dataclass(frozen=True, slots=True)
class MciPatientReleased(Event):
    incident: int
    tag: str


@dataclass(frozen=True, slots=True)
class SurgeCapacityDeclared(Event):
    hospital: int
    immediate: int
    delayed: int
    minor: int


# -- helpers -----------------------------------------------------------------------------


def _check_text(
    name: str,
    value: str,
    limit: int,
    *,
    required: bool = False,
    error: type[DomainError] = InvalidPatient,
) -> None:
    if not isinstance(value, str):
        raise error(f"{name} must be text")
    if required and not value.strip():
        raise error(f"{name} is required")
    if len(value) > limit:
        raise error(f"{name} is longer than {limit} characters")


def _aware(when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC)")
