"""``/advice`` and ``/moveups``: the optimiser's suggestions. Advice only: acting on one is an
ordinary command (assign an incident, relocate a unit)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import ContainerDep, ServiceDeps, User
from dispatch.api.schemas.answers import Advice, MoveUps
from dispatch.api.schemas.problems import problems

router = APIRouter(tags=["advice"])


@router.get("/advice", response_model=Advice, responses=problems(401, 403, 503))
async def advice(_: User, deps: ServiceDeps, container: ContainerDep) -> dict[str, Any]:
    """The optimiser's joint plan for every pending call, each next to the closest unit, with
    why; it falls back to closest-idle when the solver fails or runs over its time limit."""
    return {"decisions": await container.advisor.advise(deps)}


@router.get("/moveups", response_model=MoveUps, responses=problems(401, 403, 503))
async def moveups(_: User, deps: ServiceDeps, container: ContainerDep) -> dict[str, Any]:
    """Move-up suggestions: post a free unit elsewhere to close a coverage gap (one click each)."""
    return {"moves": await container.moveups.suggest(deps)}
