"""Phone lines: what the PBX says about a call before anyone has typed a word.

A PBX or CTI connector tells us a line rings (the caller's number and, when the phone network
gives it, where it places the caller and how sure it is), then that a call-taker picked it up, then
that the caller hung up. The call-taker's console shows ringing lines live and fills the number
and the caller's location in from them: typing a number read off a display is where callbacks go
wrong.

A phone call is not an incident: most incidents start with one, some calls are a second caller
about the same incident, and some are no emergency at all. So a phone call has a life of its own
(``ringing`` -> ``answered`` -> ``ended``; a call may also end unanswered, when the caller gives
up) and is recorded whatever happens to it: nothing the PBX reported is ever lost, and an
abandoned call can be called back.

The state only moves forward. A connector that retries, or reports the hang-up before our answer
reached it, must not be told off: repeating a step already taken is harmless (the call as it is),
only going back (answering an ended call) is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dispatch.domain.errors import DomainError
from dispatch.domain.events import Event
from dispatch.domain.geo import Location


class CallState(StrEnum):
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"


class CallAlreadyEnded(DomainError):
    code = "call-already-ended"
    title = "The caller has hung up"


@dataclass(frozen=True, slots=True)
class PhoneCall:
    """One call on one line, as the PBX reported it and the console handled it."""

    id: int
    line: str  # the trunk or line the call came in on, as the PBX names it
    pbx_call_id: str | None  # the connector's own id: a retried report finds the call again
    number: str | None  # ANI, normalised; None when withheld
    name: str | None  # CNAM, when the network gives one
    location: Location | None  # where the phone network places the caller (WGS-84)
    accuracy_m: float | None  # radius of that uncertainty, metres
    started_at: datetime  # when it began ringing, by the PBX's clock
    received_at: datetime  # when we were told
    state: CallState = CallState.RINGING
    answered_at: datetime | None = None
    answered_by: str | None = None
    ended_at: datetime | None = None

    def answer(self, by: str, at: datetime) -> PhoneCall:
        """Picked up by ``by``. Answering twice keeps the first call-taker; an ended call can no
        longer be answered (the caller gave up: call back instead)."""
        if self.state is CallState.ENDED:
            raise CallAlreadyEnded(f"call {self.id} on line {self.line} has ended; call back")
        if self.state is CallState.ANSWERED:
            return self
        return _replace(self, state=CallState.ANSWERED, answered_at=at, answered_by=by)

    def end(self, at: datetime) -> PhoneCall:
        """The caller or the call-taker hung up; ending an ended call changes nothing."""
        if self.state is CallState.ENDED:
            return self
        return _replace(self, state=CallState.ENDED, ended_at=at)

    @property
    def abandoned(self) -> bool:
        """Ended while still ringing: someone needed help and nobody picked up. Call back."""
        return self.state is CallState.ENDED and self.answered_at is None


def _replace(call: PhoneCall, **changes: Any) -> PhoneCall:
    fields = {name: getattr(call, name) for name in PhoneCall.__slots__}
    fields.update(changes)
    return PhoneCall(**fields)


def phone_call_view(call: PhoneCall) -> dict[str, Any]:
    """The JSON of a phone call, the same in REST answers and event payloads.

    The caller's data sits under ``caller`` so that ``payloads.without_caller`` blanks it for any
    login that may not see it, as it does for incidents.
    """
    return {
        "id": call.id,
        "line": call.line,
        "pbx_call_id": call.pbx_call_id,
        "state": call.state.value,
        "abandoned": call.abandoned,
        "caller": {
            "number": call.number,
            "name": call.name,
            "location": None if call.location is None else call.location.as_lonlat(),
            "accuracy_m": call.accuracy_m,
        },
        "started_at": call.started_at.isoformat(),
        "received_at": call.received_at.isoformat(),
        "answered_at": None if call.answered_at is None else call.answered_at.isoformat(),
        "answered_by": call.answered_by,
        "ended_at": None if call.ended_at is None else call.ended_at.isoformat(),
    }


# --- events: each carries the call's full state, so a console upserts it as it does incidents ---


@dataclass(frozen=True, slots=True)
class PhoneRinging(Event):
    phone_call: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PhoneAnswered(Event):
    phone_call: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PhoneHungUp(Event):
    phone_call: dict[str, Any]
