"""Per-unit NEMSIS times, NASEMSO intervals and time corrections (``/incidents/{id}/timeline``
and ``/incidents/{id}/times``): see docs/times.md for what each time and interval means."""

from __future__ import annotations

from pydantic import Field

from dispatch.api.schemas.bodies import Body
from dispatch.api.schemas.resources import Bilingual, Out, Timestamp
from dispatch.api.schemas.types import Id, Instant, PlainText
from dispatch.domain.nemsis import Severity

#: Reason codes of a suspicious or corrected time (``dispatch.domain.fieldtime.Flag``).
FLAGS_DOC = (
    "why the time is suspicious or not the device's own: clock-skew (device clock off, "
    "corrected), future, before-previous, too-old (device time not believed: bounded), "
    "corrected (set by a supervisor; the original is in the event log), order-warning "
    "(an unusual but possible order of times)"
)


class NemsisUnitTime(Out):
    """One of a unit's recorded eTimes."""

    element: str = Field(examples=["eTimes.06"])
    name: str
    label: Bilingual
    at: Timestamp
    since_call_s: float | None = Field(description="seconds after the PSAP call (eTimes.01)")
    flagged: Severity | None = Field(description="worst order problem it takes part in")
    flags: list[str] = Field(description=FLAGS_DOC)


class IntervalOut(Out):
    """A NASEMSO time interval: ``end`` - ``start``, in seconds."""

    key: str = Field(examples=["chute"])
    label: Bilingual
    start: str = Field(examples=["eTimes.03"])
    end: str = Field(examples=["eTimes.05"])
    seconds: float


class UnitTimesOut(Out):
    """One responding unit's times under one dispatch order (one NEMSIS PatientCareReport)."""

    order_id: int
    unit_id: int
    call_sign: str
    first_arriving: bool = Field(description="its times stand for the incident's KPIs")
    times: list[NemsisUnitTime]
    intervals: list[IntervalOut]


class TimeCorrectionIn(Body):
    unit_id: Id
    element: PlainText = Field(
        min_length=1,
        max_length=30,
        description="eTimes.03 ... eTimes.14 (a unit's own times), or our name (on_scene)",
        examples=["eTimes.06"],
    )
    at: Instant = Field(description="the right time, with its UTC offset")
    reason: PlainText = Field(min_length=1, max_length=500)


class TimeCorrectionOut(Out):
    incident_id: int
    unit: UnitTimesOut
