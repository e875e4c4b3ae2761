"""FastAPI dependencies as ``Annotated`` aliases, so routes stay thin and keyword-only.

They are ``async def`` although they never await: FastAPI runs a plain ``def`` dependency in a
worker thread, which cost every request four thread hand-offs (measured under load, issue 5).

How routes reach storage, in one rule: commands (and answers computed by domain rules, such as
recommendations) go through ``dispatch.services`` with ``ServiceDeps``; plain reads of stored
state go through the read model, ``Reads``. No route opens a unit of work or uses the engine.

Who may call a route is not decided here nor in the route: ``authorize`` runs before every route
and socket and applies the operation's row of ``dispatch.api.policy``; routes only take the login
(``User``) for the actor's name, and ``AudienceDep`` when they return incident payloads.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, WebSocketException
from fastapi.requests import HTTPConnection
from fastapi.security import OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.status import WS_1008_POLICY_VIOLATION

from dispatch.api import handshake, policy
from dispatch.api.auth import Principal, Role, read_token
from dispatch.api.logs import note_user
from dispatch.api.problems import Problem
from dispatch.api.sessions import PASSWORD_CHANGE_REQUIRED, live_session
from dispatch.bootstrap import Container
from dispatch.hub.watch import SessionWatcher
from dispatch.services.handlers import Deps
from dispatch.services.ports import AuditKind, AuditTrail
from dispatch.store.care_records import CareRecordReads
from dispatch.store.reads import ReadModel

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_container(connection: HTTPConnection) -> Container:
    """The app's container, for HTTP routes and WebSocket routes alike."""
    container: Container = connection.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_watcher(connection: HTTPConnection) -> SessionWatcher[Principal]:
    """The process's watcher of open sockets' login sessions (``dispatch.api.sessions``)."""
    watcher: SessionWatcher[Principal] = connection.app.state.session_watcher
    return watcher


Watcher = Annotated[SessionWatcher[Principal], Depends(get_watcher)]


async def get_deps(container: ContainerDep) -> Deps:
    return container.deps


ServiceDeps = Annotated[Deps, Depends(get_deps)]


async def get_reads(container: ContainerDep) -> ReadModel:
    return ReadModel(container.engine)


Reads = Annotated[ReadModel, Depends(get_reads)]


async def authorize(
    connection: HTTPConnection, container: ContainerDep, reads: Reads
) -> Principal | None:
    """The one authorization check, run before every route and socket (an app-level dependency
    of ``create_app``): the operation's row in ``dispatch.api.policy`` against the login.

    It runs before the body is validated, so a refused request learns nothing about its body.
    Public operations answer None; anything else needs a valid token (401 without one) whose role
    and binding the row allows (403 with ``forbidden`` or the scope's code), and whose login
    session still lasts (401 ``session-expired``: ``dispatch.api.sessions``). A login that must
    change its password may only do what its row allows before that (403
    ``password-change-required``). A socket is refused before it is accepted (close code 1008:
    the client sees HTTP 403).
    """
    rule = _rule_of(connection)
    if rule.public:
        if rule.networks:
            _from_monitoring_network(connection, container.settings.metrics_networks)
        return None
    try:
        principal = _token_principal(connection, container)
    except handshake.Refused as refused:  # a socket's Origin, or a token in its URL
        raise WebSocketException(WS_1008_POLICY_VIOLATION, str(refused)) from None
    try:
        if principal is None:
            raise Problem(
                401,
                "not-authenticated",
                "Log in first: missing, invalid or expired token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        note_user(principal.username)  # on every log line of this request (never the token)
        session = await live_session(container, principal)
        if session.must_change_password and not rule.before_password_change:
            raise Problem(
                403,
                PASSWORD_CHANGE_REQUIRED,
                "Choose a new password first (POST /api/v1/auth/password)",
            )
        await policy.check(rule, principal, connection.path_params, reads)
    except Problem as refused:
        if refused.status == 403 and principal is not None:
            # who tried what they may not: an audit row, before the answer goes out
            await container.audit.record(
                AuditKind.REFUSED,
                actor=principal.username,
                subject=f"{connection.scope.get('method', 'WS')} {connection.url.path}",
                client=client_address(connection),
                detail={"code": refused.code},
            )
        if connection.scope["type"] == "websocket":
            raise WebSocketException(WS_1008_POLICY_VIOLATION, refused.detail) from None
        raise
    return principal


def _from_monitoring_network(connection: HTTPConnection, networks: list[str]) -> None:
    """403 ``network-not-allowed`` unless the client is in one of ``networks`` (CIDRs)."""
    client = client_address(connection)
    try:
        address = ipaddress.ip_address(client or "")
        allowed = any(address in ipaddress.ip_network(n, strict=False) for n in networks)
    except ValueError:  # no address, or not an IP (a unix socket)
        allowed = False
    if not allowed:
        raise Problem(
            403,
            "network-not-allowed",
            "Only the monitoring networks may read this (GOLDENHOUR_METRICS_NETWORKS)",
        )


def _rule_of(connection: HTTPConnection) -> policy.Rule:
    """The policy row of the route being served; refused when there is none (fail closed)."""
    endpoint = getattr(connection.scope.get("route"), "endpoint", None)
    rules: dict[Any, policy.Rule] = getattr(connection.app.state, "policy", {})
    rule = rules.get(endpoint)
    if rule is None:
        raise Problem(403, "forbidden", "This operation has no authorization policy")
    return rule


def _token_principal(connection: HTTPConnection, container: Container) -> Principal | None:
    """The login of a valid token: ``Authorization: Bearer`` on HTTP; on a socket, from an
    allowed ``Origin``, the ``bearer.<token>`` subprotocol (browsers cannot set headers on a
    WebSocket, and a URL is logged: ``dispatch.api.handshake``, which raises ``Refused``)."""
    if connection.scope["type"] == "websocket":
        settings = container.settings
        handshake.check_origin(
            connection, settings.allowed_origins, without_origin=settings.sockets_without_origin
        )
        token = handshake.socket_token(connection)
    else:
        scheme, token = get_authorization_scheme_param(connection.headers.get("Authorization"))
        if scheme.lower() != "bearer":
            token = None
    if not token:
        return None
    return read_token(token, secret=container.settings.signing_key())


async def current_user(
    principal: Annotated[Principal | None, Depends(authorize)],
    _bearer: Annotated[str | None, Depends(oauth2)],
) -> Principal:
    """The login ``authorize`` let through. ``_bearer`` is only there so ``/openapi.json`` marks
    the operation as needing a bearer token (FastAPI caches ``authorize``: it runs once)."""
    if principal is None:  # a public operation asked who calls: its policy row is wrong
        raise Problem(
            401, "not-authenticated", "Log in first", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


async def socket_user(principal: Annotated[Principal | None, Depends(authorize)]) -> Principal:
    """The login of a socket ``authorize`` accepted."""
    if principal is None:
        raise WebSocketException(WS_1008_POLICY_VIOLATION, "log in first")
    return principal


#: The logged-in user of a route; what it may do there was decided by ``dispatch.api.policy``.
User = Annotated[Principal, Depends(current_user)]
SocketUser = Annotated[Principal, Depends(socket_user)]


def client_address(connection: HTTPConnection) -> str | None:
    return connection.client.host if connection.client else None


async def get_audience(
    connection: HTTPConnection, user: User, reads: Reads, container: ContainerDep
) -> AsyncIterator[policy.Audience]:
    """Who the answer goes to, for routes that return incident payloads (caller data rule).

    After the route has built its answer, one ``caller-data-read`` audit row names the incidents
    whose caller number, name or location it carried."""
    works_on = None
    if user.role is Role.CREW and user.unit_id is not None:
        works_on = await reads.incident_of_unit(user.unit_id)
    audience = policy.Audience(user, works_on)
    yield audience
    if audience.callers_shown:
        shown = sorted(audience.callers_shown)
        await container.audit.record(
            AuditKind.CALLER_DATA_READ,
            actor=user.username,
            subject=f"incident:{shown[0]}" if len(shown) == 1 else f"incidents:{len(shown)}",
            client=client_address(connection),
            detail={"path": connection.url.path, "incidents": shown[:500]},
        )


#: Pass every incident payload of an answer through ``audience.incident`` / ``audience.show``.
AudienceDep = Annotated[policy.Audience, Depends(get_audience)]


async def get_audit(container: ContainerDep) -> AuditTrail:
    """The audit trail: ``await audit.record(AuditKind.REFUSED, actor=..., subject=...)``."""
    return container.audit


#: The append-only audit trail (``dispatch.store.audit``), for refusals, reads of caller data,
#: exports and account changes.
Audit = Annotated[AuditTrail, Depends(get_audit)]


async def get_care_records(container: ContainerDep) -> CareRecordReads:
    return CareRecordReads(container.engine)


#: The NEMSIS export's read model: incidents of a window with each unit's own response.
CareRecords = Annotated[CareRecordReads, Depends(get_care_records)]
