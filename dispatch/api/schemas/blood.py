"""Request bodies and response models of the blood supply API (``dispatch.api.routes.blood``).

Bodies are strict and bounded like every body in ``dispatch.api.schemas``; products, urgencies,
boxes and job states are the domain's own enums (``dispatch.domain.blood``). A blood group is
taken as text and read by ``AboRh.parse`` (``O-``, ``O neg``, ``O型RhD阴性``...), which refuses
what it cannot read for certain (422 ``invalid-blood-group``) rather than guess. Responses
describe the dicts ``dispatch.services.blood`` shapes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from dispatch.api.schemas.bodies import Body
from dispatch.api.schemas.resources import Bilingual, LonLat, Out, Timestamp
from dispatch.api.schemas.types import Count, Id, Instant, PlainText
from dispatch.api.schemas.types import LonLat as LonLatIn
from dispatch.domain.blood import (
    MAX_STOCK_ROWS,
    MAX_UNITS_PER_LOT,
    MAX_UNITS_PER_REQUEST,
    JobState,
    Product,
    Urgency,
)

Group = Annotated[PlainText, Field(min_length=1, max_length=20, description="e.g. O-, AB+")]
BoxUnits = Annotated[Count, Field(le=200)]
RequestStatus = Literal["reserved", "waitlisted", "dispatched", "delivered", "cancelled"]

# --- bodies ------------------------------------------------------------------------------


class BankIn(Body):
    code: Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9._-]+$")] = Field(
        description="what the stock CSV's bank column names"
    )
    name: PlainText = Field(min_length=1, max_length=200)
    location: LonLatIn


class StockIn(Body):
    """One lot's free units, as counted at the bank (overwrites what was stored)."""

    lot: PlainText = Field(min_length=1, max_length=40)
    product: Product
    group: Group
    units: Annotated[Count, Field(le=MAX_UNITS_PER_LOT)]
    expires_at: Instant


class StockImportIn(Body):
    """A stock CSV (columns bank, lot, product, group, units, expires_at); times without an
    offset are UTC, a date alone the end of that day. All rows or none."""

    csv: str = Field(min_length=1, max_length=MAX_STOCK_ROWS * 200)


class BloodRequestIn(Body):
    product: Product
    group: Group = Field(description="the patient's ABO/RhD group")
    units: Annotated[int, Field(strict=True, ge=1, le=MAX_UNITS_PER_REQUEST)]
    urgency: Urgency
    deadline: Instant | None = Field(
        default=None,
        description="when the units are needed at the bedside; default by urgency "
        "(life-threatening 1 h, urgent 3 h, routine 12 h)",
    )
    accept_partial: bool = Field(
        default=False, description="take what compatible stock there is now if short"
    )


class CourierIn(Body):
    """Box capacities in units; registering a unit gives it the ``blood`` capability."""

    cool: BoxUnits
    frozen: BoxUnits
    ambient: BoxUnits


class AssignIn(Body):
    unit_id: Id


class JobReassignIn(Body):
    unit_id: Id
    reason: PlainText = Field(min_length=1, max_length=500, description="why (for the record)")


class HandoverIn(Body):
    received_by: PlainText = Field(min_length=1, max_length=100, description="who took the units")


# --- responses ---------------------------------------------------------------------------


class BloodBank(Out):
    id: int
    code: str
    name: str
    location: LonLat


class StockLot(Out):
    bank_id: int
    lot: str
    product: Product
    group: str
    units: int
    expires_at: Timestamp


class StockImported(Out):
    lots: int
    units: int


class Courier(Out):
    unit_id: int
    cool: int
    frozen: int
    ambient: int


class DeliveryJob(Out):
    id: int
    request_id: int
    bank_id: int
    hospital_id: int
    unit_id: int
    product: Product
    units: int
    lots: list[str]
    state: JobState
    assigned_at: Timestamp
    picked_up_at: Timestamp | None
    delivered_at: Timestamp | None
    handover_by: str | None
    cold_chain_breached: bool
    call_sign: str | None = Field(description="the unit carrying it")
    bank_name: str | None
    bank_location: LonLat | None
    urgency: Urgency | None = Field(description="the request's")
    deadline: Timestamp | None = Field(description="the request's")
    eta_at: Timestamp | None = Field(
        description="open jobs: expected handover by road from where the courier is now"
    )


class AllocationLine(Out):
    bank_id: int
    lot: str
    group: str
    units: int
    expires_at: Timestamp
    identical: bool = Field(description="false: a compatible substitute")
    note: Bilingual | None = Field(description="what the ward must know about a substitute")


class BloodRequest(Out):
    id: int
    hospital_id: int
    product: Product
    group: str
    units: int
    urgency: Urgency
    requested_at: Timestamp
    deadline: Timestamp
    requested_by: str
    accept_partial: bool
    status: RequestStatus
    reserved_units: int
    refusal_code: str | None = Field(description="waitlisted: no-compatible-stock, short-stock")
    refusal: Bilingual | None
    allocation: list[AllocationLine]
    jobs: list[DeliveryJob]


class PlanStop(Out):
    kind: Literal["pickup", "delivery"]
    job_id: int | None = Field(description="null: a job the plan proposes (no courier yet)")
    request_id: int
    proposed_bank_id: int | None
    location: LonLat
    arrive_at: Timestamp
    leave_at: Timestamp


class PlanRoute(Out):
    unit_id: int
    stops: list[PlanStop]


class AmbulanceSuggestion(Out):
    unit_id: int
    call_sign: str
    eta_s: float = Field(description="road time to the bank, then on to the hospital")


class PlanRequest(Out):
    request_id: int
    urgency: Urgency
    deadline: Timestamp
    delivered_at: Timestamp | None
    late_s: float
    offer_ambulance: bool
    reason: Bilingual | None
    ambulance: AmbulanceSuggestion | None = Field(
        description="the nearest available ambulance for an offered request still waiting"
    )


class PlanUnplanned(Out):
    job_id: int | None
    request_id: int
    reason: Bilingual


class BloodPlan(Out):
    strategy: str
    now: Timestamp
    fallback: str | None
    routes: list[PlanRoute]
    requests: list[PlanRequest]
    unplanned: list[PlanUnplanned]
