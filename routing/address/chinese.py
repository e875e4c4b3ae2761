"""Chinese address forms (mainland and Taiwan, Simplified and Traditional).

An address is written from the largest unit to the smallest, without spaces:
``[postcode] 省 市 区/县 [街道/镇/乡] 路 [段] [巷 [弄]] 号 [栋 单元 室]``, e.g.
湖南省长沙市岳麓区麓山南路932号 or 300新竹市東區大學路1001號. The map names only the
street and its numbers, so the prefix is read off (and kept to rank) and the units
after the number are a sub-address. Traditional and Simplified spellings are folded
to one (大學路 = 大学路) with OpenCC's character table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .vocabulary import chinese

__all__ = [
    "CJK_NUMERALS",
    "LaneReading",
    "lane_readings",
    "section_numerals",
    "split_admin",
    "split_cjk_unit",
    "to_simplified",
]

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_NUMERALS = "〇一二三四五六七八九十"


@cache
def _ts_table() -> dict[int, str]:
    """Traditional -> Simplified, one character at a time (OpenCC's TSCharacters). A
    character table is enough here: both the index and the query are folded the same
    way, so even an ambiguous character lands on the same key on both sides."""
    table: dict[int, str] = {}
    try:
        import opencc

        path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
        lines = path.read_text(encoding="utf-8").splitlines()
    except (ImportError, OSError):  # without the table only Simplified matches Simplified
        return table
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 1 and len(parts[1]) == 1:
            table[ord(parts[0])] = parts[1]
    return table


def to_simplified(text: str) -> str:
    """大學路1001號 -> 大学路1001号; text without Traditional characters is unchanged."""
    return text.translate(_ts_table())


def section_numerals(text: str) -> str:
    """Sections written in digits read as Chinese numerals, as street names spell them:
    "中山北路2段" -> "中山北路二段" (and the 2 is not taken for a house number)."""

    def numeral(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if n <= 10:
            word = CJK_NUMERALS[n]
        elif n < 20:
            word = "十" + (CJK_NUMERALS[n - 10] if n > 10 else "")
        else:
            return m.group(0)
        return word + "段"

    return re.sub(r"(?<!\d)(\d{1,2})\s*段", numeral, text)


@cache
def _admin_pattern() -> re.Pattern[str]:
    v = chinese()

    def alt(words: list[str]) -> str:
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

    han = f"[{_HAN}]"
    return re.compile(
        rf"^(?P<postcode>\d{{3,6}})?\s*"
        rf"(?P<admin>(?:{alt(v['country'])})?\s*"
        rf"(?:{han}{{2,7}}?(?:{alt(v['province_suffixes'])}))?\s*"
        rf"(?:{han}{{2,7}}?(?:{alt(v['city_suffixes'])}))?\s*"
        rf"(?:{han}{{1,6}}?(?:{alt(v['district_suffixes'])}))?\s*"
        rf"(?:{han}{{2,8}}?(?:{alt(v['town_suffixes'])}))?)\s*"
    )


@cache
def _trailing_admin_pattern() -> re.Pattern[str]:
    v = chinese()
    suffixes = v["province_suffixes"] + v["city_suffixes"] + v["district_suffixes"]
    alt = "|".join(re.escape(w) for w in sorted(suffixes, key=len, reverse=True))
    return re.compile(rf"[\s,，]*(?:[{_HAN}]{{1,7}}?(?:{alt}))+\s*$")


def split_admin(text: str) -> tuple[str, str, str | None]:
    """(street part, administrative prefix, postcode) of a Chinese address:
    "300新竹市東區大學路1001號" -> ("大學路1001號", "新竹市東區", "300"). A trailing
    "..., 新竹市東區" is read off too. Text without such parts comes back unchanged."""
    m = _admin_pattern().match(text)
    rest, admin, postcode = text, "", None
    if m is not None and m.group(0).strip() and re.search(f"[{_HAN}]", text[m.end() :]):
        admin = m.group("admin").strip()
        postcode = m.group("postcode")
        rest = text[m.end() :]
        if not admin and postcode and not re.match(f"[{_HAN}]", rest):
            rest, postcode = text, None  # "100 Main St": a number, not a postcode
    tail = _trailing_admin_pattern().search(rest)
    if (
        tail is not None
        and tail.start() > 0
        and re.search(r"\d|[路街道巷弄]", rest[: tail.start()])
    ):
        admin = (admin + " " + tail.group(0).strip(" ,，")).strip()
        rest = rest[: tail.start()]
    return rest.strip(), admin, postcode


@cache
def _unit_pattern() -> re.Pattern[str]:
    marks = sorted(chinese()["unit_marks"], key=len, reverse=True)
    alt = "|".join(re.escape(w) for w in marks)
    part = rf"(?:[0-9a-z{CJK_NUMERALS}]+(?:{alt})|之[0-9{CJK_NUMERALS}]+)"
    return re.compile(rf"(?<=[号號\d])\s*(?P<unit>(?:{part}\s*)+)$", re.IGNORECASE)


def split_cjk_unit(text: str) -> tuple[str, str | None]:
    """("麓山南路932号", "3栋502室") from "麓山南路932号3栋502室": building, entrance,
    floor and room after the house number are a sub-address."""
    m = _unit_pattern().search(text)
    if m is None or not re.search(f"[{_HAN}]", text[: m.start()]):
        return text, None
    head = text[: m.start()]
    if not re.search(r"\d\s*[号號]?$", head):
        return text, None
    return head.rstrip(), m.group("unit").strip()


@dataclass(frozen=True, slots=True)
class LaneReading:
    """One way to look a lane address up: ``text`` as a query, and its ``weight``
    (below 1 for the lane's entrance on the main street, an approximation)."""

    text: str
    weight: float


_LANE = re.compile(
    rf"^(?P<street>.*?[{_HAN}])(?P<lane>\d+)\s*(?P<mark>[巷弄衖])"
    rf"(?:(?P<alley>\d+)\s*(?P<mark2>[弄衖]))?(?P<number>\d+\s*[号號]?)?(?P<rest>.*)$"
)


def lane_readings(text: str) -> list[LaneReading]:
    """Readings of a lane address: "中山路100巷5弄3號" is number 3 on the lane
    "中山路100巷5弄" (Taiwan maps name lanes as streets), else the lane's entrance,
    number 100 on 中山路; "南京西路1025弄5号" likewise (Shanghai's lane compounds)."""
    m = _LANE.match(text)
    if m is None:
        return []
    lane = m.group("street") + m.group("lane") + m.group("mark")
    if m.group("alley"):
        lane += m.group("alley") + m.group("mark2")
    out = [LaneReading(lane + (m.group("number") or "") + m.group("rest"), 1.0)]
    if m.group("alley"):  # the 巷 itself, entrance of the 弄
        first = m.group("street") + m.group("lane") + m.group("mark")
        out.append(LaneReading(first + m.group("alley") + "号", 0.9))
    out.append(LaneReading(m.group("street") + m.group("lane") + "号", 0.9))
    return out
