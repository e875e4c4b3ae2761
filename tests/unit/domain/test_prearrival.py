"""Pre-arrival instructions follow the caller's answers, and say they await a medical director."""

from __future__ import annotations

from dispatch.domain.prearrival import load_prearrival
from dispatch.domain.triage import load_protocol


def test_cpr_instructions_appear_once_the_caller_says_the_patient_is_not_breathing() -> None:
    p = load_prearrival()
    assert [b.title.en for b in p.for_answers("cardiac_arrest", {"breathing": "no"})] == [
        "Compression-only CPR"
    ]
    steps = " ".join(s.en for s in p.for_answers("cardiac_arrest", {})[0].steps)
    assert p.for_answers("cardiac_arrest", {})[0] is p.default, "nothing known yet: stay on line"
    assert "ambulance" in steps
    cpr = p.for_answers("unconscious_fainting", {"breathing": "unknown"})[0]
    assert "100 to 120" in " ".join(s.en for s in cpr.steps) and cpr.title.zh


def test_the_content_is_a_draft_until_a_medical_director_signs_it_off() -> None:
    p = load_prearrival()
    assert p.review.needs_review and p.review.status == "draft" and p.review.note.zh


def test_every_complaint_of_the_protocol_has_something_to_tell_the_caller() -> None:
    p = load_prearrival()
    for code, _ in load_protocol().complaints():
        assert p.for_answers(code, {}), code
