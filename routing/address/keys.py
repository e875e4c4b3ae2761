"""The search key: one spelling per name for the index and the queries alike.

On top of :func:`routing.text.normalize` (case, accents, punctuation), Traditional
characters become Simplified, sections in digits become numerals (2段 -> 二段) and
English abbreviations are spelled out (W Bell Rd -> west bell road). Keys are
computed when the geocoder loads, so a map imported before these rules still matches.
"""

from __future__ import annotations

import re

from ..text import has_cjk
from .chinese import section_numerals, to_simplified
from .english import fold_words

__all__ = ["search_key"]

_LATIN = re.compile(r"[a-z]")


def search_key(key: str) -> str:
    """The search key of an already normalised string (idempotent)."""
    if has_cjk(key):
        key = section_numerals(to_simplified(key))
    if _LATIN.search(key):
        key = fold_words(key)
    return key
