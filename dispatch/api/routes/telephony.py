"""``/telephony/*``: the "incoming call" interface a PBX or CTI connector posts to.

The connector logs in with a ``telephony`` login (a machine account that can do nothing else),
reports each call as it starts ringing and when it ends; call-takers answer from the console,
which shows ringing lines live through its socket (events ``PhoneRinging``, ``PhoneAnswered``,
``PhoneHungUp``). docs/api.md has a section for integrators, with curl examples.

The caller's number, name and network location are caller data: answers pass ``Audience.show``,
so only the floor sees them (not even the connector that reported them reads them back).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from dispatch.api.deps import AudienceDep, ContainerDep, ServiceDeps, User, client_address
from dispatch.api.problems import Problem
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.telephony import HangUpIn, PhoneCall, RingIn
from dispatch.api.schemas.types import PathId
from dispatch.domain.duplicates import normalise_number
from dispatch.domain.geo import Location
from dispatch.domain.telephony import phone_call_view
from dispatch.services import telephony
from dispatch.services.ports import AuditKind

router = APIRouter(prefix="/telephony", tags=["telephony"])


async def _shown(
    calls: list[dict[str, Any]], audience: AudienceDep, container: ContainerDep, request: Request
) -> list[dict[str, Any]]:
    """``calls`` as this login may see them; one ``caller-data-read`` audit row when they carry a
    caller's number, name or location (as for incidents, ``deps.get_audience``)."""
    shown = [audience.show(c, None) for c in calls]
    read = [c["id"] for c in shown if c["caller"] and any(c["caller"].values())]
    if read:
        await container.audit.record(
            AuditKind.CALLER_DATA_READ,
            actor=audience.principal.username,
            subject=f"phone-call:{read[0]}" if len(read) == 1 else f"phone-calls:{len(read)}",
            client=client_address(request),
            detail={"path": request.url.path, "phone_calls": read[:500]},
        )
    return shown


@router.post(
    "/calls",
    status_code=201,
    response_model=PhoneCall,
    responses={
        200: {"description": "already reported (same pbx_call_id): that call"},
        **problems(401, 403, 422, 503),
    },
)
async def ring(
    body: RingIn, user: User, audience: AudienceDep, deps: ServiceDeps, response: Response
) -> dict[str, Any]:
    """A line rings. Consoles show it at once; the call is on record whatever happens next."""
    location = None
    if body.location is not None:
        lon, lat = body.location
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise Problem(422, "invalid-location", "location must be [lon, lat] in degrees")
        location = Location(lon, lat)
    call, created = await telephony.ring(
        telephony.Ring(
            actor=user.username,
            line=body.line.strip(),
            pbx_call_id=body.pbx_call_id,
            number=normalise_number(body.caller_number),
            name=(body.caller_name or "").strip() or None,
            location=location,
            accuracy_m=body.uncertainty_m if location is not None else None,
            started_at=body.started_at,
        ),
        deps,
    )
    if not created:
        response.status_code = 200
    return audience.show(phone_call_view(call), None)


@router.get("/calls", response_model=list[PhoneCall], responses=problems(401, 403, 503))
async def live_calls(
    audience: AudienceDep, deps: ServiceDeps, container: ContainerDep, request: Request
) -> list[dict[str, Any]]:
    """Lines ringing or in progress, oldest first: what a console shows when it (re)connects."""
    calls = [phone_call_view(c) for c in await telephony.live(deps)]
    return await _shown(calls, audience, container, request)


@router.post(
    "/calls/{call_id}/answer",
    response_model=PhoneCall,
    responses=problems(401, 403, 404, 409, 422, 503),
)
async def answer(
    call_id: PathId,
    user: User,
    audience: AudienceDep,
    deps: ServiceDeps,
    container: ContainerDep,
    request: Request,
) -> dict[str, Any]:
    """A call-taker picks the line up; the first one keeps it (409 once the caller hung up)."""
    call = await telephony.answer(call_id, actor=user.username, deps=deps)
    return (await _shown([phone_call_view(call)], audience, container, request))[0]


@router.post(
    "/calls/{call_id}/end",
    response_model=PhoneCall,
    responses=problems(401, 403, 404, 422, 503),
)
async def end(
    call_id: PathId,
    user: User,
    audience: AudienceDep,
    deps: ServiceDeps,
    body: HangUpIn | None = None,
) -> dict[str, Any]:
    """The call ended. Unanswered, it stays on record as abandoned. Repeating it is harmless."""
    at = None if body is None else body.ended_at
    call = await telephony.hang_up(call_id, actor=user.username, at=at, deps=deps)
    return audience.show(phone_call_view(call), None)
