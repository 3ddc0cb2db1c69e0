"""The geo indexes' cell counts: how many entries each geohash-6 cell holds, one item per index partition in
the system table (`cells#<index>#<partition>`, one number attribute per cell). Listing writes adjust them (ADD,
after the listing is saved: an estimate, rebuilt by `scripts/migrate_search.py reindex`); searches read them
through a per-instance cache (CELL_COUNTS_CACHE_S, default 60 s), so a hot area's counts cost one read per
instance a minute. The nearest-first scan sizes its reads from them (domain/cell_counts.py).

The search indexes' counts are the listings' functions below; the nearby tasks' indexes count through the same
`memberships`, `changes_between`, `apply_count_changes` and `index_counts` (store/task_index.py)."""
from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.cell_counts import COUNT_CHARS, CellCounts
from chalicelib.domain.listings import Listing
from chalicelib.domain.nearest import Tier
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store.geo_index import dynamodb_client
from chalicelib.store.search_index import index_for, tier_of

COUNTS_PREFIX = "cells"


def _counts_name(index_name: str, partition_value: str) -> str:
    return f"{COUNTS_PREFIX}#{index_name}#{partition_value}"


def memberships(plain_index: str, by_category_index: str, partition_chars: int, geohash: str,
                category: str) -> set[tuple[str, str]]:
    """(counts item, cell attribute) pairs an entry at `geohash` counts in: a geo index partitioned by
    `partition_chars` of the geohash, and its twin partitioned by category#prefix."""
    cell = geohash[:COUNT_CHARS]
    attribute = "c" + cell[partition_chars:]
    partition = cell[:partition_chars]
    return {
        (_counts_name(plain_index, partition), attribute),
        (_counts_name(by_category_index, f"{category}#{partition}"), attribute),
    }


def _memberships(listing: Listing | None) -> set[tuple[str, str]]:
    """What a listing counts in: its tier's plain and category indexes, while it is listed."""
    if listing is None or not listing.is_listed:
        return set()
    tier = tier_of(listing)
    return memberships(index_for(tier, None, False).index_name, index_for(tier, listing.category, False).index_name,
                       tier.partition_chars, listing.geohash, listing.category)


def count_changes(before: Listing | None, after: Listing | None) -> dict[str, dict[str, int]]:
    """The ADDs that move a listing's counts from `before` to `after`: counts item -> cell attribute -> delta."""
    return changes_between(_memberships(before), _memberships(after))


def changes_between(old: set[tuple[str, str]], new: set[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """The ADDs that move an entry's counts from the `old` memberships to the `new`."""
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
    client, table = dynamodb_client(), get_settings().system_table
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
    except ClientError as exc:  # the entry is saved; its counts catch up on a rebuild
        logger.warning("could not adjust search cell counts", counts=name, error=str(exc))


def replace_counts(counts: dict[str, dict[str, int]]) -> None:
    """Write whole counts items (a rebuild from a tally), replacing what they held."""
    client, table = dynamodb_client(), get_settings().system_table
    for name, cells in counts.items():
        item = {"name": {"S": name}, **{attribute: {"N": str(n)} for attribute, n in cells.items() if n > 0}}
        client.put_item(TableName=table, Item=item)


def adjust_counts(before: Listing | None, after: Listing | None) -> None:
    apply_count_changes(count_changes(before, after))


_counts_cache: dict[tuple[str, str], tuple[float, dict[str, int]]] = {}


def cell_counts(tier: Tier, category: str | None, partitions: Iterable[str], fresh: bool = False) -> CellCounts:
    """The counts of a tier's search index (plain or by category) in these partitions, through the instance cache
    (`fresh` reads them again)."""
    choice = index_for(tier, category, False)
    return index_counts(choice.index_name, choice.category_in_key, partitions, fresh)


def index_counts(index_name: str, category_in_key: str | None, partitions: Iterable[str],
                 fresh: bool = False) -> CellCounts:
    """The counts of a geo index in these partitions (geohash prefixes; behind `category_in_key`# in the index's
    partition key when it has one), through the instance cache (`fresh` reads them again)."""
    partitions = list(partitions)
    settings = get_settings()
    now, ttl_s = time.monotonic(), settings.cell_counts_cache_s
    names = [_counts_name(index_name, f"{category_in_key}#{p}" if category_in_key else p) for p in partitions]
    wanted = [name for name in names
              if fresh or (kept := _counts_cache.get((settings.system_table, name))) is None or now - kept[0] > ttl_s]
    for start in range(0, len(wanted), 100):
        keys = [{"name": {"S": name}} for name in wanted[start: start + 100]]
        found: dict[str, dict[str, int]] = {name: {} for name in wanted[start: start + 100]}
        request: dict[str, Any] = {settings.system_table: {"Keys": keys}}
        while request:
            answer = dynamodb_client().batch_get_item(RequestItems=request)
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
    """Drop this instance's cell counts (store/caches.py)."""
    _counts_cache.clear()
