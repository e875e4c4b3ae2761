"""``/auth/*``: log in (OAuth2 password flow), renew, log out, change one's password, who am I.

A login opens a server-side session (``dispatch.store.sessions``) and answers a short access token
(at most 15 minutes) with a refresh token; ``/auth/refresh`` swaps the refresh token for a new
pair while the session lasts (each refresh token works once: a second use revokes the session).
Logging out revokes the session, so the access token is refused at once and the session's sockets
close with 4401. Password attempts are throttled (``dispatch.api.login_throttle``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from dispatch.api import login_throttle
from dispatch.api.deps import Audit, ContainerDep, Reads, User
from dispatch.api.problems import Problem
from dispatch.api.schemas.answers import Me, Token
from dispatch.api.schemas.bodies import PasswordChangeIn, RefreshIn
from dispatch.api.schemas.problems import problems
from dispatch.api.sessions import live_session, session_expired, token_answer
from dispatch.domain.limits import control_character
from dispatch.domain.password_policy import MAX_LENGTH
from dispatch.passwords import hash_password, verify_password, weakness
from dispatch.services.ports import AuditKind
from dispatch.store.sessions import Renewal

router = APIRouter(prefix="/auth", tags=["auth"])


def _bad_credentials() -> Problem:
    return Problem(
        401, "bad-credentials", "Wrong username or password", headers={"WWW-Authenticate": "Bearer"}
    )


def _check_form(form: OAuth2PasswordRequestForm) -> None:
    """The bounds of a login form (it is not a JSON body, so its schema does not carry them)."""
    for field, value, longest in (
        ("username", form.username, 100),
        ("password", form.password, MAX_LENGTH),
    ):
        if control_character(value) is not None or len(value) > longest:
            raise Problem(
                422,
                "validation-error",
                f"{field}: at most {longest} characters, no control characters",
            )


@router.post("/token", response_model=Token, responses=problems(401, 422, 429, 503))
async def login(
    request: Request,
    reads: Reads,
    container: ContainerDep,
    audit: Audit,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> dict[str, Any]:
    """Log in: a new session, an access token and the refresh token that renews it. Failed
    attempts slow answers down, then lock the account for a while (429 ``account-locked``); an
    address with many failures is answered 429 ``too-many-attempts``. Both carry Retry-After."""
    _check_form(form)
    client = login_throttle.client_of(request)
    strikes = await login_throttle.before_checking(
        container, audit, name=form.username, client=client
    )
    user = await reads.user(form.username)
    if not verify_password(form.password, None if user is None else user.password_hash):
        # Both answers write the same rows: the time taken does not tell who exists.
        reason = "no-active-account" if user is None else "bad-password"
        await login_throttle.count_failure(
            container, audit, name=form.username, client=client, reason=reason
        )
        raise _bad_credentials()
    assert user is not None
    await login_throttle.succeeded(container, user.username, strikes)
    settings, now = container.settings, container.deps.clock.now()
    opened = await container.sessions.open(
        user.username,
        now=now,
        max_s=settings.session_max_s,
        idle_s=settings.session_idle_s,
        client=client,
    )
    await container.accounts.logged_in(user.username, now)
    await audit.record(
        AuditKind.LOGIN_SUCCEEDED,
        actor=user.username,
        subject=f"session:{opened.session_id}",
        client=client,
        detail={"role": user.role},
    )
    state = await container.sessions.state(opened.session_id)
    assert state is not None
    return token_answer(container, state, refresh_token=opened.refresh_token)


@router.post("/refresh", response_model=Token, responses=problems(401, 422, 503))
async def refresh(
    body: RefreshIn, request: Request, container: ContainerDep, audit: Audit
) -> dict[str, Any]:
    """A new access token and refresh token for the session, while it lasts (401
    ``session-expired`` once it has ended: log in again). The refresh token sent is dead
    afterwards; sending it again revokes the session. Renewing is not activity: a screen left
    alone still reaches its idle timeout."""
    now = container.deps.clock.now()
    renewed = await container.sessions.renew(body.refresh_token, now)
    if renewed.outcome is Renewal.REUSED and renewed.state is not None:
        await audit.record(
            AuditKind.SESSION_REVOKED,
            actor=renewed.state.username,
            subject=f"session:{renewed.state.id}",
            client=login_throttle.client_of(request),
            detail={"reason": "refresh-token-reused"},
        )
    if renewed.outcome is not Renewal.RENEWED or renewed.state is None:
        raise session_expired()
    assert renewed.refresh_token is not None
    return token_answer(container, renewed.state, refresh_token=renewed.refresh_token)


@router.post("/logout", status_code=204, response_class=Response, responses=problems(401))
async def logout(
    principal: User, request: Request, container: ContainerDep, audit: Audit
) -> Response:
    """End this session: its tokens are refused from now on and its sockets close (4401)."""
    assert principal.session_id is not None  # authorize checked the session
    await container.sessions.revoke(principal.session_id, "logout", container.deps.clock.now())
    await audit.record(
        AuditKind.LOGOUT,
        actor=principal.username,
        subject=f"session:{principal.session_id}",
        client=login_throttle.client_of(request),
    )
    return Response(status_code=204)


@router.post(
    "/password", status_code=204, response_class=Response, responses=problems(401, 422, 429)
)
async def change_password(
    body: PasswordChangeIn,
    principal: User,
    request: Request,
    container: ContainerDep,
    audit: Audit,
) -> Response:
    """Choose a new password (also, and first of all, when ``must_change_password``). It must
    have at least 12 characters, not be the user name nor a common or guessable password
    (422 ``weak-password``, with the reason); a wrong current password is 422
    ``wrong-password`` and counts as a failed login. The login's other sessions end."""
    name = principal.username
    weak = weakness(body.new_password, name, current=body.current_password)
    if weak is not None:
        raise Problem(422, "weak-password", weak.describe())
    client = login_throttle.client_of(request)
    strikes = await login_throttle.before_checking(container, audit, name=name, client=client)
    if not verify_password(body.current_password, await container.accounts.password_hash(name)):
        await login_throttle.count_failure(
            container, audit, name=name, client=client, reason="wrong-current-password"
        )
        raise Problem(422, "wrong-password", "The current password is not right")
    await login_throttle.succeeded(container, name, strikes)
    now = container.deps.clock.now()
    await container.accounts.set_password(
        name, hash_password(body.new_password), must_change=False, now=now
    )
    ended = await container.sessions.revoke_user(
        name, "password-changed", now, keep=principal.session_id
    )
    await audit.record(
        AuditKind.USER_CHANGED,
        actor=name,
        subject=f"user:{name}",
        client=client,
        detail={"changed": ["password"], "by": "self", "sessions_ended": ended},
    )
    return Response(status_code=204)


@router.get("/me", response_model=Me, responses=problems(401))
async def me(principal: User, container: ContainerDep) -> dict[str, Any]:
    """Who is logged in, and whether they must choose a new password before anything else."""
    state = await live_session(container, principal, activity=False)
    return {**principal.as_dict(), "must_change_password": state.must_change_password}
