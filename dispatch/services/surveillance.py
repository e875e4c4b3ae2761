"""The public-health watch (issue 18): judge each day's calls, keep one signal per outbreak,
let a supervisor acknowledge it, import count history, export the daily counts.

A round (:func:`run_round`, every ``interval_s`` by :class:`SurveillanceWatch`, or on demand):

1. Take the watch's advisory lock (two server processes: one judges, the other skips).
2. Judge every whole day since the last round's, then today so far. Today is judged again each
   round, so a cluster of calls this morning raises a signal this morning, not tomorrow.
3. Build the window's counts: imported history for the days it covers, the calls (classified by
   ``dispatch.surveillance.syndromes`` from triage code and words) for the others.
4. Feed each day's detections to the :class:`SignalBook` loaded with the open signals; store what
   it opened, changed and closed, each with its event (``SignalRaised``, ``SignalUpdated``,
   ``SignalClosed``), which the consoles receive live.

The detection runs in a worker thread: a scan of a few hundred cells takes a second, and the
event loop serves the floor meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from dispatch.domain import events as ev
from dispatch.domain.errors import DomainError
from dispatch.domain.events import Event
from dispatch.services.ports import CaseSource, StoredSignal, UnitOfWork
from dispatch.surveillance import burst, watch
from dispatch.surveillance.counts import CaseRecord, Counts, count_daily, local_day
from dispatch.surveillance.export import Row, parse_counts_csv
from dispatch.surveillance.signals import Level, Signal, SignalBook
from dispatch.surveillance.syndromes import SyndromeMap, load_syndrome_map

if TYPE_CHECKING:
    from dispatch.services.handlers import Deps

log = logging.getLogger("goldenhour.surveillance")

#: The actor of what the watch itself records.
ACTOR = "surveillance"
#: On the first round (nothing judged yet) the watch judges this many past days, so signals of
#: the last week are there the day the feature is switched on.
FIRST_ROUND_DAYS = 7
INTERVAL_S = 600.0
HOUR = timedelta(hours=1)
_PROVISIONAL = 1 << 62


class SignalAlreadyAcknowledged(DomainError):
    code = "signal-already-acknowledged"
    title = "Signal already acknowledged"


@dataclass(frozen=True, slots=True)
class WatchConfig:
    """How the centre runs the watch (``GOLDENHOUR_SURVEILLANCE_*``)."""

    zone: tzinfo = UTC
    methods: tuple[str, ...] = watch.DEFAULT_METHODS
    quiet_days: int = 3
    interval_s: float = INTERVAL_S


@dataclass(frozen=True, slots=True)
class WatchRound:
    """What one round did. ``skipped``: another process held the lock, or there is no data."""

    judged: tuple[date, ...] = ()
    raised: tuple[int, ...] = ()
    updated: tuple[int, ...] = ()
    closed: tuple[int, ...] = ()
    skipped: str | None = None


@dataclass
class _Changes:
    raised: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def _start_of(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _cases_to_records(cases: Sequence[CaseSource], syndromes: SyndromeMap) -> list[CaseRecord]:
    return [
        CaseRecord(
            c.received_at,
            c.location.lon,
            c.location.lat,
            syndromes.classify(c.complaint_code, c.complaint).syndrome,
        )
        for c in cases
    ]


def window_counts(
    cases: Sequence[CaseSource],
    history: Sequence[Row],
    *,
    zone: tzinfo,
    first_day: date,
    days: int,
) -> Counts:
    """The counts of ``days`` days from ``first_day``: history where imported, calls elsewhere."""
    records = _cases_to_records(cases, load_syndrome_map())
    live = count_daily(records, zone, first_day=first_day, days=days)
    return watch.combine(history, live)


async def run_round(deps: Deps, config: WatchConfig, *, wait: bool = False) -> WatchRound:
    """One round of the watch (see the module note). ``wait``: a round asked for by a person
    queues behind one running elsewhere rather than being skipped."""
    now = deps.clock.now()
    today = local_day(now, config.zone)
    async with deps.new_uow() as uow:
        store = uow.surveillance
        if not await store.lock_watch(wait=wait):
            return WatchRound(skipped="another process is judging")
        last = await store.last_day()
        first_judged = min(
            today, last + timedelta(days=1) if last else today - timedelta(days=FIRST_ROUND_DAYS)
        )
        known = await _first_known_day(uow, config.zone)
        if known is None:
            return WatchRound(skipped="no calls and no imported history yet")
        first_judged = max(first_judged, known)
        span = watch.window_days(config.methods)
        first_day = first_judged - timedelta(days=span - 1)
        days = (today - first_day).days + 1
        cases = await store.cases(_start_of(first_day, config.zone), now)
        history = await store.history(first_day, today)
        counts = await asyncio.to_thread(
            window_counts, cases, history, zone=config.zone, first_day=first_day, days=days
        )
        known_from = max(0, (known - first_day).days)
        judged = [first_judged + timedelta(days=i) for i in range((today - first_judged).days + 1)]
        found = await asyncio.to_thread(
            lambda: {
                d: watch.judge(counts, (d - first_day).days, config.methods, known_from=known_from)
                for d in judged
            }
        )
        if burst.METHOD in config.methods:
            hour = burst.recent(
                _cases_to_records(
                    [c for c in cases if c.received_at >= now - HOUR], load_syndrome_map()
                ),
                now - HOUR,
            )
            found[today] += watch.judge_burst(
                counts, (today - first_day).days, hour, known_from=known_from
            )
        stored = {s.id: s for s in await store.open_signals()}
        # The book numbers the signals it opens from far above any stored id; the database's
        # sequence then names them for good.
        book = SignalBook(
            quiet_days=config.quiet_days,
            open=[_signal(s) for s in stored.values()],
            _next_id=_PROVISIONAL,
        )
        changes = _Changes()
        for day in judged:
            before = {s.id: s for s in book.open}
            opened = book.update(day, found[day])
            ids = await store.next_signal_ids(len(opened))
            renamed = dict(zip((s.id for s in opened), ids, strict=True))
            book.open = [replace(s, id=renamed.get(s.id, s.id)) for s in book.open]
            _record_day(day, now, before, book, ids, stored, changes)
        for signal_id in changes.raised + changes.updated + changes.closed:
            await store.save_signal(stored[signal_id])
        await store.set_last_day(today - timedelta(days=1), now)
        for event in changes.events:
            uow.record(event)
        records = await uow.commit(actor=ACTOR)
    await deps.publisher.publish(records)
    return WatchRound(
        judged=tuple(judged),
        raised=tuple(changes.raised),
        updated=tuple(dict.fromkeys(i for i in changes.updated if i not in changes.raised)),
        closed=tuple(changes.closed),
    )


async def _first_known_day(uow: UnitOfWork, zone: tzinfo) -> date | None:
    """The first day the centre has data for: imported history or its first call."""
    first_history = await uow.surveillance.first_history_day()
    first_case = await uow.surveillance.first_case_at()
    known = [d for d in (first_history, first_case and local_day(first_case, zone)) if d]
    return min(known) if known else None


def _signal(s: StoredSignal) -> Signal:
    return Signal(
        id=s.id,
        method=s.method,
        syndrome=s.syndrome,
        areas=frozenset(s.areas),
        since=s.since,
        last_seen=s.last_seen,
        observed=s.observed,
        expected=s.expected,
        statistic=s.statistic,
        level=Level(s.level),
        days=s.days,
    )


def _record_day(
    day: date,
    now: datetime,
    before: dict[int, Signal],
    book: SignalBook,
    new_ids: Sequence[int],
    stored: dict[int, StoredSignal],
    changes: _Changes,
) -> None:
    """Fold one day's book changes into the stored rows and their events."""
    iso = day.isoformat()
    for s in book.open:
        areas = tuple(sorted(s.areas))
        if s.id in new_ids:
            stored[s.id] = StoredSignal(
                id=s.id,
                method=s.method,
                syndrome=s.syndrome,
                areas=areas,
                since=s.since,
                last_seen=s.last_seen,
                days=s.days,
                observed=s.observed,
                expected=s.expected,
                statistic=s.statistic,
                level=s.level.value,
                status="open",
                opened_at=now,
            )
            changes.raised.append(s.id)
            changes.events.append(
                ev.SignalRaised(
                    occurred_at=now,
                    signal=s.id,
                    syndrome=s.syndrome,
                    method=s.method,
                    areas=areas,
                    since=s.since.isoformat(),
                    day=iso,
                    observed=s.observed,
                    expected=round(s.expected, 3),
                    level=s.level.value,
                )
            )
            continue
        old = before.get(s.id)
        if old is None or old == s:
            continue
        stored[s.id] = replace(
            stored[s.id],
            areas=areas,
            last_seen=s.last_seen,
            days=s.days,
            observed=s.observed,
            expected=s.expected,
            statistic=s.statistic,
            level=s.level.value,
        )
        changes.updated.append(s.id)
        grew = s.areas != old.areas or s.level != old.level or s.last_seen != old.last_seen
        if grew:  # a new day, more cells or a higher level; not every re-count of today
            changes.events.append(
                ev.SignalUpdated(
                    occurred_at=now,
                    signal=s.id,
                    areas=areas,
                    day=iso,
                    observed=s.observed,
                    expected=round(s.expected, 3),
                    level=s.level.value,
                    level_raised=s.level != old.level,
                )
            )
    still = {s.id for s in book.open}
    for signal_id in before:
        if signal_id not in still:
            stored[signal_id] = replace(stored[signal_id], status="closed", closed_at=now)
            changes.closed.append(signal_id)
            changes.events.append(
                ev.SignalClosed(
                    occurred_at=now,
                    signal=signal_id,
                    last_seen=stored[signal_id].last_seen.isoformat(),
                )
            )


# -- commands and reads behind /surveillance -------------------------------------------------


async def acknowledge(deps: Deps, *, signal_id: int, actor: str, note: str) -> StoredSignal:
    """A supervisor has looked at the signal and says what was done; once per signal (a later
    word goes in the incident log or a new note on the next signal)."""
    async with deps.new_uow() as uow:
        now = deps.clock.now()
        signal = await uow.surveillance.signal(signal_id, lock=True)
        if signal.acknowledged_at is not None:
            raise SignalAlreadyAcknowledged(
                f"signal {signal_id} was acknowledged by {signal.acknowledged_by}",
                by=signal.acknowledged_by or "",
            )
        done = replace(signal, acknowledged_at=now, acknowledged_by=actor, acknowledge_note=note)
        await uow.surveillance.save_signal(done)
        uow.record(ev.SignalAcknowledged(occurred_at=now, signal=signal_id, note=note))
        records = await uow.commit(actor=actor)
    await deps.publisher.publish(records)
    return done


async def signals(
    deps: Deps, *, open_only: bool, since: date | None, until: date | None
) -> list[StoredSignal]:
    """Signals newest first: the open ones, or those that covered a day of the period."""
    async with deps.new_uow() as uow:
        return await uow.surveillance.signals(open_only=open_only, since=since, until=until)


async def import_history(deps: Deps, *, actor: str, text: str) -> tuple[int, int]:
    """Store an imported counts file (all rows or none); returns (days, rows). A day in the file
    replaces that day's imported counts; the next round judges with them."""
    rows = parse_counts_csv(text)
    async with deps.new_uow() as uow:
        days = await uow.surveillance.replace_history(rows, deps.clock.now())
        await uow.commit(actor=actor)
    return days, len(rows)


async def daily_counts(deps: Deps, *, zone: tzinfo, first: date, last: date) -> list[Row]:
    """Day x syndrome x area counts over ``first`` .. ``last`` (non-zero only): the export."""
    days = (last - first).days + 1
    async with deps.new_uow() as uow:
        cases = await uow.surveillance.cases(
            _start_of(first, zone), _start_of(last + timedelta(days=1), zone)
        )
        history = await uow.surveillance.history(first, last)
    counts = await asyncio.to_thread(
        window_counts, cases, history, zone=zone, first_day=first, days=days
    )
    return [(date.fromisoformat(p), s, a, n) for p, s, a, n in counts.rows()]


class SurveillanceWatch:
    """Runs :func:`run_round` every ``interval_s`` until closed (first round at start)."""

    def __init__(self, deps: Deps, config: WatchConfig) -> None:
        self._deps = deps
        self._config = config
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="surveillance-watch")

    async def _run(self) -> None:
        while True:
            try:
                done = await run_round(self._deps, self._config)
                if done.raised:
                    log.warning("public-health signals raised: %s", list(done.raised))
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop the watch for good
                log.exception("surveillance round failed; retrying")
            await asyncio.sleep(self._config.interval_s)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
