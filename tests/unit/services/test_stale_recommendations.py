"""Recommendations over the in-memory adapters: a unit whose GPS went silent is still listed,
by its last known position and with its age, but not above a fresh unit almost as close."""

from __future__ import annotations

from dispatch.domain.freshness import StaleRule
from dispatch.services import handlers
from tests.unit.services.test_handlers import call, world  # noqa: F401 (fixture)


async def test_a_stale_unit_is_ranked_with_its_age_behind_a_fresh_unit_almost_as_close(
    world: tuple,  # noqa: F811
) -> None:
    deps, store, _ = world
    incident = (await handlers.receive_call(call(priority=3), deps)).incident
    # Every unit last reported at 07:00, an hour before the clock; A03 (55 s away) reports now.
    store.units[3].position_at = deps.clock.now()
    ranked = await handlers.recommend(incident["id"], 5, deps, StaleRule(15.0, 60.0))
    # A02 is 11 s away by its last fix, A03 56 s: not more than 60 s faster, so A03 first.
    assert [(r.unit.call_sign, r.stale) for r in ranked] == [
        ("A03", False),
        ("A02", True),
        ("A01", True),
    ]
    assert ranked[1].position_age_s is not None and ranked[1].position_age_s > 3600
    assert ranked[0].position_age_s is not None and ranked[0].position_age_s < 15
    # With a 30 s margin the stale A02 (more than 30 s faster) leads again, still flagged.
    ranked = await handlers.recommend(incident["id"], 2, deps, StaleRule(15.0, 30.0))
    assert [(r.unit.call_sign, r.stale, r.rank) for r in ranked] == [
        ("A02", True, 1),
        ("A03", False, 2),
    ]
