"""``/admin/users``: user administration, the admin's only (``dispatch.api.policy``: ACCOUNTS).

Create a login (it must choose its own password at first login), deactivate it, change its role,
bind a crew login to the unit it crews this shift (or a hospital login to its ED), reset a
forgotten password (forced change again) and unlock an account locked by failed logins. A change
of role, binding or a deactivation, and a reset, end the account's sessions: its next request is
refused and its sockets close within seconds (``dispatch.domain.accounts``, ``.sessions``).
Every change is audited as ``user-changed`` with what changed (never a password).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from dispatch.api import login_throttle
from dispatch.api.auth import Principal
from dispatch.api.deps import Audit, ContainerDep, User
from dispatch.api.problems import Problem
from dispatch.api.schemas.answers import AdminUser
from dispatch.api.schemas.bodies import PasswordResetIn, UserIn, UserPatchIn
from dispatch.api.schemas.problems import problems
from dispatch.bootstrap import Container
from dispatch.domain import accounts, throttle
from dispatch.domain.limits import PLAIN_TEXT_PATTERN
from dispatch.passwords import hash_password, weakness
from dispatch.services.ports import AuditKind
from dispatch.store.users import Account, UserRecord

router = APIRouter(prefix="/admin", tags=["admin"])

#: The user name in the path (any name: one that matches no account is 404).
UsernamePath = Annotated[str, Path(max_length=100, pattern=PLAIN_TEXT_PATTERN)]


def _view(account: Account, container: Container, now: datetime) -> dict[str, Any]:
    """The account as the admin's list shows it: failures and lock as they stand now."""
    strikes = throttle.current(account.strikes, now, container.throttle.rules)
    locked = throttle.locked_for_s(strikes, now) is not None
    return {
        "username": account.username,
        "role": account.role,
        "unit_id": account.unit_id,
        "hospital_id": account.hospital_id,
        "active": account.active,
        "must_change_password": account.must_change_password,
        "failed_logins": strikes.failures,
        "locked_until": strikes.locked_until if locked else None,
        "last_login_at": account.last_login_at,
    }


async def _account(container: Container, username: str) -> Account:
    account = await container.accounts.get(username)
    if account is None:
        raise Problem(404, "not-found", f"No user {username}")
    return account


async def _changed(
    audit: Audit, admin: Principal, request: Request, username: str, detail: dict[str, Any]
) -> None:
    await audit.record(
        AuditKind.USER_CHANGED,
        actor=admin.username,
        subject=f"user:{username}",
        client=login_throttle.client_of(request),
        detail=detail,
    )


def _weak(password: str, username: str) -> None:
    weak = weakness(password, username)
    if weak is not None:
        raise Problem(422, "weak-password", weak.describe())


@router.get("/users", response_model=list[AdminUser], responses=problems())
async def list_users(container: ContainerDep) -> list[dict[str, Any]]:
    """Every account, with its failed logins and lock (never a password)."""
    now = container.deps.clock.now()
    return [_view(a, container, now) for a in await container.accounts.list()]


@router.post("/users", status_code=201, response_model=AdminUser, responses=problems(409, 422))
async def create_user(
    body: UserIn, admin: User, request: Request, container: ContainerDep, audit: Audit
) -> dict[str, Any]:
    """A new login with a first password, which its user must change at first login. A crew
    login may be bound to a unit, a hospital login to a hospital (422 ``invalid-binding``
    otherwise); 409 ``user-exists``; 422 ``weak-password``."""
    accounts.check_binding(body.role.value, body.unit_id, body.hospital_id)
    _weak(body.password, body.username)
    account = await container.accounts.create(
        UserRecord(
            body.username,
            hash_password(body.password),
            body.role.value,
            body.unit_id,
            body.hospital_id,
            must_change_password=True,
        )
    )
    detail = {"created": True, "role": account.role}
    detail |= {"unit_id": account.unit_id, "hospital_id": account.hospital_id}
    await _changed(audit, admin, request, account.username, detail)
    return _view(account, container, container.deps.clock.now())


@router.patch("/users/{username}", response_model=AdminUser, responses=problems(404, 409, 422))
async def change_user(
    username: UsernamePath,
    body: UserPatchIn,
    admin: User,
    request: Request,
    container: ContainerDep,
    audit: Audit,
) -> dict[str, Any]:
    """Deactivate or reactivate, change the role, bind a crew login to a unit for a shift
    (``{"unit_id": 7}``; ``null`` unbinds) or a hospital login to a hospital. A deactivation
    and a change of role or binding end the user's sessions (401 on their next request, sockets
    closed with 4401). An admin cannot deactivate or demote themself (409 ``own-account``)."""
    account = await _account(container, username)
    requested = body.model_dump(exclude_unset=True, mode="json")
    change = accounts.change(account.fields, requested, by_self=username == admin.username)
    if change.changed:
        await container.accounts.update(username, change.after)
        ended = 0
        if change.ends_sessions is not None:
            ended = await container.sessions.revoke_user(
                username, change.ends_sessions, container.deps.clock.now()
            )
        before, after = account.fields, change.after
        detail: dict[str, Any] = {
            "changed": {n: [getattr(before, n), getattr(after, n)] for n in change.changed},
            "sessions_ended": ended,
        }
        await _changed(audit, admin, request, username, detail)
    return _view(await _account(container, username), container, container.deps.clock.now())


@router.post(
    "/users/{username}/password",
    status_code=204,
    response_class=Response,
    responses=problems(404, 422),
)
async def reset_password(
    username: UsernamePath,
    body: PasswordResetIn,
    admin: User,
    request: Request,
    container: ContainerDep,
    audit: Audit,
) -> Response:
    """Give a user a new first password (for one who forgot theirs): they must change it at
    their next login, their sessions end, and a lock from failed logins is lifted."""
    await _account(container, username)
    _weak(body.password, username)
    now = container.deps.clock.now()
    await container.accounts.set_password(
        username, hash_password(body.password), must_change=True, now=now
    )
    ended = await container.sessions.revoke_user(username, "password-reset", now)
    unlocked = await container.throttle.clear(username)
    detail = {"changed": ["password"], "must_change_password": True, "sessions_ended": ended}
    await _changed(audit, admin, request, username, detail | {"unlocked": unlocked})
    return Response(status_code=204)


@router.post("/users/{username}/unlock", response_model=AdminUser, responses=problems(404, 422))
async def unlock_user(
    username: UsernamePath,
    admin: User,
    request: Request,
    container: ContainerDep,
    audit: Audit,
) -> dict[str, Any]:
    """Lift a lock from failed logins and forget the failures (the user may try again now)."""
    account = await _account(container, username)
    now = container.deps.clock.now()
    shown = _view(account, container, now)
    await container.throttle.clear(username)
    detail = {
        "changed": ["unlocked"],
        "failed_logins": shown["failed_logins"],
        "was_locked_until": shown["locked_until"],
    }
    await _changed(audit, admin, request, username, detail)
    return _view(await _account(container, username), container, now)
