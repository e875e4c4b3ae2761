"""The live advisor ranks a stale unit by its last known position, never silently, and says in
one line why it picked each unit."""

from __future__ import annotations

import numpy as np
import pytest

from dispatch.domain.model import Capability
from dispatch.policies import ClosestIdle, CoverageAware, CoverageModel, JointAssignment
from dispatch.policies.explain import one_line
from dispatch.policies.live import live_policy
from dispatch.policies.straightline import StraightLineEta
from tests.unit.policies.test_policies import ETA, NOW, at, call, unit


def test_closest_idle_passes_over_a_stale_unit_less_than_a_minute_nearer() -> None:
    units = [unit(1, at(1.0), stale=True, position_age_s=600.0), unit(2, at(1.3))]  # 100 vs 130 s
    [d] = ClosestIdle().choose([call(10, at(0.0))], units, ETA, NOW)
    assert d.unit_id == 2
    assert d.explanation["closest_unit"] == "A01" and d.explanation["closest_stale"] is True
    assert one_line(d.explanation, d.divert_from) == (
        "fresh",
        "nearest unit with a fresh GPS fix (A01 is stale)",
    )


def test_a_stale_unit_much_nearer_is_still_sent_and_its_age_shown() -> None:
    units = [unit(1, at(1.0), stale=True, position_age_s=600.0), unit(2, at(3.0))]  # 100 vs 300 s
    for policy in (ClosestIdle(), JointAssignment(threaded=False)):
        [d] = policy.choose([call(10, at(0.0))], units, ETA, NOW)
        assert d.unit_id == 1
        assert d.explanation["stale"] is True and d.explanation["position_age_s"] == 600.0
        code, text = one_line(d.explanation, d.divert_from)
        assert code == "stale" and "600 s old" in text


def test_joint_assignment_applies_the_same_margin() -> None:
    units = [unit(1, at(1.0), stale=True, position_age_s=60.0), unit(2, at(1.3))]
    [d] = JointAssignment(threaded=False).choose([call(10, at(0.0), priority=1)], units, ETA, NOW)
    assert d.unit_id == 2


def test_the_nearest_fresh_unit_is_explained_as_nearest_by_road() -> None:
    [d] = ClosestIdle().choose([call(10, at(0.0))], [unit(1, at(1.0)), unit(2, at(2.0))], ETA, NOW)
    assert one_line(d.explanation, d.divert_from) == ("nearest", "nearest by road")


def _two_zones() -> CoverageModel:
    zones = [at(0.0), at(20.0)]
    return CoverageModel(
        zones,
        np.array([0.5, 0.5]),
        StraightLineEta(10.0, zones=zones),
        threshold_s=600.0,
        busy_fraction=0.3,
        names=["Kamppi", "Pasila"],
    )


def test_keeping_a_district_covered_names_the_district() -> None:
    units = [
        unit(1, at(15.0), Capability.BLS),  # Pasila's only nearby unit
        unit(2, at(4.5), Capability.BLS),
        unit(3, at(0.0), Capability.BLS),
    ]
    for policy in (CoverageAware(_two_zones()), live_policy("joint-coverage", _two_zones())):
        [d] = policy.choose([call(1, at(10.0), priority=4)], units, ETA, NOW)
        assert d.unit_id == 2
        assert one_line(d.explanation, d.divert_from) == ("covered", "keeps Pasila covered")


def test_fallbacks_and_diverts_say_so() -> None:
    assert one_line({"fallback": "timeout"}, None)[0] == "fallback"
    assert one_line({"unit": "A1", "closest_unit": "A2"}, 7)[0] == "divert"
    assert one_line({"unit": "A1", "closest_unit": "A2", "zone_protected": None}, None)[0] == (
        "joint"
    )


def test_the_live_policy_is_chosen_by_name() -> None:
    assert live_policy("closest", None).name == "closest-idle"
    assert live_policy("joint", None).name == "joint"
    joint_coverage = live_policy("joint-coverage", _two_zones())
    assert isinstance(joint_coverage, JointAssignment) and joint_coverage.coverage is not None
    with pytest.raises(ValueError):
        live_policy("joint-coverage", None)
