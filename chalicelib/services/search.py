"""The map search: active listings within a radius as pins, privileged providers first, then nearest.

How: a nearest-first scan of the search indexes (domain/nearest.py), privileged tier then ordinary, sized
by the indexes' cell counts and stopped as soon as the page is certain or the request's read budget is
spent; the cursor is the scan's position, so the next page continues from where this one stopped. A page
may be short, even empty, while `next_cursor` is set. Searches are rate-limited per user, like every route
(services/admission.py).

Cost ceiling of one request (whatever radius, category, keyword and limit): BUDGET's Queries, entries and
waves, plus the cell counts (cached per instance) and one rate-limit write; see docs/BENCHMARKS.md.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain import geo, nearest, regions
from chalicelib.domain.categories import check_category
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.identity import Caller
from chalicelib.domain.nearest import Budget, Position
from chalicelib.domain.pages import Page
from chalicelib.services.paging import page_of
from chalicelib.settings import get_settings
from chalicelib.store import search_counts, search_index

BUDGET = Budget(queries=20, entries=160, waves=6)
# keyword entries hold the description (up to ~9 KB): their number is not boosted
KEYWORD_BUDGET = Budget(queries=12, entries=64, waves=6, boost_entries=False)


@dataclass(frozen=True)
class SearchQuery:
    lat: float
    lon: float
    radius_m: int
    category: str | None
    q: str | None
    limit: int
    cursor: str | None


def scan_position(position: list[object] | None) -> Position | None:
    """The scan position a cursor carried (signed by us, yet maybe of an older shape): 400 if it is none."""
    try:
        return Position.from_list(position) if position is not None else None
    except ValueError as exc:
        raise InvalidInput("cursor: not a valid cursor for this caller and query") from exc


def run(query: SearchQuery, after: Position | None) -> nearest.ScanPage:
    """One page of the scan, without the caller's rate limit and cursor (benchmarks call this)."""
    keyword = query.q.casefold() if query.q else None
    counts = {}
    for tier in search_index.TIERS:
        try:
            partitions = geo.partition_cells(query.lat, query.lon, query.radius_m, tier.partition_chars)
        except ValueError as exc:  # only near a pole or the antimeridian: no open region is there today
            raise InvalidInput(f"lat/lon: cannot search around this point ({exc})") from exc
        names = [geo.cell_keys(prefix, depth)[0][: tier.partition_chars] for prefix, depth in partitions]
        counts[tier.name] = search_counts.cell_counts(tier, query.category, names)
    try:
        return nearest.scan_page(
            query.lat, query.lon, query.radius_m, search_index.TIERS, after, query.limit,
            KEYWORD_BUDGET if keyword else BUDGET,
            lambda reads: search_index.read_wave(reads, query.category, keyword),
            lambda tier, prefix, depth: counts[tier.name].estimate(prefix, depth),
            keyword=keyword is not None,
        )
    except ValueError as exc:  # a position whose unread cells do not fit this circle (signed, so ours, but old)
        raise InvalidInput("cursor: not a valid cursor for this caller and query") from exc


def search_scan(
    caller: Caller, query: SearchQuery
) -> tuple[Page[nearest.Found], nearest.ScanPage]:
    """A page of pins for the caller (the cursor continues the scan), and the scan that made it
    (what it read: benchmarks count it)."""
    if query.category is not None:
        check_category(query.category)
    regions.open_region_for(query.lat, query.lon, get_settings().open_regions)
    scans: list[nearest.ScanPage] = []

    def read(position: list[object] | None) -> tuple[list[nearest.Found], list[object] | None]:
        after = scan_position(position)
        scan = run(query, after)
        scans.append(scan)
        return scan.found, scan.next.as_list() if scan.next is not None else None

    bound_to = ("search", caller.user_id, query.lat, query.lon, query.radius_m, query.category, query.q)
    return page_of(bound_to, query.cursor, read), scans[0]


def search(caller: Caller, query: SearchQuery) -> Page[nearest.Found]:
    return search_scan(caller, query)[0]
