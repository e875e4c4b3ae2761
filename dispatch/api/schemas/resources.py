"""Response models of the domain objects, exactly as ``dispatch.domain.payloads`` shapes them.

Routes return the payload dicts (the same ones events carry) and FastAPI validates each answer
against its model. Models forbid unknown fields, so a field added to a payload but not to its
model fails the request loudly instead of vanishing from the answer; enums are the domain's own,
so ``/openapi.json`` lists every value a client must handle.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, WithJsonSchema

from dispatch.domain.hospitals import EdStatus
from dispatch.domain.model import Capability, IncidentStatus, UnitStatus


class Out(BaseModel):
    """Base of every response model: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


#: Times are ISO 8601 strings with a UTC offset, passed through as the payloads format them.
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


# A named schema (``#/components/schemas/LonLat``) that every answer holding a position refers
# to: a flat model that inlined the tuple's ``prefixItems`` was misread by schemathesis 4.32 as a
# Draft 4 tuple, and its answers could not be checked.
class LonLat(RootModel[tuple[float, float]]):
    model_config = ConfigDict(json_schema_extra={"description": "[lon, lat], WGS84"})


#: 1 critical .. 4 non-urgent; priority 1 needs an ALS unit.
Priority = Literal[1, 2, 3, 4]


class Bilingual(Out):
    """A text for people, in English and Chinese."""

    en: str
    zh: str


class Caller(Out):
    """Where the phone network placed the caller (ALI-style evidence, not the verified scene)."""

    number: str | None
    location: LonLat | None
    accuracy_m: float | None
    crs: str = Field(description="the datum it was reported in: WGS-84, GCJ-02 or BD-09")
    name: str | None = Field(default=None, description="the caller's name, as given")
    callback: str | None = Field(default=None, description="number to call back, if not ANI")


class Unit(Out):
    id: int
    call_sign: str
    capability: Capability
    status: UnitStatus
    status_at: Timestamp
    position: LonLat | None
    position_at: Timestamp | None
    station_id: int | None
    incident_id: int | None
    order_id: int | None = Field(description="the current dispatch order (assignment id)")
    acknowledged_at: Timestamp | None = Field(description="when the crew confirmed the order")
    destination_hospital_id: int | None
    in_quarters: bool = Field(description="available at its own station")
    status_flags: list[str] = Field(
        default_factory=list,
        description="why status_at is suspicious or not the crew device's own time: clock-skew, "
        "future, before-previous, too-old, order-warning (docs/times.md)",
    )
    isolation: bool = Field(
        default=False, description="can isolate a suspected infectious patient (negative pressure)"
    )
    decontamination_until: Timestamp | None = Field(
        default=None,
        description="status decontamination: when it ends by itself unless the crew clears it",
    )


class Incident(Out):
    id: int
    number: str = Field(examples=["2026-000007"])
    location: LonLat
    address: str | None
    complaint: str
    priority: Priority
    status: IncidentStatus
    unit_ids: list[int] = Field(description="every unit assigned, in order")
    received_at: Timestamp
    dispatched_at: Timestamp | None
    en_route_at: Timestamp | None
    on_scene_at: Timestamp | None
    transporting_at: Timestamp | None
    at_hospital_at: Timestamp | None
    closed_at: Timestamp | None
    cancelled_at: Timestamp | None
    cancel_reason: str | None
    address_verified: bool
    complaint_code: str | None
    determinant: str | None
    determinant_code: str | None
    protocol_version: str | None
    needs: list[str] = Field(description='e.g. ["ALS"]')
    hospital_capability: str | None = Field(description="what the receiving ED must offer")
    infectious: bool = Field(
        default=False,
        description="suspected infectious (respiratory / fever): isolation unit, "
        "fever clinic, decontamination after",
    )
    infectious_reason: str | None = Field(default=None, description="why it was flagged")
    protection: Literal["airborne"] | None = Field(
        default=None,
        description="protection the crew must wear: airborne = FFP2/N95 respirator, gown, "
        "gloves, eye protection; null = standard precautions",
    )
    caller: Caller | None


class Hospital(Out):
    id: int
    name: str
    location: LonLat
    capabilities: list[str]
    ed_status: EdStatus
    beds_available: int
    capability_beds: dict[str, int] = Field(
        description="free beds per capability the ED reports (absent: no separate count)"
    )
    #: when the ED last reported its status or beds (null: never); old reports are flagged
    status_at: Timestamp | None


class IncomingAck(Out):
    """An ED's acknowledgement of an incoming patient (the first one, when repeated)."""

    incident_id: int
    hospital_id: int
    unit_ids: list[int]
    acknowledged_at: Timestamp
    acknowledged_by: str | None


class Site(Out):
    """An ambulance station."""

    id: int
    name: str
    location: LonLat


class LineString(Out):
    """A GeoJSON LineString of ``[lon, lat]`` points."""

    type: Literal["LineString"]
    coordinates: list[LonLat]


class RouteStep(Out):
    """One turn-by-turn instruction for the crew."""

    maneuver: str = Field(description="depart, turn, continue, uturn or arrive")
    modifier: str
    name: str
    instruction: str
    text: str = Field(description='what the crew app shows: "Turn left onto X, 400 m"')
    distance_m: float
    duration_s: float
    location: LonLat


class Assignment(Out):
    """A dispatch order: the incident, the unit, and a road route from where the unit is."""

    order_id: int | None
    acknowledged_at: Timestamp | None
    incident: Incident
    unit: Unit
    eta_s: float | None = Field(description="null when the unit has no position")
    distance_m: float | None
    route: LineString | None
    steps: list[RouteStep]
    protection: Literal["airborne"] | None = Field(
        default=None, description="protection the crew must wear (see Incident.protection)"
    )
