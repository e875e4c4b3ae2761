"""The MCI distribution plan, told as the transport officer lives it: which patient leaves
next, in which ambulance, for which hospital, and what changes when the world does.

Road times are small synthetic numbers (seconds); no map is needed. Unless a test says
otherwise: loading 180 s at the scene, handover 600 s at the hospital, drives equal both ways.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from dispatch.domain.geo import Location
from dispatch.domain.hospitals import EdStatus
from dispatch.domain.mci import (
    Need,
    SurgeCapacity,
    TriageCategory,
    UnitCapacity,
    can_receive,
    capacity_category,
    register_patient,
)
from dispatch.policies.mci_plan import (
    AllocationInput,
    ConfirmedTransport,
    MciPlan,
    MciState,
    PlanHospital,
    PlanParams,
    PlanPatient,
    PlanUnit,
    greedy,
    nearest_first,
    plan,
    road_times,
    solve_allocation,
    split_patients,
)
from dispatch.policies.straightline import StraightLineEta

C = TriageCategory
OPEN, DIVERSION, CLOSED = EdStatus.OPEN, EdStatus.DIVERSION, EdStatus.CLOSED
INLINE = PlanParams(threaded=False, time_limit_s=None)


def hospital(
    id: int,
    drive_s: float,
    imm: int = 5,
    delayed: int = 5,
    minor: int = 10,
    caps: set[str] | None = None,
    status: EdStatus = OPEN,
) -> PlanHospital:
    return PlanHospital(
        id,
        frozenset(caps or set()),
        status,
        SurgeCapacity(id, imm, delayed, minor),
        drive_s,
        drive_s,
        name=f"H{id}",
    )


def reds(n: int, needs: set[Need] | None = None, start: int = 1) -> list[PlanPatient]:
    return [
        PlanPatient(f"R{i}", C.IMMEDIATE, frozenset(needs or set()))
        for i in range(start, start + n)
    ]


def yellows(n: int, start: int = 1) -> list[PlanPatient]:
    return [PlanPatient(f"Y{i}", C.DELAYED) for i in range(start, start + n)]


def greens(n: int, start: int = 1) -> list[PlanPatient]:
    return [PlanPatient(f"G{i}", C.MINOR) for i in range(start, start + n)]


def units(*ready_s: float) -> tuple[PlanUnit, ...]:
    return tuple(PlanUnit(101 + i, r) for i, r in enumerate(ready_s))


def state(
    waiting: list[PlanPatient],
    fleet: tuple[PlanUnit, ...],
    hospitals: list[PlanHospital],
    **kw: object,
) -> MciState:
    return MciState(tuple(waiting), fleet, tuple(hospitals), **kw)  # type: ignore[arg-type]


def incoming(result: MciPlan, hospital_id: int, category: TriageCategory) -> int:
    return result.incoming.get(hospital_id, {}).get(category, 0)


def check_invariants(s: MciState, result: MciPlan, params: PlanParams = INLINE) -> None:
    """What must hold for any plan: each patient once, each trip fits its unit, a unit's trips
    do not overlap, a patient with needs goes where they are met whenever that is possible."""
    tags = [t for tr in result.transports for t in tr.patients]
    assert len(tags) == len(set(tags))
    waiting = {p.tag: p for p in s.waiting} | {p.tag: p for c in s.confirmed for p in c.patients}
    left_out = {u.tag for u in result.unassigned}
    assert set(tags) | left_out == set(waiting)
    assert not set(tags) & left_out
    by_unit = {u.unit_id: u for u in s.units}
    hospitals = {h.hospital_id: h for h in s.hospitals}
    for tr in result.transports:
        assert by_unit[tr.unit_id].capacity.fits(tr.categories)
        drive = hospitals[tr.hospital_id].from_scene_s
        assert drive is not None
        assert tr.arrive_s == pytest.approx(tr.depart_s + drive, abs=0.2)
        for tag in tr.patients:
            p = waiting[tag]
            if any(can_receive(h.capabilities, p.needs) for h in s.hospitals if h.status is OPEN):
                assert can_receive(hospitals[tr.hospital_id].capabilities, p.needs), tag
    for uid in by_unit:
        mine = sorted((t for t in result.transports if t.unit_id == uid), key=lambda t: t.trip)
        assert [t.trip for t in mine] == list(range(len(mine)))
        for a, b in zip(mine, mine[1:], strict=False):
            assert b.depart_s >= a.back_s + params.load_s - 0.2


# -- capacity ----------------------------------------------------------------------------


def test_the_plan_spreads_reds_by_capacity_where_nearest_first_swamps_the_nearest_ed() -> None:
    """Four reds, four ambulances on scene. The nearest ED declared one immediate place."""
    hospitals = [hospital(1, 300, imm=1), hospital(2, 600, imm=2), hospital(3, 1200, imm=5)]
    s = state(reds(4), units(0, 0, 0, 0), hospitals)
    result = plan(s, INLINE)
    assert result.method == "plan" and result.fallback is None
    assert (incoming(result, 1, C.IMMEDIATE), incoming(result, 2, C.IMMEDIATE)) == (1, 2)
    assert incoming(result, 3, C.IMMEDIATE) == 1
    assert result.overflow == {} and result.overflow_total == 0
    assert all(t.over_capacity == 0 for t in result.transports)
    check_invariants(s, result)

    baseline = nearest_first(s, INLINE)
    assert baseline.incoming == {1: {C.IMMEDIATE: 4}}
    assert baseline.overflow == {1: {C.IMMEDIATE: 3}}


def test_what_is_already_on_its_way_uses_up_the_places() -> None:
    hospitals = [hospital(1, 300, imm=2), hospital(2, 900, imm=5)]
    s = state(reds(1), units(0), hospitals, committed={1: {C.IMMEDIATE: 2}})
    result = plan(s, INLINE)
    assert [t.hospital_id for t in result.transports] == [2]
    assert incoming(result, 1, C.IMMEDIATE) == 2  # the two on their way are still shown


def test_overflow_is_allowed_only_when_no_capable_hospital_has_room_and_is_reported() -> None:
    """Three reds, two immediate places in the whole region: one over, reported, and spread
    rather than piled on the nearest."""
    hospitals = [hospital(1, 300, imm=1), hospital(2, 600, imm=1)]
    s = state(reds(3), units(0, 0, 0), hospitals)
    result = plan(s, INLINE)
    assert result.overflow_total == 1
    assert sum(t.over_capacity for t in result.transports) == 1
    over = next(t for t in result.transports if t.over_capacity)
    assert "over declared capacity" in over.reason.en
    assert "超出申报容量" in over.reason.zh
    check_invariants(s, result)


def test_overflow_is_spread_over_hospitals_not_piled_on_the_nearest() -> None:
    hospitals = [hospital(1, 300, imm=0), hospital(2, 330, imm=0)]
    s = state(reds(4), units(0, 0, 0, 0), hospitals)
    result = plan(s, INLINE)
    assert result.overflow == {1: {C.IMMEDIATE: 2}, 2: {C.IMMEDIATE: 2}}


# -- capability ------------------------------------------------------------------------------


def test_a_trauma_patient_goes_to_the_trauma_centre_past_a_nearer_ed() -> None:
    hospitals = [hospital(1, 200), hospital(2, 900, caps={"trauma_2"})]
    s = state(reds(1, {Need.TRAUMA}), units(0), hospitals)
    result = plan(s, INLINE)
    [trip] = result.transports
    assert trip.hospital_id == 2
    assert "meets trauma" in trip.reason.en


def test_capability_stays_hard_even_when_the_capable_centre_is_full() -> None:
    """Over capacity at the trauma centre rather than within capacity at a general ED."""
    hospitals = [hospital(1, 200, imm=5), hospital(2, 900, imm=1, caps={"trauma_1"})]
    s = state(reds(2, {Need.TRAUMA}), units(0, 0), hospitals)
    result = plan(s, INLINE)
    assert {t.hospital_id for t in result.transports} == {2}
    assert result.overflow == {2: {C.IMMEDIATE: 1}}


def test_with_no_hospital_meeting_every_need_the_one_meeting_most_is_chosen_with_a_reason() -> None:
    hospitals = [
        hospital(1, 200),
        hospital(2, 500, caps={"burns"}),
        hospital(3, 400, caps={"trauma_2"}),
        hospital(4, 900, caps={"trauma_1", "burns"}, status=CLOSED),
    ]
    burnt_and_injured = PlanPatient("R1", C.IMMEDIATE, frozenset({Need.TRAUMA, Need.BURNS}))
    result = plan(state([burnt_and_injured], units(0), hospitals), INLINE)
    [trip] = result.transports
    assert trip.hospital_id == 3  # meets one of two needs, nearer than the burns unit
    assert "to stabilise and transfer" in trip.reason.en


def test_diverting_eds_are_used_only_when_no_open_ed_is_reachable() -> None:
    hospitals = [hospital(1, 200, status=DIVERSION), hospital(2, 800)]
    result = plan(state(reds(1), units(0), hospitals), INLINE)
    assert [t.hospital_id for t in result.transports] == [2]
    only_diverting = [hospital(1, 200, status=DIVERSION), hospital(2, 800, status=CLOSED)]
    result = plan(state(reds(1), units(0), only_diverting), INLINE)
    [trip] = result.transports
    assert trip.hospital_id == 1 and "call ahead" in trip.reason.en


def test_a_patient_with_no_reachable_hospital_is_listed_with_why() -> None:
    hospitals = [PlanHospital(1, frozenset(), OPEN, SurgeCapacity(1, 5, 5, 5), None)]
    result = plan(state(reds(1), units(0), hospitals), INLINE)
    assert result.transports == ()
    [left] = result.unassigned
    assert left.tag == "R1" and "no reachable hospital" in left.reason.en


# -- sequencing and unit load ----------------------------------------------------------------


def test_one_ambulance_takes_the_red_first_then_comes_back_for_the_yellows() -> None:
    s = state(yellows(2) + reds(1), units(60), [hospital(1, 300)])
    result = plan(s, INLINE)
    first, second = result.transports
    assert (first.unit_id, first.trip, first.patients) == (101, 0, ("R1",))
    assert (first.depart_s, first.arrive_s, first.back_s) == (240.0, 540.0, 1440.0)
    assert (second.trip, second.patients) == (1, ("Y1", "Y2"))
    assert second.depart_s == 1440.0 + 180.0
    assert result.next_for(101) == first


def test_every_red_leaves_before_any_yellow_and_alone() -> None:
    s = state(greens(3) + yellows(2) + reds(2), units(0, 100, 200), [hospital(1, 400)])
    result = plan(s, INLINE)
    red_departures = [t.depart_s for t in result.transports if C.IMMEDIATE in t.categories]
    other = [t.depart_s for t in result.transports if C.IMMEDIATE not in t.categories]
    assert max(red_departures) <= min(other)
    assert all(
        t.categories == (C.IMMEDIATE,) for t in result.transports if C.IMMEDIATE in t.categories
    )
    check_invariants(s, result)


def test_three_walking_wounded_share_an_ambulance_and_a_bus_takes_many() -> None:
    result = plan(state(greens(4), units(0), [hospital(1, 300)]), INLINE)
    assert [len(t.patients) for t in result.transports] == [3, 1]
    bus = PlanUnit(900, 0, capacity=UnitCapacity(20, {C.MINOR: 1}))
    result = plan(
        state(greens(12) + reds(1), (bus, *units(50)), [hospital(1, 300, minor=20)]), INLINE
    )
    trips = {t.unit_id: t for t in result.transports if t.trip == 0}
    assert len(trips[900].patients) == 12 and trips[101].patients == ("R1",)


def test_the_last_red_arrives_as_early_as_possible() -> None:
    """Two reds and a yellow; units ready at 0 and 600 s; one immediate place at 300 s and
    one at 900 s. The early unit takes the far hospital, so the last red arrives at 1,080 s,
    not 1,680 s, although sending it near would bring the yellow in 10 minutes sooner: the
    worst-off red counts beyond the weighted sum (``last_immediate_factor``)."""
    hospitals = [hospital(1, 300, imm=1), hospital(2, 900, imm=1)]
    s = state(reds(2) + yellows(1), units(0, 600), hospitals)
    result = plan(s, INLINE)
    red_trips = [t for t in result.transports if C.IMMEDIATE in t.categories]
    assert max(t.arrive_s for t in red_trips) == 1080.0
    assert {(t.unit_id, t.hospital_id) for t in red_trips} == {(101, 2), (102, 1)}

    plain_sum = PlanParams(threaded=False, time_limit_s=None, last_immediate_factor=0.0)
    result = plan(s, plain_sum)
    assert max(t.arrive_s for t in result.transports if C.IMMEDIATE in t.categories) == 1680.0


def test_expectant_wait_unless_the_commander_says_otherwise_and_the_dead_stay() -> None:
    waiting = [
        PlanPatient("X1", C.EXPECTANT),
        PlanPatient("D1", C.DEAD),
        *reds(1),
    ]
    result = plan(state(waiting, units(0, 0), [hospital(1, 300)]), INLINE)
    left = {u.tag: u.reason.en for u in result.unassigned}
    assert left["D1"] == "dead: not transported"
    assert left["X1"].startswith("expectant")
    assert [t.patients for t in result.transports] == [("R1",)]
    params = PlanParams(threaded=False, time_limit_s=None, transport_expectant=True)
    result = plan(state(waiting, units(0), [hospital(1, 300)]), params)
    assert [t.patients for t in result.transports] == [("R1",), ("X1",)]


# -- re-planning ---------------------------------------------------------------------------


def test_replanning_after_a_hospital_goes_on_diversion() -> None:
    """The first plan sends reds to H1. Then one ambulance has left for H1 with a red, another
    is loading a confirmed red for H1, and H1 declares diversion. The re-plan keeps the one on
    the road, voids the confirmed one with a warning and sends every waiting red elsewhere."""
    hospitals = [hospital(1, 300, imm=4), hospital(2, 700, imm=4), hospital(3, 1000, imm=4)]
    first = plan(state(reds(4), units(0, 0, 0, 0), hospitals), INLINE)
    assert incoming(first, 1, C.IMMEDIATE) > 0

    diverted = [hospital(1, 300, imm=4, status=DIVERSION), *hospitals[1:]]
    [r1, r2, r3, r4] = reds(4)
    s = state(
        [r3, r4],
        (PlanUnit(101, 900, available_in_s=300), *units(0, 0, 0)[1:]),
        diverted,
        confirmed=(ConfirmedTransport(102, 1, (r2,), loading_left_s=60),),
        committed={1: {C.IMMEDIATE: 1}},  # R1, on its way to H1 in unit 101
    )
    result = plan(s, INLINE)
    assert all(t.hospital_id != 1 for t in result.transports)
    assert {t for tr in result.transports for t in tr.patients} == {"R2", "R3", "R4"}
    assert incoming(result, 1, C.IMMEDIATE) == 1  # the transport in progress is kept
    assert any("voided" in w.en and "diversion" in w.en for w in result.warnings)
    check_invariants(s, result)


def test_a_confirmed_transport_is_kept_as_the_unit_next_trip() -> None:
    [r1, r2] = reds(2)
    hospitals = [hospital(1, 300), hospital(2, 600)]
    s = state(
        [r2],
        units(0, 400),
        hospitals,
        confirmed=(ConfirmedTransport(101, 2, (r1,), loading_left_s=30),),
    )
    result = plan(s, INLINE)
    kept = result.next_for(101)
    assert kept is not None and kept.confirmed
    assert (kept.patients, kept.hospital_id, kept.depart_s) == (("R1",), 2, 30.0)
    assert result.next_for(102) is not None and result.next_for(102).patients == ("R2",)  # type: ignore[union-attr]


def test_a_confirmed_transport_without_a_hospital_gets_one_proposed() -> None:
    [r1] = reds(1)
    s = state(
        [],
        units(0),
        [hospital(1, 300, imm=0), hospital(2, 600, imm=1)],
        confirmed=(ConfirmedTransport(101, None, (r1,)),),
    )
    result = plan(s, INLINE)
    [trip] = result.transports
    assert trip.confirmed and trip.hospital_id == 2
    assert "proposed by the plan" in trip.reason.en


def test_the_same_state_always_gives_the_same_plan() -> None:
    s = random_state(random.Random(5), 30, 8, 6)
    first, again = plan(s, INLINE), plan(s, INLINE)
    assert replace(first, solve_ms=0.0) == replace(again, solve_ms=0.0)


def test_the_domain_patients_become_the_planner_state() -> None:
    t0 = datetime(2026, 5, 1, 14, 0, tzinfo=UTC)
    waiting, _ = register_patient(7, "T1", C.IMMEDIATE, at=t0, needs=[Need.TRAUMA])
    loading, _ = register_patient(7, "T2", C.DELAYED, at=t0)
    loading, _ = loading.assign(101, at=t0, hospital=4)
    gone, _ = register_patient(7, "T3", C.DELAYED, at=t0)
    gone, _ = gone.assign(102, at=t0, hospital=4)
    gone, _ = gone.depart(at=t0)
    released, _ = register_patient(7, "T4", C.MINOR, at=t0)
    released, _ = released.release(at=t0)
    w, confirmed, committed = split_patients([waiting, loading, gone, released])
    assert w == (PlanPatient("T1", C.IMMEDIATE, frozenset({Need.TRAUMA})),)
    assert confirmed == (ConfirmedTransport(101, 4, (PlanPatient("T2", C.DELAYED),)),)
    assert committed == {4: {C.DELAYED: 1}}


def test_road_times_come_from_any_eta_provider() -> None:
    scene = Location(0.0, 0.0)
    eta = StraightLineEta(10.0)
    times = road_times(eta, scene, [(101, Location(0.0, 0.009))], [(1, Location(0.0, 0.018))])
    assert times.unit_to_scene[101] == pytest.approx(100.0, rel=0.01)
    assert times.scene_to_hospital[1] == pytest.approx(200.0, rel=0.01)
    assert times.hospital_to_scene[1] == pytest.approx(200.0, rel=0.01)


# -- the guard -------------------------------------------------------------------------------


def test_a_solver_that_runs_out_of_time_still_leaves_a_valid_plan() -> None:
    def stuck(data: AllocationInput) -> dict[int, dict[int, int]]:
        time.sleep(0.5)  # a pathological solve: the officer must not wait for it
        return solve_allocation(data)

    s = random_state(random.Random(3), 40, 12, 8)
    started = time.perf_counter()
    result = plan(s, PlanParams(time_limit_s=0.05), solver=stuck)
    assert time.perf_counter() - started < 0.4
    assert result.method == "greedy"
    assert result.fallback is not None and "timeout" in result.fallback
    check_invariants(s, result)
    assert result.overflow_total == 0  # the greedy respects capacity where it can


def test_a_solver_error_falls_back_to_the_greedy() -> None:
    def broken(data: object) -> dict[int, dict[int, int]]:
        raise RuntimeError("boom")

    s = random_state(random.Random(4), 20, 6, 5)
    result = plan(s, INLINE, solver=broken)
    assert result.method == "greedy" and "boom" in (result.fallback or "")
    check_invariants(s, result)


# -- scale -----------------------------------------------------------------------------------


def random_state(rng: random.Random, n_patients: int, n_units: int, n_hospitals: int) -> MciState:
    cats = [C.IMMEDIATE] * 2 + [C.DELAYED] * 3 + [C.MINOR] * 4 + [C.EXPECTANT, C.DEAD]
    waiting = []
    for i in range(n_patients):
        needs: set[Need] = set()
        if rng.random() < 0.3:
            needs.add(Need.TRAUMA)
        if rng.random() < 0.05:
            needs.add(Need.BURNS)
        waiting.append(PlanPatient(f"P{i:03d}", rng.choice(cats), frozenset(needs)))
    fleet = tuple(PlanUnit(100 + j, rng.uniform(60, 1500)) for j in range(n_units))
    profiles = [{"trauma_1", "burns"}, {"trauma_2"}, set(), {"pediatric"}, set()]
    hospitals = [
        hospital(
            j + 1,
            rng.uniform(240, 2400),
            imm=rng.randint(2, 5),
            delayed=rng.randint(3, 8),
            minor=rng.randint(5, 12),
            caps=profiles[j % len(profiles)],
        )
        for j in range(n_hospitals)
    ]
    return state(waiting, fleet, hospitals)


def test_a_hundred_patients_thirty_units_fifteen_hospitals() -> None:
    s = random_state(random.Random(17), 100, 30, 15)
    result = plan(s, INLINE)
    assert result.method == "plan"
    check_invariants(s, result)
    assert result.overflow_total == 0
    transported = Counter(c for t in result.transports for c in t.categories)
    assert transported[C.DEAD] == 0 and transported[C.EXPECTANT] == 0


@pytest.mark.parametrize("seed", range(6))
def test_the_plan_is_never_worse_than_its_fallback_and_respects_capacity(seed: int) -> None:
    s = random_state(random.Random(seed), 45, 12, 8)
    result, fallback = plan(s, INLINE), greedy(s, INLINE)
    check_invariants(s, result)
    assert result.overflow_total <= fallback.overflow_total
    if result.overflow_total == fallback.overflow_total:
        assert result.objective <= fallback.objective
    for hid, per in result.incoming.items():
        places = next(h for h in s.hospitals if h.hospital_id == hid).capacity
        assert places is not None
        pools = Counter()  # type: Counter[TriageCategory]
        for category, n in per.items():
            pool = capacity_category(category)
            if pool is not None:
                pools[pool] += n
        assert all(n <= places.places(pool) for pool, n in pools.items())


def test_a_unit_that_cannot_reach_the_scene_is_not_counted_on() -> None:
    stuck = PlanUnit(101, float("inf"))
    result = plan(state(reds(1), (stuck,), [hospital(1, 300)]), INLINE)
    assert result.transports == ()
    [left] = result.unassigned
    assert left.tag == "R1" and "reach the scene" in left.reason.en


def test_duplicate_tags_are_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="duplicate patient tag"):
        plan(state(reds(1) + reds(1), units(0), [hospital(1, 300)]), INLINE)
