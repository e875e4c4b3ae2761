"""Triage: the packaged protocol turns a complaint and answers into a priority that makes
clinical sense, and the data file is internally consistent."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from dispatch.domain.hospitals import CAPABILITIES
from dispatch.domain.model import Capability, required_capabilities
from dispatch.domain.triage import (
    DETERMINANTS,
    NEEDS,
    InvalidAnswer,
    InvalidProtocol,
    Protocol,
    ResponseTarget,
    UnknownComplaint,
    UnknownProtocolVersion,
    available_versions,
    load_protocol,
    parse_protocol,
    queue_key,
)

REQUIRED = {
    "chest_pain",
    "breathing_problems",
    "unconscious_fainting",
    "stroke",
    "cardiac_arrest",
    "trauma_traffic",
    "falls",
    "bleeding",
    "pregnancy_childbirth",
    "burns",
    "seizure",
    "overdose_poisoning",
    "sick_person",
    "psychiatric",
}


def raw() -> dict[str, Any]:
    text = resources.files("dispatch.domain").joinpath("protocols", "triage-v1.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol()


# --- clinical cases ------------------------------------------------------------------------


def test_cardiac_arrest_is_echo_priority_1_needing_als(protocol: Protocol) -> None:
    result = protocol.triage("cardiac_arrest", {"breathing": "no"})
    assert (result.determinant, result.priority) == ("E", 1)
    assert "ALS" in result.needs
    assert result.protocol_version == "2026.1"
    assert result.complaint_code == "cardiac_arrest"


def test_an_arrest_call_before_any_answer_is_already_echo(protocol: Protocol) -> None:
    result = protocol.triage("cardiac_arrest", {})
    assert (result.determinant, result.priority) == ("E", 1)
    assert result.determinant_code == "cardiac_arrest-E-0"  # the default
    assert result.unanswered == ("breathing", "obvious_death")
    assert not result.complete


def test_obvious_death_is_an_exception_listed_before_echo(protocol: Protocol) -> None:
    result = protocol.triage("cardiac_arrest", {"breathing": "no", "obvious_death": "yes"})
    assert (result.determinant, result.priority) == ("B", 3)
    assert "ALS" not in result.needs


def test_minor_fall_conscious_is_alpha_priority_4(protocol: Protocol) -> None:
    result = protocol.triage(
        "falls",
        {
            "conscious": "yes",
            "breathing": "normal",
            "fall_height": "ground",
            "serious_bleeding": "no",
            "injured_area": "not_dangerous",
        },
    )
    assert (result.determinant, result.priority) == ("A", 4)
    assert result.needs == frozenset()
    assert result.complete
    assert protocol.may_wait(result.priority)


def test_fall_from_height_is_delta_to_a_trauma_centre(protocol: Protocol) -> None:
    result = protocol.triage(
        "falls", {"conscious": "yes", "fall_height": "long", "injured_area": "not_dangerous"}
    )
    assert (result.determinant, result.priority) == ("D", 1)
    assert result.hospital_capability == "trauma_2"


def test_elderly_fall_without_injury_is_omega(protocol: Protocol) -> None:
    result = protocol.triage(
        "falls",
        {
            "conscious": "yes",
            "breathing": "normal",
            "fall_height": "ground",
            "injured_area": "none",
        },
    )
    assert (result.determinant, result.priority) == ("O", 4)


def test_chest_pain_pale_and_sweaty_is_delta_to_a_pci_centre(protocol: Protocol) -> None:
    result = protocol.triage(
        "chest_pain", {"conscious": "yes", "breathing": "normal", "clammy": "yes"}
    )
    assert (result.determinant, result.priority) == ("D", 1)
    assert result.hospital_capability == "pci"
    assert result.determinant_code == "chest_pain-D-3"


def test_chest_pain_over_35_is_charlie(protocol: Protocol) -> None:
    result = protocol.triage(
        "chest_pain",
        {"conscious": "yes", "breathing": "normal", "clammy": "no", "age_35_plus": "yes"},
    )
    assert (result.determinant, result.priority) == ("C", 2)


def test_young_chest_pain_is_alpha_only_when_everything_reassures(protocol: Protocol) -> None:
    calm = {
        "conscious": "yes",
        "breathing": "normal",
        "clammy": "no",
        "age_35_plus": "no",
        "cardiac_history": "no",
    }
    assert protocol.triage("chest_pain", calm).determinant == "A"
    # Not yet asked about sweating: stays at the conservative default, not Alpha.
    partial = {k: v for k, v in calm.items() if k != "clammy"}
    assert protocol.triage("chest_pain", partial).priority == 2


def test_stroke_within_the_window_goes_to_a_stroke_centre(protocol: Protocol) -> None:
    result = protocol.triage("stroke", {"conscious": "yes", "fast_signs": "yes", "onset": "lt_4h5"})
    assert (result.determinant, result.priority) == ("C", 2)
    assert result.hospital_capability == "stroke"
    late = protocol.triage("stroke", {"conscious": "yes", "fast_signs": "yes", "onset": "gt_24h"})
    assert late.priority == 3


def test_trapped_casualty_needs_fire_and_a_trauma_centre(protocol: Protocol) -> None:
    result = protocol.triage("trauma_traffic", {"conscious": "yes", "trapped": "yes"})
    assert (result.determinant, result.priority) == ("D", 1)
    assert result.needs == frozenset({"ALS", "fire"})
    assert result.hospital_capability in {"trauma_1", "trauma_2"}


def test_violent_overdose_adds_police_without_changing_the_determinant(
    protocol: Protocol,
) -> None:
    calm = protocol.triage(
        "overdose_poisoning", {"conscious": "yes", "breathing": "normal", "substance": "opioid"}
    )
    violent = protocol.triage(
        "overdose_poisoning",
        {"conscious": "yes", "breathing": "normal", "substance": "opioid", "violent": "yes"},
    )
    assert calm.determinant == violent.determinant == "C"
    assert "police" not in calm.needs
    assert "police" in violent.needs


def test_childbirth_with_cord_presenting_is_delta_obstetric(protocol: Protocol) -> None:
    result = protocol.triage("pregnancy_childbirth", {"conscious": "yes", "cord_or_breech": "yes"})
    assert (result.priority, result.hospital_capability) == (1, "obstetric")


def test_airway_burn_is_delta_to_a_burns_centre(protocol: Protocol) -> None:
    result = protocol.triage("burns", {"conscious": "yes", "burn_airway": "yes"})
    assert (result.priority, result.hospital_capability) == (1, "burns")


def test_child_first_seizure_goes_to_a_paediatric_ed(protocol: Protocol) -> None:
    result = protocol.triage(
        "seizure",
        {"breathing": "normal", "still_seizing": "no", "epilepsy": "no", "age_group": "child"},
    )
    assert (result.priority, result.hospital_capability) == (2, "pediatric")


def test_status_epilepticus_is_priority_1(protocol: Protocol) -> None:
    assert protocol.triage("seizure", {"still_seizing": "yes"}).priority == 1


def test_any_not_breathing_answer_is_echo(protocol: Protocol) -> None:
    for code, _label in protocol.complaints():
        if any(q.id == "breathing" for q in protocol.questions(code)):
            result = protocol.triage(code, {"breathing": "no"})
            assert result.determinant == "E", code


# --- errors ---------------------------------------------------------------------------------


def test_unknown_complaint_is_a_domain_error_with_a_code(protocol: Protocol) -> None:
    with pytest.raises(UnknownComplaint) as caught:
        protocol.triage("headache_from_mars", {})
    assert caught.value.code == "unknown-complaint"
    with pytest.raises(UnknownComplaint):
        protocol.questions("nope")


def test_an_answer_to_a_question_not_asked_is_refused(protocol: Protocol) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        protocol.triage("chest_pain", {"fall_height": "long"})
    assert caught.value.code == "invalid-answer"


def test_an_answer_not_offered_is_refused(protocol: Protocol) -> None:
    with pytest.raises(InvalidAnswer):
        protocol.triage("chest_pain", {"conscious": "maybe"})


def test_unknown_version_is_refused() -> None:
    with pytest.raises(UnknownProtocolVersion) as caught:
        load_protocol("1999.1")
    assert caught.value.code == "unknown-protocol-version"


# --- targets, queue, UI ------------------------------------------------------------------------


def test_targets_cover_every_priority_in_every_area(protocol: Protocol) -> None:
    assert protocol.target(1) == ResponseTarget(seconds=720, fraction=0.9)
    for area in protocol.areas():
        seconds = [protocol.target(p, area=area).seconds for p in (1, 2, 3, 4)]
        assert seconds == sorted(seconds), area  # more urgent never gets a looser target
    assert protocol.target(1, area="rural").seconds > protocol.target(1).seconds
    with pytest.raises(ValueError):
        protocol.target(5)
    with pytest.raises(ValueError):
        protocol.target(1, area="moon")


def test_target_deadline() -> None:
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert ResponseTarget(720, 0.9).deadline(t0) == datetime(2026, 3, 1, 8, 12, tzinfo=UTC)


def test_queue_orders_by_priority_then_age() -> None:
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    t1 = datetime(2026, 3, 1, 8, 5, tzinfo=UTC)
    calls = [("old-4", 4, t0), ("new-1", 1, t1), ("old-1", 1, t0), ("new-2", 2, t1)]
    ordered = sorted(calls, key=lambda c: queue_key(c[1], c[2]))
    assert [c[0] for c in ordered] == ["old-1", "new-1", "new-2", "old-4"]


def test_questions_and_labels_are_bilingual(protocol: Protocol) -> None:
    questions = protocol.questions("chest_pain")
    assert [q.id for q in questions][:2] == ["conscious", "breathing"]
    assert questions[0].text.get("zh-CN").endswith("？")
    assert questions[0].text.get("en").endswith("?")
    assert protocol.priority_label(1).get("en") == "Critical"
    assert protocol.determinant_label("E").get("zh").startswith("E级")


# --- the data file ------------------------------------------------------------------------------


def test_the_packaged_file_covers_the_required_complaints(protocol: Protocol) -> None:
    codes = {code for code, _ in protocol.complaints()}
    assert codes >= REQUIRED
    assert available_versions() == {"2026.1": "triage-v1.json"}


def test_every_rule_refers_to_asked_questions_and_offered_answers() -> None:
    data = raw()
    sets = data["answer_sets"]
    for complaint in data["complaints"]:
        asked = set(complaint["questions"])
        for rule in complaint["rules"] + complaint.get("modifiers", []):
            for qid, value in rule["when"].items():
                assert qid in asked, (complaint["code"], qid)
                options = data["questions"][qid]["answers"]
                codes = {
                    a["code"] for a in (sets[options] if isinstance(options, str) else options)
                }
                values = {value} if isinstance(value, str) else set(value)
                assert values <= codes, (complaint["code"], qid, values)


def test_every_outcome_is_consistent_with_dispatch_rules() -> None:
    data = raw()
    assert {k: v["priority"] for k, v in data["determinants"].items()} == DETERMINANTS
    assert set(data["targets"]["urban"]) == {"1", "2", "3", "4"}
    for complaint in data["complaints"]:
        for outcome in [*complaint["rules"], complaint["default"]]:
            priority = DETERMINANTS[outcome["determinant"]]
            needs = set(outcome.get("needs", []))
            assert needs <= NEEDS
            if priority == 1:  # level 1 requires ALS, as the model's assignment rule does
                assert "ALS" in needs, complaint["code"]
                assert required_capabilities(priority) == {Capability.ALS}
            capability = outcome.get("hospital_capability")
            assert capability is None or capability in CAPABILITIES


def test_every_text_has_english_and_chinese() -> None:
    def walk(node: Any) -> int:
        if isinstance(node, dict):
            if set(node) == {"en", "zh"}:
                assert node["en"].strip() and node["zh"].strip()
                assert any("\u4e00" <= ch <= "\u9fff" for ch in node["zh"]), node
                return 1
            return sum(walk(v) for v in node.values())
        if isinstance(node, list):
            return sum(walk(v) for v in node)
        return 0

    assert walk(raw()) > 100


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda d: d["determinants"]["C"].update(priority=1), "determinant priorities"),
        (lambda d: d["targets"]["urban"].pop("4"), "priorities 1..4"),
        (lambda d: d["complaints"][1]["rules"][0]["when"].update(fall_height="long"), "not asked"),
        (lambda d: d["complaints"][1]["rules"][0]["when"].update(breathing="maybe"), "no answer"),
        (lambda d: d["complaints"][1]["rules"][1].update(needs=[]), "must need ALS"),
        (lambda d: d["complaints"][1]["default"].update(hospital_capability="zoo"), "capability"),
        (lambda d: d["complaints"][1].update(related=["nope"]), "related"),
        (lambda d: d["questions"]["clammy"]["text"].pop("zh"), "'zh'"),
        (lambda d: d.pop("version"), "version"),
    ],
)
def test_the_loader_refuses_inconsistent_protocols(break_it: Any, message: str) -> None:
    data = copy.deepcopy(raw())
    break_it(data)
    with pytest.raises(InvalidProtocol, match=message) as caught:
        parse_protocol(data)
    assert caught.value.code == "invalid-protocol"


def test_related_pairs_name_real_complaints(protocol: Protocol) -> None:
    codes = {code for code, _ in protocol.complaints()}
    pairs = protocol.related_pairs()
    assert frozenset({"cardiac_arrest", "unconscious_fainting"}) in pairs
    assert all(pair <= codes and len(pair) == 2 for pair in pairs)
