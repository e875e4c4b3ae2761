"""Destination choice: the right centre, nearest first, never a closed ED, diversion respected."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from dispatch.domain.geo import Location
from dispatch.domain.hospitals import (
    BedsWithoutCapability,
    DestinationOption,
    EdStatus,
    Hospital,
    UnknownCapability,
    rank_destinations,
)

OPEN, DIVERSION, CLOSED = EdStatus.OPEN, EdStatus.DIVERSION, EdStatus.CLOSED


def hospital(
    id: int, caps: set[str] | None = None, status: EdStatus = OPEN, beds: int = 4
) -> Hospital:
    return Hospital(
        id=id,
        name=f"H{id}",
        location=Location(121.4 + id / 100, 31.2),
        capabilities=frozenset(caps or set()),
        ed_status=status,
        beds_available=beds,
    )


def ranked(options: list[DestinationOption]) -> list[int]:
    return [o.hospital_id for o in options if o.rank is not None]


def skipped(options: list[DestinationOption]) -> dict[int, str]:
    return {o.hospital_id: o.skipped_reason.en for o in options if o.skipped_reason is not None}


def test_nearest_open_pci_centre_first_with_a_readable_reason() -> None:
    hospitals = [hospital(1), hospital(2, {"pci"}), hospital(3, {"pci", "stroke"})]
    options = rank_destinations(hospitals, {1: 180, 2: 420, 3: 600}, "pci")
    assert ranked(options) == [2, 3]
    assert options[0].reason is not None
    assert options[0].reason.en == "nearest open PCI centre, 7 min, 4 beds free"
    assert options[0].reason.zh == "最近的开放胸痛中心（PCI），7分钟，空床4张"
    assert options[1].reason is not None
    assert options[1].reason.en.startswith("2nd nearest open PCI centre, 10 min")
    assert skipped(options) == {1: "not a PCI centre"}


def test_no_need_means_nearest_open_ed() -> None:
    hospitals = [hospital(1, {"burns"}), hospital(2), hospital(3, status=CLOSED)]
    options = rank_destinations(hospitals, {1: 500, 2: 300, 3: 60}, None)
    assert ranked(options) == [2, 1]
    assert skipped(options) == {3: "ED closed"}


def test_diversion_is_skipped_when_an_open_capable_centre_is_reachable() -> None:
    hospitals = [hospital(1, {"stroke"}, DIVERSION), hospital(2, {"stroke"})]
    options = rank_destinations(hospitals, {1: 120, 2: 900}, "stroke")
    assert ranked(options) == [2]
    assert skipped(options) == {1: "on diversion"}


def test_diversion_is_used_when_it_is_the_only_capable_centre_reachable() -> None:
    hospitals = [hospital(1, {"stroke"}, DIVERSION), hospital(2), hospital(3, {"stroke"}, CLOSED)]
    options = rank_destinations(hospitals, {1: 600, 2: 120, 3: 100}, "stroke")
    assert ranked(options) == [1]
    assert options[0].reason is not None
    assert "on diversion" in options[0].reason.en and "call ahead" in options[0].reason.en
    assert skipped(options) == {2: "not a stroke centre", 3: "ED closed"}


def test_no_capable_centre_at_all_means_nearest_open_ed_to_stabilise() -> None:
    hospitals = [hospital(1), hospital(2), hospital(3, status=DIVERSION)]
    options = rank_destinations(hospitals, {1: 900, 2: 300, 3: 100}, "burns")
    assert ranked(options) == [2, 1]
    assert options[0].reason is not None
    assert options[0].reason.en.startswith("no reachable burns centre: nearest open ED")


def test_everything_on_diversion_still_gives_an_answer() -> None:
    hospitals = [hospital(1, status=DIVERSION), hospital(2, status=DIVERSION)]
    assert ranked(rank_destinations(hospitals, {1: 400, 2: 200}, None)) == [2, 1]
    assert ranked(rank_destinations(hospitals, {1: 400, 2: 200}, "pci")) == [2, 1]


def test_trauma_levels_satisfy_lower_needs() -> None:
    hospitals = [
        hospital(1, {"trauma_3"}),
        hospital(2, {"trauma_2"}),
        hospital(3, {"trauma_1"}),
    ]
    etas = {1: 100.0, 2: 200.0, 3: 300.0}
    assert ranked(rank_destinations(hospitals, etas, "trauma_3")) == [1, 2, 3]
    assert ranked(rank_destinations(hospitals, etas, "trauma_2")) == [2, 3]
    assert ranked(rank_destinations(hospitals, etas, "trauma_1")) == [3]


def test_unreachable_hospitals_are_skipped_not_ranked() -> None:
    hospitals = [hospital(1, {"pci"}), hospital(2, {"pci"}), hospital(3, {"pci"})]
    options = rank_destinations(hospitals, {1: None, 2: math.inf}, "pci")
    assert ranked(options) == []
    assert set(skipped(options).values()) == {"no road route"}


def test_beds_are_shown_but_do_not_reorder() -> None:
    hospitals = [hospital(1, beds=0), hospital(2, beds=9)]
    options = rank_destinations(hospitals, {1: 100, 2: 200}, None)
    assert ranked(options) == [1, 2]
    assert options[0].reason is not None and "0 beds free" in options[0].reason.en


def test_skipped_rows_follow_ranked_rows() -> None:
    hospitals = [hospital(1, status=CLOSED), hospital(2, {"pci"}), hospital(3)]
    options = rank_destinations(hospitals, {1: 60, 2: 600, 3: 120}, "pci")
    assert [o.hospital_id for o in options] == [2, 1, 3]
    assert [o.rank for o in options] == [1, None, None]


def test_vocabulary_is_enforced() -> None:
    with pytest.raises(UnknownCapability) as caught:
        hospital(1, {"cardiac"})
    assert caught.value.code == "unknown-capability"
    with pytest.raises(UnknownCapability):
        rank_destinations([hospital(1)], {1: 60}, "neuro")


def test_negative_eta_is_a_bug_in_the_caller() -> None:
    with pytest.raises(ValueError):
        rank_destinations([hospital(1)], {1: -5}, None)


def test_a_stroke_patient_sees_the_stroke_units_own_free_beds() -> None:
    """The ED reports 5 free beds but its stroke unit has none: the dispatcher reads both, and
    the nearer centre stays first (a full ward is declared by diversion, not by a count)."""
    near = replace(hospital(1, {"stroke"}, beds=5), capability_beds={"stroke": 0})
    far = replace(hospital(2, {"stroke", "pci"}, beds=2), capability_beds={"stroke": 3})
    options = rank_destinations([near, far], {1: 300, 2: 600}, "stroke")
    assert ranked(options) == [1, 2]
    assert options[0].reason is not None and options[1].reason is not None
    assert options[0].reason.en == "nearest open stroke centre, 5 min, 5 beds free, stroke unit: 0"
    assert options[0].reason.zh == "最近的开放卒中中心，5分钟，空床5张，卒中单元0张"
    assert options[1].reason.en.endswith("2 beds free, stroke unit: 3")


def test_a_level_one_trauma_bay_serves_a_level_two_need() -> None:
    centre = replace(hospital(1, {"trauma_1"}), capability_beds={"trauma_1": 2})
    assert centre.beds_for("trauma_2") == 2
    assert centre.beds_for("stroke") is None
    assert centre.beds_for(None) is None
    # a need the ED reports no separate count for: only the ED's beds are read out
    plain = rank_destinations([hospital(2, {"pci"})], {2: 120}, "pci")[0]
    assert plain.reason is not None and plain.reason.en.endswith("2 min, 4 beds free")


def test_beds_for_a_speciality_the_hospital_lacks_are_refused() -> None:
    with pytest.raises(BedsWithoutCapability) as caught:
        replace(hospital(1, {"pci"}), capability_beds={"burns": 1})
    assert caught.value.code == "beds-without-capability"
    with pytest.raises(UnknownCapability):
        replace(hospital(1, {"pci"}), capability_beds={"cardiac": 1})
    with pytest.raises(ValueError, match="negative"):
        replace(hospital(1, {"pci"}), capability_beds={"pci": -1})
