"""Ours BEFORE the nearest-first scan: the search as it was at git dc10f47, frozen here to compare against.

That design read the WHOLE circle on every request: cover it with at most 12 geohash key ranges
(`cover.plan_cover`, still in chalicelib), read them concurrently from thin geo indexes (entries of the table
key, index keys, lat, lon and the privileged flag), rank every hit by exact distance, cut the page after the
cursor, then read the page's listings in full with BatchGetItem. With a keyword it read every listing in the
circle in full (BatchGetItem, 100 a call, 10 calls at once) to match its text.

`GeoHit`, `IndexQuery`, `plan_queries`, `rank_hits` and `page_after` are copied verbatim from dc10f47's
chalicelib/store/listings.py and chalicelib/services/search.py; the items are what its store wrote
(`stored_item` of the listing, with its four geo index keys instead of today's search attributes). The
Queries are answered by the same DynamoDB cost model as dynamodb-geo's (bench/dynamo_model.py), which the
benchmark of dc10f47 checked against moto Query by Query (480 Queries, no difference).
"""
from __future__ import annotations

import heapq
import math
import time
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

from bench.dataset import Search
from bench.dynamo_model import IndexModel, batch_get_read_units, item_size
from chalicelib.domain import cover as exact_cover
from chalicelib.domain import geo
from chalicelib.domain.listings import Listing
from chalicelib.domain.ranking import RankKey, rank_key
from chalicelib.domain.text import keyword_text
from chalicelib.store.listings import stored_item
from chalicelib.store.search_index import SEARCH_ATTRIBUTES

GEO_INDEXES = {"geo5": "g5", "geo5_cat": "g5c", "geo4": "g4", "geo4_cat": "g4c"}  # index -> partition attribute
GEO_PROJECTION = ["la", "lo", "pv"]  # stored names of lat, lon, privileged
TABLE_KEY, SORT_KEY = "id", "gh"
BATCH_GET_SIZE = 100
POOL = 10  # BatchGetItem calls under way at once (botocore's connection pool)


# --- copied from dc10f47 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeoHit:
    """What the thin geo index returns for one listing."""

    listing_id: str
    lat: float
    lon: float
    privileged: bool


@dataclass(frozen=True)
class IndexQuery:
    """One Query of a search: an index, a partition key value, and inclusive sort-key bounds."""

    index_name: str
    partition: str
    low: str
    high: str


def plan_queries(cover: exact_cover.Cover, category: str | None) -> list[IndexQuery]:
    """The Queries that read a cover: the category's index when there is one, at the cover's partition size."""
    index_name = f"geo{cover.partition_chars}" + ("_cat" if category else "")
    return [
        IndexQuery(
            index_name=index_name,
            partition=f"{category}#{key_range.partition}" if category else key_range.partition,
            low=key_range.low,
            high=key_range.high,
        )
        for key_range in cover.ranges
    ]


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


# --- the model around it ------------------------------------------------------------------------------


def old_item(listing: Listing) -> dict[str, dict[str, object]]:
    """The listing as dc10f47 stored it: today's item without the search attributes, with its geo index keys."""
    item = {name: value for name, value in stored_item(listing).items() if name not in SEARCH_ATTRIBUTES}
    cell5, cell4 = listing.geohash[:5], listing.geohash[:4]
    keys = {"g5": cell5, "g5c": f"{listing.category}#{cell5}", "g4": cell4, "g4c": f"{listing.category}#{cell4}"}
    return {**item, **{name: {"S": value} for name, value in keys.items()}}


@dataclass
class CircleRead:
    """What one request of the old design read of the circle, and everything in it, ranked."""

    ranked: list[RankKey]
    units: float
    queries: int  # Query calls, a 1 MB page each
    rounds: int  # sequential round trips: the Queries run at once, each through its pages in turn
    entries: int
    cpu_s: float
    by_partition: dict[Hashable, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PageCost:
    found: list[str]
    units: float  # the Queries' and the BatchGetItems'
    batch_units: float  # of which BatchGetItem
    queries: int
    round_trips: int
    entries: int


class Before:
    """The old design over the listings: its four thin geo indexes and the full items for BatchGetItem."""

    name = "ours, before"

    def __init__(self, listings: list[Listing]) -> None:
        self.indexes = {name: IndexModel() for name in GEO_INDEXES}
        self.full_size: dict[str, int] = {}
        self.text: dict[str, str] = {}
        self.entry_bytes: dict[str, list[int]] = defaultdict(list)
        for listing in listings:
            item = old_item(listing)
            hit = GeoHit(listing.listing_id, listing.lat, listing.lon, listing.privileged)
            for index_name, attribute in GEO_INDEXES.items():
                entry = {name: item[name] for name in (TABLE_KEY, attribute, SORT_KEY, *GEO_PROJECTION)}
                size = item_size(entry)  # type: ignore[arg-type]
                self.indexes[index_name].add(item[attribute]["S"], item[SORT_KEY]["S"], size, hit)
                self.entry_bytes[index_name].append(size)
            self.full_size[listing.listing_id] = item_size(item)  # type: ignore[arg-type]
            self.text[listing.listing_id] = keyword_text(listing.title, listing.description)
        self.full_bytes = list(self.full_size.values())

    def read_circle(self, search: Search) -> CircleRead:
        """The cover's Queries, all hits ranked (category from the index; the keyword is matched per page)."""
        started = time.process_time()
        queries = plan_queries(exact_cover.plan_cover(search.lat, search.lon, search.radius_m), search.category)
        cpu = time.process_time() - started
        answers = [self.indexes[q.index_name].query(q.partition, q.low, q.high) for q in queries]
        hits = [hit for answer in answers for hit in answer.items]
        started = time.process_time()
        ranked = sorted(rank_hits(hits, search.lat, search.lon, search.radius_m).values())
        cpu += time.process_time() - started
        by_partition: dict[Hashable, float] = defaultdict(float)
        for query, answer in zip(queries, answers, strict=True):
            by_partition[(query.index_name, query.partition)] += answer.read_units
        return CircleRead(ranked, sum(a.read_units for a in answers), sum(a.pages for a in answers),
                          max(a.pages for a in answers), len(hits), cpu, dict(by_partition))

    def page(self, circle: CircleRead, number: int, limit: int, keyword: str | None) -> PageCost:
        """Page `number` (1-based) of `limit`: the circle's reads again, then BatchGetItem of the page, or of
        every listing in the circle when there is a keyword (that is how it matched the text)."""
        ranked = circle.ranked
        if keyword is not None:
            needle = keyword.casefold()
            fetched = [key[2] for key in ranked]
            ranked = [key for key in ranked if needle in self.text[key[2]]]
        page = ranked[(number - 1) * limit: number * limit]
        if keyword is None:
            fetched = [key[2] for key in page]
        batch = batch_get_read_units(self.full_size[listing_id] for listing_id in fetched)
        calls = math.ceil(len(fetched) / BATCH_GET_SIZE)
        return PageCost(
            found=[key[2] for key in page],
            units=circle.units + batch,
            batch_units=batch,
            queries=circle.queries,
            round_trips=circle.rounds + math.ceil(calls / POOL),  # then the BatchGetItems, 10 at once
            entries=circle.entries,
        )
