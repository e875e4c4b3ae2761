"""``/triage/*`` and ``/intake/*``: call-intake helpers: the triage protocol for the call-taker,
and the duplicate check before an incident is created."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import AudienceDep, ServiceDeps, User
from dispatch.api.schemas.answers import IntakeCheck, TriageProtocol
from dispatch.api.schemas.bodies import IntakeCheckIn
from dispatch.api.schemas.problems import problems
from dispatch.domain.crs import to_wgs84
from dispatch.domain.payloads import incident_view
from dispatch.domain.triage import load_protocol
from dispatch.services import handlers

router = APIRouter(tags=["intake"])


@router.get("/triage/protocol", response_model=TriageProtocol, responses=problems(401))
async def protocol(_: User) -> dict[str, Any]:
    """Chief complaints and their questions (English and Chinese), as the call-taker asks them."""
    p = load_protocol()
    return {
        "version": p.version,
        "complaints": [
            {
                "code": code,
                "label": {"en": label.en, "zh": label.zh},
                "questions": [
                    {
                        "id": q.id,
                        "text": {"en": q.text.en, "zh": q.text.zh},
                        "answers": [
                            {"code": a.code, "label": {"en": a.label.en, "zh": a.label.zh}}
                            for a in q.answers
                        ],
                    }
                    for q in p.questions(code)
                ],
            }
            for code, label in p.complaints()
        ],
    }


@router.post("/intake/check", response_model=IntakeCheck, responses=problems(401, 403, 422, 503))
async def check(body: IntakeCheckIn, audience: AudienceDep, deps: ServiceDeps) -> dict[str, Any]:
    """Before creating an incident: likely duplicates to link, and earlier calls from this phone."""
    location = None
    if body.location is not None:
        location = to_wgs84(body.location[0], body.location[1], body.location_crs)
    caller = None if body.caller is None else body.caller.to_caller()
    if location is None and caller is not None:
        location = caller.location
    found = await handlers.check_intake(
        location=location,
        complaint=body.complaint,
        complaint_code=body.complaint_code,
        caller_number=None if caller is None else caller.number,
        accuracy_m=None if caller is None else caller.accuracy_m,
        deps=deps,
    )
    return {
        "duplicates": [
            {
                "incident": audience.incident(incident_view(incident)),
                "distance_m": round(d.distance_m, 1),
                "age_s": round(d.age_s, 1),
                "similarity": round(d.similarity, 3),
                "score": round(d.score, 3),
            }
            for d, incident in found.duplicates
        ],
        "repeat_calls": [
            {"incident_id": incident_id, "received_at": at.isoformat()}
            for incident_id, at in found.repeat_calls
        ],
    }
