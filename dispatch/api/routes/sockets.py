"""The three WebSockets: ``/ws/console``, ``/ws/crew`` and ``/ws/hospital``.

Each route only authenticates (browsers cannot set headers on a WebSocket, so the token comes
as ``?token=``) and hands the socket to its session in ``dispatch.hub``, which speaks the
protocol. A refused socket is closed before it is accepted (HTTP 403 to the client).
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket, status

from dispatch.api.auth import Principal, Role, read_token
from dispatch.api.deps import ContainerDep, Reads
from dispatch.bootstrap import Container
from dispatch.hub.console import ConsoleSession
from dispatch.hub.crew import CrewSession
from dispatch.hub.hospital import HospitalSession

router = APIRouter()

CONSOLE_ROLES = {Role.DISPATCHER, Role.SUPERVISOR}


def _principal(container: Container, token: str | None) -> Principal | None:
    return read_token(token, secret=container.settings.signing_key()) if token else None


async def _refuse(ws: WebSocket, reason: str) -> None:
    await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason=reason)


@router.websocket("/ws/console")
async def console(
    ws: WebSocket,
    container: ContainerDep,
    reads: Reads,
    token: str | None = None,
    since: int | None = None,
) -> None:
    """A snapshot (or the events after ``?since=``), then every event live, in order."""
    principal = _principal(container, token)
    if principal is None or principal.role not in CONSOLE_ROLES:
        await _refuse(ws, "dispatcher or supervisor token required")
        return
    if since is not None and since < 0:
        await _refuse(ws, "since must be >= 0")
        return
    session = ConsoleSession(
        hub=container.hub,
        reads=reads,
        since=since,
        max_catch_up_events=container.settings.max_catch_up_events,
    )
    await session.run(ws)


@router.websocket("/ws/crew")
async def crew(
    ws: WebSocket, container: ContainerDep, reads: Reads, token: str | None = None
) -> None:
    """A crew's own stream: its unit, its order (resent until acknowledged), its incident."""
    principal = _principal(container, token)
    if principal is None or principal.role is not Role.CREW or principal.unit_id is None:
        await _refuse(ws, "crew token required")
        return
    session = CrewSession(
        unit_id=principal.unit_id,
        actor=principal.username,
        hub=container.hub,
        reads=reads,
        deps=container.deps,
        resend_every_s=container.settings.order_resend_s,
    )
    await session.run(ws)


@router.websocket("/ws/hospital")
async def hospital(
    ws: WebSocket, container: ContainerDep, reads: Reads, token: str | None = None
) -> None:
    """Inbound patients for one hospital: who is coming, with what, and a live ETA."""
    principal = _principal(container, token)
    if principal is None or principal.role is not Role.HOSPITAL or principal.hospital_id is None:
        await _refuse(ws, "hospital token required")
        return
    session = HospitalSession(
        hospital_id=principal.hospital_id,
        hub=container.hub,
        reads=reads,
        roads=container.deps.roads,
    )
    await session.run(ws)
