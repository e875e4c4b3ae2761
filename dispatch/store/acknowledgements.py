"""Which incoming patients their ED has acknowledged, read from the event log.

An acknowledgement counts while it answers the unit's present destination: it must name the
hospital the unit is still bound for and come after that unit's latest ``DestinationChosen``
on the incident (``dispatch.services.incoming`` explains why the log, not a column).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from dispatch.store import tables as t

ACK = "PatientAcknowledged"
CHOSEN = "DestinationChosen"


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    incident_id: int
    unit_id: int
    hospital_id: int
    at: datetime
    by: str | None


async def current(engine: AsyncEngine, hospital_id: int | None = None) -> list[Acknowledgement]:
    """The acknowledgements still in force, first per (incident, unit); one hospital's or all."""
    ack, chosen, units = t.events.alias("ack"), t.events.alias("chosen"), t.units
    latest_choice = (
        select(func.coalesce(func.max(chosen.c.seq), 0))
        .where(
            chosen.c.name == CHOSEN,
            chosen.c.unit_id == ack.c.unit_id,
            chosen.c.incident_id == ack.c.incident_id,
        )
        .scalar_subquery()
    )
    acked_hospital = ack.c.payload["hospital"].as_integer()
    query = (
        select(
            ack.c.incident_id,
            ack.c.unit_id,
            acked_hospital.label("hospital"),
            ack.c.occurred_at,
            ack.c.actor,
        )
        .join(
            units,
            and_(
                units.c.id == ack.c.unit_id,
                units.c.incident_id == ack.c.incident_id,
                units.c.destination_hospital_id == acked_hospital,
            ),
        )
        .where(ack.c.name == ACK, ack.c.seq > latest_choice)
        .order_by(ack.c.seq)
    )
    if hospital_id is not None:
        query = query.where(units.c.destination_hospital_id == hospital_id)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    found: dict[tuple[int, int], Acknowledgement] = {}
    for r in rows:
        key = (r.incident_id, r.unit_id)
        if key not in found:
            found[key] = Acknowledgement(
                r.incident_id, r.unit_id, r.hospital, r.occurred_at, r.actor
            )
    return list(found.values())
