"""A cost model of DynamoDB Query: what each Query returns, and what it costs by DynamoDB's published rules.

moto answers Queries correctly but scans its whole table for each (~7 us per item), which at 200,000
listings is minutes per contender. This model keeps each index's partitions as sorted key lists and
answers `partition = P AND sort BETWEEN low AND high` by bisection. bench/model_check.py shows that it
returns exactly what moto returns, Query by Query, on a sample.

Sizes and capacity (DynamoDB developer guide, "Item sizes" and "Read consumption"):
- an item's size is the sum over its attributes of the UTF-8 length of the name plus the value's size;
  a string is its UTF-8 length, a number 1 byte per two significant digits plus 1, a boolean 1 byte;
- a Query reads at most 1 MB per page; each page costs its total size rounded up to 4 KB, one read
  unit per 4 KB strongly consistent, half that eventually consistent (what searches use); a page that
  returns nothing still costs one unit;
- BatchGetItem costs each item its own size rounded up to 4 KB.
"""
from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

PAGE_BYTES = 1024 * 1024
UNIT_BYTES = 4096
EVENTUALLY_CONSISTENT = 0.5


def value_size(value: dict[str, Any]) -> int:
    """Size of one typed value ({"S": ...}, {"N": ...}, {"BOOL": ...}) as DynamoDB counts it."""
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        mantissa = raw.lower().split("e")[0].lstrip("-+")
        digits = mantissa.replace(".", "").strip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    raise ValueError(f"no size rule for {kind}")


def item_size(item: dict[str, dict[str, Any]]) -> int:
    """Size of an item in DynamoDB's wire form: sum of attribute name lengths and value sizes."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def read_units(size_bytes: int) -> float:
    """What one eventually consistent read of this many bytes costs: whole 4 KB units, at least one, halved."""
    return max(1, math.ceil(size_bytes / UNIT_BYTES)) * EVENTUALLY_CONSISTENT


def query_read_units(sizes: list[int]) -> tuple[float, int]:
    """Read units of one Query (eventually consistent) that returns items of these sizes, and its pages."""
    units, pages, page_bytes = 0.0, 0, 0
    for size in sizes:
        if page_bytes and page_bytes + size > PAGE_BYTES:
            units += read_units(page_bytes)
            pages, page_bytes = pages + 1, 0
        page_bytes += size
    units += read_units(page_bytes)
    return units, pages + 1


def batch_get_read_units(sizes: Iterable[int]) -> float:
    """BatchGetItem charges each item its own size rounded up to 4 KB (eventually consistent: half)."""
    return sum(read_units(size) for size in sizes)


@dataclass
class QueryAnswer:
    items: list[Any]
    read_units: float
    pages: int


@dataclass
class IndexModel:
    """One index: partition key value -> items sorted by sort key (ties by insertion, as ids are unique)."""

    _keys: dict[Hashable, list[Any]] = field(default_factory=lambda: defaultdict(list))
    _rows: dict[Hashable, list[tuple[int, Any]]] = field(default_factory=lambda: defaultdict(list))
    _sorted: bool = True

    def add(self, partition: Hashable, sort_key: Any, size: int, payload: Any) -> None:
        self._keys[partition].append(sort_key)
        self._rows[partition].append((size, payload))
        self._sorted = False

    def _sort(self) -> None:
        for partition, keys in self._keys.items():
            order = sorted(range(len(keys)), key=keys.__getitem__)
            self._keys[partition] = [keys[i] for i in order]
            rows = self._rows[partition]
            self._rows[partition] = [rows[i] for i in order]
        self._sorted = True

    def query(self, partition: Hashable, low: Any, high: Any) -> QueryAnswer:
        if not self._sorted:
            self._sort()
        keys = self._keys.get(partition, [])
        start, stop = bisect.bisect_left(keys, low), bisect.bisect_right(keys, high)
        rows = self._rows.get(partition, [])[start:stop]
        units, pages = query_read_units([size for size, _ in rows])
        return QueryAnswer(items=[payload for _, payload in rows], read_units=units, pages=pages)
