"""Request bodies. Unknown fields are refused so a typo never silently drops data."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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


class StatusIn(Body):
    status: UnitStatus


class PositionIn(Body):
    position: LonLat = Field(description="[lon, lat], WGS84")
    reported_at: AwareDatetime | None = None
