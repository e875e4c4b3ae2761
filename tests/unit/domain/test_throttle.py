"""Failed logins: a few slow the answers down, more lock the account, many from one address turn
it away; a lock ends by itself, and a quiet quarter of an hour forgets everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.domain import throttle
from dispatch.domain.throttle import NONE, Strikes, ThrottleRules

RULES = ThrottleRules()  # 5 failures: slower; 10: locked 15 min; 30 from one address: 429
T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def failures(n: int, *, every_s: float = 1.0) -> Strikes:
    strikes = NONE
    for i in range(n):
        strikes = throttle.after_failure(strikes, at(i * every_s), RULES)
    return strikes


def test_the_first_few_failures_cost_nothing_then_each_waits_twice_as_long_up_to_8_s() -> None:
    delays = [throttle.delay_s(failures(n), at(n), RULES) for n in range(10)]
    assert delays == [0, 0, 0, 0, 0, 1, 2, 4, 8, 8]


def test_the_tenth_failure_locks_the_account_for_a_quarter_of_an_hour() -> None:
    nine = failures(9)
    assert throttle.locked_for_s(nine, at(9)) is None
    ten = throttle.after_failure(nine, at(9), RULES)
    assert throttle.just_locked(nine, ten, at(9))
    assert throttle.locked_for_s(ten, at(9)) == 15 * 60
    assert throttle.locked_for_s(ten, at(9 + 15 * 60)) is None


def test_failures_during_a_lock_are_counted_but_do_not_lengthen_it() -> None:
    locked = failures(10)
    more = locked
    for i in range(190):
        more = throttle.after_failure(more, at(20 + i), RULES)
    assert more.failures == 200
    assert more.locked_until == locked.locked_until
    assert not throttle.just_locked(locked, more, at(300))


def test_a_lock_that_has_ended_is_forgotten_with_its_failures() -> None:
    locked = failures(10)
    after = throttle.current(locked, at(9 + 15 * 60), RULES)
    assert after == NONE
    assert throttle.delay_s(locked, at(9 + 15 * 60), RULES) == 0


def test_a_quiet_window_forgets_the_failures() -> None:
    four = failures(4)
    assert throttle.current(four, at(15 * 60 - 1), RULES).failures == 4
    assert throttle.current(four, at(15 * 60), RULES) == NONE
    assert throttle.after_failure(four, at(16 * 60), RULES).failures == 1


def test_an_address_is_turned_away_at_30_failures_until_its_window_ends() -> None:
    address = NONE
    for i in range(29):
        address = throttle.after_client_failure(address, at(i), RULES)
    assert throttle.client_turned_away_for_s(address, at(29), RULES) is None
    address = throttle.after_client_failure(address, at(29), RULES)
    assert throttle.client_turned_away_for_s(address, at(29), RULES) == 15 * 60 - 29
    assert throttle.client_turned_away_for_s(address, at(15 * 60), RULES) is None


def test_the_numbers_are_settings() -> None:
    rules = ThrottleRules(slow_after=1, delay_s=0.25, max_delay_s=1, lock_after=3, lock_s=60)
    strikes = throttle.after_failure(NONE, T0, rules)
    assert throttle.delay_s(strikes, T0, rules) == 0.25
    strikes = throttle.after_failure(throttle.after_failure(strikes, T0, rules), T0, rules)
    assert throttle.locked_for_s(strikes, T0) == 60
