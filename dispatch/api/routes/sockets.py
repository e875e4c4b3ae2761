"""The three WebSockets: ``/ws/console``, ``/ws/crew`` and ``/ws/hospital``.

Who may open each is the ``WS /ws/...`` row of ``dispatch.api.policy``, enforced by the app's
``authorize`` dependency before the route runs: the page's ``Origin`` must be allowed and the
token comes as the subprotocol ``bearer.<token>``, never in the URL (browsers cannot set headers
on a WebSocket; ``dispatch.api.handshake``, ``dispatch.socket_protocol``). A refused socket is
closed before it is accepted (HTTP 403 to the client). Each route then hands the socket to its
session in ``dispatch.hub``, which accepts it with the ``goldenhour.v1`` subprotocol, scoped to
the login: a crew's own unit, a hospital's own ED, and the caller-data rule of the login.

A socket lasts as long as the login session it was opened with: the process's session watcher
(``dispatch.api.sessions``, ``dispatch.hub.watch``) checks the sessions of all open sockets every
two seconds in one read, counts client messages as activity, and closes the sockets of a session
that has ended with 4401 "session ended".
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, WebSocket, status

from dispatch.api.deps import ContainerDep, Reads, SocketUser, Watcher
from dispatch.api.policy import may_see_caller
from dispatch.hub.console import ConsoleSession
from dispatch.hub.crew import CrewSession
from dispatch.hub.hospital import HospitalSession
from dispatch.services.ports import AuditKind

router = APIRouter()


async def _refuse(ws: WebSocket, reason: str) -> None:
    await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason=reason)


@router.websocket("/ws/console")
async def console(
    ws: WebSocket,
    principal: SocketUser,
    container: ContainerDep,
    reads: Reads,
    watcher: Watcher,
    since: int | None = None,
) -> None:
    """A snapshot (or the events after ``?since=``), then every event live, in order."""
    if since is not None and since < 0:
        await _refuse(ws, "since must be >= 0")
        return
    # the snapshot and the stream carry callers' data: one audit row per console connection
    await container.audit.record(
        AuditKind.CALLER_DATA_READ,
        actor=principal.username,
        subject="stream:console",
        client=ws.client.host if ws.client else None,
        detail={"since": since},
    )
    watch = watcher.watch(principal)
    session = ConsoleSession(
        hub=container.hub,
        reads=reads,
        since=since,
        max_catch_up_events=container.settings.max_catch_up_events,
        sees_caller=partial(may_see_caller, principal),
        on_message=watch.noticed,
    )
    await watch.serve(ws, session.run(ws))


@router.websocket("/ws/crew")
async def crew(
    ws: WebSocket, principal: SocketUser, container: ContainerDep, reads: Reads, watcher: Watcher
) -> None:
    """A crew's own stream: its unit, its order (resent until acknowledged), its incident."""
    assert principal.unit_id is not None  # the policy's own_unit scope: bound to a unit
    # No audit row per crew connection: a fleet reconnects all day (tunnels, dead spots), and a
    # thousand serialised audit inserts at a shift change starve the pool (measured with
    # bench/load.py). The crew sees caller data only for the incident it was sent to, and its
    # REST reads of it are audited per answer.
    watch = watcher.watch(principal)
    session = CrewSession(
        unit_id=principal.unit_id,
        actor=principal.username,
        hub=container.hub,
        reads=reads,
        deps=container.deps,
        resend_every_s=container.settings.order_resend_s,
        sees_caller=partial(may_see_caller, principal),
        on_message=watch.noticed,
    )
    await watch.serve(ws, session.run(ws))


@router.websocket("/ws/hospital")
async def hospital(
    ws: WebSocket,
    principal: SocketUser,
    container: ContainerDep,
    reads: Reads,
    watcher: Watcher,
) -> None:
    """Inbound patients for one hospital: who is coming, with what, and a live ETA (a summary
    without caller data, built by the session itself)."""
    assert principal.hospital_id is not None  # the policy's own_hospital scope
    watch = watcher.watch(principal)
    session = HospitalSession(
        hospital_id=principal.hospital_id,
        hub=container.hub,
        reads=reads,
        roads=container.deps.roads,
        on_message=watch.noticed,
    )
    await watch.serve(ws, session.run(ws))
