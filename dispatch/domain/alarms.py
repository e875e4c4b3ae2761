"""Time-in-status alarms: a unit that stays too long in one status needs a dispatcher's eye.

Examples: a crew dispatched but not rolling after two minutes (the order may not have reached
it), on scene for more than half an hour (a difficult scene, or a crew that forgot to report),
at hospital for more than twenty minutes (offload delay: the ambulance is stuck in the ED).

Thresholds are seconds per unit status; a status without one never alarms (``available`` and
``out_of_service`` have none by default: waiting is their normal state). The console evaluates
the same rule on the server's clock and sounds once per crossing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dispatch.domain.model import UnitStatus

#: Defaults of ``GOLDENHOUR_STATUS_ALARM_S`` (seconds per status).
DEFAULT_STATUS_ALARM_S: dict[str, float] = {
    UnitStatus.DISPATCHED.value: 2 * 60.0,
    UnitStatus.EN_ROUTE.value: 20 * 60.0,
    UnitStatus.ON_SCENE.value: 30 * 60.0,
    UnitStatus.TRANSPORTING.value: 30 * 60.0,
    UnitStatus.AT_HOSPITAL.value: 20 * 60.0,
    UnitStatus.RETURNING.value: 30 * 60.0,
}


def check_thresholds(thresholds: Mapping[str, float]) -> dict[str, float]:
    """The thresholds if every key is a unit status and every value positive, else ValueError
    (a typo in a status name must stop the server, not silently disable an alarm)."""
    known = {s.value for s in UnitStatus}
    wrong = sorted(k for k in thresholds if k not in known)
    if wrong:
        raise ValueError(f"not unit statuses: {wrong}; choose from {sorted(known)}")
    bad = sorted(k for k, v in thresholds.items() if not v > 0)
    if bad:
        raise ValueError(f"thresholds must be positive seconds: {bad}")
    return dict(thresholds)


def overdue_s(
    status: str, status_at: datetime | None, now: datetime, thresholds: Mapping[str, float]
) -> float | None:
    """Seconds past the status's threshold (>= 0) when the alarm is on, else None."""
    limit = thresholds.get(status)
    if limit is None or status_at is None:
        return None
    over = (now - status_at).total_seconds() - limit
    return over if over >= 0 else None
