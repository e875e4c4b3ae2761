"""A session ends when revoked, at the end of the shift, or after sitting idle; activity is
written down at most every 30 s (more often only for very short idle timeouts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.domain.sessions import (
    Ended,
    SessionTimes,
    access_expiry,
    ended,
    needs_touch,
    touch_every_s,
)

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
SHIFT = T0 + timedelta(hours=12)


def session(*, seen_s: float = 0, idle_s: float = 1800, revoked: bool = False) -> SessionTimes:
    return SessionTimes(
        last_seen_at=T0 + timedelta(seconds=seen_s),
        expires_at=SHIFT,
        idle_timeout_s=idle_s,
        revoked_at=T0 if revoked else None,
    )


def test_a_used_session_lasts_the_shift_and_no_longer() -> None:
    assert ended(session(seen_s=11 * 3600), T0 + timedelta(hours=11, minutes=5)) is None
    assert ended(session(seen_s=12 * 3600 - 1), SHIFT) is Ended.EXPIRED


def test_thirty_idle_minutes_end_it() -> None:
    assert ended(session(), T0 + timedelta(minutes=29, seconds=59)) is None
    assert ended(session(), T0 + timedelta(minutes=30)) is Ended.IDLE


def test_a_revoked_session_has_ended_whatever_its_times() -> None:
    assert ended(session(revoked=True), T0) is Ended.REVOKED


def test_activity_is_written_at_most_every_30_s() -> None:
    assert touch_every_s(1800) == 30
    assert not needs_touch(session(), T0 + timedelta(seconds=29))
    assert needs_touch(session(), T0 + timedelta(seconds=30))


def test_a_short_idle_timeout_writes_activity_often_enough_to_matter() -> None:
    assert touch_every_s(5) == 0.5
    assert needs_touch(session(idle_s=5), T0 + timedelta(seconds=0.5))


def test_an_access_token_never_outlives_its_session() -> None:
    assert access_expiry(T0, 900, SHIFT) == T0 + timedelta(minutes=15)
    assert access_expiry(SHIFT - timedelta(minutes=5), 900, SHIFT) == SHIFT
