"""Nearest-first reading of a circle, one page at a time, within a fixed read budget.

It reads any geo index whose entries have an id and a point (`Entry`): the map search's listing pins, in two
tiers, and the open tasks near a provider (services/tasks_nearby.py), in one.

The map shows privileged providers first, then the nearest (domain/ranking.py). So the listings are read
as tiers (privileged, then ordinary), each from its own geo index, nearest first:

- Cells are geohash bit prefixes: each is one contiguous key range of its tier's index (a Query) and a
  lat/lon box with an exact minimum and maximum distance to the centre (domain/geo.py).
- A queue holds the unread cells of the circle by minimum distance. A wave pops the nearest ones, splits a
  cell in two while it is estimated to hold more than SPLIT_AT entries (the per-cell counts the store keeps),
  until the wave is expected to hold the rest of the page, then reads them all at once (contiguous cells
  become one Query).
- A hit is certain once its rounded distance is below the rounded minimum distance of every unread cell:
  nothing unread can rank before it. Certain hits are emitted in rank order; the page stops at `limit`.
- The budget (Queries, entries read, sequential waves) bounds every request. When it runs out, the page
  returns what is certain, maybe nothing, and the position still advances to the frontier.

A position is a rank key: everything ranking at or before it was on earlier pages. The next page skips the
cells wholly before it (their rounded maximum distance is below its distance) and the hits at or before it,
so it continues from the frontier instead of reading the circle again. Pages are exact: their union is
every entry in the circle, in rank order, none twice, whatever the budget and however wrong the counts.
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol

from typing_extensions import TypeVar

from chalicelib.domain import frontier, geo
from chalicelib.domain.frontier import Leaf
from chalicelib.domain.listings import Pin as Pin  # re-exported: the store and the benches read pins from here


class Entry(Protocol):
    """What the scan needs of an index entry: an id unique in its index (the rank's tie-break) and its point."""

    @property
    def entry_id(self) -> str: ...

    @property
    def lat(self) -> float: ...

    @property
    def lon(self) -> float: ...

    @property
    def geohash(self) -> str: ...


# The entries one scan reads: the map search's listing pins unless a reader says otherwise (tasks: TaskPin).
E = TypeVar("E", bound=Entry, default=Pin)

SPLIT_AT = 16.0  # entries: about 3 KB of pins; measured in bench/ against 12-32
STRADDLE_SPLIT_AT = 12.0  # a cell across the position is split finer: what lies before it is read for nothing
MAX_DEPTH = 60  # a whole 12-character geohash: counts stop splits long before, learned densities may not
MAX_WAVE_READS = 10  # Queries in flight at once (botocore's connection pool)
WAVE_MARGIN = 1.3  # read ~30 % more than the page needs, so one wave usually makes the page certain
MIN_CELL_LIMIT = 8  # entries a Query may return for a cell estimated (near) empty
READ_LIMIT_FACTOR = 3.0  # ... or this many times its estimate: a wrong count costs a split, not the budget
MAX_BOOST = 2  # a page that could not move gets twice the budget, up to 4 x
MAX_FRONTIER_CHARS = 1100  # what the unread cells may take in a cursor (API cursors are at most 2,048 characters)


@dataclass(frozen=True)
class Budget:
    """What one request may read: Queries, entries evaluated, sequential round trips."""

    queries: int = 20
    entries: int = 160
    waves: int = 6
    boost_entries: bool = True  # False when an entry can be large (keyword entries hold the description)

    def times(self, factor: int) -> Budget:
        entries = self.entries * factor if self.boost_entries else self.entries
        return Budget(self.queries * factor, entries, self.waves * factor, self.boost_entries)


@dataclass(frozen=True)
class Tier:
    """One tier of the ranking and the geo index it is read from (partitions of `partition_chars`)."""

    rank: int  # 0 ranks before 1 (domain/ranking.py)
    name: str
    partition_chars: int


@dataclass(frozen=True)
class Read:
    """One Query: a tier's partition, an inclusive key range, where to resume, and at most `limit` entries."""

    tier: Tier
    partition: str
    low: str
    high: str
    start_after: tuple[str, str] | None  # (geohash, entry_id) of the last entry read before
    limit: int
    parts: tuple[tuple[int, int], ...]  # the cells (prefix, depth) it reads, in key order; the first from start_after

    @property
    def cells(self) -> tuple[tuple[int, int], ...]:
        """The cells it reads whole (e.g. for a cache)."""
        return self.parts[1:] if self.start_after is not None else self.parts


@dataclass
class ReadResult(Generic[E]):
    pins: list[E]
    resume: tuple[str, str] | None  # set when `limit` stopped the Query: the last entry it evaluated
    evaluated: int  # entries read (a filtered Query reads more than it returns)
    queries: int = 1  # 0 when answered without DynamoDB (a cache)


Reader = Callable[[list[Read]], list[ReadResult[E]]]  # runs one wave's reads concurrently
Estimate = Callable[[Tier, int, int], float]  # tier, cell prefix, depth -> estimated entries


@dataclass(frozen=True)
class Position:
    """Where a walk stands: everything ranking at or before (tier, distance_m, listing_id) was on earlier
    pages, and in that tier only the cells in `unread` (domain/frontier.py; "" = all of them) are left.

    `boost` counts the pages in a row that emitted nothing (their budget ran out first): the next one gets
    2**boost times the budget.
    """

    tier: int
    distance_m: int
    listing_id: str  # the entry's id (Entry.entry_id): named when only listings were scanned, as cursors hold it
    boost: int = 0
    unread: str = ""
    resumes: tuple[frontier.Resume, ...] = ()
    floors: tuple[int, ...] = ()  # per unread cell in key order: its held hits' least rounded distance, or -1

    def as_list(self) -> list[object]:
        return [self.tier, self.distance_m, self.listing_id, self.boost, self.unread, [list(r) for r in self.resumes],
                list(self.floors)]

    @classmethod
    def from_list(cls, raw: object) -> Position:
        if not (isinstance(raw, list) and len(raw) == 7):
            raise ValueError("not a position")
        tier, distance_m, listing_id, boost, unread, resumes, floors = raw
        numbers = (tier, distance_m, boost)
        if not (all(isinstance(n, int) and not isinstance(n, bool) for n in numbers) and isinstance(listing_id, str)
                and tier >= 0 and distance_m >= -1 and 0 <= boost <= MAX_BOOST and isinstance(unread, str)
                and isinstance(resumes, list)
                and all(isinstance(r, list) and len(r) == 2 and all(isinstance(x, str) for x in r) for r in resumes)
                and isinstance(floors, list)
                and all(isinstance(f, int) and not isinstance(f, bool) and f >= -1 for f in floors)):
            raise ValueError("not a position")
        return cls(tier, distance_m, listing_id, boost, unread, tuple((r[0], r[1]) for r in resumes), tuple(floors))


@dataclass(frozen=True)
class Found(Generic[E]):
    pin: E
    distance_m: int


@dataclass
class ScanPage(Generic[E]):
    found: list[Found[E]]
    next: Position | None
    queries: int = 0
    entries: int = 0
    waves: int = 0
    reads: list[Read] = field(default_factory=list)


@dataclass(order=True)
class _Queued:
    min_m: float
    seq: int
    prefix: int = field(compare=False)
    depth: int = field(compare=False)
    max_m: float = field(compare=False)
    start_after: tuple[str, str] | None = field(compare=False, default=None)
    estimate: float | None = field(compare=False, default=None)  # known better than the counts say
    straddles: bool = field(compare=False, default=False)  # holds entries on both sides of the position
    floor: int | None = field(compare=False, default=None)  # its entries not yet emitted all round to >= floor


class _TierScan(Generic[E]):
    """The nearest-first scan of one tier, from a position, until the page is full or the budget is spent."""

    def __init__(self, tier: Tier, lat: float, lon: float, radius_m: float, after: tuple[int, str] | None,
                 unread: list[Leaf] | None, estimate: Estimate,
                 floors: dict[tuple[int, int], int] | None = None) -> None:
        self.tier, self.lat, self.lon, self.radius_m = tier, lat, lon, radius_m
        self.after = after
        self.estimate = estimate
        self.queue: list[_Queued] = []
        self.held: list[tuple[int, str, E]] = []
        self.seen: set[str] = set()
        self.done: list[tuple[Read, ReadResult[E], set[str]]] = []  # every read of this page, and the hits it gave
        self._seq = 0
        self.partitions = geo.partition_cells(lat, lon, radius_m, tier.partition_chars)
        if unread is None:
            unread = [Leaf(prefix, depth) for prefix, depth in self.partitions]
        self.read_floor: dict[int, int | None] = {}  # per read (id): the floor of the cells it re-reads
        self.floors: dict[tuple[int, int], int] = {}
        floors = floors or {}
        for leaf in unread:
            self._push(leaf.prefix, leaf.depth, start_after=leaf.start_after,
                       floor=floors.get((leaf.prefix, leaf.depth)))

    def _push(self, prefix: int, depth: int, start_after: tuple[str, str] | None = None,
              estimate: float | None = None, floor: int | None = None) -> None:
        box = geo.cell_box(prefix, depth)
        min_m = geo.min_distance_m(self.lat, self.lon, box)
        if min_m > self.radius_m:
            return
        if floor is not None:
            min_m = max(min_m, floor - 0.5 + 1e-6)  # round(min_m) == floor: nothing in it ranks before
        max_m = geo.max_distance_m(self.lat, self.lon, box)
        straddles = False
        if self.after is not None:
            if round(max_m) < self.after[0]:
                return  # every entry in it ranks before the position: it was on an earlier page
            straddles = round(min_m) <= self.after[0]
        self._seq += 1
        heapq.heappush(self.queue, _Queued(min_m, self._seq, prefix, depth, max_m, start_after, estimate, straddles,
                                           floor))

    def _estimate(self, cell: _Queued) -> float:
        return cell.estimate if cell.estimate is not None else self.estimate(self.tier, cell.prefix, cell.depth)

    @property
    def frontier_m(self) -> float:
        """No unread entry is nearer than this."""
        return self.queue[0].min_m if self.queue else math.inf

    @property
    def exhausted(self) -> bool:
        return not self.queue and not self.held

    def emit(self, room: int) -> list[Found[E]]:
        """The held hits that are certain, in rank order, at most `room`."""
        out: list[Found[E]] = []
        bound = math.inf if not self.queue else round(self.frontier_m)
        while self.held and len(out) < room and self.held[0][0] < bound:
            distance_m, _entry_id, pin = heapq.heappop(self.held)
            out.append(Found(pin, distance_m))
        return out

    def plan_wave(self, wanted: float, budget_queries: int, budget_entries: int) -> list[Read]:
        """Pop the nearest cells (splitting dense ones) until they should hold `wanted` entries.

        Each cell may return up to READ_LIMIT_FACTOR x its estimate (at least MIN_CELL_LIMIT); the wave
        takes no more cells than the entry budget allows those limits, and at least one.
        """
        cells: list[tuple[_Queued, int]] = []
        expected, limits = 0.0, 0
        max_cells = min(MAX_WAVE_READS, budget_queries)
        while self.queue and len(cells) < max_cells and (expected < wanted or not cells or self._blocks()):
            cell = self.queue[0]
            estimate = self._estimate(cell)
            split_at = STRADDLE_SPLIT_AT if cell.straddles else SPLIT_AT
            if estimate > split_at and cell.depth < MAX_DEPTH and cell.start_after is None:
                heapq.heappop(self.queue)
                half = None if cell.estimate is None else cell.estimate / 2
                self._push(cell.prefix << 1, cell.depth + 1, estimate=half, floor=cell.floor)
                self._push((cell.prefix << 1) | 1, cell.depth + 1, estimate=half, floor=cell.floor)
                continue
            limit = max(MIN_CELL_LIMIT, math.ceil(READ_LIMIT_FACTOR * estimate))
            if cells and limits + limit > budget_entries:
                break
            heapq.heappop(self.queue)
            limit = min(limit, budget_entries - limits)
            cells.append((cell, limit))
            expected += estimate
            limits += limit
        return self._reads(cells)

    def _blocks(self) -> bool:
        """True if the nearest unread cell keeps the nearest held hit from being certain: read it now, or a
        ring of small cells around the held hits could take one wave each and never end within a page."""
        return bool(self.held) and round(self.queue[0].min_m) <= self.held[0][0]

    def _reads(self, cells: list[tuple[_Queued, int]]) -> list[Read]:
        """Contiguous cells of one partition become one Query, whose limit is the sum of theirs."""
        cells.sort(key=lambda pair: (pair[0].prefix << (geo.TOTAL_BITS - pair[0].depth)))
        groups: list[list[tuple[_Queued, int]]] = []
        for cell, limit in cells:
            if groups and self._joins(groups[-1][-1][0], cell):
                groups[-1].append((cell, limit))
            else:
                groups.append([(cell, limit)])
        reads = []
        for group in groups:
            first, last = group[0][0], group[-1][0]
            low = geo.cell_keys(first.prefix, first.depth)[0]
            high = geo.cell_keys(last.prefix, last.depth)[1]
            parts = tuple((cell.prefix, cell.depth) for cell, _ in group)
            reads.append(Read(self.tier, low[: self.tier.partition_chars], low, high, first.start_after,
                              sum(limit for _, limit in group), parts))
            floors = [cell.floor for cell, _ in group if cell.floor is not None]
            self.read_floor[id(reads[-1])] = min(floors) if len(floors) == len(group) else None
        return reads

    def _joins(self, before: _Queued, cell: _Queued) -> bool:
        end = (before.prefix + 1) << (geo.TOTAL_BITS - before.depth)
        start = cell.prefix << (geo.TOTAL_BITS - cell.depth)
        same_partition = (before.prefix >> (before.depth - 5 * self.tier.partition_chars)) == (
            cell.prefix >> (cell.depth - 5 * self.tier.partition_chars)
        )
        return end == start and same_partition and cell.start_after is None

    def take(self, read: Read, result: ReadResult[E]) -> None:
        """Hold the hits of a read; queue what a limit left unread of its range."""
        hits: set[str] = set()
        self.done.append((read, result, hits))
        for pin in result.pins:
            if pin.entry_id in self.seen:
                continue
            distance = geo.haversine_m(self.lat, self.lon, pin.lat, pin.lon)
            if distance > self.radius_m:
                continue
            rounded = round(distance)
            if self.after is not None and (rounded, pin.entry_id) <= self.after:
                continue
            self.seen.add(pin.entry_id)
            hits.add(pin.entry_id)
            heapq.heappush(self.held, (rounded, pin.entry_id, pin))
        if result.resume is None:
            return
        resume_at, high = geo.key_value(result.resume[0]), geo.key_value(read.high)
        low = geo.key_value(read.low)
        read_share = max(1e-9, (resume_at - low + 1) / (high - low + 1))
        density = result.evaluated / read_share  # entries the whole range seems to hold
        for index, (prefix, depth) in enumerate(geo.aligned_cells(resume_at, high)):
            share = (1 << (geo.TOTAL_BITS - depth)) / (high - low + 1)
            self._push(prefix, depth, start_after=result.resume if index == 0 else None, estimate=density * share,
                       floor=self.read_floor.get(id(read)))

    def unread(self) -> list[Leaf]:
        """The cells the next page must read: the queue, and again each read cell whose hits are still held.

        A read cell is whole, or its first part resumes after an entry, or it ends where a limit stopped the
        read (the rest is queued). A held hit no leaf covers (an entry read before a resume point) makes the
        cell holding it be read again from its start.
        """
        held = {entry_id: pin for _, entry_id, pin in self.held}
        held_m = {entry_id: rounded for rounded, entry_id, _ in self.held}
        self.floors = {(cell.prefix, cell.depth): cell.floor for cell in self.queue if cell.floor is not None}
        leaves: list[Leaf] = [Leaf(cell.prefix, cell.depth, cell.start_after) for cell in self.queue]
        for read, result, hits in self.done:
            mine = [held[entry_id] for entry_id in hits if entry_id in held]
            if not mine:
                continue
            low = geo.key_value(read.low)
            end = geo.key_value(result.resume[0]) - 1 if result.resume is not None else geo.key_value(read.high)
            keys = {geo.key_value(pin.geohash) for pin in mine}
            for prefix, depth in geo.aligned_cells(low, end):
                first, last = prefix << (geo.TOTAL_BITS - depth), ((prefix + 1) << (geo.TOTAL_BITS - depth)) - 1
                if any(first <= key <= last for key in keys):
                    resumes = read.start_after is not None and first <= geo.key_value(read.start_after[0]) <= last
                    leaves.append(Leaf(prefix, depth, read.start_after if resumes else None))
                    self.floors[(prefix, depth)] = min(held_m[pin.entry_id] for pin in mine
                                                       if first <= geo.key_value(pin.geohash) <= last)
        for pin in held.values():
            key = geo.key_value(pin.geohash)
            index = next((i for i, leaf in enumerate(leaves) if _holds(leaf, key)), None)
            if index is None:
                leaves.append(Leaf(key, geo.TOTAL_BITS))
                self.floors.pop((key, geo.TOTAL_BITS), None)
            elif (resume := leaves[index].start_after) is not None and pin.geohash <= resume[0]:
                # DynamoDB does not say how entries with one geohash are ordered: read the cell again whole
                leaves[index] = Leaf(leaves[index].prefix, leaves[index].depth)
                self.floors.pop((leaves[index].prefix, leaves[index].depth), None)
        return leaves

    def position(self, tier_index: int, last: tuple[int, str], boost: int) -> Position:
        """The position after `last`, with this scan's unread cells, coarsened until they fit a cursor."""
        leaves = self.unread()
        while True:
            packed, resumes = frontier.encode(self.partitions, leaves)
            in_order = sorted(leaves, key=lambda leaf: leaf.prefix << (geo.TOTAL_BITS - leaf.depth))
            floors = tuple(self.floors.get((leaf.prefix, leaf.depth), -1) for leaf in in_order)
            if all(floor == -1 for floor in floors):
                floors = ()
            if len(packed) + 48 * len(resumes) + 7 * len(floors) <= MAX_FRONTIER_CHARS:
                return Position(tier_index, last[0], last[1], boost, packed, tuple(resumes), floors)
            coarser = frontier.coarsen(self.partitions, leaves)
            if coarser == leaves:
                return Position(tier_index, last[0], last[1], boost)
            leaves = coarser


def _holds(leaf: Leaf, key: int) -> bool:
    return (key >> (geo.TOTAL_BITS - leaf.depth)) == leaf.prefix


def scan_page(lat: float, lon: float, radius_m: float, tiers: Sequence[Tier], after: Position | None, limit: int,
              budget: Budget, read: Reader[E], estimate: Estimate, keyword: bool = False) -> ScanPage[E]:
    """One page of the circle's entries in rank order, after `after`, reading at most `budget`.

    `keyword` says the reads are filtered (few of the entries read are returned): waves then read as much
    of the budget as they may instead of sizing themselves to the page. Raises ValueError for a position
    whose unread cells do not fit this circle.
    """
    page: ScanPage[E] = ScanPage(found=[], next=None)
    if after is not None and after.boost:
        budget = budget.times(2 ** after.boost)
    first_tier = after.tier if after is not None else 0
    if first_tier >= len(tiers):
        raise ValueError("position past the last tier")
    for tier_index in range(first_tier, len(tiers)):
        scan: _TierScan[E] = _tier_scan(lat, lon, radius_m, tiers[tier_index], tier_index, after, estimate)
        emitted, out_of_budget = _fill(page, scan, limit, budget, read, keyword)
        page.found.extend(emitted)
        if out_of_budget:
            page.next = _stopped_at(tier_index, emitted, scan, after)
            return page
        if len(page.found) >= limit:
            page.next = _after_full_page(page, scan, tier_index, len(tiers))
            return page
    return page


def _tier_scan(lat: float, lon: float, radius_m: float, tier: Tier, tier_index: int, after: Position | None,
               estimate: Estimate) -> _TierScan[E]:
    """The scan of one tier: whole, or from where `after` left it (its position, unread cells and floors)."""
    if after is None or after.tier != tier_index:
        return _TierScan(tier, lat, lon, radius_m, None, None, estimate, None)
    unread, floors = None, None
    if after.unread:
        unread = frontier.decode(geo.partition_cells(lat, lon, radius_m, tier.partition_chars), after.unread,
                                 list(after.resumes))  # in key order
        if after.floors and len(after.floors) != len(unread):
            raise ValueError("a floor for each unread cell, or none")
        floors = {(leaf.prefix, leaf.depth): f for leaf, f in zip(unread, after.floors, strict=False) if f >= 0}
    return _TierScan(tier, lat, lon, radius_m, (after.distance_m, after.listing_id), unread, estimate, floors)


def _fill(page: ScanPage[E], scan: _TierScan[E], limit: int, budget: Budget, read: Reader[E],
          keyword: bool) -> tuple[list[Found[E]], bool]:
    """Read waves of one tier until the page is full or the tier is read, or the budget runs out (then True):
    the certain hits it emitted, and whether the budget stopped it."""
    emitted: list[Found[E]] = []
    while True:
        emitted.extend(scan.emit(limit - len(page.found) - len(emitted)))
        if len(page.found) + len(emitted) >= limit or not scan.queue:
            return emitted, False
        queries_left, entries_left = budget.queries - page.queries, budget.entries - page.entries
        if page.waves >= budget.waves or queries_left <= 0 or entries_left <= 0:
            return emitted, True
        need = limit - len(page.found) - len(emitted)
        wanted = entries_left / 2 if keyword else max(1.0, WAVE_MARGIN * need - len(scan.held))
        reads = scan.plan_wave(wanted, queries_left, entries_left)
        if reads:
            _read_wave(page, scan, reads, read)


def _read_wave(page: ScanPage[E], scan: _TierScan[E], reads: list[Read], read: Reader[E]) -> None:
    """Run one wave's reads at once, count them against the page, and hand their hits to the scan."""
    results = read(reads)
    page.waves += 1
    page.reads.extend(reads)
    for one, result in zip(reads, results, strict=False):
        page.queries += result.queries
        page.entries += result.evaluated
        scan.take(one, result)


def _after_full_page(page: ScanPage[E], scan: _TierScan[E], tier_index: int, tiers: int) -> Position | None:
    """Where the page after a full one starts: after its last hit, at the next tier, or nowhere (all read)."""
    if not scan.exhausted:
        last = page.found[-1]
        return scan.position(tier_index, (last.distance_m, last.pin.entry_id), 0)
    if tier_index + 1 < tiers:
        return Position(tier_index + 1, -1, "")
    return None


def _stopped_at(tier_index: int, emitted: list[Found[E]], scan: _TierScan[E],
                after: Position | None) -> Position:
    """Where a page cut short by its budget leaves off: after what it emitted, and after the frontier.

    Every hit rounding below the frontier was certain and emitted (the page had room), so the position may
    move up to (rounded frontier, "") even when the page emitted nothing. A page that emitted nothing
    passes a bigger budget to the next.
    """
    candidates = [(round(scan.frontier_m), "")]
    if emitted:
        candidates.append((emitted[-1].distance_m, emitted[-1].pin.entry_id))
    if after is not None and after.tier == tier_index:
        candidates.append((after.distance_m, after.listing_id))
    boost = 0 if emitted or after is None else min(MAX_BOOST, after.boost + 1)
    return scan.position(tier_index, max(candidates), boost)
