"""The blood bank's rules: groups read strictly, compatible substitutes in order, first expiry
first out, deliveries that move only forward, and a stock file that imports whole or not at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dispatch.domain.blood import (
    COMPATIBILITY,
    DEFAULT_COLD_CHAIN,
    DEFAULT_DEADLINE_S,
    AboRh,
    Allocation,
    BloodJobAssigned,
    BloodJobStatusChanged,
    BloodRequest,
    Box,
    DeliveryJob,
    HandoverRefused,
    IllegalJobTransition,
    InvalidBloodGroup,
    InvalidBloodProduct,
    InvalidBloodRequest,
    InvalidStockLot,
    JobState,
    Product,
    Refusal,
    StockImportFailed,
    StockLot,
    Urgency,
    allocate,
    compatible_donors,
    parse_stock_csv,
)
from dispatch.domain.errors import DomainError

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
G = AboRh
RBC, PLASMA, PLT, CRYO = Product.RED_CELLS, Product.PLASMA, Product.PLATELETS, Product.CRYO


def lot(
    lot_id: str,
    group: AboRh,
    units: int,
    days: float,
    *,
    bank: int = 1,
    product: Product = RBC,
) -> StockLot:
    return StockLot(lot_id, bank, product, group, units, NOW + timedelta(days=days))


def request(
    group: AboRh,
    units: int,
    *,
    product: Product = RBC,
    urgency: Urgency = Urgency.URGENT,
    rid: int = 1,
) -> BloodRequest:
    return BloodRequest.new(
        request_id=rid,
        hospital_id=7,
        product=product,
        group=group,
        units=units,
        urgency=urgency,
        requested_at=NOW,
    )


def taken(result: Allocation | Refusal) -> list[tuple[str, int]]:
    assert isinstance(result, Allocation), result
    return [(line.lot_id, line.units) for line in result.lines]


# -- groups and products ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("O-", G.O_NEG),
        ("O neg", G.O_NEG),
        ("o negative", G.O_NEG),
        ("O Rh-", G.O_NEG),
        ("A RhD positive", G.A_POS),
        ("AB+", G.AB_POS),
        ("ab pos", G.AB_POS),
        ("B\u2212", G.B_NEG),  # a true minus sign from a word processor
        ("AB\uff0b", G.AB_POS),  # full-width plus from a Chinese input method
        ("O型RhD阴性", G.O_NEG),
        ("B型阳性", G.B_POS),
        ("  A-  ", G.A_NEG),
    ],
)
def test_blood_groups_are_read_as_labs_write_them(text: str, group: AboRh) -> None:
    assert AboRh.parse(text) is group


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("O", "RhD type (+ or -) is missing"),
        ("AB", "RhD type (+ or -) is missing"),
        ("0+", "letter O, not the digit 0"),
        ("0 neg", "letter O, not the digit 0"),
        ("A1+", "not an ABO/RhD group"),
        ("C+", "not an ABO/RhD group"),
        ("O+-", "not an ABO/RhD group"),
        ("O pos neg", "not an ABO/RhD group"),
        ("", "not an ABO/RhD group"),
    ],
)
def test_anything_else_is_refused_never_guessed(text: str, reason: str) -> None:
    with pytest.raises(InvalidBloodGroup) as refused:
        AboRh.parse(text)
    assert reason in refused.value.detail
    assert refused.value.code == "invalid-blood-group"


def test_products_by_code_or_common_name_and_nothing_else() -> None:
    assert Product.parse("red_cells") is RBC
    assert Product.parse("Red cells") is RBC
    assert Product.parse("RBC") is RBC
    assert Product.parse("FFP") is PLASMA
    assert Product.parse("cryoprecipitate") is CRYO
    assert Product.parse("血小板") is PLT
    with pytest.raises(InvalidBloodProduct):
        Product.parse("whole blood")
    assert RBC.label.zh == "红细胞" and CRYO.label.en == "cryoprecipitate"


# -- the compatibility table --------------------------------------------------------------------

ANTIGENS = {"O": set(), "A": {"A"}, "B": {"B"}, "AB": {"A", "B"}}


def test_red_cells_never_carry_an_antigen_the_patient_lacks() -> None:
    # The rule the table must obey: donor red-cell antigens (A, B, D) all present in the
    # recipient, and every such group is offered.
    for recipient in AboRh:
        donors = set(COMPATIBILITY[RBC][recipient])
        expected = {
            d
            for d in AboRh
            if ANTIGENS[d.abo] <= ANTIGENS[recipient.abo]
            and (recipient.rhd_positive or not d.rhd_positive)
        }
        assert donors == expected, recipient


def test_plasma_and_cryo_never_carry_an_antibody_against_the_patient() -> None:
    # Group X plasma carries antibodies against the antigens X lacks: the donor's antigens
    # must include all of the recipient's. RhD does not matter for plasma.
    for product in (PLASMA, CRYO):
        for recipient in AboRh:
            donors = set(COMPATIBILITY[product][recipient])
            expected = {d for d in AboRh if ANTIGENS[recipient.abo] <= ANTIGENS[d.abo]}
            assert donors == expected, (product, recipient)


def test_o_negative_red_cells_go_to_anyone_and_ab_plasma_to_anyone() -> None:
    assert all(G.O_NEG in COMPATIBILITY[RBC][g] for g in AboRh)
    assert all(G.AB_POS in COMPATIBILITY[PLASMA][g] for g in AboRh)
    assert all(G.AB_NEG in COMPATIBILITY[PLASMA][g] for g in AboRh)
    assert COMPATIBILITY[RBC][G.O_NEG] == (G.O_NEG,)
    assert [d.abo for d in COMPATIBILITY[PLASMA][G.AB_POS]] == ["AB", "AB"]


def test_identical_first_and_o_negative_saved_for_last() -> None:
    for product in Product:
        for recipient in AboRh:
            assert compatible_donors(product, recipient)[0] is recipient
    for recipient in AboRh:
        assert COMPATIBILITY[RBC][recipient][-1] is G.O_NEG
    # An RhD-positive patient takes every RhD-positive option before scarce RhD-negative units.
    assert COMPATIBILITY[RBC][G.AB_POS] == (
        G.AB_POS,
        G.A_POS,
        G.B_POS,
        G.O_POS,
        G.AB_NEG,
        G.A_NEG,
        G.B_NEG,
        G.O_NEG,
    )
    # AB plasma, the universal plasma, is used last.
    assert [d.abo for d in COMPATIBILITY[PLASMA][G.O_POS]][-2:] == ["AB", "AB"]


def test_rhd_negative_patients_get_rhd_negative_red_cells_and_platelets_only() -> None:
    for recipient in (g for g in AboRh if not g.rhd_positive):
        assert not any(d.rhd_positive for d in COMPATIBILITY[RBC][recipient])
        assert not any(d.rhd_positive for d in COMPATIBILITY[PLT][recipient])


def test_platelets_prefer_abo_identical_and_group_o_is_last_for_others() -> None:
    assert [d.value for d in COMPATIBILITY[PLT][G.A_POS]] == [
        "A+",
        "A-",
        "AB+",
        "AB-",
        "B+",
        "B-",
        "O+",
        "O-",
    ]
    for recipient in (g for g in AboRh if g.abo != "O"):
        assert COMPATIBILITY[PLT][recipient][-1].abo == "O"


# -- allocation: first expire, first out, within preference tiers -------------------------------


def test_first_expiring_identical_units_go_first() -> None:
    lots = [
        lot("L-late", G.A_POS, 4, 20),
        lot("L-soon", G.A_POS, 2, 3),
        lot("L-mid", G.A_POS, 5, 9),
    ]
    result = allocate(request(G.A_POS, 4), lots, NOW)
    assert taken(result) == [("L-soon", 2), ("L-mid", 2)]
    assert isinstance(result, Allocation)
    assert not result.substituted and result.units == 4


def test_expired_lots_and_lots_expiring_before_the_deadline_are_skipped() -> None:
    deadline = NOW + timedelta(seconds=DEFAULT_DEADLINE_S[Urgency.URGENT])
    lots = [
        StockLot("L-expired", 1, RBC, G.B_POS, 6, NOW - timedelta(hours=1)),
        StockLot("L-now", 1, RBC, G.B_POS, 6, NOW),
        StockLot("L-before-due", 1, RBC, G.B_POS, 6, deadline - timedelta(minutes=1)),
        StockLot("L-good", 1, RBC, G.B_POS, 6, deadline + timedelta(hours=1)),
    ]
    assert taken(allocate(request(G.B_POS, 3), lots, NOW)) == [("L-good", 3)]


def test_a_compatible_substitute_only_when_identical_stock_runs_out() -> None:
    lots = [
        lot("O-neg", G.O_NEG, 10, 2),  # expires first, but is the last resort
        lot("O-pos", G.O_POS, 10, 5),
        lot("B-pos", G.B_POS, 2, 30),
    ]
    result = allocate(request(G.B_POS, 5), lots, NOW)
    assert taken(result) == [("B-pos", 2), ("O-pos", 3)]
    assert isinstance(result, Allocation) and result.substituted
    assert [line.identical for line in result.lines] == [True, False]


def test_o_negative_red_cells_are_given_when_nothing_else_fits() -> None:
    lots = [lot("O-neg", G.O_NEG, 10, 2), lot("A-pos", G.A_POS, 10, 2)]
    assert taken(allocate(request(G.B_NEG, 2), lots, NOW)) == [("O-neg", 2)]


def test_ab_plasma_serves_any_patient_when_their_own_group_is_gone() -> None:
    lots = [lot("AB", G.AB_POS, 4, 200, product=PLASMA), lot("O-rbc", G.O_NEG, 9, 10)]
    assert taken(allocate(request(G.O_POS, 2, product=PLASMA), lots, NOW)) == [("AB", 2)]


def test_other_products_never_substitute() -> None:
    lots = [lot("plasma", G.A_POS, 10, 100, product=PLASMA)]
    result = allocate(request(G.A_POS, 1), lots, NOW)
    assert isinstance(result, Refusal) and result.code == "no-compatible-stock"


def test_the_nearest_bank_first_when_an_order_of_banks_is_given() -> None:
    lots = [
        lot("far-soon", G.A_POS, 4, 2, bank=3),
        lot("near-late", G.A_POS, 4, 20, bank=1),
        lot("closed-bank", G.A_POS, 4, 1, bank=9),
    ]
    assert taken(allocate(request(G.A_POS, 2), lots, NOW, bank_order=[1, 3])) == [("near-late", 2)]
    # Without an order: first expiry across the network (a closed bank must then be left out).
    assert taken(allocate(request(G.A_POS, 2), lots, NOW)) == [("closed-bank", 2)]
    assert taken(allocate(request(G.A_POS, 6), lots, NOW, bank_order=[1, 3])) == [
        ("near-late", 4),
        ("far-soon", 2),
    ]
    result = allocate(request(G.A_POS, 6), lots, NOW, bank_order=[1, 3])
    assert isinstance(result, Allocation)
    assert {bank: len(lines) for bank, lines in result.by_bank().items()} == {1: 1, 3: 1}


def test_short_stock_is_refused_whole_with_a_reason_in_both_languages() -> None:
    lots = [lot("A", G.A_POS, 2, 10), lot("O", G.O_POS, 1, 10)]
    result = allocate(request(G.A_POS, 5), lots, NOW)
    assert isinstance(result, Refusal)
    assert result.code == "short-stock" and result.available_units == 3
    assert result.reason.en == "only 3 of 5 units of red cells compatible with A+ in stock"
    assert result.reason.zh == "与A+相容的红细胞库存仅3单位，需要5单位"
    nothing = allocate(request(G.AB_NEG, 1, product=PLT), lots, NOW)
    assert isinstance(nothing, Refusal) and nothing.available_units == 0
    assert nothing.reason.en == "no platelets compatible with AB- in date at any bank"
    assert "血小板" in nothing.reason.zh


def test_a_bleeding_patient_may_take_what_there_is() -> None:
    lots = [lot("O", G.O_NEG, 3, 10)]
    result = allocate(
        request(G.O_NEG, 6, urgency=Urgency.LIFE_THREATENING), lots, NOW, allow_partial=True
    )
    assert isinstance(result, Allocation)
    assert result.units == 3 and result.short_units == 3


def test_allocation_is_deterministic_whatever_the_order_of_the_lots() -> None:
    lots = [lot(f"L{i}", G.A_POS, 1, 5, bank=i % 2) for i in range(6)]
    first = taken(allocate(request(G.A_POS, 3), lots, NOW))
    assert first == taken(allocate(request(G.A_POS, 3), list(reversed(lots)), NOW))
    assert first == [("L0", 1), ("L2", 1), ("L4", 1)]  # same expiry: bank 0, then lot number


def test_fifty_requests_racing_for_scarce_stock_never_share_a_unit() -> None:
    # What the store does under its row locks: allocate, subtract, next request.
    stock = {
        (lot.bank_id, lot.lot_id): lot
        for lot in [
            lot("O-neg-1", G.O_NEG, 7, 2),
            lot("O-neg-2", G.O_NEG, 5, 4, bank=2),
            lot("O-pos-1", G.O_POS, 9, 3),
            lot("A-pos-1", G.A_POS, 6, 1, bank=2),
        ]
    }
    total = sum(lot.units for lot in stock.values())
    given: dict[tuple[int, str], int] = {}
    served = 0
    for rid in range(50):
        group = [G.O_NEG, G.O_POS, G.A_POS, G.B_NEG, G.AB_POS][rid % 5]
        result = allocate(request(group, 1 + rid % 3, rid=rid), stock.values(), NOW)
        if isinstance(result, Refusal):
            continue
        served += 1
        for line in result.lines:
            key = (line.bank_id, line.lot_id)
            before = stock[key]
            assert line.units <= before.units
            given[key] = given.get(key, 0) + line.units
            stock[key] = StockLot(
                before.lot_id,
                before.bank_id,
                RBC,
                before.group,
                before.units - line.units,
                before.expires_at,
            )
    assert sum(given.values()) == total  # everything went, nothing twice
    assert all(lot.units == 0 for lot in stock.values())
    assert 0 < served < 50


def test_a_lot_listed_twice_is_refused() -> None:
    with pytest.raises(InvalidStockLot):
        allocate(request(G.A_POS, 1), [lot("X", G.A_POS, 1, 5), lot("X", G.A_POS, 2, 5)], NOW)


def test_requests_are_checked_where_they_are_made() -> None:
    due = BloodRequest.new(
        request_id=1,
        hospital_id=2,
        product=RBC,
        group=G.O_NEG,
        units=4,
        urgency=Urgency.LIFE_THREATENING,
        requested_at=NOW,
    )
    assert due.deadline == NOW + timedelta(hours=1)
    for bad in ({"units": 0}, {"units": 51}, {"deadline": NOW - timedelta(minutes=1)}):
        fields = {
            "request_id": 1,
            "hospital_id": 2,
            "product": RBC,
            "group": G.O_NEG,
            "units": 4,
            "urgency": Urgency.URGENT,
            "requested_at": NOW,
            "deadline": NOW + timedelta(hours=1),
            **bad,
        }
        with pytest.raises(InvalidBloodRequest):
            BloodRequest(**fields)  # type: ignore[arg-type]
    with pytest.raises(InvalidBloodRequest):
        BloodRequest.new(
            request_id=1,
            hospital_id=2,
            product=RBC,
            group=G.O_NEG,
            units=1,
            urgency=Urgency.URGENT,
            requested_at=datetime(2026, 3, 2, 14, 0),  # no timezone
        )


# -- cold chain and delivery jobs ---------------------------------------------------------------


def test_cold_chain_defaults_per_product() -> None:
    assert DEFAULT_COLD_CHAIN.box(RBC) is Box.COOL
    assert DEFAULT_COLD_CHAIN.box(PLT) is Box.AMBIENT
    assert DEFAULT_COLD_CHAIN.box(PLASMA) is DEFAULT_COLD_CHAIN.box(CRYO) is Box.FROZEN
    assert DEFAULT_COLD_CHAIN.max_transit_s(PLT) < DEFAULT_COLD_CHAIN.max_transit_s(RBC)
    assert not DEFAULT_COLD_CHAIN.breached(RBC, NOW, NOW + timedelta(hours=4))
    assert DEFAULT_COLD_CHAIN.breached(RBC, NOW, NOW + timedelta(hours=4, seconds=1))


def new_job() -> DeliveryJob:
    return DeliveryJob.assign(
        id=5,
        request_id=9,
        bank_id=1,
        hospital_id=7,
        product=RBC,
        units=4,
        lot_ids=["L1", "L2"],
        unit_id=301,
        at=NOW,
    )


def test_a_delivery_goes_assigned_picked_up_delivered_with_times_and_events() -> None:
    job = new_job()
    job.pick_up(at=NOW + timedelta(minutes=20))
    job.deliver(at=NOW + timedelta(minutes=45), hospital_id=7, confirmed_by="  Nurse Ana Sousa ")

    assert job.state is JobState.DELIVERED
    assert job.picked_up_at == NOW + timedelta(minutes=20)
    assert job.delivered_at == NOW + timedelta(minutes=45)
    assert job.handover_by == "Nurse Ana Sousa"
    assert job.transit_s() == 25 * 60
    assert not job.cold_chain_breached(DEFAULT_COLD_CHAIN)
    assert [type(e) for e in job.events] == [
        BloodJobAssigned,
        BloodJobStatusChanged,
        BloodJobStatusChanged,
    ]
    last = job.events[-1]
    assert isinstance(last, BloodJobStatusChanged)
    assert (last.previous, last.status, last.by, last.unit) == (
        "picked_up",
        "delivered",
        "Nurse Ana Sousa",
        301,
    )
    assert last.unit_id == 301  # the crew app and hub find the courier's events


def test_a_delivery_cannot_skip_or_repeat_a_step() -> None:
    job = new_job()
    with pytest.raises(IllegalJobTransition) as skipped:
        job.deliver(at=NOW, hospital_id=7, confirmed_by="Ana")
    assert "cannot go from assigned to delivered" in skipped.value.detail
    job.pick_up(at=NOW + timedelta(minutes=5))
    with pytest.raises(IllegalJobTransition):
        job.pick_up(at=NOW + timedelta(minutes=6))
    with pytest.raises(IllegalJobTransition):
        job.pick_up(at=NOW)
    with pytest.raises(IllegalJobTransition, match="before its last change"):
        job.deliver(at=NOW + timedelta(minutes=1), hospital_id=7, confirmed_by="Ana")
    assert job.state is JobState.PICKED_UP and len(job.events) == 2


def test_only_the_receiving_hospital_confirms_the_handover_by_name() -> None:
    job = new_job()
    job.pick_up(at=NOW)
    with pytest.raises(HandoverRefused):
        job.deliver(at=NOW + timedelta(minutes=30), hospital_id=8, confirmed_by="Ana")
    with pytest.raises(HandoverRefused):
        job.deliver(at=NOW + timedelta(minutes=30), hospital_id=7, confirmed_by="   ")
    assert job.state is JobState.PICKED_UP


def test_units_in_a_box_stay_with_their_courier() -> None:
    job = new_job()
    job.reassign(302, at=NOW + timedelta(minutes=2), reason="re-plan: new request")
    assert job.unit_id == 302
    moved = job.events[-1]
    assert isinstance(moved, BloodJobAssigned) and moved.previous_unit == 301
    job.pick_up(at=NOW + timedelta(minutes=10))
    with pytest.raises(IllegalJobTransition, match="only an assigned job may change courier"):
        job.reassign(303, at=NOW + timedelta(minutes=11), reason="re-plan")
    assert job.unit_id == 302


def test_a_cancelled_job_is_final_and_says_why() -> None:
    job = new_job()
    with pytest.raises(IllegalJobTransition):
        job.cancel(at=NOW, reason=" ")
    job.cancel(at=NOW + timedelta(minutes=3), reason="patient died", by="coordinator")
    assert job.state is JobState.CANCELLED and job.cancel_reason == "patient died"
    with pytest.raises(IllegalJobTransition):
        job.pick_up(at=NOW + timedelta(minutes=4))


def test_a_long_ride_breaches_the_cold_chain() -> None:
    job = DeliveryJob.assign(
        id=1,
        request_id=1,
        bank_id=1,
        hospital_id=2,
        product=PLT,
        units=1,
        lot_ids=["P1"],
        unit_id=1,
        at=NOW,
    )
    job.pick_up(at=NOW)
    assert not job.cold_chain_breached(DEFAULT_COLD_CHAIN, NOW + timedelta(hours=2))
    assert job.cold_chain_breached(DEFAULT_COLD_CHAIN, NOW + timedelta(hours=2, minutes=1))


def test_domain_errors_carry_stable_codes() -> None:
    for error in (InvalidBloodGroup, IllegalJobTransition, HandoverRefused, StockImportFailed):
        assert issubclass(error, DomainError)
    assert IllegalJobTransition.code == "illegal-job-transition"
    assert StockImportFailed.code == "stock-import-refused"


# -- the stock CSV: all rows or none ------------------------------------------------------------

BANKS = {"PORTO-1": 1, "PORTO-2": 2}
HEADER = "bank,lot,product,group,units,expires_at\n"


def test_a_good_stock_file_imports_every_row_in_order() -> None:
    text = (
        "\ufeff"
        + HEADER
        + "PORTO-1,W1234,red cells,O neg,6,2026-03-20T23:59:00Z\n"
        + "PORTO-2,W1234,FFP,A+,4,2027-01-01\n"
        + "\n"
    )
    lots = parse_stock_csv(text, banks=BANKS, now=NOW)
    assert lots == [
        StockLot("W1234", 1, RBC, G.O_NEG, 6, datetime(2026, 3, 20, 23, 59, tzinfo=UTC)),
        StockLot("W1234", 2, PLASMA, G.A_POS, 4, datetime(2027, 1, 1, 23, 59, 59, tzinfo=UTC)),
    ]


def test_times_without_an_offset_are_read_in_the_banks_zone() -> None:
    lisbon_summer = timezone(timedelta(hours=1))
    text = HEADER + "PORTO-1,W1,platelets,B+,1,2026-03-05T08:00:00\n"
    (only,) = parse_stock_csv(text, banks=BANKS, now=NOW, zone=lisbon_summer)
    assert only.expires_at == datetime(2026, 3, 5, 7, 0, tzinfo=UTC)


def test_one_bad_row_refuses_the_whole_file_naming_row_column_and_reason() -> None:
    text = (
        HEADER
        + "PORTO-1,W1,red cells,O-,6,2026-03-20\n"  # good, yet not imported
        + "PORTO-9,W2,plasma,0+,x,2026-02-01\n"  # unknown bank, digit zero, units, expired
        + "PORTO-1,W3,whole blood,A,2,tomorrow\n"
        + "PORTO-1,W1,red cells,O-,2,2026-03-20\n"  # the same lot again
        + "PORTO-2,,cryo,AB+,,2026-04-01\n"
    )
    with pytest.raises(StockImportFailed) as refused:
        parse_stock_csv(text, banks=BANKS, now=NOW)
    errors = [(e.row, e.column) for e in refused.value.errors]
    assert errors == [
        (3, "bank"),
        (3, "group"),
        (3, "units"),
        (3, "expires_at"),
        (4, "product"),
        (4, "group"),
        (4, "expires_at"),
        (5, "lot"),
        (6, "lot"),
        (6, "units"),
    ]
    reasons = {(e.row, e.column): e.reason for e in refused.value.errors}
    assert reasons[(3, "bank")] == "unknown bank 'PORTO-9' (yours: PORTO-1, PORTO-2)"
    assert "letter O, not the digit 0" in reasons[(3, "group")]
    assert reasons[(3, "expires_at")].startswith("expired at 2026-02-01T23:59:59+00:00")
    assert reasons[(4, "group")] == "'A': the RhD type (+ or -) is missing"
    assert reasons[(5, "lot")] == "lot W1 (red_cells) is already on row 2"
    assert reasons[(6, "lot")] == "empty"
    assert "nothing imported" in str(refused.value)
    assert str(refused.value.errors[0]) == (
        "row 3, column 'bank': unknown bank 'PORTO-9' (yours: PORTO-1, PORTO-2)"
    )


def test_a_file_without_the_columns_or_without_rows_is_refused() -> None:
    with pytest.raises(StockImportFailed) as no_columns:
        parse_stock_csv("bank,lot,product,units\nPORTO-1,W1,plasma,2\n", banks=BANKS, now=NOW)
    assert [(e.row, e.column) for e in no_columns.value.errors] == [
        (1, "group"),
        (1, "expires_at"),
    ]
    with pytest.raises(StockImportFailed) as empty:
        parse_stock_csv(HEADER, banks=BANKS, now=NOW)
    assert empty.value.errors[0].reason == "no stock rows in the file"
    with pytest.raises(StockImportFailed):
        parse_stock_csv("", banks=BANKS, now=NOW)


def test_a_bank_login_cannot_touch_another_banks_stock() -> None:
    text = HEADER + "PORTO-2,W9,plasma,A+,2,2027-01-01\n"
    with pytest.raises(StockImportFailed) as refused:
        parse_stock_csv(text, banks={"PORTO-1": 1}, now=NOW)
    assert refused.value.errors[0].reason == "unknown bank 'PORTO-2' (yours: PORTO-1)"
