"""The exact cover: a circle as at most N geohash key ranges (how the map search read before the nearest-first
scan; bench/before.py measures it against the scan).

Each index has a P-character geohash prefix as partition key (P = 5 or 4) and a
sort key starting with the 12-character geohash; a search runs one Query per
KeyRange, concurrently, then filters by exact distance.  So the cover must never
miss a point within the radius, should read little beyond it, and caps Queries.
Geohashes are handled as 60-bit integers (first bit = longitude), so every
bit-prefix cell is one contiguous key range.  From the partition cells meeting
the circle, cells are split one bit at a time: dropped when their exact minimum
spherical distance exceeds radius + 1 cm, kept whole when their far corners are
inside, split down to a quarter of the radius otherwise.  Touching cells fuse;
the smallest gaps inside a partition are filled until the budget is met (keeping
the largest gaps is optimal for a fixed leaf set; partitions never merge), then
range ends are trimmed to 1/64 of the radius.  Exactness: a cell is only dropped
on a minimum-distance test over its closed box, and geohash2 puts every point,
edge points included, in the closed box of its cell.  Precision 5 is used while
the circle meets at most half the budget in partitions, else 4 (plan_cover).
Precondition: the circle's bounding box avoids the poles and the antimeridian.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.domain.geo import (
    _EDGE,
    _IN,
    _OUT,
    _TOTAL_BITS,
    GEOHASH_CHARS,
    _aligned_blocks,
    _Cell,
    _cell_area_m2,
    _Circle,
    _classify,
    _partition_cells,
    _to_int,
    _to_str,
)

PARTITION_CHOICES: tuple[int, ...] = (5, 4)
_LEAF_SIDE_FRACTION = 1.0 / 4.0
_TRIM_SIDE_FRACTION = 1.0 / 64.0


@dataclass(frozen=True)
class KeyRange:
    """Inclusive range of 12-character geohashes inside one index partition."""

    partition: str
    low: str
    high: str

    def contains(self, geohash: str) -> bool:
        """True if the geohash (first 12 characters are used) lies in the range."""
        key = geohash[:GEOHASH_CHARS]
        return key.startswith(self.partition) and self.low <= key <= self.high


@dataclass(frozen=True)
class Cover:
    """Key ranges, sorted and disjoint, one DynamoDB Query each."""

    partition_chars: int
    ranges: tuple[KeyRange, ...]

    def contains(self, geohash: str) -> bool:
        """True if some range contains the geohash."""
        return any(r.contains(geohash) for r in self.ranges)

    def area_m2(self) -> float:
        """Area of the union of geohash cells covered by the ranges."""
        total = 0.0
        for r in self.ranges:
            for prefix, depth in _aligned_blocks(_to_int(r.low), _to_int(r.high)):
                total += _cell_area_m2(prefix, depth)
        return total


@dataclass
class _Run:
    """Fused leaf cells: the key range [lo, hi] and the boundary leaves at its ends (None when the end
    cell lies fully inside the circle), kept so that range ends can be trimmed."""

    lo: int
    hi: int
    first_edge: _Cell | None
    last_edge: _Cell | None


def _leaf_runs(c: _Circle, part: _Cell, leaf: int) -> list[_Run]:
    """Fused runs of leaf cells under one partition cell, in key order."""
    out: list[_Run] = []

    def visit(p: int, d: int, lat_lo: float, lat_hi: float, lon_lo: float, lon_hi: float) -> None:
        kind = _classify(c, lat_lo, lat_hi, lon_lo, lon_hi)
        if kind == _OUT:
            return
        if kind == _IN or d >= leaf:
            cell = (p, d, lat_lo, lat_hi, lon_lo, lon_hi) if kind == _EDGE else None
            shift = _TOTAL_BITS - d
            lo = p << shift
            if out and out[-1].hi + 1 == lo:
                last = out[-1]
                last.hi = ((p + 1) << shift) - 1
                last.last_edge = cell
            else:
                out.append(_Run(lo, ((p + 1) << shift) - 1, cell, cell))
            return
        if d % 2 == 0:
            mid = (lon_lo + lon_hi) * 0.5
            visit(p << 1, d + 1, lat_lo, lat_hi, lon_lo, mid)
            visit((p << 1) | 1, d + 1, lat_lo, lat_hi, mid, lon_hi)
        else:
            mid = (lat_lo + lat_hi) * 0.5
            visit(p << 1, d + 1, lat_lo, mid, lon_lo, lon_hi)
            visit((p << 1) | 1, d + 1, mid, lat_hi, lon_lo, lon_hi)

    visit(*part)
    return out


def _budget_runs(per_partition: list[list[_Run]], max_ranges: int) -> list[_Run]:
    """Fill the smallest intra-partition gaps until at most max_ranges runs remain.

    For a fixed set of runs, keeping the largest gaps minimises the covered area.
    """
    gaps = []
    for pi, runs in enumerate(per_partition):
        for ri in range(1, len(runs)):
            gaps.append((runs[ri].lo - runs[ri - 1].hi - 1, pi, ri))
    gaps.sort()
    excess = len(gaps) + len(per_partition) - max_ranges
    fill = {(pi, ri) for _, pi, ri in gaps[: max(excess, 0)]}
    result: list[_Run] = []
    for pi, runs in enumerate(per_partition):
        result.append(replace(runs[0]))
        for ri in range(1, len(runs)):
            if (pi, ri) in fill:
                result[-1].hi = runs[ri].hi
                result[-1].last_edge = runs[ri].last_edge
            else:
                result.append(replace(runs[ri]))
    return result


def _first_kept(c: _Circle, cell: _Cell, fine: int, last: bool) -> int | None:
    """Start (or end, if last) of the first (last) non-outside sub-cell at depth fine."""
    p, d, lat_lo, lat_hi, lon_lo, lon_hi = cell
    kind = _classify(c, lat_lo, lat_hi, lon_lo, lon_hi)
    if kind == _OUT:
        return None
    if kind == _IN or d >= fine:
        shift = _TOTAL_BITS - d
        return ((p + 1) << shift) - 1 if last else p << shift
    if d % 2 == 0:
        mid = (lon_lo + lon_hi) * 0.5
        low = (p << 1, d + 1, lat_lo, lat_hi, lon_lo, mid)
        high = ((p << 1) | 1, d + 1, lat_lo, lat_hi, mid, lon_hi)
    else:
        mid = (lat_lo + lat_hi) * 0.5
        low = (p << 1, d + 1, lat_lo, mid, lon_lo, lon_hi)
        high = ((p << 1) | 1, d + 1, mid, lat_hi, lon_lo, lon_hi)
    first, second = (high, low) if last else (low, high)
    found = _first_kept(c, first, fine, last)
    return found if found is not None else _first_kept(c, second, fine, last)


def _build_cover(c: _Circle, p_chars: int, parts: list[_Cell], max_ranges: int) -> Cover:
    depth = 5 * p_chars
    leaf = c.leaf_depth(depth, _LEAF_SIDE_FRACTION)
    fine = c.leaf_depth(depth, _TRIM_SIDE_FRACTION)
    per_partition = [runs for runs in (_leaf_runs(c, part, leaf) for part in parts) if runs]
    ranges = []
    for run in _budget_runs(per_partition, max_ranges):
        lo = _trimmed(c, run.lo, run.first_edge, leaf, fine, last=False)
        hi = _trimmed(c, run.hi, run.last_edge, leaf, fine, last=True)
        low = _to_str(lo, GEOHASH_CHARS)
        ranges.append(KeyRange(low[:p_chars], low, _to_str(hi, GEOHASH_CHARS)))
    return Cover(p_chars, tuple(ranges))


def _trimmed(c: _Circle, end: int, edge: _Cell | None, leaf: int, fine: int, last: bool) -> int:
    """A run's start (or end, if last), moved in to its edge cell's first (last) sub-cell at depth `fine` that
    meets the circle; unchanged when the end cell is wholly inside or `fine` is no finer than the leaves."""
    if edge is None or fine <= leaf:
        return end
    trimmed = _first_kept(c, edge, fine, last)
    return end if trimmed is None else trimmed


def plan_cover(lat: float, lon: float, radius_m: float, max_ranges: int = 12) -> Cover:
    """Cover the circle of radius_m metres around (lat, lon) with <= max_ranges key ranges.

    Partition precision rule: use 5 characters when the circle meets at most
    max(1, max_ranges // 2) five-character partitions, else 4 characters.  Each
    partition costs at least one Query and partition breaks are rarely where the
    best gaps are, so beyond half the budget precision 5 reads noticeably more
    (measured: up to 4 % more area at <= 6 partitions, 10-18 % at 10-12);
    below that it reads the same while spreading load over more partition keys.

    Raises ValueError if the circle's bounding box reaches a pole or the
    antimeridian, for a negative or non-finite input, or when even precision 4
    needs more than max_ranges partitions (radius far beyond 20 km).
    """
    if max_ranges < 1:
        raise ValueError("max_ranges must be at least 1")
    c = _Circle(lat, lon, radius_m)
    fine, coarse = PARTITION_CHOICES
    parts = _partition_cells(c, fine, 5 * fine)
    if len(parts) > max(1, max_ranges // 2):
        parts = _partition_cells(c, coarse, 5 * coarse)
        if len(parts) > max_ranges:
            raise ValueError("radius too large for the Query budget")
        return _build_cover(c, coarse, parts, max_ranges)
    return _build_cover(c, fine, parts, max_ranges)
