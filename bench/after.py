"""Ours AFTER: the nearest-first, page-bounded scan (chalicelib/domain/nearest.py) over the cost model.

A page is what `services.search.run` computes: `nearest.scan_page` over the two tiers, with the service's
own BUDGET (KEYWORD_BUDGET with a keyword, casefolded as the service does) and the cell counts of the plain
or category index as estimates; the Reads are answered by bench/scan_model.py. Later pages continue from the
previous page's `next` position, as the cursor makes them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from bench.dataset import Search
from bench.scan_model import Ledger, ScanIndexes
from chalicelib.domain import nearest
from chalicelib.domain.nearest import Position, Reader
from chalicelib.services.search import BUDGET, KEYWORD_BUDGET
from chalicelib.store import search_index


@dataclass(frozen=True)
class PageCost:
    scan: nearest.ScanPage
    units: float
    queries: int  # Queries sent to DynamoDB (a cache answers some without one)
    round_trips: int  # the scan's waves
    entries: int

    @property
    def found(self) -> list[str]:
        return [found.pin.listing_id for found in self.scan.found]

    @property
    def next(self) -> Position | None:
        return self.scan.next


def keyword_of(search: Search) -> str | None:
    return search.q.casefold() if search.q else None


class After:
    name = "ours, after"

    def __init__(self, indexes: ScanIndexes) -> None:
        self.indexes = indexes

    def page(self, search: Search, after: Position | None, limit: int,
             wrap: Callable[[Reader], Reader] | None = None, ledger: Ledger | None = None) -> PageCost:
        """One page after `after`; `wrap` may put something (a cache, a recorder) in front of the reads."""
        keyword = keyword_of(search)
        ledger = ledger if ledger is not None else Ledger()
        read = self.indexes.reader(search.category, keyword, ledger)
        scan = nearest.scan_page(
            search.lat, search.lon, search.radius_m, search_index.TIERS, after, limit,
            KEYWORD_BUDGET if keyword else BUDGET, wrap(read) if wrap else read,
            self.indexes.estimate(search.category), keyword=keyword is not None,
        )
        return PageCost(scan, ledger.units, ledger.queries, scan.waves, ledger.entries)

    def pages(self, search: Search, limit: int) -> Iterator[PageCost]:
        """Every page of the search in turn, until `next` is None, or until a page would repeat itself: a
        page whose `next` is the position it started from is a fixed point (the scan is deterministic), and
        the walk would never end (`Walk.stalled`)."""
        after: Position | None = None
        while True:
            page = self.page(search, after, limit)
            yield page
            if page.next is None or page.next == after:
                return
            after = page.next

    def walk(self, search: Search, limit: int, max_pages: int) -> Walk:
        """The pages of `pages`, at most `max_pages` of them."""
        pages = list(islice(self.pages(search, limit), max_pages))
        last = pages[-1]
        stalled = last.next is not None and last.next == (pages[-2].next if len(pages) > 1 else None)
        return Walk(pages, stalled=stalled, cut=last.next is not None and not stalled)


@dataclass(frozen=True)
class Walk:
    """Every page of a search (or up to where it stalled)."""

    pages: list[PageCost]
    stalled: bool  # its last page would repeat itself forever
    cut: bool  # stopped at `max_pages`

    @property
    def found(self) -> list[str]:
        return [listing_id for page in self.pages for listing_id in page.found]
