"""``/auth/*``: log in (OAuth2 password flow) and ask who you are."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from dispatch.api.auth import Principal, Role, issue_token
from dispatch.api.deps import Audit, ContainerDep, Reads, User
from dispatch.api.problems import Problem
from dispatch.api.schemas.answers import Me, Token
from dispatch.api.schemas.problems import problems
from dispatch.passwords import verify_password
from dispatch.services.ports import AuditKind

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token, responses=problems(401, 422, 503))
async def login(
    request: Request,
    reads: Reads,
    container: ContainerDep,
    audit: Audit,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> dict[str, Any]:
    user = await reads.user(form.username)
    client = request.client.host if request.client else None
    if not verify_password(form.password, None if user is None else user.password_hash):
        # Both answers write one audit row: the time taken still does not tell who exists.
        reason = "no-active-account" if user is None else "bad-password"
        await audit.record(
            AuditKind.LOGIN_FAILED, actor=form.username, client=client, detail={"reason": reason}
        )
        raise Problem(
            401,
            "bad-credentials",
            "Wrong username or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    assert user is not None
    principal = Principal(user.username, Role(user.role), user.unit_id, user.hospital_id)
    settings = container.settings
    token = issue_token(principal, secret=settings.signing_key(), ttl_s=settings.token_ttl_s)
    await audit.record(
        AuditKind.LOGIN_SUCCEEDED, actor=user.username, client=client, detail={"role": user.role}
    )
    return {"access_token": token, "token_type": "bearer", **principal.as_dict()}


@router.get("/me", response_model=Me, responses=problems(401))
async def me(principal: User) -> dict[str, Any]:
    return principal.as_dict()
