"""dynamodb-geo (PyPI `dynamodbgeo` 0.0.3) over the same listings, running its own code against the cost model.

Set up as its README recommends: `hashKeyLength` 6 (the default of the Java library it cites), the default
S2 region coverer, its geohash LSI with ALL projection, the listing's fields as the point's payload. A radius
search covers the circle's bounding box with S2 cells, turns them into hash-key ranges and Queries them one
after another, each through all its 1 MB pages, then filters by distance. It has no category in its keys and
no paging: whatever the category, keyword, page or limit, a search reads the same items (the category and the
keyword are filters on what it read), so one run per centre and radius prices every variant. Its distance
filter reads nothing and is skipped here (`GeoDataManager.dispatchQueries` is what reads).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import dynamodbgeo

from bench.dataset import Search
from bench.dynamo_model import IndexModel, item_size
from chalicelib.domain.listings import Listing
from chalicelib.store.listings import stored_item
from chalicelib.store.search_index import SEARCH_ATTRIBUTES

HASH_KEY_LENGTH = 6
TABLE_NAME = "geo"
OUR_STORAGE_ATTRIBUTES = {*SEARCH_ATTRIBUTES, "gh", "la", "lo", "provider_active", "provider_sk", "version"}


@dataclass(frozen=True)
class Outcome:
    units: float
    queries: int  # Query calls, one per 1 MB page
    round_trips: int  # all sequential
    items_read: int
    by_partition: dict[Hashable, float]


class _ModelClient:
    """Stands in for the boto3 client dynamodb-geo calls: put_item fills the model, query reads it."""

    def __init__(self, index: IndexModel) -> None:
        self.index = index
        self.item_bytes: list[int] = []
        self.calls: list[tuple[int, int, int, int, float, int]] = []  # key, low, high, items, units, pages

    def put_item(self, TableName: str, Item: dict[str, Any], **_: Any) -> dict[str, Any]:
        size = item_size(Item)
        self.index.add(int(Item["hashKey"]["N"]), int(Item["geohash"]["N"]), size, None)
        self.item_bytes.append(size)
        return {}

    def query(self, **params: Any) -> dict[str, Any]:
        values = params["ExpressionAttributeValues"]
        hash_key, low, high = (int(values[k]["N"]) for k in (":hashKey", ":geohashMin", ":geohashMax"))
        answer = self.index.query(hash_key, low, high)
        self.calls.append((hash_key, low, high, len(answer.items), answer.read_units, answer.pages))
        return {"Items": answer.items, "Count": len(answer.items), "ScannedCount": len(answer.items)}


def point_payload(listing: Listing) -> dict[str, Any]:
    """The listing's own fields as a point's payload (PutItemInput['Item'] in dynamodb-geo's README);
    dynamodb-geo adds its hashKey, rangeKey, geohash and geoJson."""
    return {name: value for name, value in stored_item(listing).items() if name not in OUR_STORAGE_ATTRIBUTES}


def configuration(client: Any, table_name: str = TABLE_NAME) -> dynamodbgeo.GeoDataManagerConfiguration:
    config = dynamodbgeo.GeoDataManagerConfiguration(client, table_name)
    config.hashKeyLength = HASH_KEY_LENGTH
    return config


def put(manager: dynamodbgeo.GeoDataManager, listing: Listing) -> None:
    manager.put_Point(dynamodbgeo.PutPointInput(
        dynamodbgeo.GeoPoint(listing.lat, listing.lon), listing.listing_id, {"Item": point_payload(listing)}
    ))


def radius_request(search: Search) -> dynamodbgeo.QueryRadiusRequest:
    return dynamodbgeo.QueryRadiusRequest(dynamodbgeo.GeoPoint(search.lat, search.lon), search.radius_m, {},
                                        sort=True)


class DynamoGeo:
    name = "dynamodb-geo"

    def __init__(self, listings: list[Listing]) -> None:
        self.index = IndexModel()
        self.client = _ModelClient(self.index)
        self.config = configuration(self.client)
        self.manager = dynamodbgeo.GeoDataManager(self.config)
        for listing in listings:
            put(self.manager, listing)

    @property
    def item_bytes(self) -> list[int]:
        return self.client.item_bytes

    def run(self, search: Search) -> Outcome:
        """What its queryRadius reads for the search (the same for every category, keyword and page)."""
        self.client.calls.clear()
        request = radius_request(search)
        covering = dynamodbgeo.Covering(self.config.S2RegionCoverer().get_covering(
            dynamodbgeo.S2Util().getBoundingLatLngRectFromQueryRadiusInput(request)))
        self.manager.dispatchQueries(covering, request)
        by_partition: dict[Hashable, float] = defaultdict(float)
        for hash_key, _low, _high, _items, units, _pages in self.client.calls:
            by_partition[(TABLE_NAME, hash_key)] += units
        pages = sum(call[5] for call in self.client.calls)
        return Outcome(
            units=sum(call[4] for call in self.client.calls),
            queries=pages,
            round_trips=pages,
            items_read=sum(call[3] for call in self.client.calls),
            by_partition=dict(by_partition),
        )


def hash_key(lat: float, lon: float) -> int:
    """dynamodb-geo's partition key for a point."""
    manager = dynamodbgeo.S2Manager()
    return manager.generateHashKey(manager.generateGeohash(dynamodbgeo.GeoPoint(lat, lon)), HASH_KEY_LENGTH)
