"""Open tasks near a provider, nearest first (GET /tasks/nearby): the map search's scan over the tasks' index.

How: the nearest-first scan of services/search.py (domain/nearest.py), over one tier, the nearby tasks' index
(store/task_index.py), sized by its cell counts and stopped as soon as the page is certain or the request's
read budget is spent; the cursor is the scan's position, bound to the caller and the query. The caller's own
tasks, and tasks past `expires_at` (the expiry sweep takes them out of the index within a minute), are dropped
as they are read, like entries a filter leaves out: a page may be short, even empty, while `next_cursor` is
set, and the pages together are exactly the others' open tasks in the circle, nearest first (ties by task id).

Cost ceiling of one request (whatever radius, category and limit): BUDGET's 20 Queries, 160 entries evaluated
(~200 B each: at most ~8 RCU eventually consistent) and 6 sequential waves, times 2**boost (boost <= 2) after
pages that could not move; plus the counts of the circle's index partitions (at most 9 geohash-4 partitions at
20 km: one BatchGetItem, cached per instance for CELL_COUNTS_CACHE_S) and one rate-limit write.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain import geo, nearest, regions
from chalicelib.domain.categories import check_category
from chalicelib.domain.clock import now, parse_iso
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.identity import Caller
from chalicelib.domain.nearest import Budget, Position, Read, ReadResult
from chalicelib.domain.pages import Page
from chalicelib.domain.tasks import TaskPin
from chalicelib.services.paging import page_of
from chalicelib.services.search import scan_position
from chalicelib.settings import get_settings
from chalicelib.store import task_index

BUDGET = Budget(queries=20, entries=160, waves=6)  # the map search's: a task pin is about a listing pin's size


@dataclass(frozen=True)
class NearbyQuery:
    lat: float
    lon: float
    radius_m: int
    category: str | None
    limit: int
    cursor: str | None


def run(query: NearbyQuery, caller_id: str, at: datetime, after: Position | None) -> nearest.ScanPage[TaskPin]:
    """One page of the scan for `caller_id` at time `at`, without the rate limit and cursor (benchmarks call this)."""
    tier = task_index.TASKS
    try:
        partitions = geo.partition_cells(query.lat, query.lon, query.radius_m, tier.partition_chars)
    except ValueError as exc:  # only near a pole or the antimeridian: no open region is there today
        raise InvalidInput(f"lat/lon: cannot search around this point ({exc})") from exc
    counts = task_index.cell_counts(
        query.category, [geo.cell_keys(prefix, depth)[0][: tier.partition_chars] for prefix, depth in partitions]
    )

    def read(reads: list[Read]) -> list[ReadResult[TaskPin]]:
        return [replace(result, pins=[pin for pin in result.pins if _offerable(pin, caller_id, at)])
                for result in task_index.read_wave(reads, query.category)]

    try:
        return nearest.scan_page(
            query.lat, query.lon, query.radius_m, task_index.TIERS, after, query.limit, BUDGET, read,
            lambda _tier, prefix, depth: counts.estimate(prefix, depth),
        )
    except ValueError as exc:  # a position whose unread cells do not fit this circle (signed, so ours, but old)
        raise InvalidInput("cursor: not a valid cursor for this caller and query") from exc


def _offerable(pin: TaskPin, caller_id: str, at: datetime) -> bool:
    """Shown to this caller: someone else's, and not yet expired (the index holds open, visible tasks only)."""
    return pin.requester_id != caller_id and parse_iso(pin.expires_at) > at


def nearby(caller: Caller, query: NearbyQuery) -> Page[nearest.Found[TaskPin]]:
    """A page of open tasks near the point for the caller; the cursor continues the scan."""
    if query.category is not None:
        check_category(query.category)
    regions.open_region_for(query.lat, query.lon, get_settings().open_regions)
    at = now()

    def read(position: list[object] | None) -> tuple[list[nearest.Found[TaskPin]], list[object] | None]:
        scan = run(query, caller.user_id, at, scan_position(position))
        return scan.found, scan.next.as_list() if scan.next is not None else None

    bound_to = ("tasks_nearby", caller.user_id, query.lat, query.lon, query.radius_m, query.category)
    return page_of(bound_to, query.cursor, read)
