"""Phone lines: the PBX reports calls, call-takers answer them (``dispatch.domain.telephony``).

Each step is one transaction that writes the call and its event together, so a console sees a
line ring exactly when the ring is on record, and a console that reconnects catches up on missed
rings from the event log like on anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dispatch.domain.geo import Location
from dispatch.domain.telephony import (
    PhoneAnswered,
    PhoneCall,
    PhoneHungUp,
    PhoneRinging,
    phone_call_view,
)
from dispatch.services.handlers import Deps, _commit


@dataclass(frozen=True, slots=True)
class Ring:
    """What the PBX reports when a line starts ringing."""

    actor: str
    line: str
    pbx_call_id: str | None
    number: str | None
    name: str | None
    location: Location | None
    accuracy_m: float | None
    started_at: datetime | None  # None: now


async def ring(c: Ring, deps: Deps) -> tuple[PhoneCall, bool]:
    """Record a ringing line; (the call, True when new). A report the PBX retries (same
    ``pbx_call_id``) answers the call already recorded and rings nothing twice."""
    async with deps.new_uow() as uow:
        now = deps.clock.now()
        call, created = await uow.phone_calls.add(
            line=c.line,
            pbx_call_id=c.pbx_call_id,
            number=c.number,
            name=c.name,
            location=c.location,
            accuracy_m=c.accuracy_m,
            started_at=c.started_at or now,
            received_at=now,
        )
        if created:
            uow.record(PhoneRinging(now, phone_call_view(call)))
            await _commit(uow, c.actor, deps)
    return call, created


async def answer(call_id: int, *, actor: str, deps: Deps) -> PhoneCall:
    """A call-taker picks the line up (the first one to do so keeps it)."""
    async with deps.new_uow() as uow:
        before = await uow.phone_calls.get(call_id, lock=True)
        now = deps.clock.now()
        call = before.answer(actor, now)
        if call is not before:
            await uow.phone_calls.save(call)
            uow.record(PhoneAnswered(now, phone_call_view(call)))
            await _commit(uow, actor, deps)
    return call


async def hang_up(call_id: int, *, actor: str, at: datetime | None, deps: Deps) -> PhoneCall:
    """The call ended (caller or call-taker hung up); an unanswered one stays on record as
    abandoned, to be called back."""
    async with deps.new_uow() as uow:
        before = await uow.phone_calls.get(call_id, lock=True)
        now = deps.clock.now()
        call = before.end(at or now)
        if call is not before:
            await uow.phone_calls.save(call)
            uow.record(PhoneHungUp(now, phone_call_view(call)))
            await _commit(uow, actor, deps)
    return call


async def live(deps: Deps) -> list[PhoneCall]:
    async with deps.new_uow() as uow:
        return await uow.phone_calls.live()
