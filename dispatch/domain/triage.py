"""Structured call triage: chief complaint + key questions -> determinant -> priority 1..4.

Why a data file: the questions and the decision table belong to the medical director, who
changes them on a clinical calendar, not a release calendar. The protocol is a versioned JSON
file (``protocols/triage-*.json``) shipped as package data; this module only loads, validates
and evaluates it, and every result names the protocol version that produced it, so an audit
can replay a call against the exact rules in force.

Determinant -> priority (MPDS-style letters; the mapping lives in the data file and the loader
insists on exactly this, so a typo cannot silently demote a call):

    E (Echo) and D (Delta) -> 1 critical     C (Charlie) -> 2 emergent
    B (Bravo)              -> 3 urgent       A (Alpha) and O (Omega) -> 4 non-urgent

A complaint's ``rules`` are an ordered decision table: the first rule whose conditions all
match the answers wins (exceptions such as "obvious death" come first, then the most severe).
An unanswered question never matches, so partial answers during a live call fall through to
later rules or to the complaint's ``default``, which is set conservatively. ``modifiers`` add
needs (``police``, ``fire``) without changing the determinant. A priority-1 determinant must
need ALS: the unit recommender and :func:`dispatch.domain.model.required_capabilities` agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

from dispatch.domain.errors import DomainError
from dispatch.domain.hospitals import CAPABILITIES
from dispatch.domain.text import Text

DETERMINANTS: Mapping[str, int] = {"E": 1, "D": 1, "C": 2, "B": 3, "A": 4, "O": 4}
PRIORITIES: tuple[int, ...] = (1, 2, 3, 4)
#: What a rule may require of the response. Only ALS is enforced by the unit recommender today;
#: ``police`` and ``fire`` tell the dispatcher to alert those services (scene safety, rescue).
NEEDS: frozenset[str] = frozenset({"ALS", "police", "fire"})
_PACKAGE = "dispatch.domain"
_FOLDER = "protocols"


class UnknownComplaint(DomainError):
    code = "unknown-complaint"
    title = "Unknown chief complaint"


class InvalidAnswer(DomainError):
    """An answer names a question this complaint does not ask, or an answer it does not offer."""

    code = "invalid-answer"
    title = "Invalid triage answer"


class UnknownProtocolVersion(DomainError):
    code = "unknown-protocol-version"
    title = "Unknown triage protocol version"


class InvalidProtocol(DomainError):
    """The protocol file itself is wrong: a deployment error, caught at load time."""

    code = "invalid-protocol"
    title = "Invalid triage protocol"


@dataclass(frozen=True, slots=True)
class Answer:
    code: str
    label: Text


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: Text
    answers: tuple[Answer, ...]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(a.code for a in self.answers)


@dataclass(frozen=True, slots=True)
class ResponseTarget:
    """``fraction`` of calls of a priority should have a unit on scene within ``seconds``,
    counted from the PSAP call (NEMSIS eTimes.01) to arrival on scene (eTimes.06)."""

    seconds: int
    fraction: float

    def deadline(self, call_received_at: datetime) -> datetime:
        return call_received_at + timedelta(seconds=self.seconds)


@dataclass(frozen=True, slots=True)
class TriageResult:
    complaint_code: str
    determinant: str  # one letter: E D C B A O
    determinant_code: str  # e.g. "chest_pain-D-2": the rule that fired (0 = the default)
    priority: int
    needs: frozenset[str]
    hospital_capability: str | None
    protocol_version: str
    unanswered: tuple[str, ...]  # question ids still open, in asking order

    @property
    def complete(self) -> bool:
        return not self.unanswered


@dataclass(frozen=True, slots=True)
class _Outcome:
    determinant: str
    determinant_code: str
    needs: frozenset[str]
    hospital_capability: str | None


@dataclass(frozen=True, slots=True)
class _Rule:
    when: Mapping[str, frozenset[str]]
    outcome: _Outcome

    def matches(self, answers: Mapping[str, str]) -> bool:
        return all(answers.get(q) in allowed for q, allowed in self.when.items())


@dataclass(frozen=True, slots=True)
class _Modifier:
    when: Mapping[str, frozenset[str]]
    needs: frozenset[str]


@dataclass(frozen=True, slots=True)
class Complaint:
    code: str
    label: Text
    questions: tuple[Question, ...]
    related: frozenset[str]
    rules: tuple[_Rule, ...]
    modifiers: tuple[_Modifier, ...]
    default: _Outcome


class Protocol:
    """One loaded, validated protocol version. Immutable; safe to share between requests."""

    def __init__(
        self,
        *,
        version: str,
        title: Text,
        complaints: Sequence[Complaint],
        determinant_labels: Mapping[str, Text],
        priority_labels: Mapping[int, Text],
        may_wait: frozenset[int],
        targets: Mapping[str, Mapping[int, ResponseTarget]],
    ) -> None:
        self.version = version
        self.title = title
        self._complaints = {c.code: c for c in complaints}
        self._determinant_labels = dict(determinant_labels)
        self._priority_labels = dict(priority_labels)
        self._may_wait = may_wait
        self._targets = {area: dict(t) for area, t in targets.items()}

    def complaints(self) -> list[tuple[str, Text]]:
        """``(code, label)`` for the complaint picker, in file order."""
        return [(c.code, c.label) for c in self._complaints.values()]

    def complaint(self, code: str) -> Complaint:
        found = self._complaints.get(code)
        if found is None:
            raise UnknownComplaint(f"unknown chief complaint {code!r} (protocol {self.version})")
        return found

    def questions(self, code: str) -> tuple[Question, ...]:
        """The questions to ask for ``code``, in asking order, with their allowed answers."""
        return self.complaint(code).questions

    def triage(self, complaint_code: str, answers: Mapping[str, str]) -> TriageResult:
        """Evaluate the decision table. Partial answers are fine (see the module note)."""
        complaint = self.complaint(complaint_code)
        asked = {q.id: q for q in complaint.questions}
        for qid, value in answers.items():
            question = asked.get(qid)
            if question is None:
                raise InvalidAnswer(f"{complaint_code} does not ask {qid!r}")
            if value not in question.codes:
                raise InvalidAnswer(
                    f"{value!r} is not an answer to {qid!r} "
                    f"(allowed: {', '.join(a.code for a in question.answers)})"
                )
        outcome = next((r.outcome for r in complaint.rules if r.matches(answers)), None)
        outcome = outcome or complaint.default
        needs = set(outcome.needs)
        for modifier in complaint.modifiers:
            if all(answers.get(q) in allowed for q, allowed in modifier.when.items()):
                needs |= modifier.needs
        return TriageResult(
            complaint_code=complaint.code,
            determinant=outcome.determinant,
            determinant_code=outcome.determinant_code,
            priority=DETERMINANTS[outcome.determinant],
            needs=frozenset(needs),
            hospital_capability=outcome.hospital_capability,
            protocol_version=self.version,
            unanswered=tuple(q.id for q in complaint.questions if q.id not in answers),
        )

    def target(self, priority: int, *, area: str = "urban") -> ResponseTarget:
        """The response-time target for ``priority`` in ``area`` (``urban`` or ``rural``).

        A priority outside 1..4 or an unknown area is a caller bug: ``ValueError``.
        """
        by_priority = self._targets.get(area)
        if by_priority is None:
            raise ValueError(f"no response targets for area {area!r} (have: {self.areas()})")
        if priority not in by_priority:
            raise ValueError(f"priority must be 1..4, not {priority!r}")
        return by_priority[priority]

    def areas(self) -> list[str]:
        return list(self._targets)

    def priority_label(self, priority: int) -> Text:
        return self._priority_labels[priority]

    def determinant_label(self, determinant: str) -> Text:
        return self._determinant_labels[determinant]

    def may_wait(self, priority: int) -> bool:
        """Whether a call of this priority may be held when units are short (level 4)."""
        return priority in self._may_wait

    def related_pairs(self) -> frozenset[frozenset[str]]:
        """Complaint codes a caller might use for the same event (for duplicate detection)."""
        return frozenset(
            frozenset({c.code, other}) for c in self._complaints.values() for other in c.related
        )


def queue_key(priority: int, received_at: datetime) -> tuple[int, datetime]:
    """Order of the pending queue: most urgent level first, then oldest first within a level.

    No ageing that promotes old low-priority calls above new critical ones: a level-4 call
    nearing its target shows a breach warning to the dispatcher instead.
    """
    return (priority, received_at)


# --- loading -------------------------------------------------------------------------------


def available_versions() -> dict[str, str]:
    """Protocol version -> packaged file name, for every ``protocols/triage-*.json``."""
    found: dict[str, str] = {}
    folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    for entry in folder.iterdir():
        if entry.name.startswith("triage-") and entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            found[str(data.get("version"))] = entry.name
    return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


@cache
def load_protocol(version: str | None = None) -> Protocol:
    """Load and validate a packaged protocol; ``None`` means the newest version."""
    versions = available_versions()
    if not versions:
        raise UnknownProtocolVersion("no triage protocol is packaged")
    chosen = max(versions, key=_version_key) if version is None else version
    name = versions.get(chosen)
    if name is None:
        raise UnknownProtocolVersion(
            f"no triage protocol {chosen!r} (available: {', '.join(sorted(versions))})"
        )
    text = resources.files(_PACKAGE).joinpath(_FOLDER, name).read_text(encoding="utf-8")
    return parse_protocol(json.loads(text))


def parse_protocol(data: Any) -> Protocol:
    """Build a :class:`Protocol` from decoded JSON, refusing anything inconsistent."""
    try:
        return _parse(data)
    except InvalidProtocol:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidProtocol(f"triage protocol: {exc}") from exc


def _parse(data: Any) -> Protocol:
    if data.get("format") != 1:
        raise InvalidProtocol(f"unsupported protocol format {data.get('format')!r}")
    version = data["version"]
    if not isinstance(version, str) or not version:
        raise InvalidProtocol("version must be a non-empty string")
    determinants = data["determinants"]
    mapping = {k: v["priority"] for k, v in determinants.items()}
    if mapping != dict(DETERMINANTS):
        raise InvalidProtocol(f"determinant priorities must be {dict(DETERMINANTS)}, not {mapping}")
    determinant_labels = {
        k: Text.from_mapping(v["label"], f"determinant {k}") for k, v in determinants.items()
    }
    priorities = data["priorities"]
    if sorted(priorities) != [str(p) for p in PRIORITIES]:
        raise InvalidProtocol("priorities must be exactly 1..4")
    priority_labels = {
        int(k): Text.from_mapping(v["label"], f"priority {k}") for k, v in priorities.items()
    }
    may_wait = frozenset(int(k) for k, v in priorities.items() if v.get("may_wait") is True)
    targets = {area: _targets(area, by) for area, by in data["targets"].items()}
    if "urban" not in targets:
        raise InvalidProtocol("targets must include the 'urban' area")
    answer_sets = {
        name: _answers(raw, f"answer set {name}") for name, raw in data["answer_sets"].items()
    }
    questions: dict[str, Question] = {}
    for qid, raw in data["questions"].items():
        answers = raw["answers"]
        if isinstance(answers, str):
            if answers not in answer_sets:
                raise InvalidProtocol(f"question {qid}: unknown answer set {answers!r}")
            options = answer_sets[answers]
        else:
            options = _answers(answers, f"question {qid}")
        questions[qid] = Question(qid, Text.from_mapping(raw["text"], f"question {qid}"), options)
    complaints = [_complaint(raw, questions) for raw in data["complaints"]]
    codes = [c.code for c in complaints]
    if len(set(codes)) != len(codes):
        raise InvalidProtocol("complaint codes must be unique")
    for c in complaints:
        if c.related - set(codes) or c.code in c.related:
            raise InvalidProtocol(f"{c.code}: related codes must name other complaints")
    return Protocol(
        version=version,
        title=Text.from_mapping(data["title"], "title"),
        complaints=complaints,
        determinant_labels=determinant_labels,
        priority_labels=priority_labels,
        may_wait=may_wait,
        targets=targets,
    )


def _targets(area: str, raw: Mapping[str, Any]) -> dict[int, ResponseTarget]:
    if sorted(raw) != [str(p) for p in PRIORITIES]:
        raise InvalidProtocol(f"targets[{area}] must cover priorities 1..4")
    out: dict[int, ResponseTarget] = {}
    for key, value in raw.items():
        seconds, fraction = value["seconds"], value["fraction"]
        if not (isinstance(seconds, int) and seconds > 0 and 0 < float(fraction) <= 1):
            raise InvalidProtocol(f"targets[{area}][{key}]: seconds > 0 and 0 < fraction <= 1")
        out[int(key)] = ResponseTarget(seconds, float(fraction))
    return out


def _answers(raw: Sequence[Any], where: str) -> tuple[Answer, ...]:
    answers = tuple(Answer(a["code"], Text.from_mapping(a["label"], where)) for a in raw)
    codes = [a.code for a in answers]
    if not answers or len(set(codes)) != len(codes):
        raise InvalidProtocol(f"{where}: answers must be non-empty with unique codes")
    return answers


def _complaint(raw: Mapping[str, Any], bank: Mapping[str, Question]) -> Complaint:
    code = raw["code"]
    missing = [q for q in raw["questions"] if q not in bank]
    if missing:
        raise InvalidProtocol(f"{code}: unknown questions {missing}")
    questions = tuple(bank[q] for q in raw["questions"])
    asked = {q.id: q for q in questions}
    counters: dict[str, int] = {}
    rules: list[_Rule] = []
    for index, rule in enumerate(raw["rules"]):
        where = f"{code} rule {index + 1}"
        when = _conditions(rule["when"], asked, where)
        if not when:
            raise InvalidProtocol(f"{where}: a rule needs at least one condition")
        letter = rule["determinant"]
        counters[letter] = counters.get(letter, 0) + 1
        rules.append(_Rule(when, _outcome(rule, f"{code}-{letter}-{counters[letter]}", where)))
    modifiers = tuple(
        _Modifier(
            _conditions(m["when"], asked, f"{code} modifier"),
            _needs(m["needs"], f"{code} modifier"),
        )
        for m in raw.get("modifiers", [])
    )
    default = raw["default"]
    return Complaint(
        code=code,
        label=Text.from_mapping(raw["label"], f"complaint {code}"),
        questions=questions,
        related=frozenset(raw.get("related", [])),
        rules=tuple(rules),
        modifiers=modifiers,
        default=_outcome(default, f"{code}-{default['determinant']}-0", f"{code} default"),
    )


def _conditions(
    raw: Mapping[str, Any], asked: Mapping[str, Question], where: str
) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for qid, value in raw.items():
        if qid not in asked:
            raise InvalidProtocol(f"{where}: condition on {qid!r}, which is not asked")
        allowed = frozenset([value] if isinstance(value, str) else value)
        bad = allowed - asked[qid].codes
        if not allowed or bad:
            raise InvalidProtocol(f"{where}: {qid!r} has no answer(s) {sorted(bad)}")
        out[qid] = allowed
    return out


def _needs(raw: Sequence[str], where: str) -> frozenset[str]:
    needs = frozenset(raw)
    if needs - NEEDS:
        raise InvalidProtocol(f"{where}: unknown needs {sorted(needs - NEEDS)}")
    return needs


def _outcome(raw: Mapping[str, Any], determinant_code: str, where: str) -> _Outcome:
    letter = raw["determinant"]
    if letter not in DETERMINANTS:
        raise InvalidProtocol(f"{where}: unknown determinant {letter!r}")
    needs = _needs(raw.get("needs", []), where)
    if DETERMINANTS[letter] == 1 and "ALS" not in needs:
        raise InvalidProtocol(f"{where}: a priority-1 determinant must need ALS")
    capability = raw.get("hospital_capability")
    if capability is not None and capability not in CAPABILITIES:
        raise InvalidProtocol(f"{where}: unknown hospital capability {capability!r}")
    return _Outcome(letter, determinant_code, needs, capability)
