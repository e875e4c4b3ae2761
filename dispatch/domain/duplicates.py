"""Is this call about an incident we already have? And has this number called before?

Why: a crash on a ring road brings ten calls in three minutes. Each one opened as a new
incident would pull ten ambulances. The call-taker is *offered* likely duplicates to link to,
ranked; the decision stays with a person, so the rules here lean towards recall: a wrong
suggestion costs a glance, a missed one costs an ambulance.

Complaint similarity, in [0, 1]:

* both calls have a chief-complaint code: 1.0 if equal, ``RELATED_SIMILARITY`` if the pair is
  listed as related (``Protocol.related_pairs()``: "collapsed" vs "cardiac arrest"), else 0;
* otherwise the overlap coefficient |A & B| / min(|A|, |B|) of the complaint-text tokens:
  lower-cased Latin words and digit runs, and Chinese character bigrams (Chinese has no spaces;
  bigrams are the usual cheap stand-in for words), minus a few filler words ("man", "患者").
  Overlap rather than Jaccard because a terse "胸痛" must match "男子胸痛出汗";
* no usable tokens on either side (nothing typed yet): 0.5, "no evidence either way", so a
  call at the same spot a minute later is still offered at the default threshold.

Distance is the haversine great-circle distance. When the caller's position has an accuracy
radius (a cell fix), the distance used for the threshold and the score is reduced by it: the
caller *could* be that close. Score = 0.5 similarity + 0.3 nearness + 0.2 recency.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from dispatch.domain.geo import Location

RELATED_SIMILARITY = 0.6
UNKNOWN_SIMILARITY = 0.5
_STOP_WORDS = frozenset(
    (
        *("a", "an", "the", "and", "or", "of", "with", "in", "on", "at", "to", "is", "has"),
        *("have", "his", "her", "he", "she", "it", "they", "patient", "pt", "man", "woman"),
        *("male", "female", "boy", "girl", "person", "people", "old", "year", "years", "yo"),
        *("病人", "患者", "男子", "女子", "男性", "女性", "老人", "一个", "有人", "先生", "女士"),
    )
)
_TOKENS = re.compile(r"[a-z]+|[0-9]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What is known about a call or an open incident, for comparison."""

    location: Location | None
    received_at: datetime
    complaint_code: str | None = None
    complaint_text: str = ""
    accuracy_m: float | None = None  # radius of uncertainty of ``location``


@dataclass(frozen=True, slots=True)
class OpenIncident:
    incident_id: int
    facts: CallFacts


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    incident_id: int
    distance_m: float  # raw centre-to-centre distance
    age_s: float  # how long before ``now`` the incident was received
    similarity: float
    score: float


def tokens(text: str) -> frozenset[str]:
    """Lower-case words and Chinese bigrams of ``text``, without filler words."""
    out: set[str] = set()
    for run in _TOKENS.findall(text.lower()):
        if _CJK.match(run):
            out.update(run if len(run) == 1 else (run[i : i + 2] for i in range(len(run) - 1)))
        else:
            out.add(run)
    return frozenset(out - _STOP_WORDS)


def complaint_similarity(
    a: CallFacts, b: CallFacts, related: Collection[frozenset[str]] = ()
) -> float:
    """See the module docstring for the rules and why."""
    if a.complaint_code and b.complaint_code:
        if a.complaint_code == b.complaint_code:
            return 1.0
        pair = frozenset({a.complaint_code, b.complaint_code})
        return RELATED_SIMILARITY if pair in related else 0.0
    ta, tb = tokens(a.complaint_text), tokens(b.complaint_text)
    if not ta or not tb:
        return UNKNOWN_SIMILARITY
    return len(ta & tb) / min(len(ta), len(tb))


def likely_duplicates(
    new_call: CallFacts,
    open_incidents: Iterable[OpenIncident],
    *,
    now: datetime,
    within_m: float = 300.0,
    within_s: float = 1800.0,
    min_similarity: float = 0.5,
    related: Collection[frozenset[str]] = (),
) -> list[DuplicateCandidate]:
    """Open incidents within ``within_m`` metres and ``within_s`` seconds of ``now`` whose
    complaint is at least ``min_similarity`` alike, best score first.

    A new call without a location has no candidates: proximity is the evidence that matters.
    """
    if new_call.location is None or within_m <= 0 or within_s <= 0:
        return []
    slack = new_call.accuracy_m or 0.0
    found: list[DuplicateCandidate] = []
    for incident in open_incidents:
        facts = incident.facts
        if facts.location is None:
            continue
        distance = new_call.location.distance_m(facts.location)
        effective = max(0.0, distance - slack - (facts.accuracy_m or 0.0))
        age = max(0.0, (now - facts.received_at).total_seconds())
        if effective > within_m or age > within_s:
            continue
        similarity = complaint_similarity(new_call, facts, related)
        if similarity < min_similarity:
            continue
        score = 0.5 * similarity + 0.3 * (1 - effective / within_m) + 0.2 * (1 - age / within_s)
        found.append(
            DuplicateCandidate(incident.incident_id, distance, age, similarity, round(score, 6))
        )
    found.sort(key=lambda c: (-c.score, c.distance_m, c.incident_id))
    return found


# --- repeat callers ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriorCall:
    number: str | None  # as received; normalised for comparison
    incident_id: int
    received_at: datetime


def normalise_number(raw: str | None, *, area_code: str | None = None) -> str | None:
    """A caller number (ANI) in E.164 form (``+8613812345678``) so that the same phone matches
    however the network or a person wrote it; ``None`` when withheld or unusable.

    China (+86) rules, applied after dropping spaces, dashes, dots and brackets (full-width
    digits are accepted):

    * ``+86`` or ``0086`` prefix -> country code 86; the rest is the national number;
    * ``86`` followed by an 11-digit mobile (``861xxxxxxxxxx``, 13 digits) -> the same;
    * national number starting with the trunk prefix ``0`` (``010-12345678``): drop the 0;
    * 11 digits starting with ``1``: a mobile number;
    * 7 or 8 digits (a landline dialled without area code): prefixed with ``area_code``
      (e.g. ``"10"`` for Beijing) when given, else kept as bare digits (cannot be made E.164);
    * a trunk ``0`` national number needs 10+ digits (0 + 2-3 digit area code + 7-8 digits);
    * other ``+`` or ``00`` international numbers -> ``+`` and digits, unchanged;
    * anything else (110, 120, 95xxx service lines, odd lengths) -> bare digits.
    """
    if raw is None:
        return None
    plus = raw.strip().startswith(("+", "\uff0b"))
    digits = "".join(str(int(ch)) for ch in raw if ch.isdecimal())
    if not digits:
        return None
    international: str | None = None
    if plus:
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    elif len(digits) == 13 and digits.startswith("861"):
        international = digits
    if international is not None:
        if not international.startswith("86"):
            return "+" + international if international else None
        national = international[2:].removeprefix("0")  # "+86 (0)10 ..." is written too
        return "+86" + national if national else None
    if digits.startswith("0") and len(digits) >= 10:  # trunk 0 + area code + subscriber
        return "+86" + digits[1:]
    if len(digits) == 11 and digits.startswith("1"):
        return "+86" + digits
    if len(digits) in (7, 8) and area_code:
        return "+86" + area_code.lstrip("0") + digits
    return digits


def repeat_caller(
    number: str | None,
    prior_calls: Iterable[PriorCall],
    *,
    now: datetime,
    within_s: float = 6 * 3600.0,
    area_code: str | None = None,
) -> list[PriorCall]:
    """Earlier calls from the same number within ``within_s`` before ``now``, newest first.

    A withheld or unusable number never matches anything: two anonymous callers are not the
    same person.
    """
    key = normalise_number(number, area_code=area_code)
    if key is None:
        return []
    matches = [
        call
        for call in prior_calls
        if 0 <= (now - call.received_at).total_seconds() <= within_s
        and normalise_number(call.number, area_code=area_code) == key
    ]
    matches.sort(key=lambda c: (c.received_at, c.incident_id), reverse=True)
    return matches
