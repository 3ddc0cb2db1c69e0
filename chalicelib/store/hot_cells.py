"""Hot cells: with SEARCH_CACHE_S > 0 (2 s on deployed stages) each instance keeps what whole cells of the pin
indexes held for that long, so the many searches around one busy place read each cell once per instance per
interval instead of once per search (bench/hot_key.py measures the partition load this saves)."""
from __future__ import annotations

import time
from collections import OrderedDict

from chalicelib.domain import geo
from chalicelib.domain.nearest import Pin, Read, ReadResult

Place = tuple[str, str, str]  # (table, index, partition value): which index partition a cell is in
_Key = tuple[str, str, str, int, int]


class HotCells:
    """Whole cells of the pin indexes as read within the last `ttl_s`, per instance (LRU, bounded)."""

    def __init__(self, ttl_s: float = 0.0, max_cells: int = 4096) -> None:
        self.ttl_s = ttl_s
        self.max_cells = max_cells
        self.cells: OrderedDict[_Key, tuple[float, list[Pin]]] = OrderedDict()

    def reset(self, ttl_s: float) -> None:
        """Forget every cell, and keep the next ones for `ttl_s` (0: the cache is off)."""
        self.ttl_s = ttl_s
        self.cells.clear()


    def answer(self, place: Place, read: Read) -> ReadResult | None:
        if read.start_after is not None or not read.cells:
            return None
        now, pins = time.monotonic(), []
        for cell in read.cells:
            kept = self.cells.get((*place, *cell))
            if kept is None or now - kept[0] > self.ttl_s:
                return None
            pins.extend(kept[1])
        return ReadResult(pins=pins, resume=None, evaluated=len(pins), queries=0)

    def keep(self, place: Place, read: Read, result: ReadResult) -> None:
        if result.resume is not None or read.start_after is not None:
            return
        now = time.monotonic()
        for prefix, depth in read.cells:
            low, high = geo.cell_keys(prefix, depth)
            pins = [pin for pin in result.pins if low <= pin.geohash <= high]
            self.cells[(*place, prefix, depth)] = (now, pins)
            self.cells.move_to_end((*place, prefix, depth))
        while len(self.cells) > self.max_cells:
            self.cells.popitem(last=False)
