"""The four ways to answer a radius search, over the same listings, and what each one reads.

- ours: the search's own code (services/search.plan, store/listings.plan_queries, rank_hits, page_after)
  against the DynamoDB cost model of our thin geo indexes, plus the BatchGetItem of the page;
- dynamodb-geo: the `dynamodbgeo` package's own code (S2 covering, hash-key ranges, sequential Queries,
  radius filter) with its table and LSI modelled the same way; it has no category in its keys, so a
  category search reads everything and filters;
- sqlite-rtree: an exact reference outside DynamoDB — SQLite's R*Tree bounding-box query, then distance;
- brute force: every listing's distance; the correctness oracle.
"""
from __future__ import annotations

import math
import sqlite3
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Hashable

import dynamodbgeo
import numpy as np
from dynamodbgeo.s2 import S2Manager

from bench.dataset import Search
from bench.dynamo_model import IndexModel, batch_get_read_units, item_size
from chalicelib.domain import geo
from chalicelib.domain.listings import Listing
from chalicelib.services.search import page_after, plan, rank_hits
from chalicelib.store.listings import GeoHit, plan_queries, stored_item
from chalicelib.store.models import GEO_PROJECTION, ListingModel

PAGE_LIMIT = 20
TABLE_KEY, SORT_KEY = ListingModel.listing_id.attr_name, ListingModel.geohash.attr_name
GEO_INDEXES = {"geo5": "g5", "geo5_cat": "g5c", "geo4": "g4", "geo4_cat": "g4c"}


@dataclass
class Outcome:
    found: set[str]
    queries: int
    round_trips: int
    items_read: int
    index_units: float | None = None
    page_units: float | None = None
    cpu_ms: float | None = None
    units_by_partition: dict[Hashable, float] = field(default_factory=dict)

    @property
    def read_units(self) -> float | None:
        if self.index_units is None:
            return None
        return self.index_units + (self.page_units or 0.0)


class Ours:
    name = "ours"

    def __init__(self, listings: list[Listing]) -> None:
        self.indexes = {name: IndexModel() for name in GEO_INDEXES}
        self.full_size: dict[str, int] = {}
        entry_bytes = 0
        for listing in listings:
            item = stored_item(listing)
            hit = GeoHit(listing.listing_id, listing.lat, listing.lon, listing.privileged)
            for index_name, attribute in GEO_INDEXES.items():
                # An index entry holds the table key, the index keys and the projected attributes.
                entry = {name: item[name] for name in (TABLE_KEY, attribute, SORT_KEY, *GEO_PROJECTION)}
                self.indexes[index_name].add(item[attribute]["S"], item[SORT_KEY]["S"], item_size(entry), hit)
                entry_bytes += item_size(entry) if index_name == "geo5" else 0
            self.full_size[listing.listing_id] = item_size(item)
        self.mean_entry_bytes = entry_bytes / max(1, len(listings))

    def run(self, search: Search) -> Outcome:
        started = time.perf_counter()
        queries = plan_queries(plan(search.lat, search.lon, search.radius_m), search.category)
        cpu = time.perf_counter() - started
        answers = [self.indexes[q.index_name].query(q.partition, q.low, q.high) for q in queries]
        hits = [hit for answer in answers for hit in answer.items]
        started = time.perf_counter()
        ranked = rank_hits(hits, search.lat, search.lon, search.radius_m)
        page, _more = page_after(ranked.values(), None, PAGE_LIMIT)
        cpu += time.perf_counter() - started
        by_partition: dict[Hashable, float] = defaultdict(float)
        for query, answer in zip(queries, answers):
            by_partition[(query.index_name, query.partition)] += answer.read_units
        return Outcome(
            found=set(ranked),
            queries=len(queries),
            round_trips=1 + (1 if page else 0),  # all Queries at once, then the page's BatchGetItem
            items_read=len(hits),
            index_units=sum(answer.read_units for answer in answers),
            page_units=batch_get_read_units([self.full_size[key[2]] for key in page]),
            cpu_ms=cpu * 1000,
            units_by_partition=dict(by_partition),
        )


class _ModelClient:
    """Stands in for the boto3 client dynamodb-geo calls: put_item fills the model, query reads it."""

    def __init__(self, index: IndexModel) -> None:
        self.index = index
        self.put_bytes = 0
        self.calls: list[tuple[int, int, int, int, float, int]] = []  # key, low, high, items, units, pages

    def put_item(self, TableName: str, Item: dict[str, Any], **_: Any) -> dict[str, Any]:  # noqa: N803
        self.index.add(int(Item["hashKey"]["N"]), int(Item["geohash"]["N"]), item_size(Item), Item)
        self.put_bytes += item_size(Item)
        return {}

    def query(self, **params: Any) -> dict[str, Any]:
        values = params["ExpressionAttributeValues"]
        hash_key, low, high = (int(values[k]["N"]) for k in (":hashKey", ":geohashMin", ":geohashMax"))
        answer = self.index.query(hash_key, low, high)
        self.calls.append((hash_key, low, high, len(answer.items), answer.read_units, answer.pages))
        return {"Items": answer.items, "Count": len(answer.items), "ScannedCount": len(answer.items)}


OUR_STORAGE_ATTRIBUTES = {
    *GEO_INDEXES.values(), SORT_KEY, ListingModel.lat.attr_name, ListingModel.lon.attr_name,
    "provider_active", "provider_sk", "version",
}


def dynamodbgeo_item(listing: Listing) -> dict[str, Any]:
    """The listing's own fields as a point's payload (PutItemInput['Item'] in dynamodb-geo's README);
    dynamodb-geo adds its hashKey, rangeKey, geohash and geoJson."""
    item = stored_item(listing)
    return {name: value for name, value in item.items() if name not in OUR_STORAGE_ATTRIBUTES}


class DynamoGeo:
    """dynamodb-geo as its README sets it up: hashKeyLength 6 (the default of the Java library it cites),
    the default S2 region coverer, the geohash LSI with ALL projection."""

    name = "dynamodb-geo"
    hash_key_length = 6

    def __init__(self, listings: list[Listing]) -> None:
        self.index = IndexModel()
        self.client = _ModelClient(self.index)
        config = dynamodbgeo.GeoDataManagerConfiguration(self.client, "geo")
        config.hashKeyLength = self.hash_key_length
        self.manager = dynamodbgeo.GeoDataManager(config)
        for listing in listings:
            self.manager.put_Point(dynamodbgeo.PutPointInput(
                dynamodbgeo.GeoPoint(listing.lat, listing.lon), listing.listing_id, {"Item": dynamodbgeo_item(listing)}
            ))
        self.mean_item_bytes = self.client.put_bytes / max(1, len(listings))

    def run(self, search: Search) -> Outcome:
        self.client.calls.clear()
        query = dynamodbgeo.QueryRadiusRequest(dynamodbgeo.GeoPoint(search.lat, search.lon), search.radius_m, {},
                                             sort=True)
        results = self.manager.queryRadius(query)
        found = {
            item[TABLE_KEY]["S"] for item in results
            if search.category is None or item["category"]["S"] == search.category
        }
        by_partition: dict[Hashable, float] = defaultdict(float)
        for hash_key, _low, _high, _items, units, _pages in self.client.calls:
            by_partition[("geo", hash_key)] += units
        pages = sum(call[5] for call in self.client.calls)
        return Outcome(
            found=found,
            queries=pages,
            round_trips=pages,  # its Queries (and their pages) run one after another
            items_read=sum(call[3] for call in self.client.calls),
            index_units=sum(call[4] for call in self.client.calls),
            page_units=0.0,  # its Queries return whole items: nothing more to read for a page
            units_by_partition=dict(by_partition),
        )


class SqliteRtree:
    """An exact in-memory reference: R*Tree bounding-box candidates, then great-circle distance."""

    name = "sqlite-rtree"

    def __init__(self, listings: list[Listing]) -> None:
        self.listings = listings
        self.db = sqlite3.connect(":memory:")
        self.db.execute("CREATE VIRTUAL TABLE points USING rtree(id, min_lat, max_lat, min_lon, max_lon)")
        self.db.executemany("INSERT INTO points VALUES (?, ?, ?, ?, ?)",
                            ((i, x.lat, x.lat, x.lon, x.lon) for i, x in enumerate(listings)))

    def run(self, search: Search) -> Outcome:
        dlat = math.degrees(search.radius_m / geo.EARTH_RADIUS_M) * 1.001
        widest = math.radians(min(89.0, abs(search.lat) + dlat))
        dlon = math.degrees(search.radius_m / (geo.EARTH_RADIUS_M * math.cos(widest))) * 1.001
        rows = self.db.execute(
            "SELECT id FROM points WHERE max_lat >= ? AND min_lat <= ? AND max_lon >= ? AND min_lon <= ?",
            (search.lat - dlat, search.lat + dlat, search.lon - dlon, search.lon + dlon),
        ).fetchall()
        candidates = [self.listings[row[0]] for row in rows]
        found = {
            x.listing_id for x in candidates
            if (search.category is None or x.category == search.category)
            and geo.haversine_m(search.lat, search.lon, x.lat, x.lon) <= search.radius_m
        }
        return Outcome(found=found, queries=1, round_trips=1, items_read=len(candidates))


class BruteForce:
    """Every listing's distance: the oracle. numpy narrows to a 1 m margin; the exact haversine decides."""

    name = "brute force"

    def __init__(self, listings: list[Listing]) -> None:
        self.listings = listings
        self.lat = np.radians(np.array([x.lat for x in listings]))
        self.lon = np.radians(np.array([x.lon for x in listings]))
        self.category = np.array([x.category for x in listings])

    def run(self, search: Search) -> Outcome:
        lat0, lon0 = math.radians(search.lat), math.radians(search.lon)
        a = np.sin((self.lat - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(self.lat) * np.sin((self.lon - lon0) / 2) ** 2
        near = 2 * geo.EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, a))) <= search.radius_m + 1.0
        if search.category is not None:
            near &= self.category == search.category
        found = {
            self.listings[i].listing_id for i in np.flatnonzero(near)
            if geo.haversine_m(search.lat, search.lon, self.listings[i].lat, self.listings[i].lon) <= search.radius_m
        }
        return Outcome(found=found, queries=1, round_trips=1, items_read=len(self.listings))


def s2_hash_key(lat: float, lon: float, length: int = DynamoGeo.hash_key_length) -> int:
    """dynamodb-geo's partition key for a point (for the hot-spot view)."""
    manager = S2Manager()
    return manager.generateHashKey(manager.generateGeohash(dynamodbgeo.GeoPoint(lat, lon)), length)
