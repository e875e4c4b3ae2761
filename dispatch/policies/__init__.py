"""Dispatch policies: which unit to send (and where idle units should wait).

Pure-ish decision code behind a small interface (:mod:`dispatch.policies.base`): the simulator
applies the decisions through the service handlers; the server can show them to a dispatcher as
recommendations with their explanation (ETA, closest alternative, coverage before/after, the
zone protected).
"""

from dispatch.policies.base import (
    Decision,
    EtaProvider,
    Move,
    PendingCall,
    Policy,
    Station,
    UnitState,
)
from dispatch.policies.closest import ClosestIdle
from dispatch.policies.costs import CostParams
from dispatch.policies.coverage import CoverageModel, CoverageState, ZoneTimes
from dispatch.policies.coverage_aware import CoverageAware
from dispatch.policies.guard import Guard
from dispatch.policies.joint import JointAssignment, solve_min_cost_flow
from dispatch.policies.moveup import MoveUp
from dispatch.policies.perpriority import PerPriority

__all__ = [
    "ClosestIdle",
    "CostParams",
    "CoverageAware",
    "CoverageModel",
    "CoverageState",
    "Decision",
    "EtaProvider",
    "Guard",
    "JointAssignment",
    "Move",
    "MoveUp",
    "PendingCall",
    "PerPriority",
    "Policy",
    "Station",
    "UnitState",
    "ZoneTimes",
    "solve_min_cost_flow",
]
