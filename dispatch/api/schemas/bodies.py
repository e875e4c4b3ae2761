"""Request bodies. Unknown fields are refused so a typo never silently drops data.

Every field takes the bounded types of ``types``: ids in range, strict numbers, plain text,
times from 2000 to 2099.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from dispatch.api.auth import Role
from dispatch.api.schemas.types import Count, Id, Instant, LonLat, PlainText, Seq
from dispatch.domain.commands import ClientStamp, DeviceTime
from dispatch.domain.crs import CoordinateSystem, to_wgs84
from dispatch.domain.duplicates import normalise_number
from dispatch.domain.geo import Location
from dispatch.domain.model import Caller, UnitStatus
from dispatch.domain.password_policy import MAX_LENGTH as MAX_PASSWORD_LENGTH


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CallerIn(Body):
    """Caller data from the phone network or handset (ALI-style), in the datum it came in."""

    number: PlainText | None = Field(default=None, max_length=40, description="ANI")
    location: LonLat | None = Field(default=None, description="[lon, lat] as reported")
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, strict=True)
    crs: PlainText = Field(default="WGS-84", max_length=20, description="WGS-84, GCJ-02 or BD-09")
    name: PlainText | None = Field(default=None, max_length=100, description="as given")
    callback: PlainText | None = Field(
        default=None, max_length=40, description="number to call back, when not the ANI"
    )

    def to_caller(self) -> Caller:
        location = None
        if self.location is not None:
            location = to_wgs84(self.location[0], self.location[1], self.crs)
        return Caller(
            normalise_number(self.number),
            location,
            self.accuracy_m,
            CoordinateSystem.parse(self.crs).value,
            (self.name or "").strip() or None,
            normalise_number(self.callback),
        )


class CallIn(Body):
    location: LonLat | None = Field(default=None, description="[lon, lat]")
    location_crs: PlainText = Field(
        default="WGS-84", max_length=20, description="datum of location: WGS-84, GCJ-02 or BD-09"
    )
    address: PlainText | None = Field(default=None, max_length=300)
    complaint: PlainText = Field(min_length=1, max_length=500)
    priority: int | None = Field(
        default=None,
        ge=1,
        le=4,
        strict=True,
        description="1 critical .. 4 non-urgent; overrides triage",
    )
    complaint_code: PlainText | None = Field(
        default=None, max_length=60, description="chief complaint of the triage protocol"
    )
    answers: dict[PlainText, PlainText] = Field(default_factory=dict, max_length=50)
    caller: CallerIn | None = None
    phone_call_id: Id | None = Field(
        default=None,
        description="the phone line call (GET /telephony/calls) this call was answered on: "
        "the incident is then received when it rang, and the call is kept with its record",
    )

    def wgs84_location(self) -> Location | None:
        if self.location is None:
            return None
        return to_wgs84(self.location[0], self.location[1], self.location_crs)


class TriageIn(Body):
    complaint_code: PlainText = Field(max_length=60)
    answers: dict[PlainText, PlainText] = Field(default_factory=dict, max_length=50)


class InfectiousIn(Body):
    """Set (``true``) or clear (``false``) the suspected-infectious flag; the reason is kept."""

    infectious: bool
    reason: PlainText = Field(min_length=1, max_length=500)


class LinkCallIn(Body):
    complaint: PlainText = Field(min_length=1, max_length=500)
    caller: CallerIn | None = None
    phone_call_id: Id | None = Field(
        default=None,
        description="the phone line call (GET /telephony/calls) this call was answered on: "
        "the incident is then received when it rang, and the call is kept with its record",
    )


class IntakeCheckIn(Body):
    location: LonLat | None = None
    location_crs: PlainText = Field(default="WGS-84", max_length=20)
    complaint: PlainText = Field(default="", max_length=500)
    complaint_code: PlainText | None = Field(default=None, max_length=60)
    caller: CallerIn | None = None


class AssignIn(Body):
    unit_id: Id


class CrewUpdate(Body):
    """Crew devices number their updates so that replaying an offline queue is harmless."""

    client_id: PlainText | None = Field(default=None, min_length=1, max_length=64)
    client_seq: Seq | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> CrewUpdate:
        if (self.client_id is None) != (self.client_seq is None):
            raise ValueError("client_id and client_seq go together")
        return self

    def stamp(self) -> ClientStamp | None:
        if self.client_id is None or self.client_seq is None:
            return None
        return ClientStamp(self.client_id, self.client_seq)


class DeviceTimeIn(Body):
    """When the crew did it, by the device's clock, and what that clock read when sending: the
    server corrects the first by the offset the second reveals and bounds it (docs/times.md).
    Without ``at`` the action is timed when the server receives it."""

    at: Instant | None = Field(
        default=None, description="when the button was pressed (device clock, UTC offset)"
    )
    sent_at: Instant | None = Field(
        default=None, description="the device clock when this request was sent"
    )

    def device_time(self) -> DeviceTime:
        return DeviceTime(at=self.at, sent_at=self.sent_at)


class StatusIn(CrewUpdate, DeviceTimeIn):
    status: UnitStatus


class AckIn(DeviceTimeIn):
    """The optional body of an acknowledgement: the device's time of the action."""


class PositionIn(CrewUpdate):
    position: LonLat = Field(description="[lon, lat], WGS84, within the map (5 km margin)")
    reported_at: Instant | None = None


class CancelIn(Body):
    reason: PlainText = Field(min_length=1, max_length=500)


class NoteIn(Body):
    text: PlainText = Field(min_length=1, max_length=4000)


class DivertIn(Body):
    to_incident_id: Id
    reason: PlainText = Field(min_length=1, max_length=500)


class ReassignIn(Body):
    from_unit_id: Id
    to_unit_id: Id
    reason: PlainText = Field(min_length=1, max_length=500)


class HospitalStatusIn(Body):
    ed_status: Literal["open", "diversion", "closed"] | None = None
    beds_available: Count | None = Field(default=None, le=10_000)
    capabilities: list[Annotated[PlainText, Field(max_length=30)]] | None = Field(
        default=None, max_length=20
    )
    capability_beds: (
        dict[Annotated[PlainText, Field(max_length=30)], Annotated[Count, Field(le=10_000)]] | None
    ) = Field(
        default=None,
        max_length=20,
        description='free beds per capability (e.g. {"stroke": 1}); replaces earlier counts',
    )


class DestinationIn(Body):
    hospital_id: Id


class RelocateIn(Body):
    station_id: Id


class IsolationIn(Body):
    isolation: bool = Field(strict=True, description="fitted for isolated transport")


# --- sessions, passwords and accounts ------------------------------------------------------------

#: A password as typed. Its policy (length, not the user name, not common) is checked by
#: ``dispatch.domain.password_policy`` and answered ``weak-password``; only the bounds that keep a
#: request cheap (one Argon2 hash of at most 128 characters) are the schema's.
Password = Annotated[PlainText, Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)]

#: A user name: letters, digits and ``. _ @ -``, starting with a letter or digit.
Username = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$", min_length=2, max_length=100)
]


class RefreshIn(Body):
    refresh_token: PlainText = Field(min_length=1, max_length=200)


class PasswordChangeIn(Body):
    current_password: Password
    new_password: Password


class PasswordResetIn(Body):
    password: Password = Field(description="a first password: the user must change it at login")


class UserIn(Body):
    username: Username
    role: Role
    password: Password = Field(description="a first password: the user must change it at login")
    unit_id: Id | None = Field(default=None, description="crew logins only: the unit it crews")
    hospital_id: Id | None = Field(default=None, description="hospital logins only")


class UserPatchIn(Body):
    """Only the fields sent change; ``unit_id: null`` unbinds a crew login from its unit."""

    active: bool | None = Field(default=None, strict=True)
    role: Role | None = None
    unit_id: Id | None = None
    hospital_id: Id | None = None
