"""Fuzzy lookup of normalised names: an inverted gram index picks candidates, rapidfuzz
ranks them.

A query never scans every name: its grams (see :func:`routing.text.grams`) select the
names sharing the most (IDF-weighted) grams, plus the names it is a prefix of, and only
those few dozen are scored. Scores are confidences in 0..1:

- 1.0 for the exact name;
- 0.80-0.95 when the query is a prefix of the name (typeahead), longer prefixes higher;
- 0.70-0.85 when it starts a later word ("teatterikuja" -> "Itäinen Teatterikuja")
  or, in CJK text, sits inside the name ("西路");
- about 0.65-0.93 for typos, swapped words and typos inside a prefix
  (0.95 x rapidfuzz similarity, and nothing below a similarity of 0.72),

so a nonsense query finds nothing and a 0.6 threshold separates answers from guesses.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import fuzz

from .text import grams, has_cjk

__all__ = ["NameIndex", "name_score"]

_MIN_SIMILARITY = 0.72
_MIN_CJK_SIMILARITY = 0.66
_FUZZY_WEIGHT = 0.95
_CANDIDATES = 60
_PREFIX_CANDIDATES = 40


def name_score(q: str, key: str) -> float:
    """Confidence that the normalised query ``q`` means the normalised name ``key``."""
    if q == key:
        return 1.0
    if not q or not key:
        return 0.0
    if key.startswith(q):
        return 0.8 + 0.15 * len(q) / len(key)
    if f" {q}" in f" {key}" or (has_cjk(q) and len(q) >= 2 and q in key):
        return 0.7 + 0.15 * len(q) / len(key)
    if len(q) < (2 if has_cjk(q) else 3):
        return 0.0
    similarity = fuzz.ratio(q, key, score_cutoff=60) / 100.0
    if " " in q and " " in key:  # swapped words: "roobertinkatu pieni"
        similarity = max(similarity, 0.98 * fuzz.token_sort_ratio(q, key) / 100.0)
    if " " in q:  # extra words around the name: "mannerheimintie helsinki"
        similarity = max(similarity, 0.9 * fuzz.token_set_ratio(q, key) / 100.0)
    if len(key) > len(q) >= 4:  # a typo inside a typed prefix: "manerh" -> "mannerheimintie"
        n = len(q)
        for m in (n - 1, n, n + 1):
            similarity = max(similarity, 0.95 * fuzz.ratio(q, key[:m]) / 100.0)
    if has_cjk(q):  # short names: one wrong character of three is a similarity of 0.67
        return 0.9 * similarity if similarity >= _MIN_CJK_SIMILARITY else 0.0
    if similarity < _MIN_SIMILARITY:
        return 0.0
    return _FUZZY_WEIGHT * similarity


class NameIndex:
    """Normalised names (each with an integer id, its position) searchable by
    :meth:`match`."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        postings: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(self.names):
            for g in grams(name):
                postings[g].append(i)
        n = max(len(self.names), 1)
        self._postings: dict[str, NDArray[np.int32]] = {
            g: np.array(ids, dtype=np.int32) for g, ids in postings.items()
        }
        self._idf: dict[str, float] = {
            g: math.log(1.0 + n / len(ids)) for g, ids in postings.items()
        }
        self._sorted = sorted((name, i) for i, name in enumerate(self.names))
        self._sorted_names = [s for s, _ in self._sorted]

    def __len__(self) -> int:
        return len(self.names)

    def candidates(self, q: str) -> set[int]:
        """Ids worth scoring for ``q``: prefix completions and the best gram overlaps."""
        out: set[int] = set()
        start = bisect.bisect_left(self._sorted_names, q)
        for name, i in self._sorted[start : start + _PREFIX_CANDIDATES]:
            if not name.startswith(q):
                break
            out.add(i)
        found: list[NDArray[np.int32]] = []
        weights: list[NDArray[np.float64]] = []
        for g in grams(q, typeahead=True):
            ids = self._postings.get(g)
            if ids is not None:
                found.append(ids)
                weights.append(np.full(len(ids), self._idf[g]))
        if found:
            ids_all = np.concatenate(found)
            votes = np.bincount(ids_all, weights=np.concatenate(weights), minlength=len(self.names))
            hit = np.flatnonzero(votes)
            if len(hit) > _CANDIDATES:
                hit = hit[np.argpartition(-votes[hit], _CANDIDATES)[:_CANDIDATES]]
            out.update(hit.tolist())
        return out

    def match(self, q: str, *, limit: int = 10, min_score: float = 0.0) -> list[tuple[int, float]]:
        """The best ``limit`` names for ``q`` as ``(id, score)``, highest first."""
        if not q:
            return []
        scored: list[tuple[int, float]] = []
        for i in self.candidates(q):
            s = name_score(q, self.names[i])
            if s > min_score:
                scored.append((i, s))
        scored.sort(key=lambda t: (-t[1], len(self.names[t[0]]), t[0]))
        return scored[:limit]

    def stats(self) -> dict[str, Any]:
        return {"names": len(self.names), "grams": len(self._postings)}
