"""Receiving hospitals and the choice of destination for a transporting unit.

Why in the domain: "which hospital" is a clinical-dispatch rule (the right centre beats the
nearest door for a STEMI, a stroke or major trauma), not a routing detail. The road ETAs come
from the routing engine; this module only decides, and explains each decision in a sentence
the dispatcher can read out or overrule.

Ranking, in order (each option carries a bilingual ``reason``; skipped hospitals are listed
after the ranked ones with a ``skipped_reason`` so the dispatcher sees why, and may overrule):

1. A hospital with no road ETA (``None``, missing, or infinite) or a **closed** ED is skipped.
2. **Open** hospitals with the needed capability, nearest ETA first.
3. Only if step 2 is empty: capable hospitals on **diversion**, nearest first. Diversion is a
   request to spare a crowded ED, not a closure; a patient who needs a PCI lab or a trauma
   centre is better served by a capable ED on diversion (with a pre-alert call) than by an
   incapable one.
4. Only if steps 2 and 3 are empty: open hospitals *without* the capability, nearest first, to
   stabilise and transfer; then, as a last resort, incapable hospitals on diversion.
   With no need (``needs is None``) every open ED counts as capable, so step 3 then means
   "every reachable ED is on diversion: go to the nearest anyway".

Capable-but-farther alternatives are never hidden: all open capable hospitals are ranked.
``beds_available`` (and, for a patient with a need, the ED's free beds of that speciality,
``capability_beds``) is shown in the reason but does not reorder: an ED that is full says so by
declaring diversion, and a bed count reported by hand lags reality.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from dispatch.domain.errors import DomainError
from dispatch.domain.geo import Location
from dispatch.domain.text import Text

#: The fixed capability vocabulary (also used by the triage protocol's ``hospital_capability``).
CAPABILITIES: frozenset[str] = frozenset(
    {
        "stroke",
        "pci",
        "trauma_1",
        "trauma_2",
        "trauma_3",
        "pediatric",
        "obstetric",
        "burns",
        "fever_clinic",
    }
)

#: A designated fever clinic (发热门诊): where a suspected infectious patient must go.
FEVER_CLINIC = "fever_clinic"

#: A need is met by any of these capabilities: a higher trauma level satisfies a lower need
#: (level I does everything level II does, and so on).
SATISFIES: Mapping[str, frozenset[str]] = {
    **{c: frozenset({c}) for c in CAPABILITIES},
    "trauma_2": frozenset({"trauma_1", "trauma_2"}),
    "trauma_3": frozenset({"trauma_1", "trauma_2", "trauma_3"}),
}

_CENTRE: Mapping[str, Text] = {
    "stroke": Text("stroke centre", "卒中中心"),
    "pci": Text("PCI centre", "胸痛中心（PCI）"),
    "trauma_1": Text("level I trauma centre", "一级创伤中心"),
    "trauma_2": Text("trauma centre (level II or higher)", "创伤中心（二级及以上）"),
    "trauma_3": Text("trauma centre", "创伤中心"),
    "pediatric": Text("paediatric ED", "儿科急诊"),
    "obstetric": Text("obstetric unit", "产科"),
    "burns": Text("burns centre", "烧伤中心"),
    "fever_clinic": Text("fever clinic", "发热门诊"),
}


#: How a speciality's own free beds are named in a destination reason.
_WARD: Mapping[str, Text] = {
    "stroke": Text("stroke unit", "卒中单元"),
    "pci": Text("cath lab", "导管室"),
    "trauma_1": Text("trauma bays", "创伤复苏位"),
    "trauma_2": Text("trauma bays", "创伤复苏位"),
    "trauma_3": Text("trauma bays", "创伤复苏位"),
    "pediatric": Text("paediatric", "儿科"),
    "obstetric": Text("obstetric", "产科"),
    "burns": Text("burns", "烧伤"),
    "fever_clinic": Text("fever clinic", "发热门诊"),
}


class UnknownCapability(DomainError):
    code = "unknown-capability"
    title = "Unknown hospital capability"


class BedsWithoutCapability(DomainError):
    """Free beds reported for a speciality the hospital does not offer: a typo on the ED screen
    or a stale capability list; either way the board would mislead, so it is refused."""

    code = "beds-without-capability"
    title = "Beds reported for a capability the hospital does not have"


class EdStatus(StrEnum):
    OPEN = "open"
    DIVERSION = "diversion"  # asks ambulances to go elsewhere; may still be used (see module note)
    CLOSED = "closed"  # cannot receive: never recommended


@dataclass(frozen=True, slots=True)
class Hospital:
    id: int
    name: str
    location: Location
    capabilities: frozenset[str]
    ed_status: EdStatus
    beds_available: int
    #: when the ED last reported its status (None: never); the console flags old reports
    status_at: datetime | None = None
    #: free beds per speciality the ED reports (e.g. ``{"stroke": 1, "pediatric": 0}``); a
    #: capability absent here has no separate count (only ``beds_available`` is known)
    capability_beds: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = (self.capabilities | set(self.capability_beds)) - CAPABILITIES
        if unknown:
            raise UnknownCapability(
                f"hospital {self.name}: unknown capabilities {sorted(unknown)} "
                f"(known: {sorted(CAPABILITIES)})"
            )
        lacking = set(self.capability_beds) - self.capabilities
        if lacking:
            raise BedsWithoutCapability(
                f"hospital {self.name}: free beds reported for {sorted(lacking)}, which it does "
                f"not offer (capabilities: {sorted(self.capabilities)})"
            )
        negative = sorted(c for c, n in self.capability_beds.items() if n < 0)
        if negative:
            raise ValueError(f"hospital {self.name}: negative free beds for {negative}")

    def beds_for(self, need: str | None) -> int | None:
        """Free beds the ED reports for ``need`` (the most of any capability that satisfies it,
        a level I trauma bed serving a level II need); ``None`` when it reports no such count."""
        if need is None:
            return None
        counts = [n for c, n in self.capability_beds.items() if c in SATISFIES[need]]
        return max(counts) if counts else None

    def can_treat(self, need: str | None) -> bool:
        """Whether this hospital has what ``need`` asks for (``None``: any ED will do)."""
        return need is None or bool(self.capabilities & SATISFIES[need])


@dataclass(frozen=True, slots=True)
class DestinationOption:
    """One row of the destination list; ``rank`` is ``None`` for a skipped hospital."""

    hospital_id: int
    eta_s: float | None
    rank: int | None
    reason: Text | None
    skipped_reason: Text | None


def _minutes(eta_s: float) -> int:
    return max(1, round(eta_s / 60))


def _usable_eta(eta: float | None) -> float | None:
    if eta is None or math.isnan(eta) or math.isinf(eta):
        return None
    if eta < 0:
        raise ValueError(f"a road ETA cannot be negative ({eta})")
    return eta


def rank_destinations(
    hospitals: Iterable[Hospital],
    etas: Mapping[int, float | None],
    needs: str | None,
    *,
    capable_only: bool = False,
) -> list[DestinationOption]:
    """Rank hospitals for a transport: ranked options first (best first), then skipped ones.

    ``etas`` maps hospital id to road seconds from the unit (``None``/missing/inf: no route).
    ``needs`` is one capability from :data:`CAPABILITIES`, usually the triage result's
    ``hospital_capability``. See the module docstring for the tiers and why.

    ``capable_only`` (a suspected infectious patient, who needs a fever clinic): hospitals
    without the capability are never ranked, only listed as skipped; with no capable hospital
    reachable nothing is ranked, and the dispatcher sees every skipped one with why.
    """
    if needs is not None and needs not in CAPABILITIES:
        raise UnknownCapability(f"unknown need {needs!r} (known: {sorted(CAPABILITIES)})")
    centre = _CENTRE[needs] if needs is not None else Text("ED", "急诊")
    tiers: list[list[tuple[float, Hospital]]] = [[], [], [], []]
    skipped: list[DestinationOption] = []
    for h in hospitals:
        eta = _usable_eta(etas.get(h.id))
        if eta is None:
            skipped.append(_skip(h, None, Text("no road route", "无可达道路路线")))
        elif h.ed_status is EdStatus.CLOSED:
            skipped.append(_skip(h, eta, Text("ED closed", "急诊关闭")))
        else:
            capable = h.can_treat(needs)
            diverting = h.ed_status is EdStatus.DIVERSION
            tiers[(0 if capable else 2) + (1 if diverting else 0)].append((eta, h))
    ranked: list[DestinationOption] = []
    usable = (0, 1) if capable_only else (0, 1, 2, 3)
    chosen = next((i for i, tier in enumerate(tiers) if tier and i in usable), None)
    for index, tier in enumerate(tiers):
        for eta, h in sorted(tier, key=lambda pair: (pair[0], pair[1].id)):
            if index == chosen:
                reason = _reason(index, len(ranked), eta, h, centre, needs)
                ranked.append(DestinationOption(h.id, eta, len(ranked) + 1, reason, None))
            else:
                skipped.append(_skip(h, eta, _why_not(index, needs, centre)))
    # Only the first non-empty tier is ranked; the others are listed as skipped, with why.
    skipped.sort(key=lambda o: (o.eta_s is None, o.eta_s or 0.0, o.hospital_id))
    return ranked + skipped


def _skip(h: Hospital, eta: float | None, why: Text) -> DestinationOption:
    return DestinationOption(h.id, eta, None, None, why)


def _why_not(tier: int, needs: str | None, centre: Text) -> Text:
    if tier in (1, 3):
        return Text("on diversion", "急诊分流中")
    # tier 2: open but lacks the capability (only reachable when needs is not None)
    return Text(f"not a {centre.en}", f"非{centre.zh}")


def _reason(
    tier: int, position: int, eta: float, h: Hospital, centre: Text, needs: str | None
) -> Text:
    minutes = _minutes(eta)
    nth_en = "nearest" if position == 0 else f"{_ordinal(position + 1)} nearest"
    nth_zh = "最近的" if position == 0 else f"第{position + 1}近的"
    if tier == 0:
        en, zh = f"{nth_en} open {centre.en}", f"{nth_zh}开放{centre.zh}"
    elif tier == 1:
        en = f"{nth_en} {centre.en}, on diversion: none open is reachable, call ahead"
        zh = f"{nth_zh}{centre.zh}（分流中）：无可达的开放{centre.zh}，请提前联系"
    elif tier == 2:
        en = f"no reachable {centre.en}: {nth_en} open ED to stabilise and transfer"
        zh = f"无可达{centre.zh}：{nth_zh}开放急诊，稳定后转院"
    else:
        en = f"no reachable {centre.en} and no open ED: {nth_en} ED on diversion, call ahead"
        zh = f"无可达{centre.zh}且无开放急诊：{nth_zh}分流中急诊，请提前联系"
    beds = max(0, h.beds_available)
    special = h.beds_for(needs) if h.can_treat(needs) else None
    if special is None:
        return Text(f"{en}, {minutes} min, {beds} beds free", f"{zh}，{minutes}分钟，空床{beds}张")
    ward = _WARD[needs] if needs is not None else Text("ED", "急诊")
    return Text(
        f"{en}, {minutes} min, {beds} beds free, {ward.en}: {special}",
        f"{zh}，{minutes}分钟，空床{beds}张，{ward.zh}{special}张",
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
