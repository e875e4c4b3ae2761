"""Login throttling: when failed logins slow answers down, lock an account, or turn an address away.

Two things are counted, each in its own :class:`Strikes`: failures for an account name (the name
typed, whether or not such an account exists, so that a stranger's name is throttled exactly like
a real one and the answers tell nobody which names exist), and failures from a client address.

- An account: from ``slow_after`` failures within ``window_s`` on, each further attempt waits
  first (``delay_s``, doubling up to ``max_delay_s``), which costs a person at a keyboard nothing
  and a guessing script its speed; at ``lock_after`` failures the account is locked for
  ``lock_s`` (an admin can unlock it earlier). Attempts while locked are refused without looking
  at the password, so the right one does not help, and still count.
- An address: at ``client_limit`` failures within ``window_s`` it is turned away (HTTP 429 with
  ``Retry-After``) until the window ends, without a password check: Argon2 is the expensive part
  of a login, and one machine guessing many names is stopped too.

The window is fixed, starting at the first failure: after ``window_s`` without a lock, the count
starts again. A successful login clears the account's strikes, not the address's (knowing one
password must not buy more guesses at others). The rules are pure: the store applies them under a
row lock (``dispatch.store.throttle``) and the login route acts on their answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ThrottleRules:
    """The numbers (settings ``GOLDENHOUR_LOGIN_*``, see ``dispatch.config``)."""

    window_s: float = 15 * 60
    slow_after: int = 5
    delay_s: float = 1.0
    max_delay_s: float = 8.0
    lock_after: int = 10
    lock_s: float = 15 * 60
    client_limit: int = 30


@dataclass(frozen=True, slots=True)
class Strikes:
    """What is remembered about one account name or one client address."""

    failures: int = 0
    window_started_at: datetime | None = None
    locked_until: datetime | None = None


NONE = Strikes()


def current(strikes: Strikes, now: datetime, rules: ThrottleRules) -> Strikes:
    """``strikes`` as they stand at ``now``: a lock that has ended is forgotten with the
    failures that caused it, and a window that has ended without a lock counts nothing more."""
    if strikes.locked_until is not None:
        return strikes if now < strikes.locked_until else NONE
    started = strikes.window_started_at
    if started is not None and now < started + timedelta(seconds=rules.window_s):
        return strikes
    return NONE


def after_failure(strikes: Strikes, now: datetime, rules: ThrottleRules) -> Strikes:
    """The account's strikes after one more failure at ``now``; the failure that reaches
    ``lock_after`` starts the lock (failures during a lock do not lengthen it)."""
    held = current(strikes, now, rules)
    failures = held.failures + 1
    started = held.window_started_at or now
    locked_until = held.locked_until
    if locked_until is None and failures >= rules.lock_after:
        locked_until = now + timedelta(seconds=rules.lock_s)
    return replace(held, failures=failures, window_started_at=started, locked_until=locked_until)


def delay_s(strikes: Strikes, now: datetime, rules: ThrottleRules) -> float:
    """How long to wait before checking the next password for this account: nothing for the
    first ``slow_after`` attempts, then ``delay_s``, doubling with each failure, at most
    ``max_delay_s``."""
    over = current(strikes, now, rules).failures - rules.slow_after
    if over < 0:
        return 0.0
    return float(min(rules.max_delay_s, rules.delay_s * 2 ** min(over, 30)))


def locked_for_s(strikes: Strikes, now: datetime) -> float | None:
    """Seconds until the account's lock ends, or None when it is not locked."""
    if strikes.locked_until is None or now >= strikes.locked_until:
        return None
    return (strikes.locked_until - now).total_seconds()


def just_locked(before: Strikes, after: Strikes, now: datetime) -> bool:
    """Whether the failure that turned ``before`` into ``after`` started a lock (audited once)."""
    return locked_for_s(after, now) is not None and locked_for_s(before, now) is None


def client_turned_away_for_s(strikes: Strikes, now: datetime, rules: ThrottleRules) -> float | None:
    """Seconds until an address may try again, or None while it may: it is turned away once it
    has ``client_limit`` failures in the window, until that window ends."""
    held = current(strikes, now, rules)
    if held.failures < rules.client_limit or held.window_started_at is None:
        return None
    ends = held.window_started_at + timedelta(seconds=rules.window_s)
    return max(0.0, (ends - now).total_seconds())


def after_client_failure(strikes: Strikes, now: datetime, rules: ThrottleRules) -> Strikes:
    """An address's strikes after one more failure from it (addresses are counted, never
    locked: being turned away ends with the window)."""
    held = current(strikes, now, rules)
    return replace(
        held, failures=held.failures + 1, window_started_at=held.window_started_at or now
    )
