"""The search indexes as the nearest-first scan reads them: tiers, index choice, Queries, pins.

Key layouts (see store/models.py): an active listing is in its tier's indexes, partitioned by a geohash
prefix (3 characters privileged, 4 ordinary), sorted by its 12-character geohash. The Queries are the geo
indexes' (store/geo_index.py), each pin parsed straight from the wire form. Whole cells may be answered from
the instance's hot-cell cache (store/hot_cells.py); the scan sizes its reads from the cells' counts
(store/search_counts.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from chalicelib.domain.listings import Listing
from chalicelib.domain.nearest import Pin, Read, ReadResult, Tier
from chalicelib.domain.text import keyword_text
from chalicelib.settings import get_settings
from chalicelib.store import geo_index
from chalicelib.store.geo_index import dynamodb_client as dynamodb_client  # re-exported: the counts and benches
from chalicelib.store.hot_cells import HotCells
from chalicelib.store.models import ListingModel

PRIVILEGED = Tier(rank=0, name="privileged", partition_chars=3)
ORDINARY = Tier(rank=1, name="ordinary", partition_chars=4)
TIERS = (PRIVILEGED, ORDINARY)

# tier name -> (partition attribute, with-category attribute, pin index, pin index by category, keyword index)
_LAYOUT = {
    PRIVILEGED.name: ("v3", "v3c", "vip3r", "vip3r_cat", "vtext3r"),
    ORDINARY.name: ("o4", "o4c", "pins4r", "pins4r_cat", "text4r"),
}
SEARCH_ATTRIBUTES = ("v3", "v3c", "o4", "o4c", "kw")  # present only while a listing is searchable
_PIN_FIELDS = "id, gh, la, lo, provider_id, title, category, price_cents, currency, rs, rc"
_hot = HotCells()


def tier_of(listing: Listing) -> Tier:
    return PRIVILEGED if listing.privileged else ORDINARY


def index_attributes(listing: Listing) -> dict[str, str]:
    """The search index attributes of a listing (none unless it is active)."""
    if not listing.is_listed:
        return {}
    tier = tier_of(listing)
    plain, by_category, *_ = _LAYOUT[tier.name]
    partition = listing.geohash[: tier.partition_chars]
    return {
        plain: partition,
        by_category: f"{listing.category}#{partition}",
        "kw": keyword_text(listing.title, listing.description),
    }


@dataclass(frozen=True)
class IndexChoice:
    """Which index a search of a tier reads, and how its partition key is written."""

    index_name: str
    partition_attribute: str
    category_in_key: str | None


def index_for(tier: Tier, category: str | None, keyword: bool) -> IndexChoice:
    plain, by_category, pins, pins_by_category, text = _LAYOUT[tier.name]
    if keyword:
        return IndexChoice(text, plain, None)
    if category:
        return IndexChoice(pins_by_category, by_category, category)
    return IndexChoice(pins, plain, None)


def partition_key_value(choice: IndexChoice, partition: str) -> str:
    return f"{choice.category_in_key}#{partition}" if choice.category_in_key else partition


# --- reads -------------------------------------------------------------------------------------------


def _pin(item: dict[str, Any], tier: Tier) -> Pin:
    return Pin(
        listing_id=item["id"]["S"],
        provider_id=item["provider_id"]["S"],
        title=item["title"]["S"],
        category=item["category"]["S"],
        price_cents=int(item["price_cents"]["N"]),
        currency=item["currency"]["S"],
        lat=float(item["la"]["N"]),
        lon=float(item["lo"]["N"]),
        geohash=item["gh"]["S"],
        privileged=tier is PRIVILEGED,
        rating_score=float(item["rs"]["N"]) if "rs" in item else None,
        rating_count=int(item["rc"]["N"]) if "rc" in item else 0,
    )


def _query(read: Read, choice: IndexChoice, category: str | None, keyword: str | None) -> ReadResult:
    values: dict[str, Any] = {}
    expression = None
    if keyword is not None:
        expression = "contains(kw, :q)" + (" AND category = :c" if category else "")
        values[":q"] = {"S": keyword}
        if category:
            values[":c"] = {"S": category}
    return geo_index.query(read, geo_index.GeoQuery(
        table=ListingModel.Meta.table_name, index_name=choice.index_name,
        partition_attribute=choice.partition_attribute, partition_value=partition_key_value(choice, read.partition),
        projection=_PIN_FIELDS, parse=lambda item: _pin(item, read.tier), filter_expression=expression,
        filter_values=values,
    ))


def read_wave(reads: list[Read], category: str | None, keyword: str | None) -> list[ReadResult]:
    """Answer one wave of the scan: every Query at once, whole cells from the hot-cell cache when fresh."""
    if not reads:
        return []
    choices = [index_for(read.tier, category, keyword is not None) for read in reads]
    cache = _hot_cells() if keyword is None else None
    places = [cell_key(choice, read.partition) for choice, read in zip(choices, reads, strict=True)]
    results: list[ReadResult | None] = [
        cache.answer(place, read) if cache is not None else None for place, read in zip(places, reads, strict=True)
    ]
    missing = [i for i, result in enumerate(results) if result is None]
    answers = geo_index.all_at_once({i: partial(_query, reads[i], choices[i], category, keyword) for i in missing})
    for i, result in answers.items():
        results[i] = result
        if cache is not None:
            cache.keep(places[i], reads[i], result)
    return [result for result in results if result is not None]


def _hot_cells() -> HotCells | None:
    ttl_s = get_settings().search_cache_s
    if ttl_s <= 0:
        return None
    if _hot.ttl_s != ttl_s:
        _hot.reset(ttl_s)
    return _hot


def cell_key(choice: IndexChoice, partition: str) -> tuple[str, str, str]:
    """Which index partition a cell belongs to, for the hot-cell cache: (table, index, partition value)."""
    return ListingModel.Meta.table_name, choice.index_name, partition_key_value(choice, partition)


def forget_hot_cells() -> None:
    """Drop this instance's hot cells (store/caches.py)."""
    _hot.reset(0.0)
