"""Request bodies and response models of the mass-casualty API (``dispatch.api.routes.mci``).

Bodies are strict (unknown fields refused, integers never booleans or strings) and bounded, as
everywhere in ``dispatch.api.schemas``; enums are the domain's own (``dispatch.domain.mci``), so
``/openapi.json`` lists every category, need, age band, status and role a client must handle.
Responses describe the dicts ``dispatch.services.mci`` shapes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import Field, model_validator

from dispatch.api.schemas.bodies import Body
from dispatch.api.schemas.resources import Bilingual, Out, Timestamp
from dispatch.api.schemas.types import Count, Id, PlainText
from dispatch.domain.hospitals import EdStatus
from dispatch.domain.mci import (
    INJURY_MAX,
    MAX_LEVEL,
    NOTE_MAX,
    SURGE_MAX,
    TAG_MAX,
    AgeBand,
    CommandRole,
    Need,
    PatientStatus,
    TriageCategory,
)

#: The number printed on a physical triage tag: letters, digits, ``.``, ``_`` and ``-``.
TAG_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{TAG_MAX - 1}}}$"
Tag = Annotated[str, Field(min_length=1, max_length=TAG_MAX, pattern=TAG_PATTERN)]
PathTag = Annotated[str, Path(min_length=1, max_length=TAG_MAX, pattern=TAG_PATTERN)]
Needs = Annotated[list[Need], Field(max_length=len(Need))]
Surge = Annotated[Count, Field(le=SURGE_MAX)]


# --- bodies ------------------------------------------------------------------------------


class MciDeclareIn(Body):
    patients: Annotated[Count, Field(le=100_000)] = Field(
        description="estimated patient count; the level is derived from it"
    )
    level: Annotated[int, Field(strict=True, ge=1, le=MAX_LEVEL)] | None = Field(
        default=None, description="higher than the count warrants, if the officer says so"
    )
    incident_command_unit_id: Id | None = Field(
        default=None, description="the unit taking incident command (assigned to the incident)"
    )


class RoleIn(Body):
    unit_id: Id


class PatientIn(Body):
    """One tap per patient: the tag and a category; the rest is optional."""

    tag: Tag
    category: TriageCategory
    age_band: AgeBand = AgeBand.UNKNOWN
    injury: PlainText = Field(default="", max_length=INJURY_MAX)
    needs: Needs = Field(default_factory=list)
    note: PlainText = Field(default="", max_length=NOTE_MAX)


class PatientPatchIn(Body):
    """A re-triage (``category``, with an optional ``reason``) and/or corrections; absent
    fields are unchanged."""

    category: TriageCategory | None = None
    reason: PlainText = Field(default="", max_length=NOTE_MAX)
    age_band: AgeBand | None = None
    injury: PlainText | None = Field(default=None, max_length=INJURY_MAX)
    needs: Needs | None = None
    note: PlainText | None = Field(default=None, max_length=NOTE_MAX)


class TransportIn(Body):
    unit_id: Id
    hospital_id: Id
    patients: list[Tag] = Field(min_length=1, max_length=20, description="triage tags")
    override: bool = Field(
        default=False, description="load beyond the unit's capacity table (needs a reason)"
    )
    reason: PlainText = Field(default="", max_length=NOTE_MAX)

    @model_validator(mode="after")
    def _override_has_reason(self) -> TransportIn:
        if self.override and not self.reason.strip():
            raise ValueError("override needs a reason")
        return self


class SurgeIn(Body):
    immediate: Surge
    delayed: Surge
    minor: Surge


# --- responses ---------------------------------------------------------------------------


class MciPatient(Out):
    tag: str
    category: TriageCategory
    age_band: AgeBand
    injury: str
    needs: list[Need]
    note: str
    status: PatientStatus
    unit_id: int | None
    hospital_id: int | None
    registered_at: Timestamp
    status_at: Timestamp


class BoardRow(Out):
    category: TriageCategory | str = Field(description="a triage category, or total")
    on_scene: int
    assigned: int = Field(description="on a unit, not yet left the scene")
    en_route: int
    arrived: int
    released: int
    total: int


class MciBoard(Out):
    incident_id: int
    level: int
    level_for_count: int = Field(description="the level the patient count alone warrants")
    declared_at: Timestamp
    roles: dict[CommandRole, int | None] = Field(description="the unit holding each role")
    rows: list[BoardRow]
    total: BoardRow
    units_committed: int
    units_transporting: int
    patients: list[MciPatient]


class PlannedTransport(Out):
    unit_id: int
    trip: int = Field(description="0: the unit's next trip")
    patients: list[str]
    categories: list[TriageCategory]
    hospital_id: int
    depart_s: float | None = Field(description="seconds from now; null: cannot happen")
    arrive_s: float | None
    back_s: float | None = Field(description="back at the scene; null: no road back")
    confirmed: bool
    over_capacity: int
    reason: Bilingual


class PlanHospital(Out):
    hospital_id: int
    name: str
    ed_status: EdStatus
    in_distribution: bool = Field(description="false on diversion or closed")
    capacity: dict[TriageCategory, int] | None = Field(
        description="surge places per capacity category (declared, else from beds)"
    )
    from_scene_s: float | None
    incoming: dict[TriageCategory, int]
    overflow: dict[TriageCategory, int]


class PlanUnit(Out):
    unit_id: int
    to_scene_s: float | None


class PlanLeftOut(Out):
    tag: str
    category: TriageCategory
    reason: Bilingual


class MciPlan(Out):
    method: str = Field(description="plan, greedy (the fallback) or nearest-first")
    fallback: str | None
    objective: float | None
    solve_ms: float
    transports: list[PlannedTransport]
    hospitals: list[PlanHospital]
    units: list[PlanUnit]
    unassigned: list[PlanLeftOut]
    warnings: list[Bilingual]


class SurgeCapacity(Out):
    hospital_id: int
    ed_status: EdStatus
    in_distribution: bool
    declared: bool = Field(description="false: the default derived from free beds")
    immediate: int | None
    delayed: int | None
    minor: int | None


class IncomingRow(Out):
    category: TriageCategory
    expected: int = Field(description="on a unit bound here, not yet left the scene")
    en_route: int
    arrived: int


class MciIncoming(Out):
    hospital_id: int
    incident_ids: list[int] = Field(description="open MCIs sending patients here")
    rows: list[IncomingRow]
