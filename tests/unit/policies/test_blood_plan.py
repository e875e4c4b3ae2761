"""The blood-bank coordinator's day, planned: couriers, banks, hospitals and a road-time table.

Road times are a small synthetic table (minutes, the same both ways), not a map: each story
says which drive makes the difference.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from dispatch.domain.blood import DEFAULT_COLD_CHAIN, Box, ColdChain, Product, Transport, Urgency
from dispatch.domain.geo import Location
from dispatch.policies import blood_plan
from dispatch.policies.base import F64
from dispatch.policies.blood_plan import (
    BloodPlan,
    BloodPlanner,
    Courier,
    NearestFreeCourier,
    PlanJob,
    PlannerParams,
    StopKind,
)

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
MIN = 60.0

# Places on a line of longitudes; only their names matter to the time table.
NAMES = ["bank", "bank2", "H1", "H2", "H3", "H4", "depot", "far"]
PLACE = {name: Location(-8.60 + 0.01 * i, 41.15) for i, name in enumerate(NAMES)}


class TableEta:
    """``EtaProvider`` over a symmetric table of minutes between named places."""

    def __init__(self, minutes: Mapping[tuple[str, str], float]) -> None:
        self.minutes = {**minutes, **{(b, a): t for (a, b), t in minutes.items()}}
        self.names = {(p.lon, p.lat): n for n, p in PLACE.items()}

    def matrix(self, origins: Sequence[Location], destinations: Sequence[Location]) -> F64:
        out = np.zeros((len(destinations), len(origins)))
        for (d, dest), (o, orig) in itertools.product(enumerate(destinations), enumerate(origins)):
            a, b = self.names[(orig.lon, orig.lat)], self.names[(dest.lon, dest.lat)]
            out[d, o] = 0.0 if a == b else self.minutes.get((a, b), np.inf) * MIN
        return out


def courier(unit_id: int, at: str, *, cool: int = 20, ready_min: float = 0.0) -> Courier:
    return Courier(
        unit_id,
        PLACE[at],
        NOW + timedelta(minutes=ready_min),
        {Box.COOL: cool, Box.FROZEN: 10, Box.AMBIENT: 6},
        call_sign=f"BLOOD-{unit_id}",
    )


def job(
    job_id: int,
    to: str,
    *,
    urgency: Urgency = Urgency.ROUTINE,
    product: Product = Product.RED_CELLS,
    units: int = 2,
    due_min: float = 12 * 60,
    bank: str = "bank",
    **kw: object,
) -> PlanJob:
    return PlanJob(
        job_id=job_id,
        request_id=100 + job_id,
        product=product,
        units=units,
        urgency=urgency,
        requested_at=NOW,
        deadline=NOW + timedelta(minutes=due_min),
        bank=PLACE[bank],
        hospital=PLACE[to],
        **kw,  # type: ignore[arg-type]
    )


class Solved:
    """The OR-Tools planner, inline; a fallback answer fails the story (it would hide a bug)."""

    def __init__(self, **params: object) -> None:
        # Greedy descent: the same answer on any machine, and enough for a table this small.
        self.planner = BloodPlanner(PlannerParams(metaheuristic=False, **params), threaded=False)  # type: ignore[arg-type]

    def plan(
        self, jobs: Sequence[PlanJob], couriers: Sequence[Courier], eta: TableEta, now: datetime
    ) -> BloodPlan:
        plan = self.planner.plan(jobs, couriers, eta, now)
        assert plan.strategy == "or-tools", plan.fallback_reason
        return plan


def planner(**params: object) -> Solved:
    return Solved(**params)


def transit_s(plan: BloodPlan, job_id: int) -> float:
    pickup, delivery = plan.stop(job_id, StopKind.PICKUP), plan.stop(job_id, StopKind.DELIVERY)
    assert pickup is not None and delivery is not None
    return (delivery.leave_at - pickup.arrive_at).total_seconds()


def order(plan: BloodPlan, unit_id: int) -> list[tuple[str, int]]:
    route = next(r for r in plan.routes if r.unit_id == unit_id)
    return [(s.kind.value, s.job_id) for s in route.stops]


ROADS = {
    ("bank", "bank2"): 20,
    ("bank", "H1"): 10,
    ("bank", "H2"): 15,
    ("bank", "H3"): 25,
    ("bank", "H4"): 30,
    ("bank2", "H1"): 25,
    ("bank2", "H2"): 20,
    ("bank2", "H3"): 10,
    ("bank2", "H4"): 12,
    ("H1", "H2"): 8,
    ("H1", "H3"): 30,
    ("H1", "H4"): 35,
    ("H2", "H3"): 22,
    ("H2", "H4"): 25,
    ("H3", "H4"): 6,
    ("depot", "bank"): 5,
    ("depot", "bank2"): 18,
    ("depot", "H1"): 12,
    ("depot", "H2"): 14,
    ("depot", "H3"): 28,
    ("depot", "H4"): 30,
    ("far", "bank"): 55,
    ("far", "bank2"): 60,
    ("far", "H1"): 50,
    ("far", "H2"): 50,
    ("far", "H3"): 65,
    ("far", "H4"): 65,
    ("far", "depot"): 55,
}
CITY = TableEta(ROADS)


def test_each_job_is_picked_up_then_delivered_by_the_same_courier() -> None:
    jobs = [
        job(1, "H1", urgency=Urgency.URGENT, due_min=180),
        job(2, "H3", bank="bank2"),
        job(3, "H4", bank="bank2", product=Product.PLASMA),
        job(4, "H2", urgency=Urgency.LIFE_THREATENING, due_min=60),
    ]
    plan = planner().plan(jobs, [courier(1, "depot"), courier(2, "bank2")], CITY, NOW)

    assert plan.strategy == "or-tools" and plan.fallback_reason is None
    assert not plan.unplanned
    for j in jobs:
        pickup = plan.stop(j.job_id, StopKind.PICKUP)
        delivery = plan.stop(j.job_id, StopKind.DELIVERY)
        assert pickup is not None and delivery is not None
        assert pickup.location == j.bank and delivery.location == j.hospital
        assert pickup.leave_at <= delivery.arrive_at
        carriers = {r.unit_id for r in plan.routes for s in r.stops if s.job_id == j.job_id}
        assert len(carriers) == 1
    # Planned times follow the road table: the courier at bank2 is there already.
    assert all(r.late_s == 0 for r in plan.requests)
    for route in plan.routes:
        for a, b in itertools.pairwise(route.stops):
            assert b.arrive_at >= a.leave_at


def test_platelets_never_ride_longer_than_their_cold_chain_even_when_a_loop_is_shorter() -> None:
    # One courier at the bank with platelets for H1 and red cells for H3 and H4. The shortest
    # drive is bank -> H3 -> H4 -> H1 (25 + 6 + 35 = 66 min) but the platelets would then be
    # out for 66 + 3 handovers + 3 pickups = 96 min; we give them a 60 min box.
    eta = TableEta({**ROADS, ("H1", "H4"): 35, ("bank", "H1"): 40})
    chain = ColdChain({**DEFAULT_COLD_CHAIN.rules, Product.PLATELETS: Transport(Box.AMBIENT, 3600)})
    jobs = [
        job(1, "H1", product=Product.PLATELETS, units=1),
        job(2, "H3"),
        job(3, "H4"),
    ]
    quiet = {"wait_weight": {u: 0 for u in Urgency}, "ride_margin_s": 0.0}

    plan = planner(cold_chain=chain, **quiet).plan(jobs, [courier(1, "bank")], eta, NOW)

    assert not plan.unplanned
    assert transit_s(plan, 1) <= 3600
    for j in (2, 3):
        assert transit_s(plan, j) <= DEFAULT_COLD_CHAIN.max_transit_s(Product.RED_CELLS)
    # The limit is what decided: with a 4 h platelet box the loop wins and platelets ride long.
    loose = planner(**quiet).plan(jobs, [courier(1, "bank")], eta, NOW)
    assert transit_s(loose, 1) > 3600


def test_a_cool_box_is_never_overfilled() -> None:
    # 3 requests of 4 units at one bank, one courier with a 6-unit cool box: one at a time.
    jobs = [job(i, h, units=4) for i, h in ((1, "H1"), (2, "H2"), (3, "H1"))]
    plan = planner().plan(jobs, [courier(1, "bank", cool=6)], CITY, NOW)

    assert not plan.unplanned
    load = 0
    for stop in plan.routes[0].stops:
        load += 4 if stop.kind is StopKind.PICKUP else -4
        assert 0 <= load <= 6


def test_a_bigger_box_carries_several_requests_in_one_trip() -> None:
    jobs = [job(i, h, units=4) for i, h in ((1, "H1"), (2, "H2"), (3, "H1"))]
    plan = planner().plan(jobs, [courier(1, "bank", cool=12)], CITY, NOW)

    kinds = [kind for kind, _ in order(plan, 1)]
    assert kinds[:3] == ["pickup"] * 3


def test_the_life_threatening_bleed_is_served_before_the_routine_restock() -> None:
    # One courier. The routine restock goes to H1 (10 min from the bank); the bleed is at H4,
    # 30 min away, due in 45 min: only going there first makes it.
    jobs = [
        job(1, "H1", urgency=Urgency.ROUTINE, due_min=12 * 60),
        job(2, "H4", urgency=Urgency.LIFE_THREATENING, due_min=45),
    ]
    plan = planner().plan(jobs, [courier(1, "bank")], CITY, NOW)

    assert order(plan, 1)[:2] == [("pickup", 2), ("delivery", 2)] or order(plan, 1)[1:3] == [
        ("pickup", 2),
        ("delivery", 2),
    ]
    bleed, restock = plan.request(102), plan.request(101)
    assert bleed.late_s == 0 and not bleed.offer_ambulance
    assert restock.late_s == 0
    assert restock.delivered_at is not None and bleed.delivered_at is not None
    assert bleed.delivered_at < restock.delivered_at


def test_a_replan_keeps_units_already_picked_up_in_their_courier() -> None:
    # Courier 1 picked up units for H2 ten minutes ago and is now at H1 (8 min from H2).
    # Courier 2 waits at H2 itself: faster, but the units are in courier 1's box.
    onboard = job(1, "H2", unit_id=1, picked_up_at=NOW - timedelta(minutes=10))
    fresh = job(2, "H3", bank="bank2", urgency=Urgency.URGENT, due_min=90)
    couriers = [courier(1, "H1"), courier(2, "H2")]

    plan = planner().plan([onboard, fresh], couriers, CITY, NOW)

    assert plan.courier_of(1) == 1
    assert plan.stop(1, StopKind.PICKUP) is None  # nothing to pick up again
    delivery = plan.stop(1, StopKind.DELIVERY)
    assert delivery is not None and delivery.arrive_at == NOW + timedelta(minutes=8)
    assert plan.courier_of(2) is not None
    assert not plan.unplanned


def test_a_fixed_job_stays_with_the_courier_the_dispatcher_chose() -> None:
    fixed = job(1, "H1", unit_id=2, fixed=True)
    plan = planner().plan([fixed], [courier(1, "bank"), courier(2, "far")], CITY, NOW)
    assert plan.courier_of(1) == 2


def test_the_guard_falls_back_to_the_nearest_free_courier_with_a_valid_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jobs = [
        job(i, h, bank=b, urgency=u, due_min=d)
        for i, (h, b, u, d) in enumerate(
            [
                ("H1", "bank", Urgency.LIFE_THREATENING, 60),
                ("H2", "bank", Urgency.URGENT, 180),
                ("H3", "bank2", Urgency.ROUTINE, 720),
                ("H4", "bank2", Urgency.LIFE_THREATENING, 60),
                ("H2", "bank2", Urgency.ROUTINE, 720),
                ("H1", "bank", Urgency.URGENT, 180),
            ],
            start=1,
        )
    ]
    onboard = job(7, "H3", unit_id=2, picked_up_at=NOW - timedelta(minutes=5))
    couriers = [courier(1, "depot"), courier(2, "H2"), courier(3, "far")]
    # A solve that never answers by itself (released once the test has its plan).
    release = threading.Event()
    real_solve = blood_plan._solve

    def stuck(problem: object) -> BloodPlan:
        release.wait()
        return real_solve(problem)  # type: ignore[arg-type]

    monkeypatch.setattr(blood_plan, "_solve", stuck)
    hurried = BloodPlanner(PlannerParams(guard_s=0.05), threaded=True)
    try:
        plan = hurried.plan([*jobs, onboard], couriers, CITY, NOW)
    finally:
        release.set()
        hurried.close()

    assert plan.strategy == "nearest-free"
    assert plan.fallback_reason is not None and "timeout" in plan.fallback_reason
    assert not plan.unplanned
    assert plan.courier_of(7) == 2
    assert order(plan, 2)[0] == ("delivery", 7)  # what is on board goes first
    for j in jobs:
        pickup = plan.stop(j.job_id, StopKind.PICKUP)
        delivery = plan.stop(j.job_id, StopKind.DELIVERY)
        assert pickup is not None and delivery is not None
        assert pickup.leave_at <= delivery.arrive_at
    for route in plan.routes:  # one job at a time
        kinds = [s.kind for s in route.stops if s.job_id != 7]
        assert kinds == [StopKind.PICKUP, StopKind.DELIVERY] * (len(kinds) // 2)


def test_a_solver_error_also_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(problem: object) -> BloodPlan:
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(blood_plan, "_solve", broken)
    plan = BloodPlanner(threaded=False).plan([job(1, "H1")], [courier(1, "bank")], CITY, NOW)
    assert plan.strategy == "nearest-free"
    assert plan.fallback_reason is not None and "solver crashed" in plan.fallback_reason
    assert plan.courier_of(1) == 1


def test_an_ambulance_is_offered_when_no_courier_can_make_a_life_threatening_deadline() -> None:
    # The only courier is 55 min from the bank; the bleed at H1 is due in 60 min.
    jobs = [
        job(1, "H1", urgency=Urgency.LIFE_THREATENING, due_min=60),
        job(2, "H2", urgency=Urgency.URGENT, due_min=60),
    ]
    plan = planner().plan(jobs, [courier(1, "far")], CITY, NOW)

    bleed = plan.request(101)
    assert bleed.late and bleed.offer_ambulance
    assert bleed.reason is not None
    assert "no courier can make the deadline even if sent now" in bleed.reason.en
    assert bleed.reason.en.endswith("offer an ambulance")
    assert "救护车" in bleed.reason.zh
    urgent = plan.request(102)
    assert urgent.late and not urgent.offer_ambulance  # only for life-threatening bleeds
    assert plan.ambulance_offers == (bleed,)


def test_no_ambulance_offer_when_a_courier_makes_it_in_time() -> None:
    plan = planner().plan(
        [job(1, "H1", urgency=Urgency.LIFE_THREATENING, due_min=60)],
        [courier(1, "depot")],
        CITY,
        NOW,
    )
    assert not plan.request(101).late and not plan.ambulance_offers


def test_busy_couriers_make_a_bleed_late_and_the_reason_says_so() -> None:
    # Both bleeds are due in 30 min; one courier can do only one of them in time.
    jobs = [
        job(1, "H1", urgency=Urgency.LIFE_THREATENING, due_min=30),
        job(2, "H2", urgency=Urgency.LIFE_THREATENING, due_min=30, units=25),
    ]
    plan = planner().plan(jobs, [courier(1, "bank", cool=30)], CITY, NOW)
    late = [r for r in plan.requests if r.late]
    assert len(late) == 1 and late[0].offer_ambulance
    assert late[0].reason is not None and "busy with other deliveries" in late[0].reason.en


def test_jobs_no_courier_can_do_are_reported_with_a_reason() -> None:
    chain = ColdChain({**DEFAULT_COLD_CHAIN.rules, Product.PLATELETS: Transport(Box.AMBIENT, 600)})
    jobs = [
        job(1, "H1", units=30),  # no box that big
        job(2, "H4", product=Product.PLATELETS, units=1),  # 30 min drive, 10 min box
        job(3, "H1", urgency=Urgency.LIFE_THREATENING, due_min=60, unit_id=9, fixed=True),
        job(4, "H2"),
    ]
    plan = planner(cold_chain=chain).plan(jobs, [courier(1, "bank")], CITY, NOW)

    reasons = {u.job_id: u.reason.en for u in plan.unplanned}
    assert set(reasons) == {1, 2, 3}
    assert "do not fit any courier's cool box" in reasons[1]
    assert "cold-chain limit" in reasons[2]
    assert "not on duty" in reasons[3]
    assert plan.courier_of(4) == 1
    assert plan.request(103).offer_ambulance and plan.request(103).delivered_at is None
    assert plan.request(101).late and not plan.request(101).offer_ambulance


def test_a_request_split_over_two_banks_is_delivered_when_its_last_job_is() -> None:
    jobs = [
        job(1, "H3", bank="bank"),
        replace(job(2, "H3", bank="bank2"), request_id=101),
    ]
    plan = planner().plan(jobs, [courier(1, "bank"), courier(2, "bank2")], CITY, NOW)
    stops = [plan.stop(j, StopKind.DELIVERY) for j in (1, 2)]
    assert all(s is not None for s in stops)
    assert plan.request(101).delivered_at == max(s.leave_at for s in stops if s is not None)


def test_the_baseline_sends_the_courier_that_reaches_the_bank_first() -> None:
    jobs = [
        job(1, "H1", urgency=Urgency.ROUTINE),
        job(2, "H4", urgency=Urgency.LIFE_THREATENING, due_min=60, bank="bank2"),
    ]
    couriers = [courier(1, "depot"), courier(2, "H3")]  # H3 is 10 min from bank2
    plan = NearestFreeCourier().plan(jobs, couriers, CITY, NOW)

    assert plan.courier_of(2) == 2  # the bleed first, to the courier nearest its bank
    assert plan.courier_of(1) == 1
    assert plan.stop(2, StopKind.PICKUP) == plan.routes[1].stops[0]
    assert plan.routes[1].stops[0].arrive_at == NOW + timedelta(minutes=10)


def test_nothing_to_plan_is_an_empty_plan() -> None:
    plan = planner().plan([], [courier(1, "bank")], CITY, NOW)
    assert plan.routes[0].stops == () and plan.requests == () and plan.unplanned == ()


def test_a_delay_moves_a_job_not_yet_picked_up_to_a_courier_who_now_arrives_sooner() -> None:
    bleed = job(1, "H1", urgency=Urgency.LIFE_THREATENING, due_min=60, unit_id=1)
    on_time = [courier(1, "depot"), courier(2, "H2")]  # 5 min and 15 min from the bank
    assert planner().plan([bleed], on_time, CITY, NOW).courier_of(1) == 1

    # Courier 1 reports it is stuck for 25 min: the re-plan gives the bleed to courier 2.
    stuck = [courier(1, "depot", ready_min=25), courier(2, "H2")]
    plan = planner().plan([bleed], stuck, CITY, NOW)
    assert plan.courier_of(1) == 2
    assert not plan.request(101).late


def test_units_already_in_a_box_are_delivered_even_if_the_box_is_declared_smaller() -> None:
    onboard = job(1, "H1", units=4, unit_id=1, picked_up_at=NOW - timedelta(minutes=5))
    plan = planner().plan([onboard], [courier(1, "bank", cool=2)], CITY, NOW)
    assert plan.courier_of(1) == 1 and not plan.unplanned


def test_planner_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        PlannerParams(pickup_s=-1)
    with pytest.raises(ValueError):
        PlannerParams(late_weight={Urgency.ROUTINE: 1})
