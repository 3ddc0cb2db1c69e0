"""The search indexes of the nearest-first scan as a DynamoDB cost model, to run the real scan over 200,000 listings.

Each index partition is a list sorted by (geohash, listing id), the order a Query returns entries with equal
sort keys in (by table key, as DynamoDB keeps them); a Read is answered by bisection with its Limit and
ExclusiveStartKey, stops at the Limit or at 1 MB of entries read as DynamoDB does (returning where it stopped
even when nothing follows), and costs what DynamoDB charges: the
entries' total size rounded up to 4 KB, half a unit per 4 KB (eventually consistent), at least half a unit
per Query (bench/dynamo_model.py). A keyword is matched by the Query's filter: the entries it does not match
are read (and paid for) but not returned. Entry sizes are the real projected entries (table key, index keys,
projected attributes) as the store writes them. The cell counts are those the store keeps (one item per index
partition in the system table). bench/model_check.py checks the answers against moto.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from bench.dynamo_model import PAGE_BYTES, item_size, read_units
from chalicelib.domain.cell_counts import COUNT_CHARS, CellCounts
from chalicelib.domain.listings import Listing
from chalicelib.domain.nearest import Estimate, Pin, Read, Reader, ReadResult, Tier
from chalicelib.store import search_counts, search_index
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


@dataclass(frozen=True)
class Answer:
    """One Query's answer as DynamoDB gives it: the items returned, in order, and where it stopped."""

    pins: list[Pin]
    evaluated: int
    resume: tuple[str, str] | None
    units: float
    partition_value: str
    index_name: str


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

    def estimate(self, category: str | None) -> Estimate:
        """The scan's estimate as services/search.run builds it: the counts of the plain or category index."""
        def estimate(tier: Tier, prefix: int, depth: int) -> float:
            counts = self._cell_counts.get((tier.name, category))
            return counts.estimate(prefix, depth) if counts is not None else 0.0
        return estimate

    def reader(self, category: str | None, keyword: str | None, ledger: Ledger) -> Reader:
        """Answers a wave of Reads as store/search_index.read_wave would (without its hot-cell cache)."""
        def read(reads: list[Read]) -> list[ReadResult]:
            return [self.result(self.query(one, category, keyword), ledger) for one in reads]
        return read

    @staticmethod
    def result(answer: Answer, ledger: Ledger) -> ReadResult:
        ledger.units += answer.units
        ledger.queries += 1
        ledger.entries += answer.evaluated
        ledger.by_partition[(answer.index_name, answer.partition_value)] += answer.units
        return ReadResult(pins=answer.pins, resume=answer.resume, evaluated=answer.evaluated)

    def query(self, read: Read, category: str | None, keyword: str | None) -> Answer:
        """One Query of a Read, as store/search_index._query sends it (`keyword` casefolded)."""
        choice = search_index.index_for(read.tier, category, keyword is not None)
        partition_value = f"{category}#{read.partition}" if choice.category_in_key else read.partition
        partition = self.partitions.get((choice.index_name, partition_value), _Partition())
        start = (bisect.bisect_right(partition.keys, read.start_after) if read.start_after is not None
                 else bisect.bisect_left(partition.keys, (read.low, "")))
        stop = bisect.bisect_right(partition.keys, (read.high, "\uffff"))
        end, size = start, 0
        while end < min(stop, start + read.limit) and size + partition.rows[end][0] <= PAGE_BYTES:
            size += partition.rows[end][0]
            end += 1
        rows = partition.rows[start:end]
        pins = [row[1] for row in rows
                if keyword is None or (keyword in row[3] and (category is None or row[2] == category))]
        return Answer(
            pins=pins,
            evaluated=len(rows),
            # DynamoDB stops at the Limit or at 1 MB without looking further: it returns where it stopped even
            # when nothing follows in the range.
            resume=partition.keys[end - 1] if rows and (end < stop or len(rows) == read.limit) else None,
            units=read_units(size),
            partition_value=partition_value,
            index_name=choice.index_name,
        )

    def count_items(self) -> dict[str, dict[str, Any]]:
        """The cell counts as the system table holds them: name -> item (wire form)."""
        items: dict[str, dict[str, Any]] = {}
        for tier in search_index.TIERS:
            for (tier_name, category), counts in self.counts.items():
                if tier_name != tier.name:
                    continue
                choice = search_index.index_for(tier, category, False)
                for cell, count in counts.items():
                    partition = cell[: tier.partition_chars]
                    value = f"{category}#{partition}" if category else partition
                    name = f"{search_counts.COUNTS_PREFIX}#{choice.index_name}#{value}"
                    item = items.setdefault(name, {"name": {"S": name}})
                    item["c" + cell[tier.partition_chars:]] = {"N": str(count)}
        return items
