"""The main pass: every search, as every variant, priced for every contender, one row per request.

Variants of a search (a centre, a radius, with or without a category): no keyword at limit 20 and at limit
100, and (for the searches of the first centres) a common and a rare keyword at limit 20. For ours-after,
pages 1 to 5 are walked through `next` (a walk may end sooner); with a keyword it goes on until 20 results
are found or the circle is done, and the pages and read units that took are kept too. Ours-before and
dynamodb-geo read the same thing for every page (the whole circle), so their pages 1, 2 and 5 are priced
from one read each. A walk to 20 results stops after MAX_PAGES_TO_RESULTS pages.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bench.after import After
from bench.before import Before
from bench.dataset import COMMON_KEYWORD, RARE_KEYWORD, Search
from bench.dynamodb_geo import DynamoGeo, Outcome

AFTER, BEFORE, GEO = "ours, after", "ours, before", "dynamodb-geo"
PLAIN, COMMON, RARE = "no keyword", f"q={COMMON_KEYWORD}", f"q={RARE_KEYWORD}"
PAGES = (1, 2, 3, 4, 5)
PRICED_PAGES = (1, 2, 5)
RESULTS_WANTED = 20
MAX_PAGES_TO_RESULTS = 60


@dataclass(frozen=True)
class Row:
    search: int  # which search of the pass (rows of one search compare across contenders)
    contender: str
    variant: str
    radius_m: int
    category: bool
    limit: int
    page: int
    units: float
    queries: int
    round_trips: int
    found: int
    entries: int


@dataclass(frozen=True)
class ToResults:
    """What a keyword search took to show RESULTS_WANTED results (or all there are): pages and units."""

    variant: str
    radius_m: int
    category: bool
    pages: int
    units: float
    max_page_units: float
    results: int
    done: bool  # fewer results than RESULTS_WANTED: the walk ended (True) or was cut at MAX_PAGES_TO_RESULTS


def variants(search: Search, keywords: bool = True) -> list[tuple[str, Search, int]]:
    plain = [(PLAIN, search, 20), (PLAIN, search, 100)]
    if not keywords:
        return plain
    return [*plain, (COMMON, replace(search, q=COMMON_KEYWORD), 20), (RARE, replace(search, q=RARE_KEYWORD), 20)]


class Pass:
    def __init__(self, after: After, before: Before, geo: DynamoGeo) -> None:
        self.after, self.before, self.geo = after, before, geo
        self.rows: list[Row] = []
        self.to_results: list[ToResults] = []
        self._search = 0

    def run(self, searches: list[Search], keyword_searches: int, progress: Callable[[str], None]) -> None:
        """Every search; the first `keyword_searches` also with each keyword."""
        geo_runs: dict[tuple[float, float, int], Outcome] = {}
        for number, search in enumerate(searches):
            self._search = number
            if number % 60 == 0:
                progress(f"searches: {number}/{len(searches)}")
            place = (search.lat, search.lon, search.radius_m)
            if place not in geo_runs:
                geo_runs[place] = self.geo.run(search)
            circle = self.before.read_circle(search)
            for variant, one, limit in variants(search, keywords=number < keyword_searches):
                self._after(variant, one, limit)
                for page in PRICED_PAGES:
                    cost = self.before.page(circle, page, limit, one.q)
                    self._row(BEFORE, variant, one, limit, page, cost.units, cost.queries, cost.round_trips,
                              len(cost.found), cost.entries)
                    geo = geo_runs[place]
                    self._row(GEO, variant, one, limit, page, geo.units, geo.queries, geo.round_trips, -1,
                              geo.items_read)

    def _row(self, contender: str, variant: str, search: Search, limit: int, page: int, units: float, queries: int,
             round_trips: int, found: int, entries: int) -> None:
        self.rows.append(Row(self._search, contender, variant, search.radius_m, search.category is not None, limit,
                             page, units, queries, round_trips, found, entries))

    def _after(self, variant: str, search: Search, limit: int) -> None:
        results, units, max_units = 0, 0.0, 0.0
        reached: ToResults | None = None
        number, page = 0, None
        for number, page in enumerate(self.after.pages(search, limit), start=1):
            if number in PAGES:
                self._row(AFTER, variant, search, limit, number, page.units, page.queries, page.round_trips,
                          len(page.found), page.entries)
            results += len(page.found)
            units += page.units
            max_units = max(max_units, page.units)
            if reached is None and results >= RESULTS_WANTED:
                reached = ToResults(variant, search.radius_m, search.category is not None, number, units, max_units,
                                    results, done=False)
            if number >= max(PAGES) and (search.q is None or reached is not None or number >= MAX_PAGES_TO_RESULTS):
                break
        if search.q is not None:
            ended = page is not None and page.next is None
            self.to_results.append(reached or ToResults(variant, search.radius_m, search.category is not None, number,
                                                        units, max_units, results, done=ended))
