"""Assign units to incidents with minimum total road time (OR-Tools min-cost flow).

Greedy "nearest unit to each incident in turn" can send the only unit that can reach
incident B quickly to incident A, which had another unit almost as close; a global
assignment avoids that. The matrix may be rectangular and may forbid pairs (``None``,
e.g. unreachable or a BLS unit for a priority-1 call), so this is solved as a min-cost
max-flow rather than a square assignment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from ortools.graph.python import min_cost_flow

__all__ = ["assign"]

# Costs are scaled to integers for OR-Tools: the largest cost maps to at most this
# (finer than a microsecond for any realistic ETA, far from int64 overflow).
_MAX_SCALED = 1_000_000_000
_MAX_SCALE = 1_000_000.0


def assign(cost: Sequence[Sequence[float | None]]) -> list[tuple[int, int]]:
    """Pair rows (incidents) with columns (units) one-to-one.

    Maximises the number of pairs first, then minimises their total cost. ``None`` or
    ``inf`` forbids a pair. Returns ``(row, column)`` pairs sorted by row. Raises
    ValueError for a ragged matrix or a NaN cost.
    """
    rows = len(cost)
    cols = len(cost[0]) if rows else 0
    if any(len(r) != cols for r in cost):
        raise ValueError("cost matrix rows must all have the same length")
    pairs: list[tuple[int, int, float]] = []
    for i, row in enumerate(cost):
        for j, c in enumerate(row):
            if c is None:
                continue
            value = float(c)
            if math.isnan(value):
                raise ValueError(f"cost[{i}][{j}] is NaN")
            if math.isfinite(value):
                pairs.append((i, j, value))
    if not pairs:
        return []

    biggest = max(abs(p[2]) for p in pairs)
    scale = _MAX_SCALE if biggest == 0 else min(_MAX_SCALE, _MAX_SCALED / biggest)
    source, sink = rows + cols, rows + cols + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    tails = [source] * rows + [rows + j for j in range(cols)] + [i for i, _, _ in pairs]
    heads = list(range(rows)) + [sink] * cols + [rows + j for _, j, _ in pairs]
    costs = [0] * (rows + cols) + [round(c * scale) for _, _, c in pairs]
    flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int32),
        np.array(heads, dtype=np.int32),
        np.ones(len(tails), dtype=np.int64),
        np.array(costs, dtype=np.int64),
    )
    most = min(rows, cols)
    flow.set_node_supply(source, most)
    flow.set_node_supply(sink, -most)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools min-cost flow failed: {status}")
    first_pair_arc = rows + cols
    return sorted((i, j) for k, (i, j, _) in enumerate(pairs) if flow.flow(first_pair_arc + k) > 0)
