"""The search indexes as the nearest-first scan reads them: tiers, Queries, pins, cell counts, a hot-cell cache.

Key layouts (see store/models.py): an active listing is in its tier's indexes, partitioned by a geohash
prefix (3 characters privileged, 4 ordinary), sorted by its 12-character geohash. Reads go through the raw
DynamoDB client: a pin is parsed straight from the wire form (PynamoDB's model instances cost ~3 x the CPU
per entry, and a search reads hundreds of entries).

Cell counts: how many entries each geohash-6 cell holds, one item per index partition in the system table
(`cells#<index>#<partition>`, one number attribute per cell). Listing writes adjust them (ADD, after the
listing is saved: an estimate, rebuilt by `scripts/migrate_search.py reindex`); searches read them through a
per-instance cache (CELL_COUNTS_CACHE_S, default 60 s), so a hot area's counts cost one read per instance
a minute.

Hot cells: with SEARCH_CACHE_S > 0 (2 s on deployed stages) each instance keeps what whole cells of the
pin indexes held for that long, so the many searches around one busy place read each cell once per
instance per interval instead of once per search (bench/ measures the partition load this saves).
"""
from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain import geo
from chalicelib.domain.cell_counts import COUNT_CHARS, CellCounts
from chalicelib.domain.listings import Listing
from chalicelib.domain.nearest import Pin, Read, ReadResult, Tier
from chalicelib.domain.text import keyword_text
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import tables
from chalicelib.store.models import ListingModel

PRIVILEGED = Tier(rank=0, name="privileged", partition_chars=3)
ORDINARY = Tier(rank=1, name="ordinary", partition_chars=4)
TIERS = (PRIVILEGED, ORDINARY)

# tier name -> (partition attribute, with-category attribute, pin index, pin index by category, keyword index)
_LAYOUT = {
    PRIVILEGED.name: ("v3", "v3c", "vip3", "vip3_cat", "vtext3"),
    ORDINARY.name: ("o4", "o4c", "pins4", "pins4_cat", "text4"),
}
SEARCH_ATTRIBUTES = ("v3", "v3c", "o4", "o4c", "kw")  # present only while a listing is searchable
_PIN_FIELDS = "id, gh, la, lo, provider_id, title, category, price_cents, currency"
COUNTS_PREFIX = "cells"
_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="search-read")  # botocore's pool holds 10


def tier_of(listing: Listing) -> Tier:
    return PRIVILEGED if listing.privileged else ORDINARY


def index_attributes(listing: Listing) -> dict[str, str]:
    """The search index attributes of a listing (none unless it is active)."""
    if not listing.is_active:
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


def _partition_value(choice: IndexChoice, partition: str) -> str:
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
    )


def _query(read: Read, choice: IndexChoice, category: str | None, keyword: str | None) -> ReadResult:
    client = _client()
    partition_value = _partition_value(choice, read.partition)
    params: dict[str, Any] = {
        "TableName": ListingModel.Meta.table_name,
        "IndexName": choice.index_name,
        "KeyConditionExpression": "#p = :p AND gh BETWEEN :low AND :high",
        "ProjectionExpression": _PIN_FIELDS,
        "ExpressionAttributeNames": {"#p": choice.partition_attribute},
        "ExpressionAttributeValues": {":p": {"S": partition_value}, ":low": {"S": read.low}, ":high": {"S": read.high}},
        "Limit": read.limit,
    }
    if keyword is not None:
        params["FilterExpression"] = "contains(kw, :q)" + (" AND category = :c" if category else "")
        params["ExpressionAttributeValues"][":q"] = {"S": keyword}
        if category:
            params["ExpressionAttributeValues"][":c"] = {"S": category}
    if read.start_after is not None:
        params["ExclusiveStartKey"] = {
            "id": {"S": read.start_after[1]},
            "gh": {"S": read.start_after[0]},
            choice.partition_attribute: {"S": partition_value},
        }
    answer = client.query(**params)
    last = answer.get("LastEvaluatedKey")
    return ReadResult(
        pins=[_pin(item, read.tier) for item in answer.get("Items", [])],
        resume=(last["gh"]["S"], last["id"]["S"]) if last else None,
        evaluated=int(answer.get("ScannedCount", 0)),
    )


def _client() -> Any:
    tables.bind()
    return ListingModel._get_connection().connection.client


def read_wave(reads: list[Read], category: str | None, keyword: str | None) -> list[ReadResult]:
    """Answer one wave of the scan: every Query at once, whole cells from the hot-cell cache when fresh."""
    if not reads:
        return []
    choices = [index_for(read.tier, category, keyword is not None) for read in reads]
    cache = _hot_cells() if keyword is None else None
    results: list[ReadResult | None] = [
        cache.answer(choice, read) if cache is not None else None for choice, read in zip(choices, reads, strict=True)
    ]
    missing = [i for i, result in enumerate(results) if result is None]
    _client()  # create the shared client before fanning out
    futures = {i: _pool.submit(_query, reads[i], choices[i], category, keyword) for i in missing}
    for i, future in futures.items():
        result = future.result()
        results[i] = result
        if cache is not None:
            cache.keep(choices[i], reads[i], result)
    return [result for result in results if result is not None]


class _HotCells:
    """Whole cells of the pin indexes as read within the last `ttl_s`, per instance (LRU, bounded)."""

    def __init__(self, ttl_s: float = 0.0, max_cells: int = 4096) -> None:
        self.ttl_s = ttl_s
        self.max_cells = max_cells
        self.cells: OrderedDict[tuple[str, str, str, int, int], tuple[float, list[Pin]]] = OrderedDict()

    def reset(self, ttl_s: float) -> None:
        """Forget every cell, and keep the next ones for `ttl_s` (0: the cache is off)."""
        self.ttl_s = ttl_s
        self.cells.clear()

    def _key(self, choice: IndexChoice, read: Read, cell: tuple[int, int]) -> tuple[str, str, str, int, int]:
        return (ListingModel.Meta.table_name, choice.index_name, _partition_value(choice, read.partition), *cell)

    def answer(self, choice: IndexChoice, read: Read) -> ReadResult | None:
        if read.start_after is not None or not read.cells:
            return None
        now, pins = time.monotonic(), []
        for cell in read.cells:
            kept = self.cells.get(self._key(choice, read, cell))
            if kept is None or now - kept[0] > self.ttl_s:
                return None
            pins.extend(kept[1])
        return ReadResult(pins=pins, resume=None, evaluated=len(pins), queries=0)

    def keep(self, choice: IndexChoice, read: Read, result: ReadResult) -> None:
        if result.resume is not None or read.start_after is not None:
            return
        now = time.monotonic()
        for prefix, depth in read.cells:
            low, high = geo.cell_keys(prefix, depth)
            pins = [pin for pin in result.pins if low <= pin.geohash <= high]
            self.cells[self._key(choice, read, (prefix, depth))] = (now, pins)
            self.cells.move_to_end(self._key(choice, read, (prefix, depth)))
        while len(self.cells) > self.max_cells:
            self.cells.popitem(last=False)


_hot = _HotCells()


def _hot_cells() -> _HotCells | None:
    ttl_s = get_settings().search_cache_s
    if ttl_s <= 0:
        return None
    if _hot.ttl_s != ttl_s:
        _hot.reset(ttl_s)
    return _hot


# --- cell counts -------------------------------------------------------------------------------------


def _counts_name(index_name: str, partition_value: str) -> str:
    return f"{COUNTS_PREFIX}#{index_name}#{partition_value}"


def _memberships(listing: Listing | None) -> set[tuple[str, str]]:
    """(counts item, cell attribute) pairs a listing counts in: its tier's plain and category indexes."""
    if listing is None or not listing.is_active:
        return set()
    tier = tier_of(listing)
    cell = listing.geohash[:COUNT_CHARS]
    attribute = "c" + cell[tier.partition_chars:]
    partition = cell[: tier.partition_chars]
    by_category = index_for(tier, listing.category, False).index_name
    return {
        (_counts_name(index_for(tier, None, False).index_name, partition), attribute),
        (_counts_name(by_category, f"{listing.category}#{partition}"), attribute),
    }


def count_changes(before: Listing | None, after: Listing | None) -> dict[str, dict[str, int]]:
    """The ADDs that move a listing's counts from `before` to `after`: counts item -> cell attribute -> delta."""
    old, new = _memberships(before), _memberships(after)
    changes: dict[str, dict[str, int]] = {}
    for (name, attribute), delta in [*((m, -1) for m in old - new), *((m, 1) for m in new - old)]:
        changes.setdefault(name, {})[attribute] = changes.get(name, {}).get(attribute, 0) + delta
    return changes


def add_count_changes(total: dict[str, dict[str, int]], changes: dict[str, dict[str, int]]) -> None:
    """Sum `changes` into `total` (a bulk load or a rebuild writes the sum once)."""
    for name, deltas in changes.items():
        for attribute, delta in deltas.items():
            total.setdefault(name, {})[attribute] = total.get(name, {}).get(attribute, 0) + delta


def apply_count_changes(changes: dict[str, dict[str, int]]) -> None:
    """Write count changes (best effort: a count is an estimate; `scripts/migrate_search.py reindex` rebuilds them)."""
    if not changes:
        return
    client, table = _client(), get_settings().system_table
    for name, all_deltas in changes.items():
        items = [(attribute, delta) for attribute, delta in all_deltas.items() if delta]
        for start in range(0, len(items), 100):  # an update expression holds at most 4 KB
            _add(client, table, name, dict(items[start: start + 100]))


def _add(client: Any, table: str, name: str, deltas: dict[str, int]) -> None:
    names = {f"#a{i}": attribute for i, attribute in enumerate(deltas)}
    values = {f":d{i}": {"N": str(delta)} for i, delta in enumerate(deltas.values())}
    try:
        client.update_item(
            TableName=table,
            Key={"name": {"S": name}},
            UpdateExpression="ADD " + ", ".join(f"#a{i} :d{i}" for i in range(len(deltas))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:  # the listing is saved; its counts catch up on reindex
        logger.warning("could not adjust search cell counts", counts=name, error=str(exc))


def replace_counts(counts: dict[str, dict[str, int]]) -> None:
    """Write whole counts items (a rebuild from a tally), replacing what they held."""
    client, table = _client(), get_settings().system_table
    for name, cells in counts.items():
        item = {"name": {"S": name}, **{attribute: {"N": str(n)} for attribute, n in cells.items() if n > 0}}
        client.put_item(TableName=table, Item=item)


def adjust_counts(before: Listing | None, after: Listing | None) -> None:
    apply_count_changes(count_changes(before, after))


_counts_cache: dict[tuple[str, str], tuple[float, dict[str, int]]] = {}


def cell_counts(tier: Tier, category: str | None, partitions: Iterable[str], fresh: bool = False) -> CellCounts:
    """The counts of a tier's index (plain or by category) in these partitions, through the instance cache
    (`fresh` reads them again)."""
    choice = index_for(tier, category, False)
    partitions = list(partitions)
    settings = get_settings()
    now, ttl_s = time.monotonic(), settings.cell_counts_cache_s
    names = [_counts_name(choice.index_name, _partition_value(choice, p)) for p in partitions]
    wanted = [name for name in names
              if fresh or (kept := _counts_cache.get((settings.system_table, name))) is None or now - kept[0] > ttl_s]
    for start in range(0, len(wanted), 100):
        keys = [{"name": {"S": name}} for name in wanted[start: start + 100]]
        found: dict[str, dict[str, int]] = {name: {} for name in wanted[start: start + 100]}
        request: dict[str, Any] = {settings.system_table: {"Keys": keys}}
        while request:
            answer = _client().batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(settings.system_table, []):
                found[item["name"]["S"]] = {
                    attribute[1:]: int(value["N"]) for attribute, value in item.items() if attribute.startswith("c")
                }
            request = answer.get("UnprocessedKeys") or {}
        for name, counts in found.items():
            _counts_cache[(settings.system_table, name)] = (now, counts)
    merged: dict[str, int] = {}
    for name, partition in zip(names, partitions, strict=True):
        for suffix, count in _counts_cache[(settings.system_table, name)][1].items():
            merged[partition + suffix] = count
    return CellCounts(merged)


def forget_cached() -> None:
    """Drop this instance's cell counts and hot cells (store/caches.py)."""
    _counts_cache.clear()
    _hot.reset(0.0)
