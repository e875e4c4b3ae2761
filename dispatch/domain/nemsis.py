"""Incident and unit times as NEMSIS v3.5.1 eTimes, their order, and the timeline they make.

Why: response times are the measure EMS is judged by, and they are only comparable when
everyone means the same thing by "en route" or "on scene". NEMSIS v3.5.1 (``eTimes_v3.xsd``,
complexType ``eTimes``, namespace ``http://www.nemsis.org``) defines the moments; the element
numbers, ids and names below are copied from that schema (build 3.5.1.250403CP1), and the
intervals from the NASEMSO "EMS Time Interval Definitions" sheet that accompanies it.

Order rules. The XSD fixes names and types, not chronology; the order below follows from the
element definitions and the NASEMSO intervals (each computed as later - earlier):

* **error** (refused at entry): the main chain PSAP call (01) <= dispatch notified (02) <=
  unit notified (03) <= en route (05) <= on scene (06) <= at patient (07) <= left scene (09)
  <= at destination (11) <= transfer of care (12) <= back in service (13); also 03 <= 04,
  en route <= staging (17) <= on scene, 03 <= cancelled (14) <= 13, 08 <= 13, 03 <= 16.
* **warning** (accepted, flagged): links that are usual but not physically forced: dispatch
  acknowledged (04) <= en route (05), at patient (07) <= transfer to another EMS unit (08),
  left scene (09) <= landing area (10) <= at destination (11), 13 <= back at home (15),
  transfer of care (12) <= call completed (16).

Equal times are fine (01 and 02 are often the same instant). The rules are checked through
missing times (on scene before unit notified is an error even with no en-route time), but each
inconsistency is reported once, between the nearest recorded pair, not for every pair it
implies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dispatch.domain.errors import DomainError
from dispatch.domain.text import Text


class Stamp(StrEnum):
    """Our names for the moments of a response, one per NEMSIS eTimes element."""

    PSAP_CALL = "psap_call"
    DISPATCH_NOTIFIED = "dispatch_notified"
    UNIT_NOTIFIED = "unit_notified"
    DISPATCH_ACKNOWLEDGED = "dispatch_acknowledged"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    AT_PATIENT = "at_patient"
    EMS_CARE_TRANSFERRED = "ems_care_transferred"
    LEFT_SCENE = "left_scene"
    AT_LANDING_AREA = "at_landing_area"
    AT_DESTINATION = "at_destination"
    CARE_TRANSFERRED = "care_transferred"
    BACK_IN_SERVICE = "back_in_service"
    CANCELLED = "cancelled"
    BACK_AT_HOME = "back_at_home"
    CALL_COMPLETED = "call_completed"
    AT_STAGING = "at_staging"


class Severity(StrEnum):
    ERROR = "error"  # physically impossible order: refuse the entry
    WARNING = "warning"  # unusual order: accept, flag for review


@dataclass(frozen=True, slots=True)
class Element:
    """One eTimes element as declared in eTimes_v3.xsd."""

    number: str  # xs:element name, e.g. "eTimes.06"
    id: str  # xs:element id, e.g. "eTimes.UnitArrivedonSceneDateTime"
    name: str  # nemsisTacDoc <name>
    usage: str  # nemsisTacDoc <usage>: Mandatory / Required / Recommended / Optional
    label: Text  # short label for the console


S = Stamp
ELEMENTS: Mapping[Stamp, Element] = {
    S.PSAP_CALL: Element(
        "eTimes.01",
        "eTimes.PSAPCallDateTime",
        "PSAP Call Date/Time",
        "Required",
        Text("Call received", "接警"),
    ),
    S.DISPATCH_NOTIFIED: Element(
        "eTimes.02",
        "eTimes.DispatchNotifiedDateTime",
        "Dispatch Notified Date/Time",
        "Optional",
        Text("Dispatch notified", "调度受理"),
    ),
    S.UNIT_NOTIFIED: Element(
        "eTimes.03",
        "eTimes.UnitNotifiedbyDispatchDateTime",
        "Unit Notified by Dispatch Date/Time",
        "Mandatory",
        Text("Unit notified", "派车"),
    ),
    S.DISPATCH_ACKNOWLEDGED: Element(
        "eTimes.04",
        "eTimes.DispatchAcknowledgedDateTime",
        "Dispatch Acknowledged Date/Time",
        "Optional",
        Text("Order acknowledged", "确认接单"),
    ),
    S.EN_ROUTE: Element(
        "eTimes.05",
        "eTimes.UnitEnRouteDateTime",
        "Unit En Route Date/Time",
        "Required",
        Text("En route", "出车"),
    ),
    S.ON_SCENE: Element(
        "eTimes.06",
        "eTimes.UnitArrivedonSceneDateTime",
        "Unit Arrived on Scene Date/Time",
        "Required",
        Text("On scene", "到达现场"),
    ),
    S.AT_PATIENT: Element(
        "eTimes.07",
        "eTimes.ArrivedatPatientDateTime",
        "Arrived at Patient Date/Time",
        "Required",
        Text("At patient", "接触患者"),
    ),
    S.EMS_CARE_TRANSFERRED: Element(
        "eTimes.08",
        "eTimes.TransferofEMSPatientCareDateTime",
        "Transfer of EMS Patient Care Date/Time",
        "Recommended",
        Text("Care handed to other EMS unit", "移交其他急救单位"),
    ),
    S.LEFT_SCENE: Element(
        "eTimes.09",
        "eTimes.UnitLeftSceneDateTime",
        "Unit Left Scene Date/Time",
        "Required",
        Text("Left scene", "离开现场"),
    ),
    S.AT_LANDING_AREA: Element(
        "eTimes.10",
        "eTimes.ArrivalatDestinationLandingArea",
        "Arrival at Destination Landing Area Date/Time",
        "Optional",
        Text("At landing area", "到达降落区"),
    ),
    S.AT_DESTINATION: Element(
        "eTimes.11",
        "eTimes.PatientArrivedatDestinationDateTime",
        "Patient Arrived at Destination Date/Time",
        "Required",
        Text("At destination", "到达医院"),
    ),
    S.CARE_TRANSFERRED: Element(
        "eTimes.12",
        "eTimes.DestinationPatientTransferofCareDateTime",
        "Destination Patient Transfer of Care Date/Time",
        "Required",
        Text("Care handed over", "完成交接"),
    ),
    S.BACK_IN_SERVICE: Element(
        "eTimes.13",
        "eTimes.UnitBackinServiceDateTime",
        "Unit Back in Service Date/Time",
        "Mandatory",
        Text("Back in service", "恢复待命"),
    ),
    S.CANCELLED: Element(
        "eTimes.14",
        "eTimes.UnitCanceledDateTime",
        "Unit Canceled Date/Time",
        "Optional",
        Text("Cancelled", "取消出车"),
    ),
    S.BACK_AT_HOME: Element(
        "eTimes.15",
        "eTimes.UnitBackatHomeLocationDateTime",
        "Unit Back at Home Location Date/Time",
        "Optional",
        Text("Back at base", "返回站点"),
    ),
    S.CALL_COMPLETED: Element(
        "eTimes.16",
        "eTimes.EMSCallCompletedDateTime",
        "EMS Call Completed Date/Time",
        "Optional",
        Text("Call completed", "任务完成"),
    ),
    S.AT_STAGING: Element(
        "eTimes.17",
        "eTimes.UnitArrivedAtStagingArea",
        "Unit Arrived at Staging Area Date/Time",
        "Optional",
        Text("At staging area", "到达集结点"),
    ),
}
_BY_NUMBER: Mapping[str, Stamp] = {e.number: s for s, e in ELEMENTS.items()}

#: The order rows appear in on a timeline (chronological for a normal response; the eTimes
#: numbers are not: 17 staging comes before 06, 10 landing area between 09 and 11).
SEQUENCE: tuple[Stamp, ...] = (
    S.PSAP_CALL, S.DISPATCH_NOTIFIED, S.UNIT_NOTIFIED, S.DISPATCH_ACKNOWLEDGED, S.EN_ROUTE,
    S.AT_STAGING, S.CANCELLED, S.ON_SCENE, S.AT_PATIENT, S.EMS_CARE_TRANSFERRED, S.LEFT_SCENE,
    S.AT_LANDING_AREA, S.AT_DESTINATION, S.CARE_TRANSFERRED, S.CALL_COMPLETED,
    S.BACK_IN_SERVICE, S.BACK_AT_HOME,
)  # fmt: skip

E, W = Severity.ERROR, Severity.WARNING
#: (must not be later, must not be earlier, severity): see the module docstring.
_RULES: tuple[tuple[Stamp, Stamp, Severity], ...] = (
    (S.PSAP_CALL, S.DISPATCH_NOTIFIED, E),
    (S.DISPATCH_NOTIFIED, S.UNIT_NOTIFIED, E),
    (S.PSAP_CALL, S.UNIT_NOTIFIED, E),
    (S.UNIT_NOTIFIED, S.DISPATCH_ACKNOWLEDGED, E),
    (S.DISPATCH_ACKNOWLEDGED, S.EN_ROUTE, W),
    (S.UNIT_NOTIFIED, S.EN_ROUTE, E),
    (S.EN_ROUTE, S.AT_STAGING, E),
    (S.AT_STAGING, S.ON_SCENE, E),
    (S.EN_ROUTE, S.ON_SCENE, E),
    (S.ON_SCENE, S.AT_PATIENT, E),
    (S.AT_PATIENT, S.EMS_CARE_TRANSFERRED, W),
    (S.ON_SCENE, S.EMS_CARE_TRANSFERRED, E),
    (S.EMS_CARE_TRANSFERRED, S.BACK_IN_SERVICE, E),
    (S.AT_PATIENT, S.LEFT_SCENE, E),
    (S.ON_SCENE, S.LEFT_SCENE, E),
    (S.LEFT_SCENE, S.AT_LANDING_AREA, W),
    (S.AT_LANDING_AREA, S.AT_DESTINATION, W),
    (S.LEFT_SCENE, S.AT_DESTINATION, E),
    (S.AT_DESTINATION, S.CARE_TRANSFERRED, E),
    (S.CARE_TRANSFERRED, S.BACK_IN_SERVICE, E),
    (S.CARE_TRANSFERRED, S.CALL_COMPLETED, W),
    (S.UNIT_NOTIFIED, S.CALL_COMPLETED, E),
    (S.UNIT_NOTIFIED, S.CANCELLED, E),
    (S.CANCELLED, S.BACK_IN_SERVICE, E),
    (S.UNIT_NOTIFIED, S.BACK_IN_SERVICE, E),
    (S.BACK_IN_SERVICE, S.BACK_AT_HOME, W),
)


def _closure(pairs: set[tuple[Stamp, Stamp]]) -> frozenset[tuple[Stamp, Stamp]]:
    reach = set(pairs)
    for k in Stamp:
        for i in Stamp:
            if (i, k) in reach:
                reach.update((i, j) for j in Stamp if (k, j) in reach)
    return frozenset(reach)


_BEFORE = _closure({(a, b) for a, b, _ in _RULES})
_BEFORE_STRICT = _closure({(a, b) for a, b, sev in _RULES if sev is Severity.ERROR})

#: Timestamp attributes of the model (``Incident``/``Unit``) and the stamp each one records,
#: plus the attribute names to use for stamps the model does not record yet. Notes: the
#: model's ``transporting_at`` is eTimes.09 only when the unit leaves with a patient; an
#: incident's ``closed_at`` is its unit's eTimes.13 (the incident closes when the unit clears).
FIELD_NAMES: Mapping[Stamp, str] = {
    S.PSAP_CALL: "received_at",
    S.UNIT_NOTIFIED: "dispatched_at",
    S.DISPATCH_ACKNOWLEDGED: "order_acknowledged_at",
    S.EN_ROUTE: "en_route_at",
    S.ON_SCENE: "on_scene_at",
    S.LEFT_SCENE: "transporting_at",
    S.AT_DESTINATION: "at_hospital_at",
    S.BACK_IN_SERVICE: "closed_at",
    # not in the model yet: suggested names
    S.DISPATCH_NOTIFIED: "dispatch_notified_at",
    S.AT_PATIENT: "at_patient_at",
    S.EMS_CARE_TRANSFERRED: "ems_care_transferred_at",
    S.AT_LANDING_AREA: "at_landing_area_at",
    S.CARE_TRANSFERRED: "care_transferred_at",
    S.CANCELLED: "cancelled_at",
    S.BACK_AT_HOME: "back_at_home_at",
    S.CALL_COMPLETED: "call_completed_at",
    S.AT_STAGING: "at_staging_at",
}


class UnknownTimeElement(DomainError):
    code = "unknown-time-element"
    title = "Unknown response time"


class InvalidTime(DomainError):
    """A time without a timezone: NEMSIS requires the offset and we store UTC."""

    code = "invalid-time"
    title = "Invalid time"


class TimesOutOfOrder(DomainError):
    """The entry contradicts the order of a response (e.g. on scene before notified)."""

    code = "times-out-of-order"
    title = "Time out of order"

    def __init__(self, detail: str, problems: list[OrderProblem]) -> None:
        super().__init__(detail)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class OrderProblem:
    """``earlier`` should not be after ``later``, but was recorded ``seconds`` after it."""

    earlier: Stamp
    later: Stamp
    earlier_at: datetime
    later_at: datetime
    severity: Severity

    @property
    def seconds(self) -> float:
        return (self.earlier_at - self.later_at).total_seconds()

    @property
    def message(self) -> Text:
        a, b = ELEMENTS[self.earlier], ELEMENTS[self.later]
        return Text(
            f"{b.label.en} ({b.number}) is {self.seconds:g} s before {a.label.en} ({a.number})",
            f"{b.label.zh}（{b.number}）早于{a.label.zh}（{a.number}）{self.seconds:g}秒",
        )


def stamp_of(key: str | Stamp) -> Stamp:
    """Accept our name (``on_scene``) or the NEMSIS element (``eTimes.06``)."""
    if isinstance(key, Stamp):
        return key
    found = _BY_NUMBER.get(key)
    if found is not None:
        return found
    try:
        return Stamp(key)
    except ValueError:
        raise UnknownTimeElement(f"unknown response time {key!r}") from None


def _normalise(times: Mapping[str, datetime] | Mapping[Stamp, datetime]) -> dict[Stamp, datetime]:
    out: dict[Stamp, datetime] = {}
    for key, at in times.items():
        stamp = stamp_of(key)
        if at.tzinfo is None or at.utcoffset() is None:
            raise InvalidTime(f"{stamp.value} must carry a timezone")
        out[stamp] = at
    return out


def check_order(
    times: Mapping[str, datetime] | Mapping[Stamp, datetime],
) -> list[OrderProblem]:
    """Every ordering problem among the recorded ``times``, in timeline order.

    Keys are :class:`Stamp` values or eTimes numbers; ``None`` values are not allowed, leave
    the key out instead.
    """
    recorded = _normalise(times)
    problems: list[OrderProblem] = []
    for a, b in _BEFORE:
        if a not in recorded or b not in recorded or recorded[a] <= recorded[b]:
            continue
        between = any(
            c in recorded and (a, c) in _BEFORE and (c, b) in _BEFORE
            for c in Stamp
            if c not in (a, b)
        )
        if between:
            continue  # the nearer pair around ``c`` reports this inconsistency
        severity = Severity.ERROR if (a, b) in _BEFORE_STRICT else Severity.WARNING
        problems.append(OrderProblem(a, b, recorded[a], recorded[b], severity))
    problems.sort(key=lambda p: (SEQUENCE.index(p.earlier), SEQUENCE.index(p.later)))
    return problems


def check_entry(
    times: Mapping[str, datetime] | Mapping[Stamp, datetime],
    key: str | Stamp,
    at: datetime,
) -> list[OrderProblem]:
    """Validate one new or corrected time against those already recorded.

    Raises :class:`TimesOutOfOrder` when it breaks an error rule; returns the warnings that
    involve it (to show, not to block). Problems among the older times are not its fault and
    are not reported here.
    """
    stamp = stamp_of(key)
    merged = _normalise(times)
    merged.update(_normalise({stamp: at}))
    mine = [p for p in check_order(merged) if stamp in (p.earlier, p.later)]
    errors = [p for p in mine if p.severity is Severity.ERROR]
    if errors:
        raise TimesOutOfOrder("; ".join(p.message.en for p in errors), errors)
    return mine


@dataclass(frozen=True, slots=True)
class TimelineRow:
    stamp: Stamp
    element: Element
    at: datetime
    since_call_s: float | None  # from the PSAP call (or the first time recorded)
    since_previous_s: float | None  # from the previous row; negative means out of order
    flagged: Severity | None  # worst ordering problem this row takes part in


def timeline(times: Mapping[str, datetime] | Mapping[Stamp, datetime]) -> list[TimelineRow]:
    """The recorded times as rows in response order, each flagged if involved in a problem."""
    recorded = _normalise(times)
    flags: dict[Stamp, Severity] = {}
    for p in check_order(recorded):
        for s in (p.earlier, p.later):
            if flags.get(s) is not Severity.ERROR:
                flags[s] = p.severity
    start = _first(recorded, (S.PSAP_CALL, S.DISPATCH_NOTIFIED, S.UNIT_NOTIFIED))
    rows: list[TimelineRow] = []
    previous: datetime | None = None
    for stamp in SEQUENCE:
        at = recorded.get(stamp)
        if at is None:
            continue
        rows.append(
            TimelineRow(
                stamp=stamp,
                element=ELEMENTS[stamp],
                at=at,
                since_call_s=None if start is None else (at - start).total_seconds(),
                since_previous_s=None if previous is None else (at - previous).total_seconds(),
                flagged=flags.get(stamp),
            )
        )
        previous = at
    return rows


@dataclass(frozen=True, slots=True)
class Interval:
    key: str
    label: Text
    start: Stamp
    end: Stamp
    seconds: float


#: NASEMSO EMS time intervals (key, label, start candidates in order of preference, end
#: candidates likewise): the sheet's null rules, e.g. scene time ends at eTimes.13 when the unit
#: left no scene with a patient (09 null). ``response`` is ours: the interval our priority
#: targets are measured on. Written out, with sources, in docs/times.md.
_INTERVALS: tuple[tuple[str, Text, tuple[Stamp, ...], tuple[Stamp, ...]], ...] = (
    ("psap_to_unit_notified", Text("PSAP to unit notified", "接警至派车"),
     (S.PSAP_CALL,), (S.UNIT_NOTIFIED,)),
    ("dispatch_to_unit_notified", Text("Dispatch notified to unit notified", "受理至派车"),
     (S.DISPATCH_NOTIFIED,), (S.UNIT_NOTIFIED,)),
    ("call_to_en_route", Text("Call received to unit en route", "接警至出车"),
     (S.PSAP_CALL, S.DISPATCH_NOTIFIED), (S.EN_ROUTE,)),
    ("chute", Text("Unit notified to en route (chute time)", "派车至出车（出车准备时间）"),
     (S.UNIT_NOTIFIED,), (S.EN_ROUTE,)),
    ("unit_response", Text("Total unit response time", "车组反应时间"),
     (S.UNIT_NOTIFIED,), (S.ON_SCENE,)),
    ("travel", Text("En route to on scene", "途中时间"), (S.EN_ROUTE,), (S.ON_SCENE,)),
    ("response", Text("Call received to on scene (response target)", "接警至到达现场（响应目标）"),
     (S.PSAP_CALL, S.DISPATCH_NOTIFIED), (S.ON_SCENE,)),
    ("scene", Text("Scene time", "现场时间"), (S.ON_SCENE,), (S.LEFT_SCENE, S.BACK_IN_SERVICE)),
    ("patient_scene", Text("Patient scene time", "患者现场时间"), (S.AT_PATIENT,),
     (S.LEFT_SCENE, S.BACK_IN_SERVICE)),
    ("transport", Text("Transport time", "转运时间"), (S.LEFT_SCENE,), (S.AT_DESTINATION,)),
    ("wall", Text("Destination transfer of care (wall time)", "医院交接等待时间"),
     (S.AT_DESTINATION,), (S.CARE_TRANSFERRED,)),
    ("destination_to_in_service", Text("Arrival at destination to back in service",
     "到达医院至恢复待命"), (S.AT_DESTINATION,), (S.BACK_IN_SERVICE,)),
    ("transfer_to_in_service", Text("Destination transfer of care to back in service",
     "完成交接至恢复待命"), (S.CARE_TRANSFERRED,), (S.BACK_IN_SERVICE,)),
    ("unit_call", Text("Total unit call time (time on task)", "车组任务总时间"),
     (S.UNIT_NOTIFIED,), (S.BACK_IN_SERVICE,)),
    ("overall", Text("Total overall call duration", "呼救全程时间"),
     (S.PSAP_CALL, S.DISPATCH_NOTIFIED, S.UNIT_NOTIFIED), (S.BACK_IN_SERVICE,)),
    ("cancelled_response", Text("Cancelled response time", "取消前反应时间"),
     (S.UNIT_NOTIFIED,), (S.CANCELLED,)),
)  # fmt: skip


def _first(recorded: Mapping[Stamp, datetime], candidates: tuple[Stamp, ...]) -> datetime | None:
    return next((recorded[s] for s in candidates if s in recorded), None)


def intervals(times: Mapping[str, datetime] | Mapping[Stamp, datetime]) -> list[Interval]:
    """The NASEMSO intervals computable from the recorded times (with its null fallbacks,
    e.g. the call-to-en-route interval starts at eTimes.02 when eTimes.01 is missing)."""
    recorded = _normalise(times)
    out: list[Interval] = []
    for key, label, starts, ends in _INTERVALS:
        start = next((s for s in starts if s in recorded), None)
        end = next((s for s in ends if s in recorded), None)
        if start is None or end is None:
            continue
        seconds = (recorded[end] - recorded[start]).total_seconds()
        out.append(Interval(key, label, start, end, seconds))
    return out


def times_of(*records: object) -> dict[Stamp, datetime]:
    """Collect the stamps recorded on model objects (e.g. an ``Incident`` and its ``Unit``)
    by :data:`FIELD_NAMES`; the first record that has a time for a stamp wins."""
    out: dict[Stamp, datetime] = {}
    for record in records:
        for stamp, name in FIELD_NAMES.items():
            value = getattr(record, name, None)
            if isinstance(value, datetime) and stamp not in out:
                out[stamp] = value
    return out
