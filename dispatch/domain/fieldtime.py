"""Field times: when a crew pressed a button, as opposed to when the server heard of it.

Why: a crew update queued on a phone while the network is down reaches the server minutes
later. Timed on arrival, eTimes.05 (en route) and eTimes.06 (on scene) would record the
reconnect, and every response-time KPI built on them would be wrong by the length of the
outage. So each update carries the device's time of the action (``at``), and the server decides
how far to trust it:

* **clock skew.** A phone's clock may be minutes off. The device says what its clock reads when
  it sends (``sent_at`` on a REST request, or its clock in the crew socket's ``hello``); the
  server's clock minus that is the device's offset, added to ``at``. (The estimate includes
  the network's one-way delay, well under a second on a working link.)
* **not in the future.** A corrected time more than :data:`MAX_FUTURE_S` ahead of the server is
  impossible: the server's receive time is taken instead, flagged ``future``. A smaller lead is
  jitter of the estimate and is brought back to the receive time without a flag.
* **not before the unit's previous status.** A unit cannot arrive before it set off: such a time
  is raised to the previous status's time, flagged ``before-previous``.
* **not too old.** A time older than the centre's limit (``GOLDENHOUR_FIELD_TIME_MAX_AGE_S``) is
  not believed (a device that lost its clock, a replay from another shift): the receive time is
  taken, flagged ``too-old``.

Both times are kept: the event's ``occurred_at`` is the accepted time and its payload carries
``received_at``, ``device_at`` and the flags. Pure: times are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

#: A corrected device time may lead the server's clock by this much and still be taken.
MAX_FUTURE_S = 30.0
#: A measured offset above this is reported (``clock-skew``): the device's clock needs setting.
SKEW_FLAG_S = 5.0
#: The default of ``GOLDENHOUR_FIELD_TIME_MAX_AGE_S``: an hour covers a long dead zone.
DEFAULT_MAX_AGE_S = 3600.0


class Flag:
    """Reason codes of a time that was corrected or is suspicious (stable, in the API)."""

    CLOCK_SKEW = "clock-skew"  # the device clock was off by more than SKEW_FLAG_S; corrected
    FUTURE = "future"  # ahead of the server even after correction: receive time taken
    BEFORE_PREVIOUS = "before-previous"  # before the unit's previous status: raised to it
    TOO_OLD = "too-old"  # older than the centre's limit: receive time taken
    CORRECTED = "corrected"  # a supervisor set this time by hand (the original is in the log)
    ORDER_WARNING = "order-warning"  # an unusual order of times (check_entry warning)


@dataclass(frozen=True, slots=True)
class FieldTime:
    """The time accepted for a crew action, with what it was derived from."""

    at: datetime  # the accepted time of the action: eTimes and KPIs use it
    received_at: datetime  # the server's clock when the update arrived
    device_at: datetime | None = None  # the time the device gave, uncorrected
    offset_s: float | None = None  # server clock minus device clock, as estimated
    flags: tuple[str, ...] = ()

    @property
    def corrected(self) -> bool:
        """Whether the accepted time differs from the device's own (skew, bounds)."""
        return self.device_at is not None and self.at != self.device_at

    def flagged(self, *more: str) -> FieldTime:
        return replace(self, flags=tuple(dict.fromkeys((*self.flags, *more))))


def server_time(received_at: datetime) -> FieldTime:
    """An update timed by the server alone (no device time given: a live button press)."""
    return FieldTime(at=received_at, received_at=received_at)


def offset_from(sent_at: datetime | None, received_at: datetime) -> float | None:
    """The device clock's offset (server minus device) from the time it said it sent at."""
    if sent_at is None:
        return None
    return (received_at - sent_at).total_seconds()


def accept(
    device_at: datetime | None,
    *,
    received_at: datetime,
    offset_s: float | None,
    previous_at: datetime | None,
    max_age_s: float = DEFAULT_MAX_AGE_S,
) -> FieldTime:
    """The time to record for an action the device says happened at ``device_at``.

    ``offset_s`` is the device clock's offset (None: unknown, taken as 0); ``previous_at`` the
    time of the unit's previous status (the lower bound). See the module docstring for the rules.
    """
    if device_at is None:
        return server_time(received_at)
    flags: list[str] = []
    offset = offset_s or 0.0
    if abs(offset) > SKEW_FLAG_S:
        flags.append(Flag.CLOCK_SKEW)
    at = device_at + timedelta(seconds=offset)
    if at > received_at + timedelta(seconds=MAX_FUTURE_S):
        flags.append(Flag.FUTURE)
        at = received_at
    elif at > received_at:
        at = received_at
    elif (received_at - at).total_seconds() > max_age_s:
        flags.append(Flag.TOO_OLD)
        at = received_at
    if previous_at is not None and at < previous_at:
        flags.append(Flag.BEFORE_PREVIOUS)
        at = min(previous_at, received_at)
    return FieldTime(at, received_at, device_at, offset_s, tuple(flags))
