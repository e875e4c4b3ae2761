"""A typed address read into what the geocoder looks up.

A query is read several ways at once and every reading is looked up; the best answer
wins, so a reading that strips too much (a street really named "新区大道") costs
nothing when the whole text matches better. What is read off is kept: the unit is
returned with the answer, the postcode and city rank answers that carry them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..text import has_cjk, normalize
from .chinese import lane_readings, section_numerals, split_admin, split_cjk_unit
from .english import split_unit, strip_region
from .vocabulary import chinese, english

__all__ = ["AddressQuery", "Reading", "read_query", "split_between"]


@dataclass(frozen=True, slots=True)
class Reading:
    """Query text to look up, and how much of its score an answer keeps."""

    text: str
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class AddressQuery:
    """The readings of one query and the parts read off it."""

    readings: tuple[Reading, ...]
    unit: str | None = None
    postcode: str | None = None
    context: frozenset[str] = field(default_factory=frozenset)
    """Normalised words of the city, district or state named beside the street."""
    between: tuple[str, str, str] | None = None
    """(street, cross street, cross street) of "X between A and B"."""


_COMMA = re.compile(r"\s*[,，、;；]\s*")
# A European postcode and town after the street: "Bergheimer Straße 128 69115 Heidelberg".
_POSTCODE_TOWN = re.compile(r"\s+(?P<postcode>\d{4,6}|\d{4}-\d{3})\s+(?P<town>[^\d,]+)$")


def read_query(query: str) -> AddressQuery:
    """Readings of ``query``: as typed; without its unit; before its first comma;
    without ZIP/state, postcode and town; without a Chinese administrative prefix or
    suffix; and each lane reading of a Chinese lane address."""
    text = unicodedata.normalize("NFKC", query).strip()
    unit = None
    if has_cjk(text):
        text = section_numerals(text)
        text, unit = split_cjk_unit(text)
    if unit is None:
        text, unit = split_unit(text)
    texts: dict[str, float] = {text: 1.0}
    context: set[str] = set()
    postcode: str | None = None

    def add(candidate: str, weight: float = 1.0) -> None:
        candidate = candidate.strip(" ,，")
        if candidate and weight > texts.get(candidate, 0.0):
            texts[candidate] = weight

    parts = _COMMA.split(text)
    if len(parts) > 1 and parts[0]:
        add(parts[0])
        for part in parts[1:]:
            context.update(normalize(part).split())
            m = re.match(r"^(\d{4,6}|\d{4}-\d{3})\b", part)
            postcode = postcode or (m.group(1) if m else None)
    stripped, zip_code = strip_region(text)
    if stripped != text:
        add(stripped)
        postcode = zip_code
        context.update(normalize(text[len(stripped) :]).split())
        if "," in stripped:
            add(_COMMA.split(stripped)[0])
    m = _POSTCODE_TOWN.search(text)
    if m is not None and re.search(r"\d", text[: m.start()]):
        add(text[: m.start()])
        postcode = postcode or m.group("postcode")
        context.update(normalize(m.group("town")).split())
    if has_cjk(text):
        for t in list(texts):
            street, admin, code = split_admin(t)
            if admin or code:
                add(street)
                context.update(normalize(admin).split())
                postcode = postcode or code
        for t in list(texts):
            for lane in lane_readings(t):
                add(lane.text, lane.weight)
    return AddressQuery(
        readings=tuple(Reading(t, w) for t, w in texts.items()),
        unit=unit,
        postcode=postcode,
        context=frozenset(context),
        between=split_between(text),
    )


def split_between(query: str) -> tuple[str, str, str] | None:
    """("main street", "1st avenue", "2nd avenue") from "Main St between 1st Ave and 2nd
    Ave" (also btwn, "&", "/"), or from "延安西路(江苏路与镇宁路之间)" / "延安西路，江苏路和
    镇宁路之间"; the parts normalised. None for any other query."""
    text = unicodedata.normalize("NFKC", query).strip()
    words = "|".join(re.escape(w) for w in english()["between_words"])
    m = re.match(
        rf"^(?P<x>.+?)\s*,?\s+(?:{words})\.?\s+(?P<a>.+?)\s+(?:and|&|/|und|e|y)\s+(?P<b>.+)$",
        text,
        re.IGNORECASE,
    )
    if m is None:
        m = re.match(rf"^(?P<x>.+?)\s*,?\s+(?:{words})\.?\s*(?P<a>.+?)\s*[&/]\s*(?P<b>.+)$", text)
    if m is None and has_cjk(text):
        v = chinese()
        seps = "".join(v["intersection_separators"])
        ends = "|".join(re.escape(w) for w in v["between_forms"])
        m = re.match(
            rf"^(?P<x>.+?)\s*[(（,，\s]?\s*(?:在|位于|位於)?(?P<a>[^与與和及跟(（,，]+?)"
            rf"\s*[{seps}&/]\s*(?P<b>.+?)(?:{ends})\s*[)）]?\s*$",
            text,
        )
    if m is None:
        return None
    x, a, b = (normalize(m.group(k)) for k in ("x", "a", "b"))
    return (x, a, b) if x and a and b else None
