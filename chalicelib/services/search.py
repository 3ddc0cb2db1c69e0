"""The map search: every active listing within a radius, privileged providers first, then nearest.

How: cover the circle with geohash key ranges (domain/geo.py), read them concurrently from the thin geo
index of the category (or of all categories), keep the hits whose great-circle distance is within the
radius (exact: none missed, none outside), filter by keyword, rank (domain/ranking.py), and cut the page
after the cursor's position. Only the page's listings are read in full (BatchGetItem), except with a
keyword, where every listing in the circle must be read to match its text.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Iterable

from chalicelib.domain import cursors, geo
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.identity import Caller
from chalicelib.domain.listings import Listing
from chalicelib.domain.ranking import RankKey, rank_key
from chalicelib.domain.text import matches_keyword
from chalicelib.services.listings import Page, check_category, open_region_for
from chalicelib.store import keys
from chalicelib.store import listings as listing_store
from chalicelib.store.listings import GeoHit


@dataclass(frozen=True)
class SearchQuery:
    lat: float
    lon: float
    radius_m: int
    category: str | None
    q: str | None
    limit: int
    cursor: str | None


@dataclass(frozen=True)
class Found:
    listing: Listing
    distance_m: int


@dataclass(frozen=True)
class SearchCost:
    """What one search read, for benchmarks and logs."""

    queries: int
    index_items_read: int
    listings_read: int
    in_circle: int


def _binding(caller: Caller, query: SearchQuery) -> bytes:
    return cursors.binding("search", caller.user_id, query.lat, query.lon, query.radius_m, query.category, query.q)


def plan(lat: float, lon: float, radius_m: float) -> geo.Cover:
    """The key ranges to read for a circle."""
    try:
        return geo.plan_cover(lat, lon, radius_m)
    except ValueError as exc:  # only near a pole or the antimeridian: no open region is there today
        raise InvalidInput(f"lat/lon: cannot search around this point ({exc})") from exc


def rank_hits(hits: Iterable[GeoHit], lat: float, lon: float, radius_m: float) -> dict[str, RankKey]:
    """The rank key of every hit within the radius (exact great-circle distance); the rest are dropped."""
    ranked: dict[str, RankKey] = {}
    for hit in hits:
        distance = geo.haversine_m(lat, lon, hit.lat, hit.lon)
        if distance <= radius_m:
            ranked[hit.listing_id] = rank_key(hit.privileged, round(distance), hit.listing_id)
    return ranked


def page_after(keys: Iterable[RankKey], after: RankKey | None, limit: int) -> tuple[list[RankKey], bool]:
    """The first `limit` keys after `after` in rank order, and whether more follow."""
    following = keys if after is None else (key for key in keys if key > after)
    window = heapq.nsmallest(limit + 1, following)
    return window[:limit], len(window) > limit


def search(caller: Caller, query: SearchQuery) -> tuple[Page, SearchCost]:
    if query.category is not None:
        check_category(query.category)
    open_region_for(query.lat, query.lon)
    secret = keys.cursor_key()
    bound_to = _binding(caller, query)
    after: RankKey | None = None
    if query.cursor:
        position = cursors.decode(query.cursor, bound_to, secret)
        after = (int(position[0]), int(position[1]), str(position[2]))

    read = listing_store.read_cover(plan(query.lat, query.lon, query.radius_m), query.category)
    ranked = rank_hits(read.hits, query.lat, query.lon, query.radius_m)
    in_circle = len(ranked)

    full: dict[str, Listing] = {}
    if query.q:
        full = listing_store.get_many(ranked)
        ranked = {
            listing_id: key
            for listing_id, key in ranked.items()
            if listing_id in full and matches_keyword(query.q, full[listing_id].title, full[listing_id].description)
        }

    page_keys, has_more = page_after(ranked.values(), after, query.limit)
    if not query.q:
        full = listing_store.get_many(key[2] for key in page_keys)

    items: list[Found] = []
    for key in page_keys:
        listing = full.get(key[2])
        # The index is eventually consistent: skip a listing paused or moved away since it was indexed.
        if listing is None or not listing.is_active:
            continue
        distance = geo.haversine_m(query.lat, query.lon, listing.lat, listing.lon)
        if distance > query.radius_m:
            continue
        items.append(Found(listing=listing, distance_m=round(distance)))
    next_cursor = cursors.encode(list(page_keys[-1]), bound_to, secret) if has_more and page_keys else None
    cost = SearchCost(
        queries=read.queries,
        index_items_read=len(read.hits),
        listings_read=len(full),
        in_circle=in_circle,
    )
    return Page(items=items, next_cursor=next_cursor), cost
