"""Time-in-status alarms: a crew on scene too long, an ambulance stuck at the ED, an order
that did not get the crew rolling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from dispatch.config import Settings
from dispatch.domain.alarms import DEFAULT_STATUS_ALARM_S, check_thresholds, overdue_s

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


def test_the_defaults_watch_the_working_statuses_not_waiting_ones() -> None:
    assert DEFAULT_STATUS_ALARM_S["on_scene"] == 30 * 60
    assert DEFAULT_STATUS_ALARM_S["at_hospital"] == 20 * 60  # offload delay
    assert DEFAULT_STATUS_ALARM_S["dispatched"] == 2 * 60  # ordered but not rolling
    assert "available" not in DEFAULT_STATUS_ALARM_S
    assert "out_of_service" not in DEFAULT_STATUS_ALARM_S


def test_a_unit_on_scene_past_its_threshold_is_overdue_by_the_excess() -> None:
    limits = {"on_scene": 1800.0}
    assert overdue_s("on_scene", NOW - timedelta(minutes=31), NOW, limits) == 60.0
    assert overdue_s("on_scene", NOW - timedelta(minutes=29), NOW, limits) is None
    assert overdue_s("available", NOW - timedelta(hours=5), NOW, limits) is None
    assert overdue_s("on_scene", None, NOW, limits) is None


def test_a_misspelt_status_or_a_zero_threshold_stops_the_server() -> None:
    with pytest.raises(ValueError, match="onscene"):
        check_thresholds({"onscene": 1800})
    with pytest.raises(ValueError, match="positive"):
        check_thresholds({"on_scene": 0})
    with pytest.raises(ValidationError):
        Settings(secret_key="k" * 40, status_alarm_s={"at_hospitl": 1200})  # type: ignore[call-arg]


def test_the_centre_time_zone_must_be_an_iana_name() -> None:
    assert Settings(secret_key="k" * 40, timezone="Asia/Shanghai").timezone == "Asia/Shanghai"  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(secret_key="k" * 40, timezone="Beijing")  # type: ignore[call-arg]


def test_the_stale_threshold_defaults_to_three_missed_reports() -> None:
    s = Settings(secret_key="k" * 40, expected_position_interval_s=10)  # type: ignore[call-arg]
    assert s.stale_after_s == 30
    assert Settings(secret_key="k" * 40, stale_position_s=45).stale_after_s == 45  # type: ignore[call-arg]
