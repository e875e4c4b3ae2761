"""Text normalisation shared by the geocoder's index and its queries.

Both sides go through the same function, so "Hauptstraße", "HAUPTSTRASSE" and
"hauptstr." meet on one key, and "Töölöntori" is found by typing "toolontori".

Chinese, Japanese and Korean names are written without spaces, so word tokens do not
work for them: :func:`grams` cuts CJK runs into character bigrams ("延安西路" ->
延安, 安西, 西路) and other words into padded trigrams; the geocoder's inverted index is
built from these grams, so "延安西" or "manerh" find their street without a scan.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "HOUSE_NUMBER",
    "QueryParse",
    "clean_housenumber",
    "grams",
    "has_cjk",
    "normalize",
    "normalize_housenumber",
    "parse_query",
    "pinyin_key",
    "split_intersection",
]

_NON_WORD = re.compile(r"[\W_]+")
# German street abbreviations ("Hauptstr.", "Bahnhofstr 5") spelled out, so they match the map.
_STR_ABBREVIATION = re.compile(r"str\b")
#: A house number token: 5, 5a, 12-14, 7/2.
HOUSE_NUMBER = re.compile(r"^\d+[a-z]?(?:[-/]\d+[a-z]?)?$")
# A house number inside free text: "Hauptstraße 12 a", "12-14 Main St", "延安西路100号".
# Digits may touch CJK letters but not Latin ones ("B3" is a road, not number 3).
_LATIN = "0-9a-z\u00c0-\u024f"
_NUMBER_IN_TEXT = re.compile(
    rf"(?<![{_LATIN}])(\d+)(?:\s*([a-z](?:\s*-\s*[a-z])?)(?![{_LATIN}]))?"
    rf"(?:\s*([-/])\s*(\d+)(?:\s*([a-z])(?![{_LATIN}]))?)?\s*[号號]?(?![{_LATIN}])"
)
# The house number at the start of an addr:housenumber value; what follows is a unit,
# floor or second address ("4, 5. krs. / Floor 5", "11 B 9", "33 Keskuskatu 5").
_LEADING_NUMBER = re.compile(
    r"^\s*(\d+(?:\s*[a-zA-Z](?:\s*-\s*[a-zA-Z])?(?![a-zA-Z]))?"
    r"(?:\s*[-/]\s*\d+(?:\s*[a-zA-Z](?![a-zA-Z]))?)?)"
)
_CJK = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]"
)
_CJK_RUN = re.compile(_CJK.pattern + "+")
# Separators of a street intersection query. Symbols are looked for in the raw text
# (normalisation drops them); words and CJK characters in the normalised text.
_CROSS_SYMBOLS = re.compile(r"\s*(?:&|/|\+|@|＆|／)\s*")
_CROSS_WORDS = frozenset({"and", "und", "ja", "och", "e", "et", "y", "x", "at"})
_CROSS_CJK = "与與和及交跟"
# "A与B交叉口", "A和B路口": the crossing named after its two streets.
_CROSS_CJK_SUFFIX = re.compile(r"(?:交叉路口|交叉口|交汇处|交匯處|(?<=[路街道巷])口)$")
# A direction letter after a house number ("17302 N 99th Ave", "17302n 99th ave") is
# the street's directional, not a letter of the number.
_DIRECTION_LETTERS = frozenset("nsew")


def normalize(text: str) -> str:
    """Lower-case, strip diacritics and punctuation, collapse spaces (CJK is kept)."""
    stripped = _fold(text)
    words = _NON_WORD.sub(" ", stripped).split()
    return _STR_ABBREVIATION.sub("strasse", " ".join(words))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    # NFKD splits "ß" into nothing; casefold turns it into "ss" as wanted.
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalize_housenumber(text: str) -> str:
    """ "12 A" -> "12a", "14 - 18" -> "14-18", "2/1" stays: one spelling per number."""
    return re.sub(r"[^0-9a-z/\-]", "", _fold(text))


def clean_housenumber(text: str) -> str:
    """The house number part of an ``addr:housenumber`` value as written ("7 A" from
    "7 A, sisäpiha"); the value itself when it does not start with a number."""
    m = _LEADING_NUMBER.match(text)
    return m.group(1).strip() if m else text.strip()


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def grams(key: str, *, typeahead: bool = False) -> set[str]:
    """The index grams of a normalised string: character bigrams of CJK runs, padded
    trigrams of other words. With ``typeahead`` the last word is left open at its end,
    so a typed prefix ("manner") shares every gram with its completion."""
    out: set[str] = set()
    words = key.split()
    for w, word in enumerate(words):
        open_end = typeahead and w == len(words) - 1
        pos = 0
        for run in _CJK_RUN.finditer(word):
            _latin_grams(word[pos : run.start()], out, open_end=False)
            cjk = run.group()
            if len(cjk) == 1:
                out.add(cjk)
            out.update(cjk[i : i + 2] for i in range(len(cjk) - 1))
            pos = run.end()
        _latin_grams(word[pos:], out, open_end=open_end)
    return out


def _latin_grams(word: str, out: set[str], *, open_end: bool) -> None:
    if not word:
        return
    padded = " " + word + ("" if open_end else " ")
    if len(padded) < 3:
        out.add(padded)
        return
    out.update(padded[i : i + 3] for i in range(len(padded) - 2))


def pinyin_key(text: str) -> str:
    """Toneless pinyin of the Chinese characters in a normalised string, without spaces
    ("延安西路" -> "yananxilu"); empty when ``text`` has no CJK.

    Chinese is typed through pinyin input methods, so the usual typo is a homophone
    ("延按西路"): it has the same pinyin key. Callers typing pinyin directly
    ("yan an xi lu") meet the same key once spaces are dropped.
    """
    if not has_cjk(text):
        return ""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text)).replace(" ", "").casefold()


@dataclass(frozen=True, slots=True)
class QueryParse:
    """One reading of a query: the name part and, if any, a house number."""

    text: str
    number: str | None = None


def parse_query(query: str) -> list[QueryParse]:
    """Readings of ``query``: the whole text as a name, then the text around each house
    number in it ("Hauptstr. 12 a", "12 Main Street", "Hauptstraße 5, Leimen", "淮海中路100号")."""
    folded = unicodedata.normalize("NFKC", query).casefold()
    whole = normalize(query)
    parses = [QueryParse(whole)] if whole else []
    for m in list(_NUMBER_IN_TEXT.finditer(folded))[:3]:
        number = m.group(1) + (m.group(2) or "")
        if m.group(3):
            number += m.group(3) + m.group(4) + (m.group(5) or "")
        number = re.sub(r"\s+", "", number)
        rest = normalize(folded[: m.start()] + " " + folded[m.end() :])
        if rest:
            parses.append(QueryParse(rest, number))
        letter = m.group(2)
        if letter in _DIRECTION_LETTERS and not m.group(3) and rest:
            parses.append(QueryParse(f"{letter} {rest}", m.group(1)))
    return parses


def split_intersection(query: str) -> list[tuple[str, str]]:
    """Ways to read ``query`` as two crossing streets ("A & B", "A and B", "A/B",
    "世纪大道与浦东南路", "大學路與光復路", "A和B路口"), each side normalised; empty
    if there is no separator.
    Every separator position is offered: the caller keeps the readings where both
    sides are streets that really meet (so "和平路" alone is never split)."""
    out: list[tuple[str, str]] = []
    raw = unicodedata.normalize("NFKC", query)
    for m in _CROSS_SYMBOLS.finditer(raw):
        a, b = normalize(raw[: m.start()]), normalize(raw[m.end() :])
        if a and b:
            out.append((a, b))
    words = normalize(query).split()
    for i, word in enumerate(words):
        if word in _CROSS_WORDS and 0 < i < len(words) - 1:
            out.append((" ".join(words[:i]), " ".join(words[i + 1 :])))
    text = normalize(query)
    for i, ch in enumerate(text):
        if ch in _CROSS_CJK and 0 < i < len(text) - 1:
            a, b = text[:i].strip(), _CROSS_CJK_SUFFIX.sub("", text[i + 1 :].strip())
            if a and b and (has_cjk(a) or has_cjk(b)):
                out.append((a, b))
    return list(dict.fromkeys(out))
