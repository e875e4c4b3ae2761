"""Keyword matching in a caller's words, English and Chinese, that knows "no fever" is not a fever.

Why not a classifier model: the public-health lead must be able to read, review and change the
rules; a keyword list in a versioned file is what ESSENCE's chief-complaint syndromes are too.

Negation follows NegEx (Chapman et al. 2001) in its simplest form: a keyword is negated when a
negation cue stands before it in the same clause, within a few words (English) or characters
(Chinese). Clauses end at punctuation and at "but"/"但". Pseudo-negations are masked first, so
the 不 of 不停呕吐 ("vomiting non-stop") or the "not" of "cannot rule out" negate nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EN_CLAUSE_END = re.compile(
    r"[.;:!?,()\n]|(?<![a-z])(?:but|however|although|though|yet|except)(?![a-z])"
)
_ZH_CLAUSE_END = re.compile(r"[，,。．.；;：:！!？?（）()\n]|但是|但|可是|却|卻|不过|不過")
_WORD = re.compile(r"[a-z0-9']+")


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, one apostrophe, "n't" spelled "not"."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")
    return re.sub(r"n't(?![a-z])", " not", folded)


def is_cjk(word: str) -> bool:
    return bool(_CJK.search(word))


@dataclass(frozen=True, slots=True)
class Negation:
    """Negation rules of one language: cues, pseudo-negations, and the window before a keyword
    in which a cue negates it (words for English, characters for Chinese)."""

    cues: tuple[str, ...]
    pseudo: tuple[str, ...]
    window: int


class KeywordMatcher:
    """Finds which of a syndrome's keywords a text contains, not negated."""

    def __init__(self, keywords: Iterable[str], *, english: Negation, chinese: Negation) -> None:
        self._english = english
        self._chinese = chinese
        self._en_cues = _alternation([normalize(c) for c in english.cues])
        self._en_pseudo = [normalize(p) for p in english.pseudo]
        self._zh_pseudo = sorted(chinese.pseudo, key=len, reverse=True)
        self._patterns: list[tuple[str, re.Pattern[str], bool]] = []
        for keyword in keywords:
            cjk = is_cjk(keyword)
            self._patterns.append((keyword, _pattern(keyword, cjk=cjk), cjk))

    def first_match(self, text: str) -> str | None:
        """The first keyword (in list order) that occurs in ``text`` at least once un-negated."""
        norm = normalize(text)
        for keyword, pattern, cjk in self._patterns:
            for found in pattern.finditer(norm):
                if not self._negated(norm[: found.start()], cjk=cjk):
                    return keyword
        return None

    def _negated(self, before: str, *, cjk: bool) -> bool:
        if cjk:
            clause = _ZH_CLAUSE_END.split(before)[-1]
            for phrase in self._zh_pseudo:
                clause = clause.replace(phrase, "#" * len(phrase))
            tail = clause[-self._chinese.window :] if self._chinese.window else ""
            return any(cue in tail for cue in self._chinese.cues)
        clause = _EN_CLAUSE_END.split(before)[-1]
        for phrase in self._en_pseudo:
            clause = clause.replace(phrase, " ")
        words = _WORD.findall(clause)[-self._english.window :] if self._english.window else []
        return bool(self._en_cues.search(" ".join(words)))


def _pattern(keyword: str, *, cjk: bool) -> re.Pattern[str]:
    """Chinese: the keyword anywhere. English: whole words, plural -s/-es allowed, a trailing
    ``*`` makes a stem ("vomit*" finds "vomiting")."""
    if cjk:
        return re.compile(re.escape(keyword))
    stem = keyword.endswith("*")
    words = normalize(keyword.rstrip("*")).split()
    body = r"\s+".join(re.escape(w) for w in words)
    end = r"[a-z]*" if stem else r"(?:s|es)?(?![a-z])"
    return re.compile(rf"(?<![a-z0-9]){body}{end}")


def _alternation(cues: Sequence[str]) -> re.Pattern[str]:
    options = "|".join(r"\s+".join(re.escape(w) for w in c.split()) for c in cues)
    return re.compile(rf"(?<![a-z0-9])(?:{options})(?![a-z0-9])")
