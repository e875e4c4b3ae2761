"""The session behind a token: checked on every request and socket, and the tokens of a login.

``authorize`` (``dispatch.api.deps``) calls :func:`live_session` for every authenticated request
and socket handshake: one read of the session row by primary key, joined with its account
(``dispatch.store.sessions``). A session that was revoked, has passed its end or sat idle
(``dispatch.domain.sessions``), or whose account was deactivated or no longer has the role and
binding the token carries, is refused with 401 ``session-expired``: the client must log in again
(renewing cannot help). Activity is written at most every 30 s.

Open sockets are watched together by the process's :func:`session_watcher`
(``dispatch.hub.watch``), which runs the same check for all of them every two seconds in one read
(:func:`ended_sessions`) and closes the sockets of a session that fails it with 4401.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any

from dispatch.api.auth import Principal, Role, issue_token
from dispatch.api.problems import Problem
from dispatch.bootstrap import Container
from dispatch.domain.sessions import access_expiry, needs_touch
from dispatch.hub.watch import SessionWatcher
from dispatch.store.sessions import SessionState

SESSION_EXPIRED = "session-expired"
#: 403 for everything but what a login may do before choosing a new password (its policy row).
PASSWORD_CHANGE_REQUIRED = "password-change-required"


def session_expired() -> Problem:
    return Problem(
        401,
        SESSION_EXPIRED,
        "Your session has ended (logged out, idle too long, past the end of the shift, or the "
        "account was changed by an administrator): log in again",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _still_matches(state: SessionState, principal: Principal, now: datetime) -> bool:
    """The session lasts and its account still has the role and binding the token carries."""
    return (
        state.ended(now) is None
        and state.username == principal.username
        and state.role == principal.role.value
        and state.unit_id == principal.unit_id
        and state.hospital_id == principal.hospital_id
    )


async def live_session(
    container: Container, principal: Principal, *, activity: bool = True
) -> SessionState:
    """The session ``principal``'s token names, if it still serves requests (else a 401
    ``session-expired`` problem); ``activity`` records the request against the idle timeout."""
    if principal.session_id is None:
        raise session_expired()
    now = container.deps.clock.now()
    state = await container.sessions.state(principal.session_id)
    if state is None or not _still_matches(state, principal, now):
        raise session_expired()
    if activity and needs_touch(state.times, now):
        await container.sessions.touch(state.id, now)
    return state


async def ended_sessions(container: Container, watched: Mapping[Principal, bool]) -> set[Principal]:
    """Of the logins of the open sockets ``watched``, those whose session has ended (the
    socket watcher's check, ``dispatch.hub.watch``): one read of all their sessions, and one
    write of the activity worth recording (``watched[login]``: its client sent something)."""
    now = container.deps.clock.now()
    states = await container.sessions.states(
        {p.session_id for p in watched if p.session_id is not None}
    )
    ended: set[Principal] = set()
    touch: dict[str, datetime] = {}
    for principal, active in watched.items():
        state = states.get(principal.session_id or "")
        if state is None or not _still_matches(state, principal, now):
            ended.add(principal)
        elif active and needs_touch(state.times, now):
            touch[state.id] = now
    await container.sessions.touch_many(touch)
    return ended


def session_watcher(container: Container) -> SessionWatcher[Principal]:
    """The process's watcher of every open socket's login session."""
    return SessionWatcher(partial(ended_sessions, container))


def principal_of(state: SessionState) -> Principal:
    """The login a session stands for, as its account is now."""
    return Principal(state.username, Role(state.role), state.unit_id, state.hospital_id, state.id)


def token_answer(
    container: Container, state: SessionState, *, refresh_token: str
) -> dict[str, Any]:
    """The answer of a login or a renewal: a fresh access token for the session, the refresh
    token that renews it next, and who is logged in."""
    settings = container.settings
    now = container.deps.clock.now()
    until = access_expiry(now, settings.token_ttl_s, state.times.expires_at)
    principal = principal_of(state)
    token = issue_token(
        principal,
        secret=settings.signing_key(),
        ttl_s=settings.token_ttl_s,
        now=now,
        expires_at=until,
    )
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": max(0, int((until - now).total_seconds())),
        "refresh_token": refresh_token,
        **principal.as_dict(),
        "must_change_password": state.must_change_password,
    }
