"""A phone call's life only moves forward: ringing, answered, ended; the PBX may repeat itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.domain.geo import Location
from dispatch.domain.telephony import CallAlreadyEnded, CallState, PhoneCall, phone_call_view

T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def _ringing() -> PhoneCall:
    return PhoneCall(
        id=7,
        line="trunk-1/4",
        pbx_call_id="abc",
        number="+8613800138000",
        name="Li Wei",
        location=Location(24.94, 60.17),
        accuracy_m=150.0,
        started_at=T0,
        received_at=T0,
    )


def test_a_call_is_answered_once_by_the_first_call_taker_then_ends() -> None:
    call = _ringing().answer("disp1", T0 + timedelta(seconds=8))
    assert call.state is CallState.ANSWERED and call.answered_by == "disp1"
    assert call.answer("disp2", T0 + timedelta(seconds=9)) is call, "the first keeps the line"
    ended = call.end(T0 + timedelta(seconds=90))
    assert ended.state is CallState.ENDED and not ended.abandoned
    assert ended.end(T0 + timedelta(seconds=95)) is ended, "a repeated hang-up changes nothing"


def test_a_caller_who_gives_up_before_anyone_answers_is_an_abandoned_call() -> None:
    gone = _ringing().end(T0 + timedelta(seconds=30))
    assert gone.abandoned
    with pytest.raises(CallAlreadyEnded):
        gone.answer("disp1", T0 + timedelta(seconds=31))


def test_the_callers_data_sits_under_caller_so_it_can_be_blanked() -> None:
    view = phone_call_view(_ringing())
    assert view["caller"] == {
        "number": "+8613800138000",
        "name": "Li Wei",
        "location": [24.94, 60.17],
        "accuracy_m": 150.0,
    }
    assert view["state"] == "ringing" and view["started_at"] == T0.isoformat()
