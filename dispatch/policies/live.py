"""The policy behind the live advisor (``GET /advice``, auto-dispatch), chosen by a setting.

- ``joint-coverage`` (the default): joint assignment of every pending call that also prices the
  coverage a unit's departure costs, so a less urgent call does not strip a district of its last
  nearby unit; in the simulator it kept more priority-1 calls within target than plain joint
  assignment (``goldenhour simulate --policy joint --policy joint-coverage``).
- ``joint``: the same assignment without the coverage term.
- ``closest``: closest unit by road, call by call (the fallback of the other two).

All three rank a unit with a stale GPS fix ``stale_margin_s`` slower
(``dispatch.domain.freshness``).
"""

from __future__ import annotations

from typing import Literal

from dispatch.policies.base import STALE_MARGIN_S, Policy
from dispatch.policies.closest import ClosestIdle
from dispatch.policies.costs import CostParams
from dispatch.policies.coverage import CoverageModel
from dispatch.policies.joint import JointAssignment

LivePolicyName = Literal["joint-coverage", "joint", "closest"]
LIVE_POLICIES: tuple[LivePolicyName, ...] = ("joint-coverage", "joint", "closest")


def live_policy(
    name: LivePolicyName,
    coverage: CoverageModel | None,
    *,
    stale_margin_s: float = STALE_MARGIN_S,
) -> Policy:
    """The live advisor's policy; ``joint-coverage`` without a coverage model is refused (it would
    silently be plain ``joint``)."""
    if name == "closest":
        return ClosestIdle(coverage, stale_margin_s=stale_margin_s)
    if name == "joint":
        return JointAssignment(
            coverage=None, params=CostParams(coverage_s={}, stale_margin_s=stale_margin_s)
        )
    if name == "joint-coverage":
        if coverage is None:
            raise ValueError("the joint-coverage policy needs a coverage model")
        policy = JointAssignment(
            coverage=coverage, params=CostParams(stale_margin_s=stale_margin_s)
        )
        policy.name = "joint-coverage"  # what each decision's ``policy`` says
        return policy
    raise ValueError(f"unknown live policy {name!r}; choose from {', '.join(LIVE_POLICIES)}")
