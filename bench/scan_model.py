"""The search indexes of the nearest-first scan as a DynamoDB cost model, to run the real scan over 200,000 listings.

Each index partition is a list sorted by (geohash, listing id), the order a Query returns entries with equal
sort keys in is by table key, as DynamoDB keeps them); a Read is answered by bisection with its Limit and
ExclusiveStartKey, and costs what DynamoDB charges: the entries' total size rounded up to 4 KB, half a unit
per 4 KB (eventually consistent), at least half a unit per Query (bench/dynamo_model.py). Entry sizes are
the real projected entries (table key, index keys, projected attributes) as the store writes them.
bench/model_check.py checks the answers against moto.
"""
from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Hashable

from bench.dynamo_model import UNIT_BYTES, item_size
from chalicelib.domain.cell_counts import COUNT_CHARS, CellCounts
from chalicelib.domain.listings import Listing
from chalicelib.domain.nearest import Pin, Read, ReadResult, Tier
from chalicelib.store import search_index
from chalicelib.store.listings import stored_item
from chalicelib.store.models import KEYWORD_PROJECTION, PIN_PROJECTION

TABLE_KEY, SORT_KEY = "id", "gh"


@dataclass
class _Partition:
    keys: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple[int, Pin, str, str]] = field(default_factory=list)  # size, pin, category, kw


@dataclass
class Ledger:
    """What a run read: units and Queries, per partition key too (for the hot-key view)."""

    units: float = 0.0
    queries: int = 0
    entries: int = 0
    by_partition: dict[Hashable, float] = field(default_factory=lambda: defaultdict(float))


class ScanIndexes:
    """The six search indexes and their cell counts, built from listings as the store writes them."""

    def __init__(self, listings: list[Listing]) -> None:
        self.partitions: dict[tuple[str, str], _Partition] = defaultdict(_Partition)
        self.counts: dict[tuple[str, str | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.entry_bytes: dict[str, list[int]] = defaultdict(list)
        for listing in listings:
            if not listing.is_active:
                continue
            item = stored_item(listing)
            tier = search_index.tier_of(listing)
            pin = Pin(listing.listing_id, listing.provider_id, listing.title, listing.category, listing.price_cents,
                      listing.currency, listing.lat, listing.lon, listing.geohash, listing.privileged)
            kw = item["kw"]["S"]
            for category, keyword in ((None, False), (listing.category, False), (None, True)):
                choice = search_index.index_for(tier, category, keyword)
                projected = KEYWORD_PROJECTION if keyword else PIN_PROJECTION
                entry = {name: item[name] for name in (TABLE_KEY, choice.partition_attribute, SORT_KEY, *projected)}
                size = item_size(entry)
                self.entry_bytes[choice.index_name].append(size)
                partition = self.partitions[(choice.index_name, item[choice.partition_attribute]["S"])]
                partition.keys.append((listing.geohash, listing.listing_id))
                partition.rows.append((size, pin, listing.category, kw))
            for category in (None, listing.category):
                self.counts[(tier.name, category)][listing.geohash[:COUNT_CHARS]] += 1
        for partition in self.partitions.values():
            order = sorted(range(len(partition.keys)), key=partition.keys.__getitem__)
            partition.keys = [partition.keys[i] for i in order]
            partition.rows = [partition.rows[i] for i in order]
        self._cell_counts = {key: CellCounts(counts) for key, counts in self.counts.items()}

    def estimate(self, category: str | None) -> "callable":
        def estimate(tier: Tier, prefix: int, depth: int) -> float:
            return self._cell_counts[(tier.name, category)].estimate(prefix, depth)
        return estimate

    def reader(self, category: str | None, keyword: str | None, ledger: Ledger) -> "callable":
        def read(reads: list[Read]) -> list[ReadResult]:
            return [self._query(one, category, keyword, ledger) for one in reads]
        return read

    def _query(self, read: Read, category: str | None, keyword: str | None, ledger: Ledger) -> ReadResult:
        choice = search_index.index_for(read.tier, category, keyword is not None)
        partition_value = f"{category}#{read.partition}" if choice.category_in_key else read.partition
        partition = self.partitions.get((choice.index_name, partition_value), _Partition())
        start = (bisect.bisect_right(partition.keys, read.start_after) if read.start_after is not None
                 else bisect.bisect_left(partition.keys, (read.low, "")))
        stop = bisect.bisect_right(partition.keys, (read.high, "\uffff"))
        end = min(stop, start + read.limit)
        rows = partition.rows[start:end]
        size = sum(row[0] for row in rows)
        units = max(1, math.ceil(size / UNIT_BYTES)) * 0.5
        ledger.units += units
        ledger.queries += 1
        ledger.entries += len(rows)
        ledger.by_partition[(choice.index_name, partition_value)] += units
        pins = [row[1] for row in rows
                if keyword is None or (keyword in row[3] and (category is None or row[2] == category))]
        resume = partition.keys[end - 1] if end < stop and rows else None
        return ReadResult(pins=pins, resume=resume, evaluated=len(rows))
