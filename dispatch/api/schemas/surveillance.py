"""Bodies and responses of the public-health watch (``dispatch.api.routes.surveillance``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from dispatch.api.schemas.bodies import Body
from dispatch.api.schemas.resources import Bilingual, LonLat, Out, Timestamp
from dispatch.api.schemas.types import PlainText
from dispatch.surveillance.export import MAX_ROWS


def _day_in_range(day: date) -> date:
    if not 2000 <= day.year <= 2099:
        raise PydanticCustomError("time_out_of_range", "a day from 2000 to 2099")
    return day


#: A calendar day in the centre's time zone (ISO ``YYYY-MM-DD``), 2000..2099.
Day = Annotated[date, AfterValidator(_day_in_range)]


class AcknowledgeIn(Body):
    note: PlainText = Field(
        min_length=1, max_length=2000, description="what was done: who was told, what was checked"
    )


class HistoryIn(Body):
    """A counts file ``day,syndrome,area,calls`` (the export's format). All rows or none; the
    days in the file replace those days' imported counts."""

    csv: str = Field(min_length=1, max_length=MAX_ROWS * 60)


class HistoryImported(Out):
    days: int
    rows: int


class Area(Out):
    id: str = Field(description="H3 cell (resolution 7)")
    centre: LonLat
    boundary: list[LonLat] = Field(description="closed ring, [lon, lat]")


class Signal(Out):
    id: int
    syndrome: str
    label: Bilingual = Field(description="the syndrome for people")
    method: str
    areas: list[Area]
    since: date
    last_seen: date
    days: int = Field(description="days with a detection")
    observed: float = Field(description="calls on the last day seen (the scan: in the cluster)")
    expected: float
    statistic: float
    level: Literal["warning", "alert"]
    status: Literal["open", "closed"]
    opened_at: Timestamp
    closed_at: Timestamp | None
    acknowledged_at: Timestamp | None
    acknowledged_by: str | None
    acknowledge_note: str | None


class WatchRound(Out):
    judged: list[date]
    raised: list[int]
    updated: list[int]
    closed: list[int]
    skipped: str | None


class DailyCount(Out):
    day: date
    syndrome: str
    area: str
    calls: int
