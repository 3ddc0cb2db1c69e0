"""Recall over all pages: walk every page of a search (`next` until None) and compare with brute force.

A walk is exact when what it returns, page after page, is the oracle's listings in rank order (privileged
first, then by rounded distance, then by id): every one (recall 1.0), none outside, none twice. A walk is
cut after `max_pages` pages (deep keyword walks of 10-20 km take thousands); what it returned must then be
exactly the first listings of the oracle's order (an exact prefix). A walk that stops because a page would
repeat itself forever (`Walk.stalled`) counts with what it returned until then.
"""
from __future__ import annotations

from dataclasses import dataclass

from bench.after import After
from bench.dataset import Search
from bench.oracle import BruteForce
from chalicelib.domain import geo
from chalicelib.domain.listings import Listing
from chalicelib.domain.ranking import RankKey, rank_key

PLAIN_WALK_PAGES = 5000  # a 20 km walk without a keyword needs ~2,000 pages of 100
KEYWORD_WALK_PAGES = 600  # with a keyword a page reads 64 entries: 20 km would take ~3,000


@dataclass(frozen=True)
class WalkCheck:
    search: Search
    truth: int
    returned: int
    recall: float  # of the whole circle, whether the walk ended or not
    outside: int
    duplicates: int
    exact_prefix: bool  # what it returned is the oracle's first listings, in rank order
    stalled: bool
    cut: bool
    pages: int
    empty_pages: int
    units: float  # all pages together
    max_page_units: float

    @property
    def exact(self) -> bool:
        return self.exact_prefix and not self.stalled and (self.cut or self.recall == 1.0)


def _rank(listing: Listing, search: Search) -> RankKey:
    distance = geo.haversine_m(search.lat, search.lon, listing.lat, listing.lon)
    return rank_key(listing.privileged, round(distance), listing.listing_id)


def check(after: After, oracle: BruteForce, listings: dict[str, Listing], search: Search, limit: int,
          max_pages: int) -> WalkCheck:
    walk = after.walk(search, limit, max_pages)
    truth = oracle.found(search)
    ranked = sorted(truth, key=lambda listing_id: _rank(listings[listing_id], search))
    found = walk.found
    unique = set(found)
    return WalkCheck(
        search=search,
        truth=len(truth),
        returned=len(found),
        recall=len(unique & truth) / len(truth) if truth else 1.0,
        outside=len(unique - truth),
        duplicates=len(found) - len(unique),
        exact_prefix=found == ranked[: len(found)],
        stalled=walk.stalled,
        cut=walk.cut,
        pages=len(walk.pages),
        empty_pages=sum(not page.found for page in walk.pages),
        units=sum(page.units for page in walk.pages),
        max_page_units=max(page.units for page in walk.pages),
    )
