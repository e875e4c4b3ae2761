"""Time corrections: a supervisor fixes (or enters) one unit's NEMSIS time, with a reason.

Why a handler of its own: a correction is a command like any other (checked, recorded as an
event with the original time, committed with the incident's first-unit times it changes), but
it belongs to the review of records rather than to the live floor of ``handlers``.
"""

from __future__ import annotations

from dispatch.domain import commands as cmd
from dispatch.domain import unit_times
from dispatch.domain.model import Incident
from dispatch.services.handlers import Deps


async def correct_time(c: cmd.CorrectTime, deps: Deps) -> tuple[Incident, unit_times.UnitTimes]:
    """Check and record the correction; the unit's row follows from its ``TimeCorrected``."""
    async with deps.new_uow() as uow:
        incident = await uow.incidents.get(c.incident_id, lock=True)
        units = await uow.assignments.of_incident(incident.id)
        fixed = unit_times.correct(
            incident,
            units,
            unit_id=c.unit_id,
            key=c.element,
            at=c.at,
            reason=c.reason,
            now=deps.clock.now(),
        )
        await uow.incidents.save(incident)
        records = await uow.commit(actor=c.actor)
        await deps.publisher.publish(records)
    return incident, fixed
