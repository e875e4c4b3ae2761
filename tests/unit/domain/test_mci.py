"""Mass-casualty incidents: the declaration and its level, command roles, the patients' path
from the casualty collection point to a hospital, surge capacity and the MCI board."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from dispatch.domain.geo import Location
from dispatch.domain.hospitals import EdStatus, Hospital
from dispatch.domain.mci import (
    CATEGORY_ORDER,
    AgeBand,
    CommandRole,
    IllegalPatientTransition,
    InvalidPatient,
    InvalidSurgeCapacity,
    MciDeclared,
    MciLevelChanged,
    MciPatientArrived,
    MciPatientAssigned,
    MciPatientRegistered,
    MciPatientRetriaged,
    MciPatientTransporting,
    MciPatientUnassigned,
    MciRefused,
    MciRoleBound,
    Need,
    PatientNotTransportable,
    PatientStatus,
    RoleBindingRefused,
    SurgeCapacity,
    TriageCategory,
    UnitCapacity,
    UnitOverloaded,
    board_counts,
    can_receive,
    capacity_category,
    confirm_transport,
    declare_mci,
    declare_surge,
    default_surge,
    effective_surge,
    hospital_counts,
    mci_level,
    parse_needs,
    register_patient,
)

T0 = datetime(2026, 5, 1, 14, 0, tzinfo=UTC)
C = TriageCategory
S = PatientStatus


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def patient(tag: str, category: TriageCategory = C.IMMEDIATE, **kw: object):  # type: ignore[no-untyped-def]
    p, _ = register_patient(7, tag, category, at=T0, **kw)  # type: ignore[arg-type]
    return p


def hospital(
    id: int = 1,
    beds: int = 20,
    caps: set[str] | None = None,
    status: EdStatus = EdStatus.OPEN,
    capability_beds: dict[str, int] | None = None,
) -> Hospital:
    return Hospital(
        id=id,
        name=f"H{id}",
        location=Location(-8.61, 41.15),
        capabilities=frozenset(caps or set()),
        ed_status=status,
        beds_available=beds,
        capability_beds=capability_beds or {},
    )


# -- the declaration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "level"),
    [(0, 1), (3, 1), (5, 1), (10, 1), (11, 2), (20, 2), (21, 3), (100, 3), (101, 4), (5000, 4)],
)
def test_the_level_follows_the_patient_count(count: int, level: int) -> None:
    assert mci_level(count) == level


def test_a_negative_count_is_a_bug_not_a_level() -> None:
    with pytest.raises(ValueError):
        mci_level(-1)


def test_declaring_an_mci_with_the_first_unit_in_command() -> None:
    mci, events = declare_mci(7, at=T0, patients=40, incident_command=101)
    assert mci.level == 3
    assert mci.holder(CommandRole.INCIDENT_COMMAND) == 101
    assert [type(e) for e in events] == [MciDeclared, MciRoleBound]
    assert events[0] == MciDeclared(occurred_at=T0, incident=7, level=3, patients=40)


def test_the_officer_may_declare_higher_but_never_lower_than_the_count() -> None:
    mci, _ = declare_mci(7, at=T0, patients=8, level=2)
    assert mci.level == 2
    with pytest.raises(MciRefused) as refused:
        declare_mci(7, at=T0, patients=40, level=1)
    assert refused.value.code == "mci-refused"


def test_the_level_rises_with_the_count_and_falls_only_by_decision() -> None:
    mci, _ = declare_mci(7, at=T0, patients=8)
    mci, events = mci.escalate(25, at=at(10))
    assert mci.level == 3
    assert events == (
        MciLevelChanged(
            occurred_at=at(10), incident=7, previous=1, level=3, patients=25, reason="patient count"
        ),
    )
    same, nothing = mci.escalate(4, at=at(20))
    assert same.level == 3 and nothing == ()
    lowered, _ = mci.set_level(2, at=at(30), reason="count was double-counted")
    assert lowered.level == 2
    with pytest.raises(MciRefused):
        mci.set_level(2, at=at(30), reason="  ")
    with pytest.raises(MciRefused):
        mci.set_level(5, at=at(30), reason="no such level")


# -- command roles -----------------------------------------------------------------------


def test_binding_a_held_role_transfers_it_and_names_both_units() -> None:
    mci, _ = declare_mci(7, at=T0, patients=20, incident_command=101)
    mci, events = mci.bind(CommandRole.INCIDENT_COMMAND, 205, at=at(12))
    assert mci.holder(CommandRole.INCIDENT_COMMAND) == 205
    assert events == (
        MciRoleBound(
            occurred_at=at(12), incident=7, role="incident_command", unit=205, previous=101
        ),
    )
    again, nothing = mci.bind(CommandRole.INCIDENT_COMMAND, 205, at=at(13))
    assert again is mci and nothing == ()


def test_the_first_crew_may_hold_command_and_triage_and_is_no_transport_resource() -> None:
    mci, _ = declare_mci(7, at=T0, patients=20, incident_command=101)
    mci, _ = mci.bind(CommandRole.TRIAGE, 101, at=at(1))
    mci, _ = mci.bind(CommandRole.TRANSPORT, 102, at=at(2))
    assert mci.roles_of(101) == (CommandRole.INCIDENT_COMMAND, CommandRole.TRIAGE)
    assert mci.command_units == {101, 102}


def test_command_is_never_vacated_and_only_held_roles_are_released() -> None:
    mci, _ = declare_mci(7, at=T0, patients=20, incident_command=101)
    with pytest.raises(RoleBindingRefused) as refused:
        mci.release_role(CommandRole.INCIDENT_COMMAND, at=at(5))
    assert refused.value.code == "role-binding-refused"
    with pytest.raises(RoleBindingRefused):
        mci.release_role(CommandRole.STAGING, at=at(5))
    mci, _ = mci.bind(CommandRole.STAGING, 103, at=at(5))
    mci, events = mci.release_role(CommandRole.STAGING, at=at(6))
    assert mci.holder(CommandRole.STAGING) is None and len(events) == 1


def test_a_unit_carrying_patients_cannot_take_a_role() -> None:
    mci, _ = declare_mci(7, at=T0, patients=20, incident_command=101)
    with pytest.raises(RoleBindingRefused):
        mci.bind(CommandRole.TREATMENT, 104, at=at(5), transporting={104})


# -- patients ----------------------------------------------------------------------------


def test_one_tap_registers_a_patient_with_its_category_and_note() -> None:
    p, events = register_patient(
        7, " T-0412 ", C.DELAYED, at=T0, note=" left leg ", needs=[Need.TRAUMA]
    )
    assert (p.tag, p.category, p.status, p.note) == ("T-0412", C.DELAYED, S.ON_SCENE, "left leg")
    assert p.age_band is AgeBand.UNKNOWN
    assert events == (
        MciPatientRegistered(
            occurred_at=T0,
            incident=7,
            tag="T-0412",
            category="delayed",
            age_band="unknown",
            injury="",
            needs=("trauma",),
            note="left leg",
        ),
    )


@pytest.mark.parametrize(
    "bad",
    [{"tag": "  "}, {"tag": "x" * 33}, {"tag": "T1", "note": "n" * 501}],
)
def test_a_patient_record_that_cannot_be_right_is_refused(bad: dict[str, str]) -> None:
    tag = bad.pop("tag")
    with pytest.raises(InvalidPatient) as refused:
        register_patient(7, tag, C.MINOR, at=T0, **bad)  # type: ignore[arg-type]
    assert refused.value.code == "invalid-patient"


def test_times_without_a_zone_are_refused() -> None:
    with pytest.raises(ValueError):
        register_patient(7, "T1", C.MINOR, at=datetime(2026, 5, 1, 14, 0))


def test_unknown_needs_are_refused_by_name() -> None:
    assert parse_needs(["trauma", "burns"]) == {Need.TRAUMA, Need.BURNS}
    with pytest.raises(InvalidPatient):
        parse_needs(["neuro"])


def test_the_path_of_a_red_patient_from_the_scene_to_the_ed() -> None:
    p = patient("T1", C.IMMEDIATE, needs=[Need.TRAUMA])
    [p], assigned = confirm_transport([p], unit=101, hospital=3, at=at(8))
    assert (p.status, p.unit, p.hospital) == (S.ASSIGNED, 101, 3)
    p, departed = p.depart(at=at(11))
    assert (p.status, p.hospital, p.status_at) == (S.TRANSPORTING, 3, at(11))
    p, arrived = p.arrive(at=at(24))
    assert (p.status, p.hospital, p.unit) == (S.ARRIVED, 3, 101)
    assert [type(e) for e in (*assigned, *departed, *arrived)] == [
        MciPatientAssigned,
        MciPatientTransporting,
        MciPatientArrived,
    ]


def test_steps_out_of_order_are_refused() -> None:
    p = patient("T1")
    with pytest.raises(IllegalPatientTransition) as refused:
        p.arrive(at=at(5))
    assert refused.value.code == "illegal-patient-transition"
    with pytest.raises(IllegalPatientTransition):
        p.depart(at=at(5))
    assigned, _ = p.assign(101, at=at(5))
    with pytest.raises(IllegalPatientTransition, match="destination"):
        assigned.depart(at=at(6))  # no hospital chosen: the ED could not be warned
    left, _ = assigned.depart(at=at(6), hospital=4)
    with pytest.raises(IllegalPatientTransition):
        left.release(at=at(7))


def test_only_a_green_patient_is_released_on_scene() -> None:
    red = patient("T1", C.IMMEDIATE)
    with pytest.raises(IllegalPatientTransition, match="re-triage first"):
        red.release(at=at(5))
    green, _ = patient("T2", C.MINOR).release(at=at(5))
    assert green.status is S.RELEASED
    with pytest.raises(IllegalPatientTransition):
        green.retriage(C.DELAYED, at=at(6))


def test_re_triage_is_recorded_and_a_repeated_tap_changes_nothing() -> None:
    p = patient("T1", C.DELAYED)
    worse, events = p.retriage(C.IMMEDIATE, at=at(9), reason="airway")
    assert worse.category is C.IMMEDIATE
    assert events == (
        MciPatientRetriaged(
            occurred_at=at(9),
            incident=7,
            tag="T1",
            previous="delayed",
            category="immediate",
            reason="airway",
        ),
    )
    same, nothing = worse.retriage(C.IMMEDIATE, at=at(10))
    assert same is worse and nothing == ()


def test_a_patient_who_dies_before_leaving_gives_the_unit_place_back() -> None:
    p, _ = patient("T1").assign(101, at=at(5), hospital=3)
    dead, events = p.retriage(C.DEAD, at=at(6))
    assert (dead.status, dead.unit, dead.hospital) == (S.ON_SCENE, None, None)
    assert [type(e) for e in events] == [MciPatientRetriaged, MciPatientUnassigned]
    on_the_way, _ = p.depart(at=at(7))
    died_en_route, _ = on_the_way.retriage(C.DEAD, at=at(9))
    assert died_en_route.status is S.TRANSPORTING  # stays in the ambulance


def test_the_dead_are_not_transported() -> None:
    with pytest.raises(PatientNotTransportable) as refused:
        patient("T9", C.DEAD).assign(101, at=at(5))
    assert refused.value.code == "patient-not-transportable"


def test_amending_details_records_only_real_changes() -> None:
    p = patient("T1", C.DELAYED)
    changed, events = p.amend(at=at(3), needs=frozenset({Need.BURNS}), age_band=AgeBand.CHILD)
    assert changed.needs == {Need.BURNS} and changed.age_band is AgeBand.CHILD
    assert len(events) == 1
    same, nothing = changed.amend(at=at(4), needs=frozenset({Need.BURNS}))
    assert same == changed and nothing == ()


def test_the_officer_may_move_a_patient_to_another_unit_or_back_to_waiting() -> None:
    p, _ = patient("T1").assign(101, at=at(5), hospital=3)
    moved, events = p.assign(102, at=at(6), hospital=3)
    assert moved.unit == 102 and len(events) == 1
    back, events = moved.unassign(at=at(7), reason="unit needed for a red")
    assert back.status is S.ON_SCENE and back.unit is None
    with pytest.raises(InvalidPatient):
        moved.unassign(at=at(7), reason=" ")


# -- what an ambulance carries -----------------------------------------------------------


def test_one_immediate_or_two_delayed_or_three_minor_per_ambulance() -> None:
    cap = UnitCapacity()
    assert cap.fits([C.IMMEDIATE])
    assert cap.fits([C.DELAYED, C.DELAYED])
    assert cap.fits([C.MINOR, C.MINOR, C.MINOR])
    assert cap.fits([C.DELAYED, C.MINOR])
    assert not cap.fits([C.IMMEDIATE, C.MINOR])
    assert not cap.fits([C.DELAYED, C.DELAYED, C.MINOR])
    assert not cap.fits([C.DEAD])
    bus = UnitCapacity(20, {C.MINOR: 1})
    assert bus.fits([C.MINOR] * 20) and not bus.fits([C.DELAYED])


def test_confirming_more_than_the_unit_carries_needs_an_explicit_override() -> None:
    reds = [patient("T1"), patient("T2")]
    with pytest.raises(UnitOverloaded) as refused:
        confirm_transport(reds, unit=101, hospital=3, at=at(5))
    assert refused.value.code == "unit-overloaded"
    moved, events = confirm_transport(reds, unit=101, hospital=3, at=at(5), allow_overload=True)
    assert len(moved) == 2 and len(events) == 2
    yellow = patient("T3", C.DELAYED)
    aboard, _ = yellow.assign(101, at=at(4), hospital=3)
    with pytest.raises(UnitOverloaded):  # the delayed already aboard leaves no room for a red
        confirm_transport([patient("T4")], unit=101, hospital=3, at=at(5), on_board=[aboard])


# -- surge capacity ----------------------------------------------------------------------


def test_the_default_surge_comes_from_the_free_beds() -> None:
    assert default_surge(hospital(beds=20)).as_counts() == {
        C.IMMEDIATE: 2,
        C.DELAYED: 5,
        C.MINOR: 10,
    }
    assert default_surge(hospital(beds=3)).as_counts() == {
        C.IMMEDIATE: 1,
        C.DELAYED: 1,
        C.MINOR: 2,
    }
    assert default_surge(hospital(beds=0)).as_counts() == dict.fromkeys(
        (C.IMMEDIATE, C.DELAYED, C.MINOR), 0
    )


def test_free_trauma_bays_are_the_immediate_places_of_a_trauma_centre() -> None:
    h = hospital(beds=20, caps={"trauma_1"}, capability_beds={"trauma_1": 4})
    assert default_surge(h).immediate == 4
    full = hospital(beds=20, caps={"trauma_1"}, capability_beds={"trauma_1": 0})
    assert default_surge(full).immediate == 0


def test_diversion_or_closure_takes_the_hospital_out_of_the_distribution() -> None:
    declared, events = declare_surge(1, immediate=3, delayed=6, minor=10, at=T0)
    assert declared.declared and len(events) == 1
    assert effective_surge(hospital(), declared) == declared
    assert effective_surge(hospital(beds=8), None) == default_surge(hospital(beds=8))
    assert effective_surge(hospital(status=EdStatus.DIVERSION), declared) is None
    assert effective_surge(hospital(status=EdStatus.CLOSED), None) is None
    with pytest.raises(InvalidSurgeCapacity):
        effective_surge(hospital(id=2), declared)


def test_a_negative_capacity_is_refused() -> None:
    with pytest.raises(InvalidSurgeCapacity) as refused:
        declare_surge(1, immediate=-1, delayed=0, minor=0, at=T0)
    assert refused.value.code == "invalid-surge-capacity"


def test_expectant_patients_take_delayed_places_and_the_dead_none() -> None:
    cap = SurgeCapacity(1, immediate=1, delayed=4, minor=9)
    assert cap.places(C.EXPECTANT) == 4
    assert cap.places(C.DEAD) == 0
    assert capacity_category(C.EXPECTANT) is C.DELAYED
    assert capacity_category(C.DEAD) is None


def test_a_trauma_need_is_met_by_any_trauma_centre() -> None:
    assert can_receive({"trauma_1"}, {Need.TRAUMA})
    assert can_receive({"trauma_3", "burns"}, {Need.TRAUMA, Need.BURNS})
    assert not can_receive({"trauma_2"}, {Need.TRAUMA, Need.BURNS})
    assert can_receive(set(), set())


# -- the board -------------------------------------------------------------------------------


def test_the_board_counts_each_category_by_stage_and_the_units_committed() -> None:
    waiting = patient("T1", C.IMMEDIATE)
    loading, _ = patient("T2", C.IMMEDIATE).assign(101, at=at(5), hospital=3)
    on_the_way, _ = patient("T3", C.DELAYED).assign(102, at=at(5), hospital=3)
    on_the_way, _ = on_the_way.depart(at=at(8))
    handed, _ = patient("T4", C.DELAYED).assign(103, at=at(2), hospital=4)
    handed, _ = handed.depart(at=at(4))
    handed, _ = handed.arrive(at=at(15))
    released, _ = patient("T5", C.MINOR).release(at=at(9))
    dead = patient("T6", C.DEAD)
    board = board_counts(
        [waiting, loading, on_the_way, handed, released, dead], committed_units=[101, 104]
    )
    assert list(board.rows) == list(CATEGORY_ORDER)
    red = board.rows[C.IMMEDIATE]
    assert (red.on_scene, red.assigned, red.at_scene, red.en_route) == (1, 1, 2, 0)
    yellow = board.rows[C.DELAYED]
    assert (yellow.en_route, yellow.arrived) == (1, 1)
    assert board.rows[C.MINOR].released == 1
    assert board.rows[C.DEAD].on_scene == 1
    assert board.rows[C.EXPECTANT].total == 0
    assert board.total.total == 6
    # 102 carries a patient of this incident: committed even if not listed
    assert (board.units_committed, board.units_transporting) == (3, 1)
    assert board.level_for_count == 1


def test_each_ed_sees_its_incoming_patients_by_category() -> None:
    loading, _ = patient("T1", C.IMMEDIATE).assign(101, at=at(5), hospital=3)
    going, _ = patient("T2", C.DELAYED).assign(102, at=at(5), hospital=3)
    going, _ = going.depart(at=at(6))
    there, _ = patient("T3", C.DELAYED).assign(103, at=at(1), hospital=3)
    there, _ = there.depart(at=at(2))
    there, _ = there.arrive(at=at(12))
    elsewhere, _ = patient("T4", C.MINOR).assign(104, at=at(5), hospital=5)
    counts = hospital_counts([loading, going, there, elsewhere, patient("T5")])
    assert set(counts) == {3, 5}
    assert counts[3][C.IMMEDIATE].expected == 1
    assert (counts[3][C.DELAYED].en_route, counts[3][C.DELAYED].arrived) == (1, 1)
    assert counts[3][C.DELAYED].committed == 2
    assert counts[5][C.MINOR].expected == 1


def test_every_event_is_ready_for_the_event_log() -> None:
    """The unit of work stores ``dataclasses.asdict`` of each event as JSON."""
    _, events = declare_mci(7, at=T0, patients=12, incident_command=101)
    p, registered = register_patient(7, "T1", C.IMMEDIATE, at=T0, needs=[Need.TRAUMA])
    [p], assigned = confirm_transport([p], unit=101, hospital=3, at=at(5))
    _, surge = declare_surge(3, immediate=1, delayed=2, minor=3, at=T0)
    for event in (*events, *registered, *assigned, *surge):
        payload = {
            k: v.isoformat() if isinstance(v, datetime) else v
            for k, v in dataclasses.asdict(event).items()
        }
        assert json.loads(json.dumps(payload))["occurred_at"]
