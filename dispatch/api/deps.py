"""FastAPI dependencies as ``Annotated`` aliases, so routes stay thin and keyword-only.

They are ``async def`` although they never await: FastAPI runs a plain ``def`` dependency in a
worker thread, which cost every request four thread hand-offs (measured under load, issue 5).

How routes reach storage, in one rule: commands (and answers computed by domain rules, such as
recommendations) go through ``dispatch.services`` with ``ServiceDeps``; plain reads of stored
state go through the read model, ``Reads``. No route opens a unit of work or uses the engine.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.requests import HTTPConnection
from fastapi.security import OAuth2PasswordBearer

from dispatch.api.auth import Principal, Role, read_token
from dispatch.api.problems import Problem
from dispatch.bootstrap import Container
from dispatch.services.handlers import Deps
from dispatch.store.reads import ReadModel

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_container(connection: HTTPConnection) -> Container:
    """The app's container, for HTTP routes and WebSocket routes alike."""
    container: Container = connection.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_deps(container: ContainerDep) -> Deps:
    return container.deps


ServiceDeps = Annotated[Deps, Depends(get_deps)]


async def get_reads(container: ContainerDep) -> ReadModel:
    return ReadModel(container.engine)


Reads = Annotated[ReadModel, Depends(get_reads)]


async def current_principal(
    container: ContainerDep, token: Annotated[str | None, Depends(oauth2)]
) -> Principal:
    principal = None
    if token:
        principal = read_token(token, secret=container.settings.signing_key())
    if principal is None:
        raise Problem(
            401,
            "not-authenticated",
            "Log in first: missing, invalid or expired token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def require(*roles: Role) -> object:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Problem(
                403,
                "forbidden",
                f"Role {principal.role.value} may not do this "
                f"(needs {' or '.join(r.value for r in roles)})",
            )
        return principal

    return Depends(check)


AnyUser = Annotated[Principal, Depends(current_principal)]
Dispatcher = Annotated[Principal, require(Role.DISPATCHER, Role.SUPERVISOR)]
#: Who may see KPIs and replay an incident's tracks (a review search or export needs Supervisor).
Reviewer = Annotated[Principal, require(Role.SUPERVISOR, Role.DISPATCHER)]
Supervisor = Annotated[Principal, require(Role.SUPERVISOR)]


def ensure_may_act_for_unit(principal: Principal, unit_id: int) -> None:
    """Crews act only for their own unit; dispatchers and supervisors for any."""
    if principal.role is Role.CREW and principal.unit_id != unit_id:
        raise Problem(
            403, "not-your-unit", f"Crew of unit {principal.unit_id} may not act for unit {unit_id}"
        )
