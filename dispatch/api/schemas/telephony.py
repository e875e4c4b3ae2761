"""Bodies and answers of the telephony interface (``/telephony/*``) and the triage card on screen
(``/triage/evaluate``). Kept apart from the shared schema modules: a PBX integrator reads these."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dispatch.api.schemas.bodies import Body
from dispatch.api.schemas.resources import Bilingual, LonLat, Out, Priority, Timestamp
from dispatch.api.schemas.types import Instant, PlainText
from dispatch.api.schemas.types import LonLat as LonLatIn

# --- telephony ------------------------------------------------------------------------------------


class RingIn(Body):
    """A line rings: what the PBX knows about the call, as the phone network gave it."""

    line: PlainText = Field(min_length=1, max_length=60, description="trunk or line id")
    pbx_call_id: PlainText | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="the PBX's own id of the call: send it, and a retried report rings nothing "
        "twice (the call already recorded is answered, 200)",
    )
    caller_number: PlainText | None = Field(
        default=None, max_length=40, description="ANI; absent when withheld"
    )
    caller_name: PlainText | None = Field(default=None, max_length=100, description="CNAM")
    location: LonLatIn | None = Field(
        default=None, description="[lon, lat] WGS-84 where the network places the caller"
    )
    uncertainty_m: float | None = Field(
        default=None,
        ge=0,
        le=100_000,
        strict=True,
        description="radius of the location's uncertainty, metres",
    )
    started_at: Instant | None = Field(default=None, description="when it began ringing (UTC)")


class HangUpIn(Body):
    ended_at: Instant | None = Field(default=None, description="when the call ended (UTC)")


class PhoneCaller(Out):
    number: str | None
    name: str | None
    location: LonLat | None
    accuracy_m: float | None = Field(description="uncertainty radius of location, metres")


class PhoneCall(Out):
    id: int
    line: str
    pbx_call_id: str | None
    state: Literal["ringing", "answered", "ended"]
    abandoned: bool = Field(description="ended before anyone answered: call back")
    caller: PhoneCaller | None = Field(
        description="null for logins that may not see caller data (the connector included)"
    )
    started_at: Timestamp
    received_at: Timestamp
    answered_at: Timestamp | None
    answered_by: str | None
    ended_at: Timestamp | None


# --- triage on screen -----------------------------------------------------------------------------


class InstructionBlock(Out):
    title: Bilingual
    steps: list[Bilingual]


class InstructionsReview(Out):
    status: str = Field(description="draft until a medical director signs the content off")
    reviewed_by: str | None
    note: Bilingual


class TriageCard(Out):
    """Where the answers so far lead: computed again after every answer."""

    complaint_code: str
    determinant: str
    determinant_code: str
    determinant_label: Bilingual
    priority: Priority
    priority_label: Bilingual
    target_s: int = Field(description="response target of the priority (urban), seconds")
    needs: list[str]
    hospital_capability: str | None
    protocol_version: str
    unanswered: list[str] = Field(description="question ids still open, in asking order")
    instructions: list[InstructionBlock] = Field(description="pre-arrival, read to the caller")
    instructions_review: InstructionsReview
