"""Which syndrome a call counts for: fever/respiratory, gastrointestinal, poisoning, heat, rash,
neurological, overdose, injury or other.

Why a data file: like the triage protocol, the keyword lists and the complaint mapping belong to
the public-health lead, who revises them when a new disease shows new words, not when we release.
The mapping (``syndromes-*.json`` beside this module) is versioned, loaded and validated once, and
every classification names the version that produced it, so counts can be recomputed exactly.

The order of evidence: the caller's free text first (it is more specific than the complaint a
call-taker picked: "vomiting after the banquet" under *sick person*), in the file's precedence
order, then the triage complaint code, then ``other``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from dispatch.domain.errors import DomainError
from dispatch.domain.text import Text
from dispatch.surveillance.keywords import KeywordMatcher, Negation, is_cjk

#: The syndromes of issue 18, in display order. ``other`` takes what no rule claims.
SYNDROMES: tuple[str, ...] = (
    "fever_respiratory",
    "gastrointestinal",
    "poisoning",
    "heat",
    "rash",
    "neurological",
    "overdose",
    "injury",
    "other",
)
OTHER = "other"
_PACKAGE = "dispatch.surveillance"
_PREFIX = "syndromes-"


class InvalidSyndromeMap(DomainError):
    """The mapping file is wrong: a deployment error, caught at start."""

    code = "invalid-syndrome-map"
    title = "Invalid syndrome mapping"


@dataclass(frozen=True, slots=True)
class Classification:
    """A call's syndrome and why: ``keyword`` (``matched`` is the word found), ``complaint``
    (``matched`` is the triage code) or ``default``."""

    syndrome: str
    reason: Literal["keyword", "complaint", "default"]
    matched: str | None
    version: str


class SyndromeMap:
    """One loaded, validated mapping version. Immutable; safe to share."""

    def __init__(
        self,
        *,
        version: str,
        review: str,
        labels: Mapping[str, Text],
        precedence: Sequence[str],
        matchers: Mapping[str, KeywordMatcher],
        complaints: Mapping[str, str],
    ) -> None:
        self.version = version
        #: The review status written in the file ("needs review by the public-health lead").
        self.review = review
        self._labels = dict(labels)
        self._precedence = tuple(precedence)
        self._matchers = dict(matchers)
        self._complaints = dict(complaints)

    @property
    def needs_review(self) -> bool:
        """True while the file still says it awaits the public-health lead's review."""
        return "needs review" in self.review.lower()

    def label(self, syndrome: str) -> Text:
        return self._labels[syndrome]

    def complaint_syndrome(self, complaint_code: str) -> str | None:
        return self._complaints.get(complaint_code)

    def classify(self, complaint_code: str | None, text: str | None) -> Classification:
        """The syndrome of one call from its triage complaint code and its free text."""
        if text:
            for syndrome in self._precedence:
                word = self._matchers[syndrome].first_match(text)
                if word is not None:
                    return Classification(syndrome, "keyword", word, self.version)
        if complaint_code:
            mapped = self._complaints.get(complaint_code)
            if mapped is not None:
                return Classification(mapped, "complaint", complaint_code, self.version)
        return Classification(OTHER, "default", None, self.version)

    def keyword(self, syndrome: str, text: str | None) -> str | None:
        """The first of ``syndrome``'s keywords in ``text`` (negations respected), or None."""
        if not text:
            return None
        return self._matchers[syndrome].first_match(text)


def available_versions() -> dict[str, str]:
    """Mapping version -> packaged file name."""
    found: dict[str, str] = {}
    for entry in resources.files(_PACKAGE).iterdir():
        if entry.name.startswith(_PREFIX) and entry.name.endswith(".json"):
            data = json.loads(entry.read_text(encoding="utf-8"))
            found[str(data.get("version"))] = entry.name
    return found


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in version.split("."))


@cache
def load_syndrome_map(
    version: str | None = None, complaint_codes: frozenset[str] | None = None
) -> SyndromeMap:
    """Load and validate a packaged mapping (``None``: the newest). With ``complaint_codes`` (the
    triage protocol's), every complaint must be mapped to exactly one syndrome."""
    versions = available_versions()
    chosen = max(versions, key=_version_key) if version is None and versions else version
    name = versions.get(chosen or "")
    if name is None:
        raise InvalidSyndromeMap(f"no syndrome mapping {chosen!r} (have {sorted(versions)})")
    text = resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return parse_syndrome_map(json.loads(text), complaint_codes=complaint_codes)


#: The syndrome whose calls are suspected infectious (isolation unit, fever clinic).
INFECTIOUS = "fever_respiratory"


def infectious_syndrome(complaint_code: str | None, text: str | None) -> str | None:
    """Why a call is suspected infectious by its caller's words, or None.

    Only the fever/respiratory *keywords* count, whatever syndrome wins the call's surveillance
    classification ("fever and rash" is a fever): the complaint code alone is not enough, since
    a breathing problem is more often asthma or anaphylaxis, which must not wait for an isolation
    unit. ``complaint_code`` is named in the reason for the record.
    """
    found = load_syndrome_map().keyword(INFECTIOUS, text)
    if found is None:
        return None
    under = "" if complaint_code is None else f" ({complaint_code})"
    return f"triage: caller reports {found.rstrip('*')!r}{under}: fever/respiratory"


def parse_syndrome_map(data: Any, *, complaint_codes: Collection[str] | None = None) -> SyndromeMap:
    """Build a :class:`SyndromeMap` from decoded JSON, refusing anything inconsistent."""
    try:
        return _parse(data, complaint_codes)
    except InvalidSyndromeMap:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidSyndromeMap(f"syndrome mapping: {exc}") from exc


def _parse(data: Any, complaint_codes: Collection[str] | None) -> SyndromeMap:
    if data.get("format") != 1:
        raise InvalidSyndromeMap(f"unsupported mapping format {data.get('format')!r}")
    version, review = data["version"], data["review"]
    if not (isinstance(version, str) and version and isinstance(review, str) and review):
        raise InvalidSyndromeMap("version and review must be non-empty strings")
    english = _negation(data["negation"]["en"], "en")
    chinese = _negation(data["negation"]["zh"], "zh")
    entries = {s["code"]: s for s in data["syndromes"]}
    if list(entries) != list(SYNDROMES) or len(data["syndromes"]) != len(SYNDROMES):
        raise InvalidSyndromeMap(f"syndromes must be exactly {list(SYNDROMES)}, in that order")
    precedence = list(data["precedence"])
    if sorted(precedence) != sorted(s for s in SYNDROMES if s != OTHER):
        raise InvalidSyndromeMap("precedence must list every syndrome but 'other' once")
    seen: dict[str, str] = {}
    complaints: dict[str, str] = {}
    matchers: dict[str, KeywordMatcher] = {}
    for code, entry in entries.items():
        words: list[str] = []
        for lang in ("en", "zh"):
            for word in entry["keywords"][lang]:
                if not isinstance(word, str) or not word.strip("* "):
                    raise InvalidSyndromeMap(f"{code}: empty keyword")
                if is_cjk(word) != (lang == "zh"):
                    raise InvalidSyndromeMap(f"{code}: {word!r} is not a {lang} keyword")
                if word in seen:
                    raise InvalidSyndromeMap(f"keyword {word!r} in both {seen[word]} and {code}")
                seen[word] = code
                words.append(word)
        if code == OTHER and words:
            raise InvalidSyndromeMap("'other' takes what nothing else claims: no keywords")
        matchers[code] = KeywordMatcher(words, english=english, chinese=chinese)
        for complaint in entry["complaints"]:
            if complaint in complaints:
                raise InvalidSyndromeMap(f"complaint {complaint!r} mapped twice")
            complaints[complaint] = code
    if complaint_codes is not None:
        unknown = sorted(set(complaints) - set(complaint_codes))
        missing = sorted(set(complaint_codes) - set(complaints))
        if unknown or missing:
            raise InvalidSyndromeMap(
                f"complaint codes unknown to the triage protocol {unknown}, unmapped {missing}"
            )
    return SyndromeMap(
        version=version,
        review=review,
        labels={c: Text.from_mapping(e["label"], f"syndrome {c}") for c, e in entries.items()},
        precedence=precedence,
        matchers=matchers,
        complaints=complaints,
    )


def _negation(raw: Mapping[str, Any], lang: str) -> Negation:
    cues = tuple(str(c) for c in raw["cues"])
    window = raw["window"]
    if not cues or any(not c.strip() for c in cues):
        raise InvalidSyndromeMap(f"negation[{lang}]: cues must be non-empty")
    if not isinstance(window, int) or not 1 <= window <= 10:
        raise InvalidSyndromeMap(f"negation[{lang}]: window must be 1..10")
    return Negation(cues=cues, pseudo=tuple(str(p) for p in raw["pseudo"]), window=window)
