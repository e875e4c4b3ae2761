"""Infectious transport, the pure rules: the flag, isolation overrides, decontamination after,
fever clinics only, and which caller words flag a call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.domain import events as ev
from dispatch.domain.errors import IllegalTransition, InvalidNote, UnitNotAvailable
from dispatch.domain.geo import Location
from dispatch.domain.hospitals import EdStatus, Hospital, rank_destinations
from dispatch.domain.model import (
    Capability,
    Incident,
    Unit,
    UnitStatus,
    assign,
    change_unit_status,
    flag_infectious,
)
from dispatch.surveillance.syndromes import infectious_syndrome

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
U = UnitStatus


def a_call(id: int = 7) -> Incident:
    return Incident.receive(
        id=id, location=Location(121.47, 31.23), address=None, complaint="x", priority=2, at=T0
    )


def a_unit(id: int = 3, *, isolation: bool = False) -> Unit:
    return Unit(
        id=id,
        call_sign=f"A{id:02d}",
        capability=Capability.ALS,
        status=U.AVAILABLE,
        status_at=T0,
        position=Location(121.48, 31.22),
        position_at=T0,
        isolation=isolation,
    )


def names(events: list[ev.Event]) -> list[str]:
    return [e.name for e in events]


def transported(unit: Unit, incident: Incident, *, until: U, decon_s: float = 3600) -> None:
    """Drive the unit through a call, then clear it with ``until``."""
    at = T0
    for status in (U.EN_ROUTE, U.ON_SCENE, U.TRANSPORTING, U.AT_HOSPITAL, until):
        at += timedelta(minutes=5)
        change_unit_status(unit, incident, [], status, at=at, decontamination_s=decon_s)


def test_flag_needs_a_reason_is_recorded_and_idempotent() -> None:
    call = a_call()
    with pytest.raises(InvalidNote):
        call.flag_infectious(True, "  ", by="dispatcher", at=T0)
    assert call.flag_infectious(True, "fever 39.5", by="dispatcher", at=T0)
    assert not call.flag_infectious(True, "again", by="dispatcher", at=T0)
    assert call.protection == "airborne" and call.infectious_reason == "fever 39.5"
    assert call.flag_infectious(False, "COVID test negative on scene", by="dispatcher", at=T0)
    assert call.protection is None and call.infectious_reason is None
    flags = [e for e in call.events if isinstance(e, ev.InfectionFlagChanged)]
    assert [(e.infectious, e.reason) for e in flags] == [
        (True, "fever 39.5"),
        (False, "COVID test negative on scene"),
    ]


def test_an_isolation_unit_is_not_an_override_but_another_unit_is_recorded() -> None:
    call = a_call()
    call.flag_infectious(True, "fever", by="triage", at=T0)
    iso, plain = a_unit(1, isolation=True), a_unit(2)
    assign(iso, call, order_id=1, at=T0)
    assert "IsolationOverridden" not in names(call.events) and iso.infectious_load
    assign(plain, call, order_id=2, at=T0)
    overrides = [e for e in call.events if isinstance(e, ev.IsolationOverridden)]
    assert [(o.unit, o.order_id) for o in overrides] == [(2, 2)] and plain.infectious_load


def test_clearing_an_infectious_call_starts_decontamination_for_the_configured_time() -> None:
    call, unit = a_call(), a_unit(isolation=True)
    call.flag_infectious(True, "fever", by="triage", at=T0)
    assign(unit, call, order_id=1, at=T0)
    transported(unit, call, until=U.AVAILABLE, decon_s=1800)
    assert unit.status is U.DECONTAMINATION and unit.incident_id is None
    assert unit.decontamination_until == unit.status_at + timedelta(seconds=1800)
    started = [e for e in unit.events if isinstance(e, ev.DecontaminationStarted)]
    assert [(s.incident, s.until) for s in started] == [(7, unit.decontamination_until)]
    assert call.status.value == "closed"  # the incident does not wait for the cleaning


def test_a_decontaminating_unit_is_refused_saying_why() -> None:
    call, unit = a_call(), a_unit()
    call.flag_infectious(True, "fever", by="triage", at=T0)
    assign(unit, call, order_id=1, at=T0)
    transported(unit, call, until=U.RETURNING)
    with pytest.raises(UnitNotAvailable, match="decontaminated .* until"):
        assign(unit, a_call(8), order_id=2, at=T0 + timedelta(hours=1))


def test_the_crew_clears_decontamination_early() -> None:
    call, unit = a_call(), a_unit()
    call.flag_infectious(True, "fever", by="triage", at=T0)
    assign(unit, call, order_id=1, at=T0)
    transported(unit, call, until=U.AVAILABLE)
    began = unit.status_at
    unit.change_status(U.AVAILABLE, at=began + timedelta(minutes=20))
    assert unit.status is U.AVAILABLE and unit.decontamination_until is None
    ended = [e for e in unit.events if isinstance(e, ev.DecontaminationEnded)]
    assert [(e.by, e.started_at) for e in ended] == [("crew", began)]
    # the next, ordinary call does not decontaminate it again
    assign(unit, a_call(8), order_id=2, at=T0 + timedelta(hours=2))
    assert not unit.infectious_load


def test_expiry_ends_decontamination_only_when_the_time_is_over() -> None:
    call, unit = a_call(), a_unit()
    call.flag_infectious(True, "fever", by="triage", at=T0)
    assign(unit, call, order_id=1, at=T0)
    transported(unit, call, until=U.AVAILABLE, decon_s=600)
    until = unit.decontamination_until
    assert until is not None
    assert not unit.decontamination_expired(until - timedelta(seconds=1))
    with pytest.raises(IllegalTransition):
        unit.end_decontamination(at=until - timedelta(seconds=1))
    unit.end_decontamination(at=until)
    assert unit.status is U.AVAILABLE
    ended = [e for e in unit.events if isinstance(e, ev.DecontaminationEnded)]
    assert [e.by for e in ended] == ["expiry"]


def test_an_ordinary_call_and_a_cancelled_infectious_one_do_not_decontaminate() -> None:
    unit = a_unit()
    assign(unit, a_call(), order_id=1, at=T0)
    transported(unit, a_call(), until=U.AVAILABLE)
    assert unit.status is U.AVAILABLE
    call, other = a_call(9), a_unit(4)
    assign(other, call, order_id=2, at=T0)
    flag_infectious(call, [other], True, "fever", by="dispatcher", at=T0)
    assert other.infectious_load
    flag_infectious(call, [other], False, "no fever after all", by="dispatcher", at=T0)
    transported(other, call, until=U.AVAILABLE)
    assert other.status is U.AVAILABLE


def test_a_crew_cannot_put_itself_into_decontamination_by_button() -> None:
    unit = a_unit()
    with pytest.raises(IllegalTransition):
        unit.change_status(U.DECONTAMINATION, at=T0)


def _hospital(id: int, caps: set[str], status: EdStatus = EdStatus.OPEN) -> Hospital:
    return Hospital(
        id=id,
        name=f"H{id}",
        location=Location(121.4 + id / 100, 31.2),
        capabilities=frozenset(caps),
        ed_status=status,
        beds_available=4,
    )


def test_fever_clinics_only_and_nothing_ranked_without_one() -> None:
    hospitals = [_hospital(1, set()), _hospital(2, {"fever_clinic"}), _hospital(3, {"pci"})]
    etas = {1: 60.0, 2: 600.0, 3: 120.0}
    options = rank_destinations(hospitals, etas, "fever_clinic", capable_only=True)
    assert [o.hospital_id for o in options if o.rank is not None] == [2]
    skipped = {o.hospital_id: o.skipped_reason for o in options if o.skipped_reason}
    assert skipped[1] is not None and skipped[1].en == "not a fever clinic"
    none = rank_destinations(hospitals[:1] + hospitals[2:], etas, "fever_clinic", capable_only=True)
    assert all(o.rank is None for o in none) and len(none) == 2
    # without capable_only an ED without one would be ranked to stabilise (the old rule)
    loose = rank_destinations(hospitals[:1], etas, "fever_clinic")
    assert loose[0].rank == 1


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("high fever and cough", True),
        ("发烧咳嗽三天", True),
        ("no fever, fell down the stairs", False),
        ("asthma attack, inhaler not helping", False),
        (None, False),
    ],
)
def test_caller_words_decide_not_the_complaint_code(text: str | None, flagged: bool) -> None:
    assert (infectious_syndrome("breathing_problems", text) is not None) is flagged
