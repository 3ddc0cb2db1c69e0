"""How many index entries a cell probably holds, from counts kept per geohash-6 cell.

The nearest-first scan (domain/nearest.py) sizes its reads with this: a coarse cell holds the sum of the
geohash-6 cells inside it; a finer cell a share of its geohash-6 cell by area (key-space share), as if the
entries were spread evenly inside it. The counts are an estimate: a wrong one costs reads, never results.
"""
from __future__ import annotations

import bisect
from collections.abc import Mapping
from itertools import accumulate

from chalicelib.domain import geo

COUNT_CHARS = 6
COUNT_BITS = 5 * COUNT_CHARS


class CellCounts:
    """Entries per geohash-6 cell; `estimate` answers for any cell (prefix, depth in bits)."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        by_key = sorted((geo.key_value(cell) >> (geo.TOTAL_BITS - COUNT_BITS), count)
                        for cell, count in counts.items() if count > 0)
        self._keys = [key for key, _ in by_key]
        self._counts = {key: count for key, count in by_key}
        self._running = [0, *accumulate(count for _, count in by_key)]

    def __len__(self) -> int:
        return len(self._keys)

    def estimate(self, prefix: int, depth: int) -> float:
        if depth >= COUNT_BITS:
            return self._counts.get(prefix >> (depth - COUNT_BITS), 0) / (1 << (depth - COUNT_BITS))
        shift = COUNT_BITS - depth
        first = bisect.bisect_left(self._keys, prefix << shift)
        last = bisect.bisect_left(self._keys, (prefix + 1) << shift)
        return float(self._running[last] - self._running[first])
