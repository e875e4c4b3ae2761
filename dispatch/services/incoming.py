"""The receiving ED acknowledges an incoming patient ("ED acknowledged").

Why an event and not a column: the acknowledgement is a fact about one destination choice, and
the event log already carries it to the console (every event), to the crew (events about its
unit) and into the incident's timeline, with who and when. The current state ("has the ED of
the unit's present destination acknowledged?") is read back from the log
(``dispatch.store.acknowledgements``): an ack recorded before the latest ``DestinationChosen``
of that unit no longer counts, so re-routing a patient asks the new ED again.
"""

from __future__ import annotations

from dispatch.domain import commands as cmd
from dispatch.domain.errors import ConcurrentChange
from dispatch.domain.events import PatientAcknowledged
from dispatch.domain.model import Unit
from dispatch.services.handlers import Deps


async def acknowledge_incoming(c: cmd.AcknowledgeIncoming, deps: Deps) -> list[Unit]:
    """Record the ED's acknowledgement for each unit bringing this incident's patient(s) to it.

    The units are locked, so a destination changed at the same moment either happens first (and
    the ack is refused: 409 ``concurrent-change``, the ED's list is already refreshing) or after
    (and the new destination's ED is asked again). Returns the units concerned.
    """
    async with deps.new_uow() as uow:
        hospital = await uow.hospitals.get(c.hospital_id)
        units = await uow.units.on_incident(c.incident_id, lock=True)
        coming = [u for u in units if u.destination_hospital_id == hospital.id]
        if not coming:
            raise ConcurrentChange(
                f"No unit is bringing the patient of incident {c.incident_id} to {hospital.name} "
                "any more"
            )
        now = deps.clock.now()
        for unit in coming:
            uow.record(
                PatientAcknowledged(
                    occurred_at=now,
                    unit=unit.id,
                    incident=c.incident_id,
                    hospital=hospital.id,
                    hospital_name=hospital.name,
                )
            )
        records = await uow.commit(actor=c.actor)
    await deps.publisher.publish(records)
    return coming
