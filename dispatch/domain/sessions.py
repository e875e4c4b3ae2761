"""Server-side login sessions: when one has ended, and when its activity is worth writing down.

A login opens a session (a row in PostgreSQL, ``dispatch.store.sessions``); every access token
names it (the ``sid`` claim) and lives at most a quarter of an hour, the refresh token renews the
access token while the session lasts. A session ends, for every request and socket that uses it:

- ``revoked``: logged out, or the account was deactivated, its role, unit or hospital changed,
  its password reset (by an admin) or changed (the other sessions), or a refresh token was used
  twice (someone else holds a copy);
- ``expired``: past its absolute end (one shift, ``GOLDENHOUR_SESSION_MAX_S``);
- ``idle``: nothing was done with it for its idle timeout (``GOLDENHOUR_SESSION_IDLE_S``). Any
  request and any message a client sends on a socket is activity; renewing the access token is
  not (a screen left open would otherwise renew itself forever).

Activity is written down at most every :func:`touch_every_s` seconds (30 s, or a tenth of a short
idle timeout), so a busy console costs one read per request and one write per half minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

#: Activity is recorded at most this often (seconds) for an idle timeout of 5 minutes or more.
TOUCH_EVERY_S = 30.0


class Ended(StrEnum):
    """Why a session no longer serves requests."""

    REVOKED = "revoked"
    EXPIRED = "expired"
    IDLE = "idle"


@dataclass(frozen=True, slots=True)
class SessionTimes:
    """The times that decide whether a session still serves requests."""

    last_seen_at: datetime
    expires_at: datetime
    idle_timeout_s: float
    revoked_at: datetime | None = None


def ended(session: SessionTimes, now: datetime) -> Ended | None:
    """Why ``session`` has ended at ``now``, or None while it lasts (revoked wins over expired,
    expired over idle: the most definite reason is the one reported)."""
    if session.revoked_at is not None:
        return Ended.REVOKED
    if now >= session.expires_at:
        return Ended.EXPIRED
    if now >= session.last_seen_at + timedelta(seconds=session.idle_timeout_s):
        return Ended.IDLE
    return None


def touch_every_s(idle_timeout_s: float) -> float:
    """How stale ``last_seen_at`` may grow before activity is written: 30 s, or a tenth of the
    idle timeout when that is shorter, so the record is never late enough to matter."""
    return min(TOUCH_EVERY_S, idle_timeout_s / 10)


def needs_touch(session: SessionTimes, now: datetime) -> bool:
    """Whether activity at ``now`` should be written to the session's ``last_seen_at``."""
    return now - session.last_seen_at >= timedelta(seconds=touch_every_s(session.idle_timeout_s))


def access_expiry(now: datetime, ttl_s: float, session_expires_at: datetime) -> datetime:
    """When an access token issued at ``now`` stops working: after ``ttl_s``, never after the
    session's own end."""
    return min(now + timedelta(seconds=ttl_s), session_expires_at)
