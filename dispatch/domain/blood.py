"""Emergency blood supply (issue #19): products, ABO/RhD groups, compatible substitution,
first-expire-first-out allocation, cold-chain limits, courier delivery jobs, the stock CSV import.

Why in the domain: which unit may go to which patient, in which order stock is used, and how
long a unit may travel outside a blood-bank fridge are rules of transfusion practice, not
storage or routing details. Everything here is pure (standard library only) and deterministic,
so the store layer can call :func:`allocate` inside a transaction that holds row locks on the
lots, and two racing requests can never be given the same unit.

Clinical rules in this module (:data:`COMPATIBILITY`, :data:`DEFAULT_COLD_CHAIN`,
:data:`DEFAULT_DEADLINE_S`) are **our table, to be reviewed by a transfusion specialist** before
any clinical use; docs/blood.md lists the sources they were drawn from.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from dispatch.domain import events as ev
from dispatch.domain.errors import DomainError, FileRefused, RowError
from dispatch.domain.text import Text

# -- errors ------------------------------------------------------------------------------------


class InvalidBloodGroup(DomainError):
    code = "invalid-blood-group"
    title = "Not an ABO/RhD blood group"


class InvalidBloodProduct(DomainError):
    code = "invalid-blood-product"
    title = "Not a blood product"


class InvalidBloodRequest(DomainError):
    code = "invalid-blood-request"
    title = "Invalid blood request"


class InvalidStockLot(DomainError):
    code = "invalid-stock-lot"
    title = "Invalid blood stock lot"


class IllegalJobTransition(DomainError):
    """A delivery job was asked to move against its lifecycle (for example delivered before it
    was picked up, or given to another courier while the units are in the first one's box)."""

    code = "illegal-job-transition"
    title = "Delivery job cannot change this way"


class HandoverRefused(DomainError):
    """Only the receiving hospital, named by a person, may confirm a handover."""

    code = "handover-refused"
    title = "Handover cannot be confirmed"


# -- products and groups -----------------------------------------------------------------------


class Product(StrEnum):
    RED_CELLS = "red_cells"
    PLASMA = "plasma"
    PLATELETS = "platelets"
    CRYO = "cryo"

    @property
    def label(self) -> Text:
        return _PRODUCT_LABEL[self]

    @classmethod
    def parse(cls, text: str) -> Product:
        """A product from its code or a common name (``"red cells"``, ``"RBC"``, ``"FFP"``,
        ``"cryoprecipitate"``, ``"红细胞"``...); anything else is refused, never guessed."""
        key = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
        found = _PRODUCT_NAMES.get(key)
        if found is None:
            known = ", ".join(p.value for p in cls)
            raise InvalidBloodProduct(f"{text!r} is not a blood product (one of: {known})")
        return found


_PRODUCT_LABEL: Mapping[Product, Text] = {
    Product.RED_CELLS: Text("red cells", "红细胞"),
    Product.PLASMA: Text("plasma", "血浆"),
    Product.PLATELETS: Text("platelets", "血小板"),
    Product.CRYO: Text("cryoprecipitate", "冷沉淀"),
}

_PRODUCT_NAMES: Mapping[str, Product] = {
    **{p.value.replace("_", " "): p for p in Product},
    "red cell": Product.RED_CELLS,
    "rbc": Product.RED_CELLS,
    "rcc": Product.RED_CELLS,
    "packed red cells": Product.RED_CELLS,
    "红细胞": Product.RED_CELLS,
    "ffp": Product.PLASMA,
    "fresh frozen plasma": Product.PLASMA,
    "血浆": Product.PLASMA,
    "platelet": Product.PLATELETS,
    "plt": Product.PLATELETS,
    "血小板": Product.PLATELETS,
    "cryoprecipitate": Product.CRYO,
    "冷沉淀": Product.CRYO,
}


class AboRh(StrEnum):
    """The eight ABO/RhD groups, written as blood banks print them (``"O-"``, ``"AB+"``)."""

    O_NEG = "O-"
    O_POS = "O+"
    A_NEG = "A-"
    A_POS = "A+"
    B_NEG = "B-"
    B_POS = "B+"
    AB_NEG = "AB-"
    AB_POS = "AB+"

    @property
    def abo(self) -> str:
        return self.value[:-1]

    @property
    def rhd_positive(self) -> bool:
        return self.value.endswith("+")

    @classmethod
    def of(cls, abo: str, rhd_positive: bool) -> AboRh:
        return cls(abo + ("+" if rhd_positive else "-"))

    @classmethod
    def parse(cls, text: str) -> AboRh:
        """Strictly: ABO letters, then RhD as ``+``/``-``, ``pos``/``neg``, ``positive``/
        ``negative``, optionally after ``Rh``/``RhD``; Chinese ``O型RhD阴性`` likewise.

        Refused, never guessed: a missing RhD (``"O"``), a zero for the letter O (``"0+"``),
        or anything else. A wrong guess here means an incompatible transfusion."""
        raw = text.strip()
        folded = raw.upper().translate(_SIGNS)
        if re.fullmatch(r"0\s*(RH\s*D?)?\s*[+-]?\w*", folded):
            raise InvalidBloodGroup(f"{raw!r}: write the letter O, not the digit 0")
        found = _GROUP_RE.fullmatch(folded)
        if found is None:
            if re.fullmatch(r"(AB|A|B|O)型?", folded):
                raise InvalidBloodGroup(f"{raw!r}: the RhD type (+ or -) is missing")
            raise InvalidBloodGroup(
                f"{raw!r} is not an ABO/RhD group (write e.g. O-, A+, AB neg, B positive)"
            )
        abo, rh = found.group("abo"), found.group("rh")
        return cls.of(abo, rh in ("+", "POS", "POSITIVE", "阳性"))


#: Unicode minus, en dash and full-width signs (Word documents, Chinese input methods) read as
#: ASCII ``+``/``-``.
_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "\uff0d": "-", "\uff0b": "+"})
_GROUP_RE = re.compile(
    r"(?P<abo>AB|A|B|O)型?\s*(?:RH\s*D?\s*)?(?P<rh>\+|-|POS|NEG|POSITIVE|NEGATIVE|阳性|阴性)"
)


# -- compatibility -----------------------------------------------------------------------------

#: Red cells, by ABO: a recipient may receive red cells lacking the A/B antigens their plasma
#: has antibodies against. Preference order: identical, then the other groups, O last.
_RED_CELL_ABO: Mapping[str, tuple[str, ...]] = {
    "O": ("O",),
    "A": ("A", "O"),
    "B": ("B", "O"),
    "AB": ("AB", "A", "B", "O"),
}

#: Plasma and cryoprecipitate, by ABO: the donor's plasma must not carry antibodies against the
#: recipient's antigens, so the rule is the reverse of red cells; AB (no anti-A, no anti-B) is
#: universal and, being scarce, is used last.
_PLASMA_ABO: Mapping[str, tuple[str, ...]] = {
    "O": ("O", "A", "B", "AB"),
    "A": ("A", "AB"),
    "B": ("B", "AB"),
    "AB": ("AB",),
}

#: Platelets, by ABO: ABO-identical first; otherwise platelets whose plasma is compatible with
#: the recipient (AB for anyone), then ABO-incompatible ones (a smaller count increment, and
#: their anti-A/anti-B), group O last and only tested negative for high-titre anti-A/B
#: (:func:`substitution_note`).
_PLATELET_ABO: Mapping[str, tuple[str, ...]] = {
    "O": ("O", "A", "B", "AB"),
    "A": ("A", "AB", "B", "O"),
    "B": ("B", "AB", "A", "O"),
    "AB": ("AB", "A", "B", "O"),
}


def _red_cell_donors(recipient: AboRh) -> tuple[AboRh, ...]:
    """RhD-negative recipients get RhD-negative red cells only (anti-D sensitisation: giving
    RhD-positive units in extremis is a clinician's decision, not an automatic substitution).
    RhD-positive recipients get every RhD-positive option before any RhD-negative one, which
    saves the scarce RhD-negative stock, and O-negative comes last of all."""
    abo = _RED_CELL_ABO[recipient.abo]
    if not recipient.rhd_positive:
        return tuple(AboRh.of(a, False) for a in abo)
    return tuple(AboRh.of(a, True) for a in abo) + tuple(AboRh.of(a, False) for a in abo)


def _plasma_like_donors(
    recipient: AboRh, abo_order: Mapping[str, tuple[str, ...]]
) -> tuple[AboRh, ...]:
    """Plasma and cryoprecipitate carry (practically) no red cells, so RhD does not restrict
    them; the recipient's own RhD type is still taken first within each ABO group."""
    own = recipient.rhd_positive
    return tuple(AboRh.of(a, rh) for a in abo_order[recipient.abo] for rh in (own, not own))


def _platelet_donors(recipient: AboRh) -> tuple[AboRh, ...]:
    """Platelet units carry a few red cells, enough to sensitise: RhD-negative recipients get
    RhD-negative platelets only (RhD-positive ones need anti-D prophylaxis, a clinician's
    decision). ABO order comes before RhD (ABO identity matters more to the increment)."""
    order = _PLATELET_ABO[recipient.abo]
    if not recipient.rhd_positive:
        return tuple(AboRh.of(a, False) for a in order)
    return tuple(AboRh.of(a, rh) for a in order for rh in (True, False))


#: Who may receive what: ``COMPATIBILITY[product][recipient]`` lists the donor groups in order
#: of preference (identical first). Our table, to be reviewed by a transfusion specialist;
#: sources and reasoning in docs/blood.md.
COMPATIBILITY: Mapping[Product, Mapping[AboRh, tuple[AboRh, ...]]] = {
    Product.RED_CELLS: {g: _red_cell_donors(g) for g in AboRh},
    Product.PLASMA: {g: _plasma_like_donors(g, _PLASMA_ABO) for g in AboRh},
    Product.PLATELETS: {g: _platelet_donors(g) for g in AboRh},
    Product.CRYO: {g: _plasma_like_donors(g, _PLASMA_ABO) for g in AboRh},
}


def compatible_donors(
    product: Product,
    recipient: AboRh,
    table: Mapping[Product, Mapping[AboRh, tuple[AboRh, ...]]] = COMPATIBILITY,
) -> tuple[AboRh, ...]:
    """Donor groups ``recipient`` may receive of ``product``, most preferred first."""
    return table[product][recipient]


def substitution_note(product: Product, recipient: AboRh, donor: AboRh) -> Text | None:
    """What the receiving ward must be told about a substitute, or ``None``."""
    if product is Product.PLATELETS and donor.abo == "O" and recipient.abo != "O":
        return Text(
            "group O platelets for a non-O patient: use units tested negative for high-titre "
            "anti-A/anti-B",
            "O型血小板输给非O型患者：须使用高效价抗A/抗B检测阴性的血小板",
        )
    if product is Product.PLATELETS and donor.abo != recipient.abo and donor.abo != "AB":
        return Text(
            "ABO-incompatible platelets: expect a smaller count increment",
            "ABO血型不合的血小板：血小板计数升高可能较少",
        )
    return None


# -- stock and requests ------------------------------------------------------------------------


def _require_utc_aware(at: datetime, what: str, error: type[DomainError]) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise error(f"{what} must carry a timezone")


@dataclass(frozen=True, slots=True)
class StockLot:
    """Units of one product and group from one lot, held at one bank, good until ``expires_at``
    (tz-aware, compared in UTC). ``units`` is what is free to allocate now. A lot is known by
    bank, lot number and product (one donation gives red cells and plasma under one number)."""

    lot_id: str
    bank_id: int
    product: Product
    group: AboRh
    units: int
    expires_at: datetime

    def __post_init__(self) -> None:
        if not self.lot_id.strip():
            raise InvalidStockLot("a stock lot needs a lot number")
        if not isinstance(self.units, int) or isinstance(self.units, bool) or self.units < 0:
            raise InvalidStockLot(f"lot {self.lot_id}: units must be a whole number >= 0")
        _require_utc_aware(self.expires_at, f"lot {self.lot_id}: expiry", InvalidStockLot)

    def in_date(self, at: datetime) -> bool:
        """Still usable at ``at`` (a unit expiring exactly then is not)."""
        return self.expires_at > at


class Urgency(StrEnum):
    LIFE_THREATENING = "life_threatening"  # massive haemorrhage: a life depends on minutes
    URGENT = "urgent"
    ROUTINE = "routine"

    @property
    def rank(self) -> int:
        """0 = most urgent (queue order)."""
        return _URGENCY_RANK[self]

    @property
    def label(self) -> Text:
        return _URGENCY_LABEL[self]


_URGENCY_RANK: Mapping[Urgency, int] = {
    Urgency.LIFE_THREATENING: 0,
    Urgency.URGENT: 1,
    Urgency.ROUTINE: 2,
}

_URGENCY_LABEL: Mapping[Urgency, Text] = {
    Urgency.LIFE_THREATENING: Text("life-threatening haemorrhage", "危及生命的大出血"),
    Urgency.URGENT: Text("urgent", "紧急"),
    Urgency.ROUTINE: Text("routine", "常规"),
}

#: Request to bedside when the hospital gives no deadline: 1 h for a life-threatening bleed
#: (the golden hour of haemorrhage control), 3 h urgent, 12 h routine (restocking, planned
#: surgery). Ours, configurable per request by an explicit ``deadline``.
DEFAULT_DEADLINE_S: Mapping[Urgency, float] = {
    Urgency.LIFE_THREATENING: 3600.0,
    Urgency.URGENT: 3 * 3600.0,
    Urgency.ROUTINE: 12 * 3600.0,
}

#: More than this in one request is a typing error (a massive-transfusion pack is ~6-10 units
#: of red cells; larger needs are sent as further requests).
MAX_UNITS_PER_REQUEST = 50


@dataclass(frozen=True, slots=True)
class BloodRequest:
    """A hospital asks for ``units`` of ``product`` for a patient of ``group`` by ``deadline``."""

    request_id: int
    hospital_id: int
    product: Product
    group: AboRh
    units: int
    urgency: Urgency
    requested_at: datetime
    deadline: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.units, int) or isinstance(self.units, bool):
            raise InvalidBloodRequest("units must be a whole number")
        if not 1 <= self.units <= MAX_UNITS_PER_REQUEST:
            raise InvalidBloodRequest(f"units must be 1..{MAX_UNITS_PER_REQUEST}, not {self.units}")
        _require_utc_aware(self.requested_at, "the request time", InvalidBloodRequest)
        _require_utc_aware(self.deadline, "the deadline", InvalidBloodRequest)
        if self.deadline <= self.requested_at:
            raise InvalidBloodRequest("the deadline must be after the request time")

    @classmethod
    def new(
        cls,
        *,
        request_id: int,
        hospital_id: int,
        product: Product,
        group: AboRh,
        units: int,
        urgency: Urgency,
        requested_at: datetime,
        deadline: datetime | None = None,
    ) -> BloodRequest:
        """A request; without a ``deadline`` the urgency's default (:data:`DEFAULT_DEADLINE_S`)."""
        due = deadline or requested_at + timedelta(seconds=DEFAULT_DEADLINE_S[urgency])
        return cls(request_id, hospital_id, product, group, units, urgency, requested_at, due)


# -- allocation --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllocationLine:
    """``units`` from lot ``lot_id`` at bank ``bank_id``; ``note`` for the receiving ward."""

    lot_id: str
    bank_id: int
    group: AboRh
    units: int
    expires_at: datetime
    identical: bool
    note: Text | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    """The units reserved for a request, in the order they were chosen. ``short_units`` is
    non-zero only for a partial allocation (``allow_partial``)."""

    request_id: int
    product: Product
    lines: tuple[AllocationLine, ...]
    short_units: int = 0

    @property
    def units(self) -> int:
        return sum(line.units for line in self.lines)

    @property
    def substituted(self) -> bool:
        return any(not line.identical for line in self.lines)

    def by_bank(self) -> dict[int, tuple[AllocationLine, ...]]:
        """Lines per bank, in allocation order: one delivery job per bank."""
        out: dict[int, list[AllocationLine]] = {}
        for line in self.lines:
            out.setdefault(line.bank_id, []).append(line)
        return {bank: tuple(lines) for bank, lines in out.items()}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Nothing was reserved; ``reason`` says why in both languages, ``available_units`` how
    many compatible in-date units there were (0 .. requested - 1)."""

    request_id: int
    code: str
    reason: Text
    available_units: int


def allocate(
    request: BloodRequest,
    lots: Iterable[StockLot],
    now: datetime,
    *,
    bank_order: Sequence[int] | None = None,
    allow_partial: bool = False,
    table: Mapping[Product, Mapping[AboRh, tuple[AboRh, ...]]] = COMPATIBILITY,
) -> Allocation | Refusal:
    """Choose the units for ``request`` from ``lots``; pure and deterministic.

    Usable lots: the requested product, a group the table allows for the patient, free units,
    and in date at the later of ``now`` and the request's deadline (a unit must still be good
    when it is due at the bedside). Order of use:

    1. preference tier: the table's order (identical group first, O-negative red cells last);
    2. bank: when ``bank_order`` is given (for example nearest by road first), banks in that
       order, and banks not listed are not used (closed, unreachable); otherwise any bank;
    3. first-expire-first-out; ties by bank id then lot number, so the same stock always gives
       the same answer.

    Short stock refuses the whole request (a :class:`Refusal`) unless ``allow_partial``, for
    a life-threatening bleed where some units now beat all units later.

    Call it under the lots' row locks and write the returned lines in the same transaction:
    then no unit is ever allocated twice."""
    _require_utc_aware(now, "now", InvalidBloodRequest)
    donors = table[request.product][request.group]
    tier = {g: i for i, g in enumerate(donors)}
    bank_rank = None if bank_order is None else {b: i for i, b in enumerate(bank_order)}
    good_until = max(now, request.deadline)
    seen: set[tuple[int, str, Product]] = set()
    usable: list[StockLot] = []
    for lot in lots:
        key = (lot.bank_id, lot.lot_id, lot.product)
        if key in seen:
            raise InvalidStockLot(
                f"lot {lot.lot_id} ({lot.product.value}) at bank {lot.bank_id} is listed twice"
            )
        seen.add(key)
        if (
            lot.product is request.product
            and lot.group in tier
            and lot.units > 0
            and lot.in_date(good_until)
            and (bank_rank is None or lot.bank_id in bank_rank)
        ):
            usable.append(lot)

    def order(lot: StockLot) -> tuple[int, int, datetime, int, str]:
        rank = 0 if bank_rank is None else bank_rank[lot.bank_id]
        return (tier[lot.group], rank, lot.expires_at.astimezone(UTC), lot.bank_id, lot.lot_id)

    lines: list[AllocationLine] = []
    wanted = request.units
    for lot in sorted(usable, key=order):
        if wanted == 0:
            break
        take = min(wanted, lot.units)
        wanted -= take
        lines.append(
            AllocationLine(
                lot.lot_id,
                lot.bank_id,
                lot.group,
                take,
                lot.expires_at,
                identical=lot.group is request.group,
                note=substitution_note(request.product, request.group, lot.group),
            )
        )
    got = request.units - wanted
    if wanted and not (allow_partial and got):
        return _refusal(request, got)
    return Allocation(request.request_id, request.product, tuple(lines), short_units=wanted)


def _refusal(request: BloodRequest, available: int) -> Refusal:
    product, group = request.product.label, request.group.value
    if available == 0:
        return Refusal(
            request.request_id,
            "no-compatible-stock",
            Text(
                f"no {product.en} compatible with {group} in date at any bank",
                f"各血库均无与{group}相容且在有效期内的{product.zh}",
            ),
            0,
        )
    return Refusal(
        request.request_id,
        "short-stock",
        Text(
            f"only {available} of {request.units} units of {product.en} compatible with "
            f"{group} in stock",
            f"与{group}相容的{product.zh}库存仅{available}单位，需要{request.units}单位",
        ),
        available,
    )


# -- cold chain --------------------------------------------------------------------------------


class Box(StrEnum):
    """Transport containers by temperature: products of different boxes never share one."""

    COOL = "cool"  # 2-10 °C validated cool box: red cells
    FROZEN = "frozen"  # <= -18 °C (dry ice) box: frozen plasma and cryoprecipitate
    AMBIENT = "ambient"  # 20-24 °C insulated box: platelets (never refrigerated)


@dataclass(frozen=True, slots=True)
class Transport:
    box: Box
    #: longest time a unit may spend between leaving the bank and the handover, seconds
    max_transit_s: float


@dataclass(frozen=True, slots=True)
class ColdChain:
    """Transport rule per product. Configurable: a service should set the times its own
    boxes were validated for."""

    rules: Mapping[Product, Transport]

    def __post_init__(self) -> None:
        missing = set(Product) - set(self.rules)
        if missing:
            raise ValueError(f"cold chain: no rule for {sorted(p.value for p in missing)}")
        for product, rule in self.rules.items():
            if not rule.max_transit_s > 0:
                raise ValueError(f"cold chain: {product.value} needs a positive transit time")

    def box(self, product: Product) -> Box:
        return self.rules[product].box

    def max_transit_s(self, product: Product) -> float:
        return self.rules[product].max_transit_s

    def breached(self, product: Product, picked_up_at: datetime, handed_over_at: datetime) -> bool:
        """True when the units travelled longer than their product may."""
        return (handed_over_at - picked_up_at).total_seconds() > self.max_transit_s(product)


#: Conservative defaults (ours; see docs/blood.md): red cells out of controlled storage 4 h;
#: frozen plasma and cryoprecipitate in a dry-ice box 4 h; platelets in an ambient box 2 h.
DEFAULT_COLD_CHAIN = ColdChain(
    {
        Product.RED_CELLS: Transport(Box.COOL, 4 * 3600.0),
        Product.PLASMA: Transport(Box.FROZEN, 4 * 3600.0),
        Product.CRYO: Transport(Box.FROZEN, 4 * 3600.0),
        Product.PLATELETS: Transport(Box.AMBIENT, 2 * 3600.0),
    }
)


# -- delivery jobs -----------------------------------------------------------------------------


class JobState(StrEnum):
    ASSIGNED = "assigned"
    PICKED_UP = "picked_up"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


JOB_TRANSITIONS: Mapping[JobState, frozenset[JobState]] = {
    JobState.ASSIGNED: frozenset({JobState.PICKED_UP, JobState.CANCELLED}),
    JobState.PICKED_UP: frozenset({JobState.DELIVERED, JobState.CANCELLED}),
    JobState.DELIVERED: frozenset(),
    JobState.CANCELLED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class BloodJobAssigned(ev.Event):
    job: int
    request: int
    unit: int  # the courier (or ambulance) carrying it
    previous_unit: int | None = None  # set when a re-plan moved the job to another courier
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class BloodAmbulanceSent(ev.Event):
    """No courier could make a life-threatening deadline and the dispatcher sent an ambulance
    (``unit``, ``call_sign``) with the blood instead: the choice is on the record."""

    request: int
    unit: int
    call_sign: str


@dataclass(frozen=True, slots=True)
class BloodJobStatusChanged(ev.Event):
    job: int
    request: int
    unit: int
    previous: str
    status: str
    by: str | None = None  # who confirmed the handover; who cancelled
    reason: str | None = None


@dataclass(eq=False)
class DeliveryJob:
    """Units of one request from one bank, carried by one courier unit to the hospital.

    assigned -> picked up (at the bank) -> delivered (handover confirmed by the receiving
    hospital); assigned or picked up -> cancelled. Each change stamps its time and records an
    event in ``events`` for the unit of work to write."""

    id: int
    request_id: int
    bank_id: int
    hospital_id: int
    product: Product
    units: int
    lot_ids: tuple[str, ...]
    unit_id: int
    state: JobState
    assigned_at: datetime
    picked_up_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    handover_by: str | None = None
    cancel_reason: str | None = None
    events: list[ev.Event] = field(default_factory=list, repr=False)

    @classmethod
    def assign(
        cls,
        *,
        id: int,
        request_id: int,
        bank_id: int,
        hospital_id: int,
        product: Product,
        units: int,
        lot_ids: Sequence[str],
        unit_id: int,
        at: datetime,
    ) -> DeliveryJob:
        if units < 1:
            raise IllegalJobTransition(f"job {id}: a delivery carries at least one unit")
        _require_utc_aware(at, "the assignment time", IllegalJobTransition)
        job = cls(
            id,
            request_id,
            bank_id,
            hospital_id,
            product,
            units,
            tuple(lot_ids),
            unit_id,
            JobState.ASSIGNED,
            at,
        )
        job.events.append(
            BloodJobAssigned(occurred_at=at, job=id, request=request_id, unit=unit_id)
        )
        return job

    @property
    def last_change_at(self) -> datetime:
        stamps = [self.assigned_at, self.picked_up_at, self.delivered_at, self.cancelled_at]
        return max(s for s in stamps if s is not None)

    def reassign(self, unit_id: int, *, at: datetime, reason: str) -> None:
        """Give the job to another courier (a re-plan); only before pick-up: once the units
        are in a box they stay with that courier until the handover."""
        if self.state is not JobState.ASSIGNED:
            raise IllegalJobTransition(
                f"job {self.id} is {self.state.value}: only an assigned job may change courier"
            )
        self._check_time(at)
        if unit_id == self.unit_id:
            return
        previous, self.unit_id = self.unit_id, unit_id
        self.events.append(
            BloodJobAssigned(
                occurred_at=at,
                job=self.id,
                request=self.request_id,
                unit=unit_id,
                previous_unit=previous,
                reason=reason,
            )
        )

    def pick_up(self, *, at: datetime) -> None:
        """The courier has the units: the cold-chain clock starts."""
        self._move(JobState.PICKED_UP, at)
        self.picked_up_at = at

    def deliver(self, *, at: datetime, hospital_id: int, confirmed_by: str) -> None:
        """The receiving hospital confirms the handover (``confirmed_by``: the person)."""
        if hospital_id != self.hospital_id:
            raise HandoverRefused(
                f"job {self.id} goes to hospital {self.hospital_id}; hospital {hospital_id} "
                "cannot confirm its handover"
            )
        if not confirmed_by.strip():
            raise HandoverRefused(f"job {self.id}: the handover must name who received the units")
        self._move(JobState.DELIVERED, at, by=confirmed_by.strip())
        self.delivered_at = at
        self.handover_by = confirmed_by.strip()

    def cancel(self, *, at: datetime, reason: str, by: str | None = None) -> None:
        """Call off the delivery (request withdrawn, courier broke down). Units already picked
        up go back to the bank, which decides whether they return to stock."""
        if not reason.strip():
            raise IllegalJobTransition(f"job {self.id}: a cancellation needs a reason")
        self._move(JobState.CANCELLED, at, by=by, reason=reason.strip())
        self.cancelled_at = at
        self.cancel_reason = reason.strip()

    def transit_s(self, now: datetime | None = None) -> float | None:
        """Seconds out of the bank: to the handover, or (on the way) to ``now``."""
        if self.picked_up_at is None:
            return None
        end = self.delivered_at or self.cancelled_at or now
        return None if end is None else (end - self.picked_up_at).total_seconds()

    def cold_chain_breached(self, cold_chain: ColdChain, now: datetime | None = None) -> bool:
        transit = self.transit_s(now)
        return transit is not None and transit > cold_chain.max_transit_s(self.product)

    def _check_time(self, at: datetime) -> None:
        _require_utc_aware(at, "the time of a job change", IllegalJobTransition)
        if at < self.last_change_at:
            raise IllegalJobTransition(
                f"job {self.id}: {at.isoformat()} is before its last change "
                f"({self.last_change_at.isoformat()})"
            )

    def _move(
        self, new: JobState, at: datetime, *, by: str | None = None, reason: str | None = None
    ) -> None:
        if new not in JOB_TRANSITIONS[self.state]:
            allowed = ", ".join(sorted(s.value for s in JOB_TRANSITIONS[self.state])) or "none"
            raise IllegalJobTransition(
                f"job {self.id} cannot go from {self.state.value} to {new.value} "
                f"(allowed: {allowed})"
            )
        self._check_time(at)
        previous, self.state = self.state, new
        self.events.append(
            BloodJobStatusChanged(
                occurred_at=at,
                job=self.id,
                request=self.request_id,
                unit=self.unit_id,
                previous=previous.value,
                status=new.value,
                by=by,
                reason=reason,
            )
        )


# -- events of stock and requests --------------------------------------------------------------
#
# What the store records when stock, requests and couriers change (the jobs' own events are
# above). Flat fields only: they become the ``payload`` of the events log as they are.


@dataclass(frozen=True, slots=True)
class BloodBankAdded(ev.Event):
    bank: int
    code: str
    bank_name: str  # (``name`` is every event's own: its class name)
    location: tuple[float, float]  # [lon, lat]


@dataclass(frozen=True, slots=True)
class BloodStockSet(ev.Event):
    """A lot's free units were set (``source``: ``api`` for one lot, ``csv`` for an import)."""

    bank: int
    lot: str
    product: str
    group: str
    units: int
    previous_units: int | None  # None: a new lot
    expires_at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class BloodStockImported(ev.Event):
    banks: tuple[int, ...]
    lots: int
    units: int


@dataclass(frozen=True, slots=True)
class BloodRequested(ev.Event):
    request: int
    hospital: int
    product: str
    group: str
    units: int
    urgency: str
    deadline: datetime


@dataclass(frozen=True, slots=True)
class BloodReserved(ev.Event):
    """Units held for a request: ``lines`` are (bank, lot, donor group, units), in the order
    allocated; ``short_units`` > 0 only for an accepted partial allocation."""

    request: int
    lines: tuple[tuple[int, str, str, int], ...]
    substituted: bool
    short_units: int = 0


@dataclass(frozen=True, slots=True)
class BloodWaitlisted(ev.Event):
    """Nothing held: ``code`` ``no-compatible-stock`` or ``short-stock``."""

    request: int
    code: str
    reason: str
    available_units: int


@dataclass(frozen=True, slots=True)
class BloodRequestStatusChanged(ev.Event):
    request: int
    previous: str
    status: str


@dataclass(frozen=True, slots=True)
class BloodCourierRegistered(ev.Event):
    """A unit carries blood (the ``blood`` capability) with these box capacities, in units."""

    unit: int
    cool: int
    frozen: int
    ambient: int


# -- stock CSV import --------------------------------------------------------------------------

#: The stock file's columns, all required (others are ignored).
STOCK_COLUMNS = ("bank", "lot", "product", "group", "units", "expires_at")
MAX_STOCK_ROWS = 20_000
MAX_UNITS_PER_LOT = 10_000


class StockImportFailed(FileRefused):
    """The stock file was refused as a whole; ``errors`` names every row, column and reason."""

    code = "stock-import-refused"
    title = "Stock file refused: nothing imported"


def parse_stock_csv(
    text: str, *, banks: Mapping[str, int], now: datetime, zone: tzinfo = UTC
) -> list[StockLot]:
    """Stock lots from CSV text (pure: no file). All or nothing: raises
    :class:`StockImportFailed` listing every bad cell, or returns every lot in file order.

    ``banks`` maps the ``bank`` column's codes to bank ids (a login may pass only its own
    bank, so a file cannot touch another bank's stock). Times without an offset are read in
    ``zone``; a date alone (``2026-03-20``) means the end of that day, as ISBT 128 labels do."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    return parse_stock_rows(header, reader, banks=banks, now=now, zone=zone)


def parse_stock_rows(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    banks: Mapping[str, int],
    now: datetime,
    zone: tzinfo = UTC,
) -> list[StockLot]:
    """As :func:`parse_stock_csv`, from a header and rows already split (a spreadsheet)."""
    _require_utc_aware(now, "now", InvalidStockLot)
    names = [h.strip().lower() for h in header]
    missing = [c for c in STOCK_COLUMNS if c not in names]
    if missing:
        raise StockImportFailed([RowError(1, c, "missing from the header") for c in missing])
    doubled = sorted({c for c in STOCK_COLUMNS if names.count(c) > 1})
    if doubled:
        raise StockImportFailed([RowError(1, c, "appears twice in the header") for c in doubled])
    index = {name: i for i, name in enumerate(names)}
    lots: list[StockLot] = []
    errors: list[RowError] = []
    first_row: dict[tuple[int, str, Product], int] = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line, as spreadsheets leave at the end
        if number - 1 > MAX_STOCK_ROWS:
            errors.append(RowError(number, "", f"more than {MAX_STOCK_ROWS} rows: split the file"))
            break

        def cell(column: str, row: Sequence[str] = row) -> str:
            i = index[column]
            return row[i].strip() if i < len(row) else ""

        found = _stock_row(cell, number, banks, now, zone)
        if isinstance(found, StockLot):
            key = (found.bank_id, found.lot_id, found.product)
            if key in first_row:
                errors.append(
                    RowError(
                        number,
                        "lot",
                        f"lot {found.lot_id} ({found.product.value}) is already on row "
                        f"{first_row[key]}",
                    )
                )
            else:
                first_row[key] = number
                lots.append(found)
        else:
            errors.extend(found)
    if errors:
        raise StockImportFailed(errors)
    if not lots:
        raise StockImportFailed([RowError(2, "lot", "no stock rows in the file")])
    return lots


def _stock_row(
    cell: Callable[[str], str], row: int, banks: Mapping[str, int], now: datetime, zone: tzinfo
) -> StockLot | list[RowError]:
    errors: list[RowError] = []

    def need(column: str) -> str | None:
        text = cell(column)
        if not text:
            errors.append(RowError(row, column, "empty"))
            return None
        return text

    bank_code, lot, product_text = need("bank"), need("lot"), need("product")
    group_text, units_text, expiry_text = need("group"), need("units"), need("expires_at")
    bank = None
    if bank_code is not None:
        bank = banks.get(bank_code)
        if bank is None:
            known = ", ".join(sorted(banks)) or "none"
            errors.append(RowError(row, "bank", f"unknown bank {bank_code!r} (yours: {known})"))
    product = group = None
    if product_text is not None:
        try:
            product = Product.parse(product_text)
        except InvalidBloodProduct as exc:
            errors.append(RowError(row, "product", exc.detail))
    if group_text is not None:
        try:
            group = AboRh.parse(group_text)
        except InvalidBloodGroup as exc:
            errors.append(RowError(row, "group", exc.detail))
    units = None
    if units_text is not None:
        if re.fullmatch(r"\d+", units_text) and int(units_text) <= MAX_UNITS_PER_LOT:
            units = int(units_text)
        else:
            errors.append(
                RowError(
                    row, "units", f"must be a whole number 0..{MAX_UNITS_PER_LOT}: {units_text!r}"
                )
            )
    expires = None
    if expiry_text is not None:
        expires = _expiry(expiry_text, zone)
        if expires is None:
            errors.append(
                RowError(row, "expires_at", f"not a date or ISO 8601 time: {expiry_text!r}")
            )
        elif expires <= now:
            errors.append(
                RowError(row, "expires_at", f"expired at {expires.isoformat()}: remove the lot")
            )
    if (
        errors
        or bank is None
        or lot is None
        or product is None
        or group is None
        or units is None
        or expires is None
    ):
        return errors
    return StockLot(lot, bank, product, group, units, expires)


def _expiry(text: str, zone: tzinfo) -> datetime | None:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
        at = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None
    return (at if at.tzinfo is not None else at.replace(tzinfo=zone)).astimezone(UTC)
