"""Pre-arrival instructions: what the call-taker tells the caller to do until the crew arrives.

The minutes before an ambulance arrives are the caller's: compression-only CPR started on the
phone doubles survival from cardiac arrest. The wording is clinical content, like the triage
protocol, so it lives in a data file next to it (``protocols/prearrival-<version>.json``, for the
triage protocol of the same version) and carries its review status: Golden Hour's own text, a
``draft`` until a medical director signs it off, which the console shows next to it.

A block applies when its conditions match the answers given so far, exactly as a triage rule
does (an unanswered question never matches; no condition: always), so CPR instructions appear
the moment the caller says the patient is not breathing. Every matching block is shown in file
order; a complaint with none gets the default block.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from dispatch.domain.text import Text
from dispatch.domain.triage import InvalidProtocol, Protocol, load_protocol


@dataclass(frozen=True, slots=True)
class Instructions:
    """One block read to the caller: a title and its steps, in order."""

    title: Text
    steps: tuple[Text, ...]
    when: Mapping[str, frozenset[str]]

    def applies(self, answers: Mapping[str, str]) -> bool:
        return all(answers.get(q) in allowed for q, allowed in self.when.items())


@dataclass(frozen=True, slots=True)
class Review:
    """Whether a medical director has signed the content off (``draft`` until then)."""

    status: str
    reviewed_by: str | None
    note: Text

    @property
    def needs_review(self) -> bool:
        return self.status != "approved"


@dataclass(frozen=True, slots=True)
class PreArrival:
    protocol_version: str
    review: Review
    default: Instructions
    by_complaint: Mapping[str, tuple[Instructions, ...]]

    def blocks(self, complaint_code: str) -> tuple[Instructions, ...]:
        """Every block of a complaint (the console filters them as answers come in)."""
        return self.by_complaint.get(complaint_code, ())

    def for_answers(self, complaint_code: str, answers: Mapping[str, str]) -> list[Instructions]:
        """The blocks to read now, given the answers so far; the default when none applies."""
        found = [b for b in self.blocks(complaint_code) if b.applies(answers)]
        return found or [self.default]


@cache
def load_prearrival(version: str | None = None) -> PreArrival:
    """The instructions for the triage protocol ``version`` (None: the newest protocol)."""
    protocol = load_protocol(version)
    name = f"prearrival-{protocol.version}.json"
    try:
        text = resources.files("dispatch.domain").joinpath("protocols", name).read_text("utf-8")
    except FileNotFoundError as exc:
        raise InvalidProtocol(f"no pre-arrival instructions {name}") from exc
    try:
        return _parse(json.loads(text), protocol)
    except InvalidProtocol:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidProtocol(f"{name}: {exc}") from exc


def _parse(data: Any, protocol: Protocol) -> PreArrival:
    if data["format"] != 1 or data["protocol_version"] != protocol.version:
        raise InvalidProtocol(f"pre-arrival file is not for protocol {protocol.version}")
    raw_review = data["review"]
    review = Review(
        str(raw_review["status"]),
        raw_review.get("reviewed_by"),
        Text.from_mapping(raw_review["note"], "review note"),
    )
    by_complaint: dict[str, tuple[Instructions, ...]] = {}
    for code, blocks in data["complaints"].items():
        asked = {q.id: q.codes for q in protocol.questions(code)}  # unknown code: refused
        by_complaint[code] = tuple(_block(b, asked, f"{code}") for b in blocks)
    return PreArrival(
        protocol.version, review, _block(data["default"], {}, "default"), by_complaint
    )


def _block(raw: Mapping[str, Any], asked: Mapping[str, frozenset[str]], where: str) -> Instructions:
    when: dict[str, frozenset[str]] = {}
    for qid, value in raw.get("when", {}).items():
        allowed = frozenset([value] if isinstance(value, str) else value)
        if qid not in asked or not allowed or allowed - asked[qid]:
            raise InvalidProtocol(f"{where}: condition on {qid!r} does not fit its question")
        when[qid] = allowed
    steps = tuple(Text.from_mapping(s, f"{where} step") for s in raw["steps"])
    if not steps:
        raise InvalidProtocol(f"{where}: a block needs steps")
    return Instructions(Text.from_mapping(raw["title"], f"{where} title"), steps, when)
