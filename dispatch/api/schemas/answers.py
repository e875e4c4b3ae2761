"""Response models of the answers a route assembles itself (around the domain resources).

Grouped by the route file that returns them. Like the resources, they forbid unknown fields, so
an answer and its model cannot drift apart without a failing request; only the parts that are
open by design (event data, optimiser explanations) accept any key.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field

from dispatch.api.auth import Role
from dispatch.api.schemas.resources import (
    Bilingual,
    Hospital,
    Incident,
    LineString,
    LonLat,
    Out,
    Priority,
    Timestamp,
    Unit,
)
from dispatch.api.schemas.times import IntervalOut, UnitTimesOut
from dispatch.domain.nemsis import Severity

# --- auth -----------------------------------------------------------------------------------------


class Token(Out):
    access_token: str = Field(description="send as `Authorization: Bearer <access_token>`")
    token_type: Literal["bearer"]
    expires_in: int = Field(description="seconds the access token lives (at most 900)")
    refresh_token: str = Field(
        description="for POST /auth/refresh, once: each renewal returns the next one"
    )
    username: str
    role: Role
    unit_id: int | None = Field(description="the unit a crew login is bound to")
    hospital_id: int | None = Field(description="the hospital a hospital login is bound to")
    must_change_password: bool = Field(
        description="true: only POST /auth/password (and /auth/me, /auth/logout, /auth/refresh) "
        "until a new password is chosen; everything else answers 403 password-change-required"
    )


class Me(Out):
    username: str
    role: Role
    unit_id: int | None
    hospital_id: int | None
    must_change_password: bool


# --- user administration --------------------------------------------------------------------------


class AdminUser(Out):
    """An account as the admin sees it (never a password or its hash)."""

    username: str
    role: Role
    unit_id: int | None = Field(description="the unit a crew login is bound to (for a shift)")
    hospital_id: int | None
    active: bool
    must_change_password: bool
    failed_logins: int = Field(description="failed logins in the current 15-minute window")
    locked_until: AwareDatetime | None = Field(
        description="locked after too many failed logins until then (POST .../unlock ends it)"
    )
    last_login_at: AwareDatetime | None


# --- incidents ------------------------------------------------------------------------------------


class Recommendation(Out):
    rank: int
    unit: Unit
    eta_s: float
    distance_m: float
    route: LineString
    position_age_s: float | None = Field(
        description="seconds since the unit's last GPS fix (null: it never reported one)"
    )
    stale: bool = Field(
        description="the fix is older than the staleness threshold: ETA from the last position"
    )
    snap_distance_m: float | None = Field(
        default=None,
        description="metres from the incident's location to the road point the ETA and route "
        "end at (on the street its address names when that street is within 150 m)",
    )
    street: str | None = Field(
        default=None, description="the road the route ends on (null: unnamed or unknown)"
    )
    no_isolation_unit: bool = Field(
        default=False,
        description="the call is suspected infectious and no isolation unit is available: this "
        "unit cannot isolate the patient; sending it is an override, recorded",
    )


class NoteAdded(Out):
    incident_id: int
    author: str
    text: str


class NemsisTime(Out):
    """One recorded NEMSIS eTimes moment, flagged when it is out of the expected order."""

    element: str = Field(examples=["eTimes.06"])
    name: str
    label: Bilingual
    at: Timestamp
    since_call_s: float | None
    flagged: Severity | None


class TimelineEvent(Out):
    """A logged event; the event's own fields (``status``, ``reason``, ``text``...) follow."""

    model_config = ConfigDict(extra="allow")

    seq: int
    name: str
    occurred_at: Timestamp
    actor: str
    unit_id: int | None = Field(default=None, description="present for events about a unit")


class Timeline(Out):
    incident: Incident
    nemsis: list[NemsisTime] = Field(description="the incident's times (its first units)")
    events: list[TimelineEvent] = Field(
        description="status events carry occurred_at (the accepted time of the crew's action), "
        "received_at (server), device_at (the device's own) and time_flags"
    )
    units: list[UnitTimesOut] = Field(description="each responding unit's own times, per order")
    intervals: list[IntervalOut] = Field(
        description="NASEMSO intervals of the incident: its first arriving unit's"
    )


class DestinationOption(Out):
    rank: int | None = Field(description="null for a skipped hospital (closed ED or no road ETA)")
    hospital: Hospital
    eta_s: float | None
    reason: Bilingual | None = Field(description="why it is ranked here")
    skipped: Bilingual | None = Field(description="why it should not be used, if so")


class Destinations(Out):
    needs: str | None = Field(description="the capability the triage asks for")
    options: list[DestinationOption]


class TrackProperties(Out):
    unit_id: int
    call_sign: str
    times: list[Timestamp] = Field(description="the fix time of each point")


class TrackFeature(Out):
    type: Literal["Feature"]
    geometry: LineString
    properties: TrackProperties


class Tracks(Out):
    """Where each unit of the incident drove while working it (GeoJSON, for replay)."""

    type: Literal["FeatureCollection"]
    features: list[TrackFeature]


# --- units ----------------------------------------------------------------------------------------


class Acknowledged(Out):
    order_id: int
    acknowledged_at: Timestamp | None


# --- intake ---------------------------------------------------------------------------------------


class TriageAnswer(Out):
    code: str
    label: Bilingual


class TriageQuestion(Out):
    id: str
    text: Bilingual
    answers: list[TriageAnswer]


class ChiefComplaint(Out):
    code: str
    label: Bilingual
    questions: list[TriageQuestion]


class TriageProtocol(Out):
    version: str
    complaints: list[ChiefComplaint]


class LikelyDuplicate(Out):
    incident: Incident
    distance_m: float
    age_s: float
    similarity: float
    score: float


class RepeatCall(Out):
    incident_id: int
    received_at: Timestamp


class IntakeCheck(Out):
    duplicates: list[LikelyDuplicate]
    repeat_calls: list[RepeatCall] = Field(description="earlier calls from the same number")


# --- map ------------------------------------------------------------------------------------------


class MapInfo(Out):
    name: str
    # A list of exactly four, not a 4-tuple: OpenAPI 3.1 ``prefixItems`` for it trips
    # schemathesis (schemathesis/schemathesis#3842), which `make test` runs on this document.
    bbox: list[float] = Field(min_length=4, max_length=4, description="[west, south, east, north]")
    center: list[float] = Field(min_length=2, max_length=2, description="[lon, lat], WGS84")


class GeocodeHit(Out):
    label: str
    location: LonLat
    kind: str = Field(description="address, street, intersection or poi")
    score: float
    interpolated: bool
    unit: str | None = Field(
        default=None,
        description="apartment, suite or room typed after the address (kept out of the match)",
    )
    outline: list[LonLat] | None = Field(
        default=None,
        description="outer ring of an area answer (campus, hospital, park); "
        "location is then its main entrance or a point inside it",
    )


class ReverseHit(Out):
    label: str
    location: LonLat
    kind: str
    score: float
    distance_m: float | None


class RouteAnswer(Out):
    route: LineString
    eta_s: float
    distance_m: float


class AreaGeometry(Out):
    type: Literal["Polygon", "MultiPolygon"]
    coordinates: list[Any]


class CoverageProperties(Out):
    minutes: float
    seconds: float
    road_share: float
    covered_length_m: float
    total_length_m: float
    demand_share: float | None


class CoverageFeature(Out):
    type: Literal["Feature"]
    geometry: AreaGeometry
    properties: CoverageProperties


class Coverage(Out):
    type: Literal["FeatureCollection"]
    features: list[CoverageFeature]
    available_units: int


class RoadProperties(Out):
    highway: str
    name: str | None
    oneway: bool


class RoadFeature(Out):
    type: Literal["Feature"]
    geometry: LineString
    properties: RoadProperties


class Roads(Out):
    """The basemap: every street segment once, as GeoJSON (``application/geo+json``)."""

    type: Literal["FeatureCollection"]
    features: list[RoadFeature]


# --- review and config ----------------------------------------------------------------------------


class PriorityKpi(Out):
    priority: Priority
    incidents: int
    reached: int
    cancelled: int
    target_s: int
    target_fraction: float
    within_target: int
    within_target_share: float | None
    response_median_s: float | None
    response_p90_s: float | None
    call_to_dispatch_median_s: float | None
    call_to_dispatch_p90_s: float | None
    dispatch_to_departure_median_s: float | None
    dispatch_to_departure_p90_s: float | None


class IndicatorShare(Out):
    """Of the intervals counted, how many were within ``limit_s``; ``excluded`` were left out
    (no phone record, never departed, or a negative interval from a clock error)."""

    limit_s: float
    target_share: float = Field(description="the national target share (docs/indicators.md)")
    counted: int
    within: int
    excluded: int
    share: float | None


class IndicatorResponse(Out):
    incidents: int
    reached: int
    mean_s: float | None
    p90_s: float | None


class IndicatorUnitCalls(Out):
    call_sign: str
    calls: int


class IndicatorCallsPerUnit(Out):
    fleet: int
    total: int
    mean: float | None = Field(description="incidents per unit over the whole fleet")
    units: list[IndicatorUnitCalls]


class Indicators(Out):
    """China's 120 quality indicators over the period (dispatch.domain.indicators)."""

    answered_10s: IndicatorShare = Field(description="phone ring to answer within 10 s, per call")
    departure_3min: IndicatorShare = Field(
        description="unit notified (eTimes.03) to en route (eTimes.05) within 3 min, per order"
    )
    response: IndicatorResponse = Field(description="PSAP call to first unit on scene")
    calls_per_unit: IndicatorCallsPerUnit


class InfectiousKpi(Out):
    """Suspected infectious calls and the decontamination of the units that carried them."""

    incidents: int = Field(description="calls flagged suspected infectious")
    transports: int = Field(description="of those, calls whose patient was transported")
    decontaminations: int = Field(description="units decontaminated after them")
    decontamination_median_s: float | None = Field(description="median time, ended ones only")
    decontamination_total_s: float = Field(description="unit-seconds out of service cleaning")


class BloodKpi(Out):
    """The emergency blood supply over the requests made in the period."""

    requests: int
    delivered: int
    waitlisted: int = Field(description="requests still waiting for stock")
    late: int = Field(description="delivered after the deadline, or undelivered and past it")
    delivered_median_s: float | None = Field(description="request to handover, median")
    delivered_mean_s: float | None
    delivered_p90_s: float | None
    units_expired: int = Field(description="free units of lots that expired in the period")


class Kpis(Out):
    area: Literal["urban", "rural"]
    protocol_version: str
    priorities: list[PriorityKpi]
    indicators: Indicators
    infectious: InfectiousKpi | None = None
    blood: BloodKpi | None = None


class ResponseTarget(Out):
    seconds: int
    fraction: float


class ConsoleConfig(Out):
    protocol_version: str
    response_targets: dict[
        Literal["urban", "rural"], dict[Literal["1", "2", "3", "4"], ResponseTarget]
    ]
    order_resend_s: float
    ack_alert_after_s: float
    position_interval_s: float
    stale_after_s: float
    stale_rank_margin_s: float
    advice_policy: Literal["joint-coverage", "joint", "closest"]
    status_alarm_s: dict[str, float] = Field(
        description="time-in-status alarm thresholds, seconds per unit status"
    )
    time_zone: str = Field(description="the centre's IANA time zone; API times stay UTC")


# --- advice ---------------------------------------------------------------------------------------


class ClosestUnit(Out):
    unit_id: int
    eta_s: float


class AdviceDecision(Out):
    incident_id: int
    unit_id: int
    eta_s: float
    policy: str
    divert_from: int | None = Field(description="the incident the unit would leave, if any")
    explanation: dict[str, Any]
    closest: ClosestUnit | None
    reason: str = Field(
        description="one line for the dispatcher, e.g. 'nearest by road' or 'keeps <zone> covered'"
    )
    position_age_s: float | None = Field(description="seconds since the unit's last GPS fix")
    stale: bool = Field(description="the unit's fix is stale: ETA from its last known position")


class Advice(Out):
    decisions: list[AdviceDecision]


class MoveUpSuggestion(Out):
    unit_id: int
    station_id: int
    travel_s: float
    explanation: dict[str, Any]


class MoveUps(Out):
    moves: list[MoveUpSuggestion]


# --- operations -----------------------------------------------------------------------------------


class Health(Out):
    status: Literal["ok"]
    seq: int = Field(description="the event log's head")
    redis: bool
    map: str


class Ready(Out):
    """``/readyz``: this worker can serve (database, Redis and map checked just now)."""

    status: Literal["ready"]
    checks: dict[str, bool] = Field(description="database, redis, map: each true")
    map: str
