"""``/config``: what consoles need to count and alert the way the server does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import ContainerDep, User
from dispatch.api.schemas.answers import ConsoleConfig
from dispatch.api.schemas.problems import problems
from dispatch.domain.triage import load_protocol

router = APIRouter(tags=["config"])


@router.get("/config", response_model=ConsoleConfig, responses=problems(401))
async def config(_: User, container: ContainerDep) -> dict[str, Any]:
    """Response targets and alert thresholds, so consoles show countdowns and alerts the same
    way the server counts them: stale GPS, time-in-status alarms (seconds per unit status), the
    live advisor's policy and the centre's time zone (every screen shows local times in it)."""
    protocol = load_protocol()
    settings = container.settings
    return {
        "protocol_version": protocol.version,
        "response_targets": {
            area: {
                str(p): {
                    "seconds": protocol.target(p, area=area).seconds,
                    "fraction": protocol.target(p, area=area).fraction,
                }
                for p in (1, 2, 3, 4)
            }
            for area in ("urban", "rural")
        },
        "order_resend_s": settings.order_resend_s,
        "ack_alert_after_s": settings.ack_alert_after_s,
        "position_interval_s": settings.expected_position_interval_s,
        "stale_after_s": settings.stale_after_s,
        "stale_rank_margin_s": settings.stale_rank_margin_s,
        "advice_policy": settings.advice_policy,
        "status_alarm_s": settings.status_alarm_s,
        "time_zone": settings.timezone,
    }
