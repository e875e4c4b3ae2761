"""A dispatcher trusts a fresh GPS fix; a stale one still counts, by its last known position,
but never silently and never ahead of a fresh unit that is almost as close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.domain.freshness import StaleRule, position_age_s, rank

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
RULE = StaleRule(stale_after_s=15.0, margin_s=60.0)


def test_the_age_of_a_fix_is_seconds_since_it_was_taken_and_never_negative() -> None:
    assert position_age_s(NOW - timedelta(seconds=42), NOW) == 42.0
    assert position_age_s(NOW + timedelta(seconds=3), NOW) == 0.0  # a phone clock running ahead
    assert position_age_s(None, NOW) is None


def test_a_unit_that_never_reported_or_went_silent_is_stale() -> None:
    assert RULE.is_stale(None)
    assert RULE.is_stale(15.1)
    assert not RULE.is_stale(15.0)
    assert not RULE.is_stale(2.0)


def test_a_stale_unit_ranks_above_a_fresh_one_only_when_more_than_the_margin_faster() -> None:
    units = [("fresh-far", 300.0, False), ("stale-near", 250.0, True), ("fresh-near", 200.0, False)]
    order = rank(units, RULE, eta_s=lambda u: u[1], stale=lambda u: u[2])
    # 250 s + 60 s margin = 310 s: behind both fresh units.
    assert [u[0] for u in order] == ["fresh-near", "fresh-far", "stale-near"]
    very_near = [("fresh", 300.0, False), ("stale", 100.0, True)]  # 160 s faster: first
    assert [u[0] for u in rank(very_near, RULE, eta_s=lambda u: u[1], stale=lambda u: u[2])] == [
        "stale",
        "fresh",
    ]


def test_on_a_tie_the_fresh_unit_comes_first() -> None:
    units = [("stale", 100.0, True), ("fresh", 160.0, False)]
    assert [u[0] for u in rank(units, RULE, eta_s=lambda u: u[1], stale=lambda u: u[2])] == [
        "fresh",
        "stale",
    ]


def test_a_rule_without_a_positive_threshold_is_refused() -> None:
    with pytest.raises(ValueError):
        StaleRule(stale_after_s=0, margin_s=60)
    with pytest.raises(ValueError):
        StaleRule(stale_after_s=15, margin_s=-1)
