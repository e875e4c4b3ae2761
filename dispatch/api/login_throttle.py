"""Every proof of a password (a login, the current password of a change) goes through here.

Before the password is checked, :func:`before_checking` turns away an address with too many
failures (429 ``too-many-attempts``), refuses a locked account (429 ``account-locked``, counted as
a failure) and waits the added delay of an account with a few failures; after a wrong password,
:func:`count_failure` counts it for the account name and the address and audits it (and the lock
it starts). The rules are ``dispatch.domain.throttle``; the counts ``dispatch.store.throttle``.

No answer tells whether an account exists: an unknown name is counted, slowed down and locked
exactly like a real one, and a login still spends one Argon2 verification either way
(``dispatch.passwords.verify_password``).
"""

from __future__ import annotations

import asyncio
import math

from fastapi import Request

from dispatch.api.problems import Problem
from dispatch.bootstrap import Container
from dispatch.domain import throttle
from dispatch.services.ports import AuditKind, AuditTrail

TOO_MANY_ATTEMPTS = "too-many-attempts"
ACCOUNT_LOCKED = "account-locked"


def client_of(request: Request) -> str:
    """The caller's address (as the proxy in front says, when the server trusts it)."""
    return request.client.host if request.client else "unknown"


def _too_many(code: str, seconds: float, detail: str) -> Problem:
    return Problem(429, code, detail, headers={"Retry-After": str(max(1, math.ceil(seconds)))})


async def before_checking(
    container: Container, audit: AuditTrail, *, name: str, client: str
) -> throttle.Strikes:
    """Refuse (429) or slow down an attempt to prove ``name``'s password from ``client``; the
    account's strikes as they stand (for :func:`succeeded`)."""
    rules = container.throttle.rules
    now = container.deps.clock.now()
    account, address = await container.throttle.strikes(name, client)
    wait = throttle.client_turned_away_for_s(address, now, rules)
    if wait is not None:  # no password check, no write: this answer must stay cheap
        raise _too_many(
            TOO_MANY_ATTEMPTS,
            wait,
            "Too many failed logins from this address: try again later",
        )
    locked = throttle.locked_for_s(throttle.current(account, now, rules), now)
    if locked is not None:
        await count_failure(container, audit, name=name, client=client, reason=ACCOUNT_LOCKED)
        raise _too_many(
            ACCOUNT_LOCKED,
            locked,
            "This account is locked after too many failed logins: try again later, or ask an "
            "administrator to unlock it",
        )
    delay = throttle.delay_s(account, now, rules)
    if delay > 0:
        await asyncio.sleep(delay)
    return account


async def count_failure(
    container: Container, audit: AuditTrail, *, name: str, client: str, reason: str
) -> None:
    """Count a failed attempt for ``name`` and ``client``; audit it, and the lock it starts."""
    now = container.deps.clock.now()
    failure = await container.throttle.fail(name, client, now)
    await audit.record(AuditKind.LOGIN_FAILED, actor=name, client=client, detail={"reason": reason})
    if throttle.just_locked(failure.account_before, failure.account_after, now):
        until = failure.account_after.locked_until
        await audit.record(
            AuditKind.ACCOUNT_LOCKED,
            actor=name,
            subject=f"user:{name}",
            client=client,
            detail={
                "failures": failure.account_after.failures,
                "until": None if until is None else until.isoformat(),
            },
        )


async def succeeded(container: Container, name: str, strikes: throttle.Strikes) -> None:
    """A proven password clears the account's failures (not the address's)."""
    if strikes != throttle.NONE:
        await container.throttle.clear(name)
