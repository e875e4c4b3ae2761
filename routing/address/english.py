"""US/English address forms: abbreviations folded to full words, and the parts of a
typed address that are not the street (unit, ZIP, state).

USPS writes "16952 W BELL RD"; OpenStreetMap spells names out ("West Bell Road");
call-takers type anything in between, with typos. Folding both sides to full words
makes the forms one key, so a typo is measured against the real name and not against
an abbreviation of it.
"""

from __future__ import annotations

import re
from functools import cache

from .vocabulary import english

__all__ = ["fold_words", "is_english_street", "split_unit", "strip_region"]


@cache
def _words() -> dict[str, str]:
    vocab = english()
    out: dict[str, str] = dict(vocab["street_types"])
    out.update(vocab["directionals"])
    return out


@cache
def _street_types() -> frozenset[str]:
    types = english()["street_types"]
    return frozenset(types) | frozenset(types.values())


def fold_words(key: str) -> str:
    """Spell out the abbreviations of a normalised Latin key ("w bell rd" -> "west bell
    road"); a leading "st" before a name is "saint" ("st johns road"). Full words and
    other words are left alone, so folding is idempotent."""
    words = key.split()
    if not words:
        return key
    table = _words()
    out = [table.get(w, w) for w in words]
    if words[0] == "st" and len(words) > 2:
        out[0] = "saint"
    return " ".join(out)


def is_english_street(name: str) -> bool:
    """Whether a street name follows the English convention (its last word, or the one
    before a trailing directional, is a street type: "West Bell Road", "Main St N"),
    in which addresses are written number first."""
    words = re.sub(r"[^\w\s]", " ", name.casefold()).split()
    if len(words) < 2:
        return False
    directionals = english()["directionals"]
    last = words[-1]
    if (last in directionals or last in directionals.values()) and len(words) > 2:
        last = words[-2]
    return last in _street_types()


@cache
def _unit_pattern() -> re.Pattern[str]:
    names = sorted(english()["unit_designators"], key=len, reverse=True)
    designators = "|".join(re.escape(n) for n in names)
    # "#117", "apt 5", "Apt. 5B", "suite 200", "ste #3", "unit b", "fl 2", "bldg c-1"
    return re.compile(
        rf"(?:^|(?<=[\s,]))(?P<unit>(?:#\s*|(?:{designators})(?:[.\s#]+|(?=\d)))"
        rf"(?P<id>[0-9]+[a-z]?(?:-[0-9a-z]+)?|[a-z](?:-?[0-9]+)?))(?=$|[\s,])",
        re.IGNORECASE,
    )


def split_unit(text: str) -> tuple[str, str | None]:
    """("12213 W Bell Rd", "#117") from "12213 W Bell Rd #117": the apartment, suite or
    unit is a sub-address of the building, kept aside so the street still matches."""
    m = _unit_pattern().search(text)
    if m is None:
        return text, None
    rest = (text[: m.start()] + " " + text[m.end() :]).strip(" ,")
    if not re.search(r"[^\W\d_]", rest):  # nothing left but numbers: "apt 5" alone
        return text, None
    unit = re.sub(r"\s+", " ", m.group("unit")).strip()
    rest = re.sub(r"\s*,(?:\s*,)+", ",", re.sub(r"\s{2,}", " ", rest))
    return re.sub(r"\s+,", ",", rest), unit


_ZIP = re.compile(r"[\s,]+(?P<zip>\d{5}(?:-\d{4})?)\s*$")


@cache
def _state_pattern() -> re.Pattern[str]:
    states = english()["states"]
    names = sorted([*states, *states.values()], key=len, reverse=True)
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?:,\s*|\s+)(?:{alternatives})\.?\s*$", re.IGNORECASE)


def strip_region(text: str) -> tuple[str, str | None]:
    """Drop a trailing ZIP code and state ("..., Sun City West, AZ 85375" ->
    "..., Sun City West"), returning the ZIP too. A state is only dropped after a
    comma or before a ZIP, so "Rua de ..." or "Main St" keep their words."""
    zip_code = None
    m = _ZIP.search(text)
    state = None if m is None else _state_pattern().search(text[: m.start()])
    # "W Meeker Blvd 14502" is a house number at the end, not a ZIP: a ZIP comes after
    # a house number or a state.
    if m is not None and (state is not None or re.search(r"\d", text[: m.start()])):
        zip_code = m.group("zip")
        text = text[: m.start()]
        if state is not None:
            text = text[: state.start()]
    else:
        state = _state_pattern().search(text)
        if state is not None and "," in text[state.start() : state.end()]:
            text = text[: state.start()]
    return text.strip(" ,"), zip_code
