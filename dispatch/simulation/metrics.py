"""Metrics of a run: response times per priority against the protocol targets, utilisation,
queueing, and the optimiser's own costs. Plain dicts, ready for JSON.

Response time is the NEMSIS one the protocol targets use: PSAP call received (eTimes.01) to
the first unit on scene (eTimes.06), read from the domain's own incident timestamps. Only calls
received inside the measurement window count (the warm-up is excluded); a call never reached
counts as missing its target and is reported as ``unserved``. Percentiles interpolate linearly
(numpy's default), so p90 of ``1..10`` is 9.1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from dispatch.simulation.engine import SimResult


def _r(x: float | None, digits: int = 1) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


def response_stats(values: Sequence[float | None], target_s: float | None) -> dict[str, Any]:
    """Mean, median, p90 and share within target of response times (None = never reached)."""
    reached = np.array([v for v in values if v is not None], dtype=np.float64)
    total = len(values)
    out: dict[str, Any] = {
        "calls": total,
        "unserved": total - len(reached),
        "mean_s": _r(float(reached.mean())) if len(reached) else None,
        "median_s": _r(float(np.median(reached))) if len(reached) else None,
        "p90_s": _r(float(np.percentile(reached, 90))) if len(reached) else None,
    }
    if target_s is not None:
        out["target_s"] = target_s
        within = int((reached <= target_s).sum())
        out["within_target_pct"] = _r(100.0 * within / total, 2) if total else None
    return out


def busy_fraction(
    intervals: Iterable[tuple[float, float]], units: int, start: float, end: float
) -> float:
    """Share of unit-time in ``[start, end)`` spent busy (dispatch to available again)."""
    if end <= start or units <= 0:
        return 0.0
    busy = sum(max(0.0, min(b, end) - max(a, start)) for a, b in intervals)
    return busy / (units * (end - start))


def hourly_utilisation(
    intervals: Sequence[tuple[float, float]],
    units: int,
    start: float,
    end: float,
    bin_s: float = 3600.0,
) -> list[float]:
    edges = np.arange(start, end, bin_s)
    return [
        round(busy_fraction(intervals, units, float(a), float(min(a + bin_s, end))), 4)
        for a in edges
    ]


def _solver_stats(seconds: Sequence[float]) -> dict[str, Any]:
    if not seconds:
        return {"runs": 0}
    ms = np.array(seconds) * 1000.0
    return {
        "runs": len(ms),
        "mean_ms": _r(float(ms.mean()), 2),
        "p50_ms": _r(float(np.percentile(ms, 50)), 2),
        "p99_ms": _r(float(np.percentile(ms, 99)), 2),
        "max_ms": _r(float(ms.max()), 2),
    }


def summarize(
    result: SimResult,
    *,
    measure_from_s: float,
    measure_to_s: float,
    targets: Mapping[int, float],
) -> dict[str, Any]:
    calls = [r for r in result.calls if measure_from_s <= r.spec.t < measure_to_s]
    clock = result.clock

    def response(record: Any) -> float | None:
        incident = result.incidents[record.incident_id]
        if incident.on_scene_at is None:
            return None
        return (incident.on_scene_at - incident.received_at).total_seconds()

    per_priority: dict[str, Any] = {}
    for p in sorted({r.spec.priority for r in calls}):
        mine = [r for r in calls if r.spec.priority == p]
        stats = response_stats([response(r) for r in mine], targets.get(p))
        waits = [
            (r.first_dispatch_t - r.ready_t) if r.first_dispatch_t is not None else None
            for r in mine
        ]
        queued = [w for w in waits if w is None or w > 1.0]
        finite = [w for w in waits if w is not None]
        stats["queued"] = len(queued)
        stats["queued_pct"] = _r(100.0 * len(queued) / len(mine), 2)
        stats["mean_queue_wait_s"] = _r(float(np.mean(finite))) if finite else None
        stats["diverted_away"] = sum(r.diverted_away for r in mine)
        stats["not_closest"] = sum(
            1
            for r in mine
            if r.decision is not None
            and r.decision.get("closest_unit") not in (None, r.decision.get("unit"))
        )
        real = [r.spec.real_response_s for r in mine if r.spec.real_response_s is not None]
        if real:
            stats["historical"] = response_stats(list(real), targets.get(p))
        per_priority[str(p)] = stats

    units = len(result.crews)
    intervals = [iv for crew in result.crews for iv in crew.busy]
    # Units still busy at the end of the run count up to the end.
    open_ = []
    for crew in result.crews:
        if crew.busy_since is not None:
            open_.append((crew.busy_since, result.end_t))
    intervals += open_
    by_cap: dict[str, list[tuple[float, float]]] = {}
    cap_units: dict[str, int] = {}
    for crew in result.crews:
        cap = result.capability[crew.unit_id]
        cap_units[cap] = cap_units.get(cap, 0) + 1
        by_cap.setdefault(cap, []).extend(crew.busy)
        if crew.busy_since is not None:
            by_cap[cap].append((crew.busy_since, result.end_t))
    queue = [(t, n) for t, n in result.queue if measure_from_s <= t < measure_to_s]
    return {
        "policy": result.policy,
        "window": {
            "from": clock.at(measure_from_s).isoformat(),
            "to": clock.at(measure_to_s).isoformat(),
        },
        "calls": len(calls),
        "by_priority": per_priority,
        "all": response_stats([response(r) for r in calls], None),
        "utilisation": {
            "mean": round(busy_fraction(intervals, units, measure_from_s, measure_to_s), 4),
            **{
                cap.lower(): round(
                    busy_fraction(iv, cap_units[cap], measure_from_s, measure_to_s), 4
                )
                for cap, iv in sorted(by_cap.items())
            },
            "hourly": hourly_utilisation(intervals, units, measure_from_s, measure_to_s),
        },
        "queue": {
            "max_pending": max((n for _, n in queue), default=0),
            "calls_queued": sum(v["queued"] for v in per_priority.values()),
        },
        "moves": result.moves,
        "move_travel_s": round(sum(c.move_s for c in result.crews), 1),
        "rejected_decisions": result.rejected,
        "solver": _solver_stats(result.solve_s),
        "moveup_solver": _solver_stats(result.moveup_s),
        "events": result.events,
        "wall_s": round(result.wall_s, 2),
    }
