"""Labels in the locale's own order, written once at import.

- English (US, UK ...): number first, "16952 West Bell Road";
- Chinese, Japanese, Korean: street then number, no space, with the number mark of the
  name's script: "麓山南路932号", "大學路1001號";
- elsewhere (most of Europe): "Hauptstraße 12".

Disambiguation hints follow the label's language: "Hauptstraße (near Bahnhofstraße)",
"延安西路（江苏路附近）".
"""

from __future__ import annotations

import re

from ..text import has_cjk
from .chinese import to_simplified
from .english import is_english_street

__all__ = ["address_label", "is_traditional", "near_label", "street_place_label", "with_unit"]


def is_traditional(text: str) -> bool:
    return to_simplified(text) != text


def address_label(street: str, number: str) -> str:
    """The label of house ``number`` on ``street`` in the street's convention."""
    if has_cjk(street):
        if re.search(r"\d$", number):
            number += "號" if is_traditional(street) else "号"
        return f"{street}{number}"
    if is_english_street(street):
        return f"{number} {street}"
    return f"{street} {number}"


def near_label(label: str, hint: str) -> str:
    """``label`` told apart by a street it meets, in the label's language."""
    if has_cjk(label):
        return f"{label}（{hint}附近）"
    return f"{label} (near {hint})"


def crossing_label(a: str, b: str) -> str:
    """Two streets that meet, as people there write it: "延安西路与江苏路" when both names are
    Chinese (与 is what a caller says and a 120 form prints), "Main Street & Oak Avenue" otherwise.
    The search reads both forms either way (``routing.text``)."""
    if has_cjk(a) and has_cjk(b):
        return f"{a}与{b}"
    return f"{a} & {b}"


def street_place_label(name: str, place: str) -> str:
    """A street of a repeated name with its locality: "Hauptstraße, Leimen"; Chinese
    writes the larger unit first: "岳麓区麓山南路"."""
    if has_cjk(name) and has_cjk(place):
        return f"{place}{name}"
    return f"{name}, {place}"


def with_unit(label: str, unit: str) -> str:
    """The label with a sub-address: "12213 West Bell Road #117", "Hauptstraße 5 Apt 2,
    Leimen", "麓山南路932号3栋502室"."""
    if has_cjk(label) and has_cjk(unit):
        cut = min((i for i in (label.find("（"),) if i > 0), default=len(label))
        return label[:cut] + unit + label[cut:]
    cut = min((i for i in (label.find(","), label.find(" (")) if i > 0), default=len(label))
    return f"{label[:cut]} {unit}{label[cut:]}"
