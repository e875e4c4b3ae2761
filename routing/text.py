"""Text normalisation shared by the geocoder's index and its queries.

Both sides go through the same function, so "Hauptstraße", "HAUPTSTRASSE" and
"hauptstr." meet on one key, and "Töölöntori" is found by typing "toolontori".
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["HOUSE_NUMBER", "normalize"]

_NON_WORD = re.compile(r"[\W_]+")
# German street abbreviations ("Hauptstr.", "Bahnhofstr 5") spelled out, so they match the map.
_STR_ABBREVIATION = re.compile(r"str\b")
#: A house number token: 5, 5a, 12-14, 7/2.
HOUSE_NUMBER = re.compile(r"^\d+[a-z]?(?:[-/]\d+[a-z]?)?$")


def normalize(text: str) -> str:
    """Lower-case, strip diacritics and punctuation, collapse spaces (CJK is kept)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = _NON_WORD.sub(" ", stripped).split()
    return _STR_ABBREVIATION.sub("strasse", " ".join(words))
