"""Distribution plan of a mass-casualty incident: which patient leaves next, in which unit, for
which hospital (issue 17). Advice: the transport officer confirms each transport.

**Input** (:class:`MciState`, a snapshot; times are seconds from now, road times given, so this is
pure computation with no routing import): the patients waiting on scene (category, needs), the
units that will carry them (seconds until each can start loading at the scene; what each
carries, :class:`~dispatch.domain.mci.UnitCapacity`), the hospitals (capabilities, ED status,
surge capacity, road seconds scene -> hospital and back), the transports the officer already
confirmed but that have not left, and what is already on its way to or at each hospital.
:func:`road_times` fills the road seconds from an :class:`~dispatch.policies.base.EtaProvider`;
:func:`split_patients` turns the domain's patients into the patient part of the state.

**Output** (:class:`MciPlan`): transports in departure order (unit, its trip number, patients,
hospital, planned departure / arrival / back-at-scene seconds, a bilingual reason), the
incoming count per hospital and category, overflow over declared capacity, patients left out
(with why), and the objective.

**Objective**: minimise the category-weighted sum of times to definitive care (arrival at a
capable hospital with room; weights ``TRANSPORT_WEIGHT``: immediate 10, delayed 3, minor 1),
with units doing round trips (scene -> hospital -> handover -> back to scene) when the
patients outnumber the units, **plus** the last immediate patient's arrival counted once more
per immediate patient (``last_immediate_factor``): the worst-off red matters beyond the
average, and without this term the sum is indifferent between plans whose last red arrives
ten minutes apart.

**Rules** (hard unless said):

- Capability: a patient goes to a hospital meeting all its needs. If no open one is reachable:
  the open hospital meeting the most needs (any open ED when none meets any), with a reason.
- Diversion and closed EDs are out. Only when *no* open ED is reachable are diverting ones used
  (call ahead), as in :func:`dispatch.domain.hospitals.rank_destinations`.
- Capacity per category (``SurgeCapacity``, minus what is already committed) is hard whenever
  the capable hospitals' total allows it; otherwise overflow is allowed at a high, convex price
  (spread over hospitals, not piled on the nearest) and reported.
- Unit load: :class:`~dispatch.domain.mci.UnitCapacity` (one immediate, or two delayed, ...);
  all patients of one trip go to one hospital.
- The dead are never planned; expectant patients only with ``transport_expectant``.
- Transports in progress are fixed: they only consume capacity (``committed``) and delay their
  unit (``PlanUnit.available_in_s``). Confirmed-but-not-departed transports are kept as their
  unit's next trip, unless their hospital can no longer take them (diversion, closed,
  unreachable): then they are voided with a warning and their patients re-planned.

**Re-planning** is calling :func:`plan` again with the current state (when a unit arrives, a
hospital changes status or capacity, a patient is added or re-triaged): the planner keeps no
memory, so a plan can never be stale relative to the facts it was given.

**Formulation**. One monolithic model (CP-SAT over (unit, trip, hospital) slots) would have
to link trip start times with hospital choices (bilinear, big-M over ~100 x 30 x trips x 15);
we did not try to make it meet a 1 s p99 on two cores and chose a decomposition whose parts
are exact and which runs in tens of milliseconds (``bench/mci.py`` measures it):

1. *Allocation* (OR-Tools min-cost flow): patient classes (category x needs) -> (hospital,
   capacity category) -> sink, arc cost ``w[c] * scene_to_h + mu * room_share[c] * cycle_h``
   (``cycle_h``: the round trip a unit spends on that hospital, priced at ``mu`` per
   unit-second, since a unit away longer delays everyone after), capacity arcs at the
   remaining surge places, and parallel overflow arcs priced ``P * k`` for the k-th patient
   over capacity (convex: spread). Exact for the allocation.
2. *The reds' bottleneck* (when every waiting immediate can leave in the first wave and fits
   the capacity): the hospitals that minimise the last immediate's arrival, exactly, by a
   binary search over that time with a min-cost flow feasibility check (see
   :func:`_immediate_bottleneck`); used as a second allocation of the immediates.
3. *Sequencing* (list scheduling): whenever a unit is ready at the scene, it takes the most
   urgent waiting patient (weight, then the longest (or shortest) drive first, then
   registration order) and fills its room with the next ones allocated to the same hospital.
4. The planner schedules a small grid of candidates (``mu`` values x with/without the reds'
   bottleneck x the two tie orders, plus the greedy fallback's plan) exactly and keeps the
   best: fewest patients over capacity, then the most evenly spread overflow, then the
   objective. Deterministic: the same state gives the same plan (unless the deadline cuts the
   grid short, which the benchmark has never seen: a full grid takes ~0.1 s at 100 x 30 x 15).

The solve runs under a deadline (the :class:`~dispatch.policies.guard.Guard` pattern, with the
plan type instead of decisions): on timeout or error the answer is a capacity-aware greedy
(nearest capable hospital with room), marked ``fallback``. :func:`nearest_first` is the
comparison baseline of the benchmark: nearest capable open hospital, capacity ignored.
"""

from __future__ import annotations

import concurrent.futures as cf
import heapq
import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from ortools.graph.python import min_cost_flow

from dispatch.domain.geo import Location
from dispatch.domain.hospitals import EdStatus
from dispatch.domain.mci import (
    CAPACITY_CATEGORIES,
    CATEGORY_LABEL,
    CATEGORY_ORDER,
    DEFAULT_UNIT_CAPACITY,
    NEED_LABEL,
    TRANSPORT_WEIGHT,
    Need,
    Patient,
    PatientStatus,
    SurgeCapacity,
    TriageCategory,
    UnitCapacity,
    can_receive,
    capacity_category,
    needs_met,
)
from dispatch.domain.text import Text
from dispatch.policies.base import EtaProvider

log = logging.getLogger(__name__)

C = TriageCategory

# -- the state -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanPatient:
    """A patient as the planner sees it. Tie-breaks follow the order patients are given in
    (pass them in registration order)."""

    tag: str
    category: TriageCategory
    needs: frozenset[Need] = frozenset()


@dataclass(frozen=True, slots=True)
class PlanUnit:
    """A unit that can carry patients of this incident.

    ``to_scene_s``: road seconds from where it will start (its position, or the hospital where
    it hands over) to the scene, 0 if there; ``available_in_s``: seconds before it can start
    (a handover in progress). Units holding a command role are not transport resources: leave
    them out (``Mci.command_units``).
    """

    unit_id: int
    to_scene_s: float
    available_in_s: float = 0.0
    capacity: UnitCapacity = DEFAULT_UNIT_CAPACITY

    @property
    def ready_s(self) -> float:
        return self.available_in_s + self.to_scene_s


@dataclass(frozen=True, slots=True)
class PlanHospital:
    """A receiving hospital. ``capacity``: :func:`dispatch.domain.mci.effective_surge` (``None``
    for diversion/closed; an open ED with ``None`` has no places). Road seconds ``None`` or
    ``inf``: unreachable. ``to_scene_s`` defaults to ``from_scene_s``."""

    hospital_id: int
    capabilities: frozenset[str]
    status: EdStatus
    capacity: SurgeCapacity | None
    from_scene_s: float | None
    to_scene_s: float | None = None
    name: str = ""

    def places(self, pool: TriageCategory) -> int:
        return 0 if self.capacity is None else self.capacity.places(pool)


@dataclass(frozen=True, slots=True)
class ConfirmedTransport:
    """The officer confirmed ``patients`` in ``unit_id`` for ``hospital_id`` (``None``: not yet
    chosen; the planner proposes one); the unit has not left the scene yet."""

    unit_id: int
    hospital_id: int | None
    patients: tuple[PlanPatient, ...]
    #: seconds of loading left when the unit is already loading at the scene (None: a full
    #: ``PlanParams.load_s`` from when the unit is ready)
    loading_left_s: float | None = None


@dataclass(frozen=True, slots=True)
class MciState:
    """Everything one plan depends on. ``committed``: per hospital and category, patients of
    this incident already on their way there or handed over (they use its surge places)."""

    waiting: tuple[PlanPatient, ...]
    units: tuple[PlanUnit, ...]
    hospitals: tuple[PlanHospital, ...]
    confirmed: tuple[ConfirmedTransport, ...] = ()
    committed: Mapping[int, Mapping[TriageCategory, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlanParams:
    """Time model and weights. ``load_s``: loading at the scene, per trip; ``handover_s``: at
    the hospital before the unit drives back (both our choice, adjustable; the benchmark uses
    the same values). ``overflow_penalty_s``: price of one patient over declared capacity in
    weighted seconds (a day: any plan within capacity wins)."""

    load_s: float = 180.0
    handover_s: float = 600.0
    weights: Mapping[TriageCategory, float] = field(default_factory=lambda: dict(TRANSPORT_WEIGHT))
    transport_expectant: bool = False
    overflow_penalty_s: float = 86_400.0
    #: ``mu`` candidates, in multiples of the mean weight per unit (see the module docstring)
    mu_grid: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0, 2.0)
    #: how much the last immediate patient's arrival counts on top of the weighted sum, per
    #: immediate patient (0: the plain weighted sum)
    last_immediate_factor: float = 1.0
    time_limit_s: float | None = 1.0
    threaded: bool = True

    def weight(self, category: TriageCategory) -> float:
        return float(self.weights.get(category, 0.0))


# -- the plan ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlannedTransport:
    """One trip: ``unit_id`` takes ``patients`` (tags) to ``hospital_id``. ``trip`` 0 is the
    unit's next trip. Seconds from now: leaves the scene at ``depart_s``, arrives at
    ``arrive_s``, back at the scene at ``back_s`` (inf when it cannot drive back)."""

    unit_id: int
    trip: int
    patients: tuple[str, ...]
    categories: tuple[TriageCategory, ...]
    hospital_id: int
    depart_s: float
    arrive_s: float
    back_s: float
    confirmed: bool
    #: patients of this trip over the hospital's declared capacity when they arrive
    over_capacity: int
    reason: Text


@dataclass(frozen=True, slots=True)
class Unassigned:
    tag: str
    category: TriageCategory
    reason: Text


@dataclass(frozen=True, slots=True)
class MciPlan:
    """The advice. ``incoming``: per hospital and triage category, patients committed (on the way
    or arrived), confirmed and planned; ``overflow``: per hospital and capacity category
    (immediate, delayed, minor), how far that exceeds the declared capacity. ``objective``:
    sum of weight x arrival seconds of the confirmed and planned patients; ``method``:
    ``"plan"``, ``"greedy"`` (the fallback) or ``"nearest-first"``; ``fallback``: why the
    greedy answered instead of the planner."""

    transports: tuple[PlannedTransport, ...]
    incoming: Mapping[int, Mapping[TriageCategory, int]]
    overflow: Mapping[int, Mapping[TriageCategory, int]]
    unassigned: tuple[Unassigned, ...]
    objective: float
    method: str
    fallback: str | None = None
    warnings: tuple[Text, ...] = ()
    solve_ms: float = 0.0

    def next_for(self, unit_id: int) -> PlannedTransport | None:
        """What the transport officer should load into ``unit_id`` next (None: nothing)."""
        mine = [t for t in self.transports if t.unit_id == unit_id]
        return min(mine, key=lambda t: t.trip) if mine else None

    def arrival_s(self) -> dict[str, float]:
        """Planned arrival second of each planned or confirmed patient, by tag."""
        return {tag: t.arrive_s for t in self.transports for tag in t.patients}

    def hospital_of(self) -> dict[str, int]:
        return {tag: t.hospital_id for t in self.transports for tag in t.patients}

    @property
    def overflow_total(self) -> int:
        return sum(n for by_pool in self.overflow.values() for n in by_pool.values())


# -- building the state from the domain and the roads ---------------------------------------


@dataclass(frozen=True, slots=True)
class RoadTimes:
    """Road seconds for one scene (``inf``: no route)."""

    unit_to_scene: Mapping[int, float]
    scene_to_hospital: Mapping[int, float]
    hospital_to_scene: Mapping[int, float]


def road_times(
    eta: EtaProvider,
    scene: Location,
    units: Sequence[tuple[int, Location]],
    hospitals: Sequence[tuple[int, Location]],
) -> RoadTimes:
    """Three small matrix calls: units -> scene, scene -> hospitals, hospitals -> scene."""
    to_scene: dict[int, float] = {}
    if units:
        row = np.asarray(eta.matrix([p for _, p in units], [scene]), dtype=np.float64)[0]
        to_scene = {uid: float(row[i]) for i, (uid, _) in enumerate(units)}
    out: dict[int, float] = {}
    back: dict[int, float] = {}
    if hospitals:
        where = [p for _, p in hospitals]
        col = np.asarray(eta.matrix([scene], where), dtype=np.float64)[:, 0]
        ret = np.asarray(eta.matrix(where, [scene]), dtype=np.float64)[0]
        out = {hid: float(col[i]) for i, (hid, _) in enumerate(hospitals)}
        back = {hid: float(ret[i]) for i, (hid, _) in enumerate(hospitals)}
    return RoadTimes(to_scene, out, back)


def split_patients(
    patients: Iterable[Patient],
) -> tuple[
    tuple[PlanPatient, ...],
    tuple[ConfirmedTransport, ...],
    dict[int, dict[TriageCategory, int]],
]:
    """The incident's patients as planner input: ``(waiting, confirmed, committed)``.

    On scene -> waiting (in the given order: pass registration order); assigned -> confirmed,
    grouped by unit (a unit's patients share one hospital; if they disagree, the first one's
    is taken); transporting and arrived -> committed counts per hospital; released -> nothing.
    """
    waiting: list[PlanPatient] = []
    by_unit: dict[int, list[Patient]] = {}
    committed: dict[int, dict[TriageCategory, int]] = {}
    for p in patients:
        mine = PlanPatient(p.tag, p.category, p.needs)
        if p.status is PatientStatus.ON_SCENE:
            waiting.append(mine)
        elif p.status is PatientStatus.ASSIGNED:
            assert p.unit is not None
            by_unit.setdefault(p.unit, []).append(p)
        elif p.status in (PatientStatus.TRANSPORTING, PatientStatus.ARRIVED):
            assert p.hospital is not None
            per = committed.setdefault(p.hospital, {})
            per[p.category] = per.get(p.category, 0) + 1
    confirmed = tuple(
        ConfirmedTransport(
            unit,
            next((p.hospital for p in group if p.hospital is not None), None),
            tuple(PlanPatient(p.tag, p.category, p.needs) for p in group),
        )
        for unit, group in by_unit.items()
    )
    return tuple(waiting), confirmed, committed


# -- internal working state -----------------------------------------------------------------


@dataclass
class _Pat:
    index: int
    tag: str
    category: TriageCategory
    needs: frozenset[Need]
    weight: float
    pool: TriageCategory
    #: hospital indices this patient may go to, nearest first, and the tier (0: capable open)
    allowed: tuple[int, ...]
    tier: int
    hospital: int | None = None  # the allocation's choice (planner only)


@dataclass
class _Trip:
    unit: int  # index into units
    trip: int
    patients: list[_Pat]
    hospital: int  # index into hospitals
    depart_s: float
    arrive_s: float
    back_s: float
    confirmed: bool
    note: Text | None = None  # extra reason (a hospital re-chosen for a confirmed transport)


@dataclass
class _Problem:
    """What every method shares: validated inputs, patients with their allowed hospitals,
    fixed (confirmed) trips, remaining places and the patients left out."""

    units: tuple[PlanUnit, ...]
    hospitals: tuple[PlanHospital, ...]
    params: PlanParams
    waiting: list[_Pat]
    fixed: list[tuple[int, int | None, list[_Pat]]]  # (unit index, hospital index, patients)
    fixed_load_s: dict[int, float]  # unit index -> loading seconds left of its confirmed trip
    committed: dict[tuple[int, TriageCategory], int]  # (hospital index, pool) -> count
    committed_by_category: dict[int, dict[TriageCategory, int]]
    unassigned: list[Unassigned]
    warnings: list[Text]
    tier_reasons: dict[frozenset[Need], Text | None]
    #: units whose confirmed trip had no hospital: the plan proposed one
    proposed: frozenset[int] = frozenset()

    def from_scene(self, h: int) -> float:
        return _finite(self.hospitals[h].from_scene_s)

    def to_scene(self, h: int) -> float:
        hosp = self.hospitals[h]
        back = hosp.to_scene_s if hosp.to_scene_s is not None else hosp.from_scene_s
        return _finite(back)

    def cycle(self, h: int) -> float:
        """Seconds a unit is away on a trip to ``h`` (drive, handover, drive back)."""
        return self.from_scene(h) + self.params.handover_s + self.to_scene(h)

    def places(self, h: int, pool: TriageCategory) -> int:
        return self.hospitals[h].places(pool)


def _finite(value: float | None) -> float:
    return math.inf if value is None or math.isnan(value) else float(value)


def _reachable(h: PlanHospital) -> bool:
    return math.isfinite(_finite(h.from_scene_s)) and _finite(h.from_scene_s) >= 0


def _allowed(
    hospitals: Sequence[PlanHospital], needs: frozenset[Need]
) -> tuple[tuple[int, ...], int, Text | None]:
    """Hospitals a patient with ``needs`` may go to, nearest first, the tier and its reason."""

    def nearest(indices: Iterable[int]) -> tuple[int, ...]:
        def key(i: int) -> tuple[float, int]:
            return (_finite(hospitals[i].from_scene_s), hospitals[i].hospital_id)

        return tuple(sorted(indices, key=key))

    open_ = [i for i, h in enumerate(hospitals) if h.status is EdStatus.OPEN and _reachable(h)]
    diverting = [
        i for i, h in enumerate(hospitals) if h.status is EdStatus.DIVERSION and _reachable(h)
    ]
    needs_text = _needs_text(needs)
    for tier, pool in ((0, open_), (2, diverting)):
        if not pool:
            continue
        capable = [i for i in pool if can_receive(hospitals[i].capabilities, needs)]
        if capable:
            if tier == 0:
                return nearest(capable), 0, None
            return (
                nearest(capable),
                2,
                Text(
                    "every reachable ED is on diversion or closed: call ahead",
                    "所有可达急诊均分流或关闭：请提前联系",
                ),
            )
        best = max(needs_met(hospitals[i].capabilities, needs) for i in pool)
        partial = [i for i in pool if needs_met(hospitals[i].capabilities, needs) == best]
        reason = Text(
            f"no reachable open hospital for {needs_text.en}: the open ED meeting most needs, "
            "to stabilise and transfer",
            f"无可达的{needs_text.zh}医院：满足需求最多的开放急诊，稳定后转院",
        )
        if tier == 2:
            reason = Text(
                f"no reachable open ED and none for {needs_text.en}: ED on diversion, call ahead",
                f"无可达开放急诊且无{needs_text.zh}医院：分流中急诊，请提前联系",
            )
        return nearest(partial), tier + 1, reason
    return (), 9, None


def _needs_text(needs: Iterable[Need]) -> Text:
    ordered = sorted(needs)
    if not ordered:
        return Text("any ED", "任意急诊")
    return Text(
        " + ".join(NEED_LABEL[n].en for n in ordered), "、".join(NEED_LABEL[n].zh for n in ordered)
    )


def _prepare(state: MciState, params: PlanParams) -> _Problem:
    units, hospitals = tuple(state.units), tuple(state.hospitals)
    _unique("unit", [u.unit_id for u in units])
    _unique("hospital", [h.hospital_id for h in hospitals])
    tags = [p.tag for p in state.waiting] + [p.tag for c in state.confirmed for p in c.patients]
    _unique("patient tag", tags)
    unit_index = {u.unit_id: i for i, u in enumerate(units)}
    hosp_index = {h.hospital_id: i for i, h in enumerate(hospitals)}
    for u in units:
        if not (u.to_scene_s >= 0 and u.available_in_s >= 0):
            raise ValueError(f"unit {u.unit_id}: times must be non-negative seconds")
    for hosp in hospitals:
        for value in (hosp.from_scene_s, hosp.to_scene_s):
            if value is not None and value < 0:
                raise ValueError(f"hospital {hosp.hospital_id}: a road time cannot be negative")

    allowed_cache: dict[frozenset[Need], tuple[tuple[int, ...], int, Text | None]] = {}

    def make(index: int, p: PlanPatient) -> _Pat | None:
        pool = capacity_category(p.category)
        if p.needs not in allowed_cache:
            allowed_cache[p.needs] = _allowed(hospitals, p.needs)
        allowed, tier, _ = allowed_cache[p.needs]
        if pool is None or not allowed:
            return None
        return _Pat(
            index, p.tag, p.category, p.needs, params.weight(p.category), pool, allowed, tier
        )

    committed: dict[tuple[int, TriageCategory], int] = {}
    committed_by_category: dict[int, dict[TriageCategory, int]] = {}
    warnings: list[Text] = []
    for hid, per in state.committed.items():
        if hid not in hosp_index:
            warnings.append(
                Text(
                    f"patients are on their way to hospital {hid}, which is not in the plan",
                    f"有伤员正送往未列入计划的医院 {hid}",
                )
            )
            continue
        h = hosp_index[hid]
        for category, n in per.items():
            if n < 0:
                raise ValueError(f"hospital {hid}: negative committed count for {category}")
            pool = capacity_category(category)
            if pool is not None:
                committed[h, pool] = committed.get((h, pool), 0) + n
            by_cat = committed_by_category.setdefault(h, {})
            by_cat[category] = by_cat.get(category, 0) + n

    unassigned: list[Unassigned] = []
    waiting: list[_Pat] = []
    fixed: list[tuple[int, int | None, list[_Pat]]] = []
    fixed_load_s: dict[int, float] = {}
    index = 0
    requeued: list[PlanPatient] = []
    seen_units: set[int] = set()
    for c in state.confirmed:
        if c.unit_id not in unit_index or c.unit_id in seen_units:
            warnings.append(
                Text(
                    f"confirmed transport of unit {c.unit_id} dropped: the unit is not available "
                    "to this incident; its patients are planned again",
                    f"单位 {c.unit_id} 的已确认转运作废：该单位不可用，伤员重新规划",
                )
            )
            requeued.extend(c.patients)
            continue
        target = hosp_index.get(c.hospital_id) if c.hospital_id is not None else None
        if c.hospital_id is not None and (
            target is None
            or hospitals[target].status is not EdStatus.OPEN
            or not _reachable(hospitals[target])
        ):
            status = "unknown" if target is None else str(hospitals[target].status)
            if target is not None and not _reachable(hospitals[target]):
                status = "unreachable"
            warnings.append(
                Text(
                    f"confirmed transport of unit {c.unit_id} to hospital {c.hospital_id} "
                    f"voided: the hospital is {status}; its patients are planned again",
                    f"单位 {c.unit_id} 送往医院 {c.hospital_id} 的已确认转运作废"
                    f"（医院状态：{status}），伤员重新规划",
                )
            )
            requeued.extend(c.patients)
            continue
        group: list[_Pat] = []
        for p in c.patients:
            made = make(index, p)
            index += 1
            if made is None:
                unassigned.append(_left_out(p, params, allowed_cache))
            else:
                group.append(made)
        if group:
            seen_units.add(c.unit_id)
            fixed.append((unit_index[c.unit_id], target, group))
            if c.loading_left_s is not None:
                fixed_load_s[unit_index[c.unit_id]] = max(0.0, c.loading_left_s)
    for p in (*requeued, *state.waiting):
        if p.category is C.EXPECTANT and not params.transport_expectant:
            unassigned.append(_left_out(p, params, allowed_cache))
            index += 1
            continue
        made = make(index, p)
        index += 1
        if made is None:
            unassigned.append(_left_out(p, params, allowed_cache))
        else:
            waiting.append(made)
    if not units and waiting:
        for q in waiting:
            unassigned.append(
                Unassigned(
                    q.tag, q.category, Text("no unit available for transport", "无可用转运单位")
                )
            )
        waiting = []
    carriable = [q for q in waiting if any(_fits(u.capacity, [q]) for u in units)]
    kept = {q.index for q in carriable}
    for q in waiting:
        if q.index not in kept:
            unassigned.append(
                Unassigned(
                    q.tag,
                    q.category,
                    Text(
                        f"no unit of this incident carries a {q.category} patient",
                        f"本事件无单位可转运{CATEGORY_LABEL[q.category].zh}伤员",
                    ),
                )
            )
    return _Problem(
        units=units,
        hospitals=hospitals,
        params=params,
        waiting=carriable,
        fixed=fixed,
        fixed_load_s=fixed_load_s,
        committed=committed,
        committed_by_category=committed_by_category,
        unassigned=unassigned,
        warnings=warnings,
        tier_reasons={needs: cached[2] for needs, cached in allowed_cache.items()},
    )


def _left_out(
    p: PlanPatient,
    params: PlanParams,
    cache: Mapping[frozenset[Need], tuple[tuple[int, ...], int, Text | None]],
) -> Unassigned:
    if p.category is C.DEAD:
        return Unassigned(p.tag, p.category, Text("dead: not transported", "死亡：不转运"))
    if p.category is C.EXPECTANT and not params.transport_expectant:
        return Unassigned(
            p.tag,
            p.category,
            Text(
                "expectant: transported once the others are (plan setting)",
                "期待治疗：其他伤员转运后再转运（计划设置）",
            ),
        )
    needs = _needs_text(p.needs)
    return Unassigned(
        p.tag,
        p.category,
        Text(f"no reachable hospital ({needs.en})", f"无可达医院（{needs.zh}）"),
    )


def _unique(what: str, ids: Sequence[object]) -> None:
    seen: set[object] = set()
    dupes: set[str] = set()
    for i in ids:
        if i in seen:
            dupes.add(str(i))
        seen.add(i)
    if dupes:
        raise ValueError(f"duplicate {what}: {', '.join(dupes)}")


def _fits(capacity: UnitCapacity, patients: Iterable[_Pat]) -> bool:
    return capacity.fits(p.category for p in patients)


# -- scheduling (shared by every method) -----------------------------------------------------

#: ``pick(unit, ready_s, waiting) -> (hospital index, patients)`` or None if it takes nobody.
Picker = Callable[[PlanUnit, float, list[_Pat]], tuple[int, list[_Pat]] | None]


def _schedule(
    prob: _Problem, waiting: list[_Pat], pick: Picker, choose_fixed: Callable[[list[_Pat]], int]
) -> list[_Trip]:
    """List scheduling: confirmed trips first, then whenever a unit is ready at the scene it
    takes what ``pick`` gives it. ``waiting`` must be in the picker's priority order."""
    trips: list[_Trip] = []
    ready = [u.ready_s for u in prob.units]
    count = [0] * len(prob.units)
    for ui, h, group in prob.fixed:
        note = None
        if h is None or ui in prob.proposed:
            h = choose_fixed(group) if h is None else h
            note = Text("hospital proposed by the plan", "医院由计划建议")
        trips.append(
            _trip(
                prob,
                ui,
                count[ui],
                group,
                h,
                ready[ui],
                confirmed=True,
                note=note,
                load_s=prob.fixed_load_s.get(ui),
            )
        )
        ready[ui] = trips[-1].back_s
        count[ui] += 1
    heap = [(ready[i], i) for i in range(len(prob.units)) if math.isfinite(ready[i])]
    heapq.heapify(heap)
    left = list(waiting)
    while left and heap:
        t, ui = heapq.heappop(heap)
        chosen = pick(prob.units[ui], t, left)
        if chosen is None:
            continue  # this unit carries none of those still waiting
        h, load = chosen
        taken = {p.index for p in load}
        left = [p for p in left if p.index not in taken]
        trip = _trip(prob, ui, count[ui], load, h, t, confirmed=False)
        trips.append(trip)
        count[ui] += 1
        if math.isfinite(trip.back_s):
            heapq.heappush(heap, (trip.back_s, ui))
    return trips


def _trip(
    prob: _Problem,
    ui: int,
    k: int,
    load: list[_Pat],
    h: int,
    ready_s: float,
    *,
    confirmed: bool,
    note: Text | None = None,
    load_s: float | None = None,
) -> _Trip:
    """A trip of unit ``ui`` ready at the scene at ``ready_s``; ``load_s``: loading left
    (default: a full ``PlanParams.load_s``)."""
    depart = ready_s + (prob.params.load_s if load_s is None else load_s)
    arrive = depart + prob.from_scene(h)
    back = arrive + prob.params.handover_s + prob.to_scene(h)
    return _Trip(ui, k, list(load), h, depart, arrive, back, confirmed, note)


def _fill(unit: PlanUnit, first: _Pat, left: list[_Pat], ok: Callable[[_Pat], bool]) -> list[_Pat]:
    """``first`` plus the next waiting patients (in order) that ``ok`` accepts and that fit."""
    load = [first]
    for p in left:
        if p is first or not ok(p):
            continue
        if _fits(unit.capacity, [*load, p]):
            load.append(p)
    return load


def _first_carried(unit: PlanUnit, left: list[_Pat]) -> _Pat | None:
    return next((p for p in left if _fits(unit.capacity, [p])), None)


# -- the three methods -------------------------------------------------------------------------


def _planned_picker() -> Picker:
    """The allocation's hospital for the most urgent patient the unit carries, and the next
    ones allocated to the same hospital that fit."""

    def pick(unit: PlanUnit, t: float, left: list[_Pat]) -> tuple[int, list[_Pat]] | None:
        first = _first_carried(unit, left)
        if first is None:
            return None
        h = first.hospital
        assert h is not None
        return h, _fill(unit, first, left, lambda p: p.hospital == h)

    return pick


def _remaining(
    prob: _Problem, extra: Iterable[_Trip] = ()
) -> dict[tuple[int, TriageCategory], int]:
    left = {
        (h, pool): prob.places(h, pool) - prob.committed.get((h, pool), 0)
        for h in range(len(prob.hospitals))
        for pool in CAPACITY_CATEGORIES
    }
    for trip in extra:
        for p in trip.patients:
            left[trip.hospital, p.pool] -= 1
    return left


def _greedy_picker(prob: _Problem, room: dict[tuple[int, TriageCategory], int]) -> Picker:
    """Nearest allowed hospital with a place left for the most urgent patient (else its
    nearest: overflow); fill with others that have a place there too."""

    def pick(unit: PlanUnit, t: float, left: list[_Pat]) -> tuple[int, list[_Pat]] | None:
        first = _first_carried(unit, left)
        if first is None:
            return None
        h = next((i for i in first.allowed if room[i, first.pool] > 0), first.allowed[0])
        load = [first]
        room[h, first.pool] -= 1
        for p in left:
            if p is first or h not in p.allowed:
                continue
            has_room = room[h, p.pool] > 0
            nowhere = not any(room[i, p.pool] > 0 for i in p.allowed) and p.allowed[0] == h
            if (has_room or nowhere) and _fits(unit.capacity, [*load, p]):
                load.append(p)
                room[h, p.pool] -= 1
        return h, load

    return pick


def _nearest_picker() -> Picker:
    def pick(unit: PlanUnit, t: float, left: list[_Pat]) -> tuple[int, list[_Pat]] | None:
        first = _first_carried(unit, left)
        if first is None:
            return None
        h = first.allowed[0]
        return h, _fill(unit, first, left, lambda p: h in p.allowed)

    return pick


def _greedy_fixed(
    prob: _Problem, room: dict[tuple[int, TriageCategory], int]
) -> Callable[[list[_Pat]], int]:
    """A hospital for a confirmed group with none chosen: nearest allowed for all with room for
    all, else nearest allowed for all, else the first patient's nearest."""

    def choose(group: list[_Pat]) -> int:
        common = [h for h in group[0].allowed if all(h in p.allowed for p in group)]
        for h in common:
            need: dict[TriageCategory, int] = {}
            for p in group:
                need[p.pool] = need.get(p.pool, 0) + 1
            if all(room[h, pool] >= n for pool, n in need.items()):
                for pool, n in need.items():
                    room[h, pool] -= n
                return h
        h = common[0] if common else group[0].allowed[0]
        for p in group:
            room[h, p.pool] -= 1
        return h

    return choose


def _by_urgency(waiting: list[_Pat]) -> list[_Pat]:
    return sorted(waiting, key=lambda p: (-p.weight, CATEGORY_ORDER.index(p.category), p.index))


def _greedy_trips(prob: _Problem) -> list[_Trip]:
    room = _remaining(prob)
    fixed_choice = _greedy_fixed(prob, room)
    for _, h, group in prob.fixed:
        if h is not None:
            for p in group:
                room[h, p.pool] -= 1
    return _schedule(prob, _by_urgency(prob.waiting), _greedy_picker(prob, room), fixed_choice)


#: ``solve(AllocationInput) -> {class: {hospital: patients}}`` (:func:`solve_allocation`, the
#: min-cost flow); replaceable, e.g. by a failing solver in tests.
Allocation = dict[int, dict[int, int]]  # class index -> hospital index -> patients
Solver = Callable[["AllocationInput"], Allocation]


@dataclass(frozen=True)
class AllocationInput:
    """One allocation problem: patient classes, their costs per allowed hospital (indices into
    the state's hospitals) and the places left; what a :data:`Solver` receives."""

    counts: list[int]  # patients per class
    pools: list[TriageCategory]  # capacity category per class
    arcs: list[list[tuple[int, float]]]  # per class: (hospital index, cost)
    room: dict[tuple[int, TriageCategory], int]  # remaining places per (hospital, pool)
    overflow_price: float  # cost of the first patient over capacity at one (hospital, pool)


_SCALE = 10.0  # integer costs in tenths of weighted seconds


def solve_allocation(data: AllocationInput) -> Allocation:
    """The allocation as a min-cost flow (OR-Tools): class -> (hospital, pool) -> sink, with the
    remaining places as capacities and convex overflow arcs beside them."""
    nodes: dict[tuple[int, TriageCategory], int] = {}
    k = len(data.counts)
    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []
    class_arcs: list[tuple[int, int]] = []  # arc index -> (class, hospital)
    for c, arcs in enumerate(data.arcs):
        for h, cost in arcs:
            key = (h, data.pools[c])
            if key not in nodes:
                nodes[key] = k + len(nodes)
            class_arcs.append((c, h))
            tails.append(c)
            heads.append(nodes[key])
            caps.append(data.counts[c])
            costs.append(round(cost * _SCALE))
    sink = k + len(nodes)
    demand: dict[TriageCategory, int] = {}
    for c, n in enumerate(data.counts):
        demand[data.pools[c]] = demand.get(data.pools[c], 0) + n
    for (h, pool), node in nodes.items():
        places = max(0, data.room.get((h, pool), 0))
        if places:
            tails.append(node)
            heads.append(sink)
            caps.append(places)
            costs.append(0)
        for j in range(demand[pool]):
            tails.append(node)
            heads.append(sink)
            caps.append(1)
            costs.append(round(data.overflow_price * (j + 1) * _SCALE))
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.asarray(tails, dtype=np.int32),
        np.asarray(heads, dtype=np.int32),
        np.asarray(caps, dtype=np.int64),
        np.asarray(costs, dtype=np.int64),
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:k] = data.counts
    supplies[sink] = -sum(data.counts)
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools min-cost flow: status {status}")
    used = flow.flows(np.arange(len(class_arcs), dtype=np.int32))
    out: Allocation = {}
    for arc, (c, h) in enumerate(class_arcs):
        if used[arc] > 0:
            out.setdefault(c, {})[h] = out.get(c, {}).get(h, 0) + int(used[arc])
    return out


def _planned_trips(prob: _Problem, solver: Solver, deadline: float | None) -> list[_Trip]:
    """The planner proper: allocations x sequencing orders, each scheduled exactly; best kept."""
    params = prob.params
    room0 = _remaining(prob)
    fixed_choice = _greedy_fixed(prob, room0)
    for _, h, group in prob.fixed:
        if h is not None:
            for p in group:
                room0[h, p.pool] -= 1
    # Confirmed trips without a hospital take theirs before the allocation sees the places.
    resolved: list[tuple[int, int | None, list[_Pat]]] = [
        (ui, h if h is not None else fixed_choice(g), g) for ui, h, g in prob.fixed
    ]
    fixed_prob = replace(
        prob, fixed=resolved, proposed=frozenset(ui for ui, h, _ in prob.fixed if h is None)
    )
    immediates = [p for p in prob.waiting if p.category is C.IMMEDIATE]
    pinned = _immediate_bottleneck(fixed_prob, immediates, room0)
    default_cap = prob.units[0].capacity if prob.units else DEFAULT_UNIT_CAPACITY
    mu_unit = sum(p.weight for p in prob.waiting) / max(1, len(prob.units))
    best: tuple[tuple[float, float, float], list[_Trip]] | None = None
    seen: set[tuple[tuple[int, ...], str]] = set()
    for mu_factor in params.mu_grid:
        for pin in [None] if pinned is None else [None, pinned]:
            if best is not None and deadline is not None and time.perf_counter() > deadline:
                break
            room = dict(room0)
            free = prob.waiting
            if pin is not None:
                free = [p for p in prob.waiting if p.index not in pin]
                for p in immediates:
                    p.hospital = pin[p.index]
                    room[p.hospital, p.pool] -= 1
            _allocate(prob, free, room, mu_factor * mu_unit, default_cap, solver)
            signature = tuple(p.hospital or 0 for p in prob.waiting)
            for order in ("long", "short"):
                if (signature, order) in seen:
                    continue
                seen.add((signature, order))
                sign = -1.0 if order == "long" else 1.0
                ordered = sorted(
                    prob.waiting,
                    key=lambda p: (
                        -p.weight,
                        CATEGORY_ORDER.index(p.category),
                        sign * prob.from_scene(p.hospital or 0),
                        p.index,
                    ),
                )
                # (each trip records its hospital: the next candidate overwrites p.hospital)
                trips = _schedule(fixed_prob, ordered, _planned_picker(), fixed_choice)
                score = _score(fixed_prob, trips)
                if best is None or score < best[0]:
                    best = (score, trips)
    # The greedy is a candidate too: the plan is never worse than the fallback by its own measure.
    trips = _greedy_trips(fixed_prob)
    score = _score(fixed_prob, trips)
    if best is None or score < best[0]:
        best = (score, trips)
    return best[1]


def _allocate(
    prob: _Problem,
    patients: list[_Pat],
    room: dict[tuple[int, TriageCategory], int],
    mu: float,
    capacity: UnitCapacity,
    solver: Solver,
) -> None:
    """Set ``p.hospital`` for ``patients`` by the min-cost flow allocation (see the module
    docstring); patients of a class are interchangeable, so the nearest places go to the
    earliest registered."""
    classes: dict[tuple[TriageCategory, frozenset[Need]], list[_Pat]] = {}
    for p in patients:
        classes.setdefault((p.category, p.needs), []).append(p)
    keys = list(classes)
    if not keys:
        return
    share = {k: min(1.0, capacity.takes.get(k[0], capacity.space) / capacity.space) for k in keys}
    weights = [prob.params.weight(c) for c in CAPACITY_CATEGORIES]
    data = AllocationInput(
        counts=[len(classes[k]) for k in keys],
        pools=[classes[k][0].pool for k in keys],
        arcs=[
            [
                (h, classes[k][0].weight * prob.from_scene(h) + mu * share[k] * prob.cycle(h))
                for h in classes[k][0].allowed
            ]
            for k in keys
        ],
        room=room,
        overflow_price=prob.params.overflow_penalty_s * max([*weights, 1.0]),
    )
    allocation = solver(data)
    for c, k in enumerate(keys):
        tickets = sorted(
            (h for h, n in allocation.get(c, {}).items() for _ in range(n)),
            key=lambda h: (prob.from_scene(h), prob.hospitals[h].hospital_id),
        )
        members = classes[k]
        if len(tickets) != len(members):
            raise RuntimeError(f"allocation covers {len(tickets)} of {len(members)} {k[0]}")
        for p, h in zip(members, tickets, strict=True):
            p.hospital = h


def _ready_after_fixed(prob: _Problem) -> list[float]:
    """Second each unit is ready at the scene once its confirmed trip (if any) is done."""
    ready = [u.ready_s for u in prob.units]
    trips = _schedule(prob, [], _nearest_picker(), lambda group: group[0].allowed[0])
    for t in trips:
        ready[t.unit] = max(ready[t.unit], t.back_s)
    return ready


def _immediate_bottleneck(
    prob: _Problem, immediates: list[_Pat], room: Mapping[tuple[int, TriageCategory], int]
) -> dict[int, int] | None:
    """Hospitals for the waiting immediates that minimise the *last* immediate's arrival, when
    all of them can leave in the first wave and fit the capacity (else ``None``).

    Exact: the smallest ``T`` such that every immediate gets a capable place and a unit with
    ``ready + load + drive <= T``. For a given ``T`` that is a flow: classes -> hospitals
    (places) -> the prefix of units, sorted by readiness, early enough for that hospital's
    drive (nested prefixes: a chain of unit nodes) -> sink; among the feasible allocations at
    the smallest ``T`` the min-cost flow takes the one with the least total drive. With the
    longest drive first (the "long" order), list scheduling then meets ``T``.
    """
    params = prob.params
    ready = _ready_after_fixed(prob)
    carriers = sorted(
        r
        for r, u in zip(ready, prob.units, strict=True)
        if u.capacity.carries(C.IMMEDIATE) and math.isfinite(r)
    )
    if not immediates or len(immediates) > len(carriers):
        return None
    hospitals = sorted({h for p in immediates for h in p.allowed})
    if sum(max(0, room[h, C.IMMEDIATE]) for h in hospitals) < len(immediates):
        return None
    classes: dict[frozenset[Need], list[_Pat]] = {}
    for p in immediates:
        classes.setdefault(p.needs, []).append(p)
    keys = list(classes)
    k, n = len(keys), len(carriers)
    h_node = {h: k + i for i, h in enumerate(hospitals)}
    u0 = k + len(hospitals)
    sink = u0 + n

    def solve(limit: float) -> dict[frozenset[Need], list[int]] | None:
        tails: list[int] = []
        heads: list[int] = []
        caps: list[int] = []
        costs: list[int] = []
        arcs: list[tuple[frozenset[Need], int]] = []
        for c, key in enumerate(keys):
            for h in classes[key][0].allowed:
                tails.append(c)
                heads.append(h_node[h])
                caps.append(len(classes[key]))
                costs.append(round(prob.from_scene(h) * _SCALE))
                arcs.append((key, h))
        for h in hospitals:
            early = sum(1 for r in carriers if r + params.load_s + prob.from_scene(h) <= limit)
            places = max(0, room[h, C.IMMEDIATE])
            if early and places:
                tails.append(h_node[h])
                heads.append(u0 + early - 1)
                caps.append(places)
                costs.append(0)
        for j in range(n):
            tails.append(u0 + j)
            heads.append(sink)
            caps.append(1)
            costs.append(0)
            if j:
                tails.append(u0 + j)
                heads.append(u0 + j - 1)
                caps.append(n)
                costs.append(0)
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(
            np.asarray(tails, dtype=np.int32),
            np.asarray(heads, dtype=np.int32),
            np.asarray(caps, dtype=np.int64),
            np.asarray(costs, dtype=np.int64),
        )
        supplies = np.zeros(sink + 1, dtype=np.int64)
        supplies[:k] = [len(classes[key]) for key in keys]
        supplies[sink] = -len(immediates)
        flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
        if flow.solve() != flow.OPTIMAL:
            return None
        used = flow.flows(np.arange(len(arcs), dtype=np.int32))
        out: dict[frozenset[Need], list[int]] = {key: [] for key in keys}
        for a, (key, h) in enumerate(arcs):
            out[key].extend([h] * int(used[a]))
        return out

    limits = sorted({r + params.load_s + prob.from_scene(h) for r in carriers for h in hospitals})
    lo, hi = 0, len(limits) - 1
    found = solve(limits[hi])
    if found is None:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        attempt = solve(limits[mid])
        if attempt is None:
            lo = mid + 1
        else:
            hi, found = mid, attempt
    pinned: dict[int, int] = {}
    for key in keys:
        tickets = sorted(found[key], key=lambda h: (prob.from_scene(h), h))
        for p, h in zip(classes[key], tickets, strict=True):
            pinned[p.index] = h
    return pinned


def _score(prob: _Problem, trips: list[_Trip]) -> tuple[float, float, float]:
    """Fewest patients over capacity first, then the most evenly spread overflow (sum of
    squares per hospital and category), then the objective."""
    over = _overflow_by_trip(prob, trips)
    room = _remaining(prob, trips)
    spread = sum(n * n for n in room.values() if n < 0)
    return float(sum(over)), float(spread), _objective(prob, trips)


def _objective(prob: _Problem, trips: list[_Trip]) -> float:
    """Weighted sum of arrival seconds, plus the last immediate's arrival counted once more for
    each immediate (weight x ``last_immediate_factor``): the worst-off red patient matters
    beyond the average."""
    weighted = sum(p.weight * t.arrive_s for t in trips for p in t.patients)
    reds = [(p.weight, t.arrive_s) for t in trips for p in t.patients if p.category is C.IMMEDIATE]
    if reds and prob.params.last_immediate_factor:
        weighted += (
            prob.params.last_immediate_factor * sum(w for w, _ in reds) * max(a for _, a in reds)
        )
    return weighted


def _overflow_by_trip(prob: _Problem, trips: list[_Trip]) -> list[int]:
    """Patients of each trip over declared capacity, counting arrivals in time order."""
    room = _remaining(prob)
    over = [0] * len(trips)
    for i in sorted(range(len(trips)), key=lambda i: (trips[i].arrive_s, i)):
        for p in trips[i].patients:
            room[trips[i].hospital, p.pool] -= 1
            if room[trips[i].hospital, p.pool] < 0:
                over[i] += 1
    return over


# -- answers --------------------------------------------------------------------------------


def _answer(
    prob: _Problem, trips: list[_Trip], method: str, *, fallback: str | None = None
) -> MciPlan:
    over = _overflow_by_trip(prob, trips)
    trips_sorted = sorted(
        range(len(trips)),
        key=lambda i: (trips[i].depart_s, prob.units[trips[i].unit].unit_id, trips[i].trip),
    )
    room = _remaining(prob)
    transports: list[PlannedTransport] = []
    for i in trips_sorted:
        t = trips[i]
        hosp = prob.hospitals[t.hospital]
        for p in t.patients:
            room[t.hospital, p.pool] -= 1
        transports.append(
            PlannedTransport(
                unit_id=prob.units[t.unit].unit_id,
                trip=t.trip,
                patients=tuple(p.tag for p in t.patients),
                categories=tuple(p.category for p in t.patients),
                hospital_id=hosp.hospital_id,
                depart_s=round(t.depart_s, 1),
                arrive_s=round(t.arrive_s, 1),
                back_s=round(t.back_s, 1) if math.isfinite(t.back_s) else math.inf,
                confirmed=t.confirmed,
                over_capacity=over[i],
                reason=_reason(prob, t, over[i], room, method),
            )
        )
    incoming: dict[int, dict[TriageCategory, int]] = {}
    for h, per in prob.committed_by_category.items():
        incoming[prob.hospitals[h].hospital_id] = dict(per)
    for t in trips:
        per = incoming.setdefault(prob.hospitals[t.hospital].hospital_id, {})
        for p in t.patients:
            per[p.category] = per.get(p.category, 0) + 1
    overflow: dict[int, dict[TriageCategory, int]] = {}
    for h, hosp in enumerate(prob.hospitals):
        per = incoming.get(hosp.hospital_id, {})
        by_pool: dict[TriageCategory, int] = {}
        for category, n in per.items():
            pool = capacity_category(category)
            if pool is not None:
                by_pool[pool] = by_pool.get(pool, 0) + n
        extra = {
            pool: n - prob.places(h, pool)
            for pool, n in by_pool.items()
            if n > prob.places(h, pool)
        }
        if extra:
            overflow[hosp.hospital_id] = extra
    objective = _objective(prob, trips)
    return MciPlan(
        transports=tuple(transports),
        incoming={
            h: {c: per[c] for c in CATEGORY_ORDER if c in per}
            for h, per in sorted(incoming.items())
        },
        overflow=overflow,
        unassigned=tuple(prob.unassigned) + _not_reached(prob, trips),
        objective=round(objective, 1),
        method=method,
        fallback=fallback,
        warnings=tuple(prob.warnings),
    )


def _not_reached(prob: _Problem, trips: list[_Trip]) -> tuple[Unassigned, ...]:
    """Waiting patients no trip takes: no unit that carries them can reach the scene."""
    planned = {p.index for t in trips for p in t.patients}
    return tuple(
        Unassigned(
            p.tag,
            p.category,
            Text(
                "no unit that can carry this patient can reach the scene",
                "没有能转运该伤员的单位可到达现场",
            ),
        )
        for p in prob.waiting
        if p.index not in planned
    )


def _reason(
    prob: _Problem,
    t: _Trip,
    over: int,
    room: Mapping[tuple[int, TriageCategory], int],
    method: str,
) -> Text:
    hosp = prob.hospitals[t.hospital]
    name = hosp.name or f"hospital {hosp.hospital_id}"
    minutes = max(1, round(prob.from_scene(t.hospital) / 60))
    counts: dict[TriageCategory, int] = {}
    for p in t.patients:
        counts[p.category] = counts.get(p.category, 0) + 1
    load_en = ", ".join(f"{n} {CATEGORY_LABEL[c].en}" for c, n in counts.items())
    load_zh = "，".join(f"{CATEGORY_LABEL[c].zh}{n}人" for c, n in counts.items())
    en = [f"{load_en} to {name}, {minutes} min"]
    zh = [f"{load_zh}送往{hosp.name or f'医院 {hosp.hospital_id}'}，{minutes}分钟"]
    needs = frozenset(n for p in t.patients for n in p.needs)
    tier_reason = next((prob.tier_reasons.get(p.needs) for p in t.patients if p.tier > 0), None)
    if tier_reason is not None:
        en.append(tier_reason.en)
        zh.append(tier_reason.zh)
    elif needs:
        need = _needs_text(needs)
        en.append(f"meets {need.en}")
        zh.append(f"满足{need.zh}")
    if over:
        en.append(f"{over} over declared capacity: no capable hospital has room")
        zh.append(f"{over}人超出申报容量：无有能力的医院尚有空位")
    else:
        pools = sorted({p.pool for p in t.patients}, key=CATEGORY_ORDER.index)
        left_en = ", ".join(f"{CATEGORY_LABEL[q].en} {room[t.hospital, q]} left" for q in pools)
        left_zh = "，".join(f"{CATEGORY_LABEL[q].zh}余{room[t.hospital, q]}" for q in pools)
        en.append(f"within capacity ({left_en})")
        zh.append(f"容量之内（{left_zh}）")
    first = t.patients[0]
    spread = method == "plan" and not t.confirmed and not over
    if spread and first.allowed and first.allowed[0] != t.hospital:
        en.append("spreads the load: nearer capable hospitals are kept for others")
        zh.append("分散负荷：较近的医院留给其他伤员")
    if t.note is not None:
        en.append(t.note.en)
        zh.append(t.note.zh)
    return Text("; ".join(en), "；".join(zh))


# -- entry points -------------------------------------------------------------------------------


class MciPlanner:
    """The planner with its deadline guard; keep one per process (its worker thread is reused).

    The solve runs in a worker thread given ``params.time_limit_s``; on timeout or error the
    capacity-aware greedy answers (``method="greedy"``, ``fallback`` says why). A stuck
    worker is abandoned and its executor replaced, as :class:`~dispatch.policies.guard.Guard`
    does for dispatch decisions. ``threaded=False`` runs inline (reproducible benchmarks).
    """

    def __init__(self, params: PlanParams | None = None, *, solver: Solver | None = None) -> None:
        self.params = params or PlanParams()
        self.solver: Solver = solver or solve_allocation
        self._pool: cf.ThreadPoolExecutor | None = None

    def plan(self, state: MciState) -> MciPlan:
        started = time.perf_counter()
        prob = _prepare(state, self.params)
        limit = self.params.time_limit_s
        deadline = None if limit is None else started + 0.7 * limit
        reason: str | None = None
        trips: list[_Trip] | None = None
        try:
            if self.params.threaded and limit is not None:
                future = self._executor().submit(_planned_trips, prob, self.solver, deadline)
                try:
                    trips = future.result(timeout=max(0.0, limit - (time.perf_counter() - started)))
                except cf.TimeoutError:
                    future.cancel()
                    self.close()
                    reason = f"solver timeout after {limit:.3f} s"
            else:
                trips = _planned_trips(prob, self.solver, deadline)
        except Exception as exc:  # noqa: BLE001 - any solver failure falls back
            log.warning("MCI planner failed, falling back to greedy: %r", exc)
            reason = f"solver error: {type(exc).__name__}: {exc}"
        if trips is None:
            # fresh working state: an abandoned worker may still be writing to the old one
            prob = _prepare(state, self.params)
            result = _answer(prob, _greedy_trips(prob), "greedy", fallback=reason)
        else:
            result = _answer(prob, trips, "plan")
        return _timed(result, started)

    def _executor(self) -> cf.ThreadPoolExecutor:
        if self._pool is None:
            self._pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="mci-planner")
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def plan(
    state: MciState, params: PlanParams | None = None, *, solver: Solver | None = None
) -> MciPlan:
    """One plan for ``state`` (see the module docstring); a fresh :class:`MciPlanner`."""
    planner = MciPlanner(params, solver=solver)
    try:
        return planner.plan(state)
    finally:
        planner.close()


def greedy(state: MciState, params: PlanParams | None = None) -> MciPlan:
    """The fallback alone: most urgent first, nearest capable hospital with a place left."""
    started = time.perf_counter()
    prob = _prepare(state, params or PlanParams())
    return _timed(_answer(prob, _greedy_trips(prob), "greedy"), started)


def nearest_first(state: MciState, params: PlanParams | None = None) -> MciPlan:
    """The benchmark's baseline: each unit, as it becomes free at the scene, takes the most
    urgent waiting patient (and others that fit and that hospital can treat) to the nearest
    capable open hospital, ignoring capacity. What happens without a distribution plan."""
    started = time.perf_counter()
    prob = _prepare(state, params or PlanParams())

    def nearest_fixed(group: list[_Pat]) -> int:
        return group[0].allowed[0]

    trips = _schedule(prob, _by_urgency(prob.waiting), _nearest_picker(), nearest_fixed)
    return _timed(_answer(prob, trips, "nearest-first"), started)


def _timed(result: MciPlan, started: float) -> MciPlan:
    return MciPlan(
        transports=result.transports,
        incoming=result.incoming,
        overflow=result.overflow,
        unassigned=result.unassigned,
        objective=result.objective,
        method=result.method,
        fallback=result.fallback,
        warnings=result.warnings,
        solve_ms=round((time.perf_counter() - started) * 1000, 2),
    )
