"""Request bodies. Unknown fields are refused so a typo never silently drops data."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from dispatch.domain.commands import ClientStamp
from dispatch.domain.model import UnitStatus


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


LonLat = tuple[float, float]


class CallIn(Body):
    location: LonLat | None = Field(default=None, description="[lon, lat], WGS84")
    address: str | None = Field(default=None, max_length=300)
    complaint: str = Field(min_length=1, max_length=500)
    priority: int = Field(ge=1, le=4, description="1 critical .. 4 non-urgent")


class AssignIn(Body):
    unit_id: int


class CrewUpdate(Body):
    """Crew devices number their updates so that replaying an offline queue is harmless."""

    client_id: str | None = Field(default=None, min_length=1, max_length=64)
    client_seq: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _both_or_neither(self) -> CrewUpdate:
        if (self.client_id is None) != (self.client_seq is None):
            raise ValueError("client_id and client_seq go together")
        return self

    def stamp(self) -> ClientStamp | None:
        if self.client_id is None or self.client_seq is None:
            return None
        return ClientStamp(self.client_id, self.client_seq)


class StatusIn(CrewUpdate):
    status: UnitStatus


class PositionIn(CrewUpdate):
    position: LonLat = Field(description="[lon, lat], WGS84")
    reported_at: AwareDatetime | None = None


class CancelIn(Body):
    reason: str = Field(min_length=1, max_length=500)


class NoteIn(Body):
    text: str = Field(min_length=1, max_length=4000)


class DivertIn(Body):
    to_incident_id: int
    reason: str = Field(min_length=1, max_length=500)


class ReassignIn(Body):
    from_unit_id: int
    to_unit_id: int
    reason: str = Field(min_length=1, max_length=500)
