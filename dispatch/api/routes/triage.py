"""``/triage/evaluate``: the triage card on the call-taker's screen, recomputed after every answer.

The console asks the server rather than re-implementing the decision table in the browser: one
rule engine (``dispatch.domain.triage``) decides both what the screen shows and what the incident
records, so they cannot disagree. Nothing is stored; ``POST /incidents`` (or
``/incidents/{id}/triage``) records the result.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import User
from dispatch.api.schemas.bodies import TriageIn
from dispatch.api.schemas.problems import problems
from dispatch.api.schemas.telephony import TriageCard
from dispatch.domain.prearrival import load_prearrival
from dispatch.domain.text import Text
from dispatch.domain.triage import load_protocol

router = APIRouter(prefix="/triage", tags=["intake"])


def _text(t: Text) -> dict[str, str]:
    return {"en": t.en, "zh": t.zh}


@router.post("/evaluate", response_model=TriageCard, responses=problems(401, 403, 422, 503))
async def evaluate(body: TriageIn, _: User) -> dict[str, Any]:
    """Determinant, priority, response target and the pre-arrival instructions that apply to the
    answers given so far (partial answers are fine: unanswered questions never match)."""
    protocol = load_protocol()
    result = protocol.triage(body.complaint_code, dict(body.answers))
    prearrival = load_prearrival(protocol.version)
    review = prearrival.review
    return {
        "complaint_code": result.complaint_code,
        "determinant": result.determinant,
        "determinant_code": result.determinant_code,
        "determinant_label": _text(protocol.determinant_label(result.determinant)),
        "priority": result.priority,
        "priority_label": _text(protocol.priority_label(result.priority)),
        "target_s": protocol.target(result.priority).seconds,
        "needs": sorted(result.needs),
        "hospital_capability": result.hospital_capability,
        "protocol_version": result.protocol_version,
        "unanswered": list(result.unanswered),
        "instructions": [
            {"title": _text(b.title), "steps": [_text(s) for s in b.steps]}
            for b in prearrival.for_answers(result.complaint_code, dict(body.answers))
        ],
        "instructions_review": {
            "status": review.status,
            "reviewed_by": review.reviewed_by,
            "note": _text(review.note),
        },
    }
