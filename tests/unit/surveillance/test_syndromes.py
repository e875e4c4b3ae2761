"""Syndrome classification: the packaged mapping on English and Chinese complaints."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from dispatch.demo.calls import COMPLAINTS
from dispatch.domain.triage import load_protocol
from dispatch.surveillance.syndromes import (
    SYNDROMES,
    InvalidSyndromeMap,
    SyndromeMap,
    load_syndrome_map,
    parse_syndrome_map,
)

CODES = frozenset(code for code, _ in load_protocol().complaints())


@pytest.fixture(scope="module")
def mapping() -> SyndromeMap:
    return load_syndrome_map(None, CODES)


def _raw() -> dict[str, Any]:
    text = resources.files("dispatch.surveillance").joinpath("syndromes-2026.1.json").read_text()
    return dict(json.loads(text))


def test_the_packaged_mapping_is_versioned_and_awaits_review(mapping: SyndromeMap) -> None:
    assert mapping.version == "2026.1"
    assert mapping.needs_review
    assert mapping.label("fever_respiratory").zh == "发热/呼吸道"


#: Every demo complaint (dispatch/demo/calls.py), as the simulated callers say it.
DEMO = {
    "chest pain": "other",
    "unconscious person": "neurological",
    "breathing difficulty": "fever_respiratory",
    "cardiac arrest": "other",
    "stroke symptoms": "neurological",
    "seizure": "neurological",
    "traffic collision": "injury",
    "allergic reaction": "other",
    "overdose": "overdose",
    "diabetic emergency": "other",
    "abdominal pain": "gastrointestinal",
    "fall, hip injury": "injury",
    "psychiatric emergency": "other",
    "fever, elderly person": "fever_respiratory",
    "back pain": "other",
    "minor laceration": "injury",
}


def test_every_demo_complaint_in_english_and_chinese(mapping: SyndromeMap) -> None:
    assert {c.text for c in COMPLAINTS} == set(DEMO)
    for complaint in COMPLAINTS:
        want = DEMO[complaint.text]
        assert mapping.classify(None, complaint.text).syndrome == want, complaint.text
        assert mapping.classify(None, complaint.zh).syndrome == want, complaint.zh


@pytest.mark.parametrize(
    ("text", "syndrome", "word"),
    [
        ("Vomiting and diarrhoea since the banquet", "gastrointestinal", "vomit*"),
        ("food poisoning after the wedding dinner", "poisoning", "poison*"),
        ("found collapsed in the sun, heat stroke", "heat", "heat stroke"),
        ("child with fever and a rash all over", "rash", "rash"),
        ("took too many pills", "overdose", "too many pills"),
        ("高烧三天，咳嗽", "fever_respiratory", "高烧"),
        ("上吐下泻", "gastrointestinal", None),
        ("吃了野蘑菇后呕吐", "poisoning", "蘑菇"),
        ("工地工人中暑晕倒", "heat", "中暑"),
        ("孩子出疹子发烧", "rash", "疹"),
        ("發燒咳嗽三天", "fever_respiratory", "發燒"),  # Traditional
        ("嘔吐腹瀉", "gastrointestinal", "嘔吐"),
        ("一氧化碳中毒", "poisoning", "中毒"),
        ("吞药自杀", "overdose", "吞药"),
        ("从梯子上摔倒，腿骨折", "injury", "摔倒"),
    ],
)
def test_free_text_keywords(
    mapping: SyndromeMap, text: str, syndrome: str, word: str | None
) -> None:
    result = mapping.classify("sick_person", text)
    assert result.syndrome == syndrome
    assert result.reason == "keyword"
    if word is not None:
        assert result.matched == word


@pytest.mark.parametrize(
    ("text", "syndrome"),
    [
        ("no fever", "other"),
        ("denies cough or fever", "other"),
        ("patient doesn't have a fever", "other"),
        ("no fever, vomiting twice", "gastrointestinal"),
        ("no fever but coughing", "fever_respiratory"),
        ("不发烧", "other"),
        ("没有发烧", "other"),
        ("沒有發燒", "other"),  # Traditional
        ("无发热，腹泻", "gastrointestinal"),
        ("没有咳嗽和发烧", "other"),
        ("不发烧但呕吐", "gastrointestinal"),
        # pseudo-negations negate nothing
        ("不停呕吐", "gastrointestinal"),
        ("高烧不退", "fever_respiratory"),
        ("呼吸不畅伴发热", "fever_respiratory"),
        ("cannot rule out pneumonia", "fever_respiratory"),
    ],
)
def test_negation(mapping: SyndromeMap, text: str, syndrome: str) -> None:
    assert mapping.classify("sick_person", text).syndrome == syndrome


def test_the_complaint_code_decides_when_the_text_says_nothing(mapping: SyndromeMap) -> None:
    assert mapping.classify("breathing_problems", "").syndrome == "fever_respiratory"
    assert mapping.classify("falls", "at home").reason == "complaint"
    assert mapping.classify("falls", "at home").syndrome == "injury"
    assert mapping.classify("overdose_poisoning", None).syndrome == "overdose"
    assert mapping.classify("seizure", "第三次").syndrome == "neurological"
    assert mapping.classify(None, "something odd").reason == "default"
    # the text outranks a less specific complaint code
    assert mapping.classify("overdose_poisoning", "gas fumes, carbon monoxide").syndrome == (
        "poisoning"
    )


def test_every_triage_complaint_is_mapped(mapping: SyndromeMap) -> None:
    assert {mapping.complaint_syndrome(c) for c in CODES} <= set(SYNDROMES)
    assert all(mapping.complaint_syndrome(c) is not None for c in CODES)


def _broken(edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(_raw())
    edit(data)
    return data


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.update(format=2),
        lambda d: d.update(version=""),
        lambda d: d["syndromes"].pop(),
        lambda d: d["precedence"].remove("heat"),
        lambda d: d["syndromes"][1]["keywords"]["en"].append("fever*"),  # in two syndromes
        lambda d: d["syndromes"][0]["keywords"]["en"].append("发烧啦"),  # Chinese under en
        lambda d: d["syndromes"][8]["keywords"]["en"].append("misc"),  # 'other' has none
        lambda d: d["syndromes"][1]["complaints"].append("falls"),  # mapped twice
        lambda d: d["syndromes"][1]["complaints"].append("no_such_code"),
        lambda d: d["syndromes"][8]["complaints"].remove("chest_pain"),  # unmapped
        lambda d: d["negation"]["zh"].update(cues=[]),
    ],
)
def test_an_inconsistent_file_is_refused(edit: Any) -> None:
    with pytest.raises(InvalidSyndromeMap):
        parse_syndrome_map(_broken(edit), complaint_codes=CODES)


def test_the_unchanged_file_parses() -> None:
    assert parse_syndrome_map(_raw(), complaint_codes=CODES).version == "2026.1"
