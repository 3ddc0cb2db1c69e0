"""Listings in DynamoDB: reads, conditional writes, the geo index Queries and first-listing grants."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain import geo
from chalicelib.domain.errors import Conflict
from chalicelib.domain.listings import Listing
from chalicelib.store import tables
from chalicelib.store.models import CounterModel, ListingModel, ProfileModel
from chalicelib.store.pages import one_page

PRIVILEGED_COUNTER = "privileged_providers"
BATCH_GET_SIZE = 100
# botocore keeps 10 connections per client by default; one Query per connection.
_query_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="geo-query")


class AlreadyProvider(Exception):
    """The user published a first listing concurrently; publish again as an existing provider."""


@dataclass(frozen=True)
class GeoHit:
    """What the thin geo index returns for one listing."""

    listing_id: str
    lat: float
    lon: float
    privileged: bool


@dataclass(frozen=True)
class GeoRead:
    hits: list[GeoHit]
    queries: int


def _to_model(listing: Listing) -> ListingModel:
    model = ListingModel(
        listing_id=listing.listing_id,
        provider_id=listing.provider_id,
        title=listing.title,
        description=listing.description,
        category=listing.category,
        price_cents=listing.price_cents,
        currency=listing.currency,
        lat=listing.lat,
        lon=listing.lon,
        geohash=listing.geohash,
        status=listing.status,
        privileged=listing.privileged,
        created_at=listing.created_at,
        updated_at=listing.updated_at,
    )
    if listing.version:
        model.version = listing.version
    if listing.is_active:
        for attribute, value in geo_index_keys(listing).items():
            setattr(model, attribute, value)
        model.provider_active = listing.provider_id
        model.provider_sk = f"{listing.created_at}#{listing.listing_id}"
    return model


def geo_index_keys(listing: Listing) -> dict[str, str]:
    """The key attributes of the four geo indexes for an active listing (see store/models.py)."""
    cell5, cell4 = listing.geohash[:5], listing.geohash[:4]
    return {
        "g5": cell5,
        "g5c": f"{listing.category}#{cell5}",
        "g4": cell4,
        "g4c": f"{listing.category}#{cell4}",
    }


@dataclass(frozen=True)
class IndexQuery:
    """One Query of a search: an index, a partition key value, and inclusive sort-key bounds."""

    index_name: str
    partition: str
    low: str
    high: str


def plan_queries(cover: geo.Cover, category: str | None) -> list[IndexQuery]:
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


def stored_item(listing: Listing) -> dict[str, dict[str, Any]]:
    """The item as DynamoDB stores it (wire form), e.g. to measure its size."""
    return _to_model(listing).serialize()


def _from_model(model: ListingModel) -> Listing:
    return Listing(
        listing_id=model.listing_id,
        provider_id=model.provider_id,
        title=model.title,
        description=model.description,
        category=model.category,
        price_cents=int(model.price_cents),
        currency=model.currency,
        lat=float(model.lat),
        lon=float(model.lon),
        geohash=model.geohash,
        status=model.status,
        privileged=bool(model.privileged),
        created_at=model.created_at,
        updated_at=model.updated_at,
        version=int(model.version or 0),
    )


def get(listing_id: str) -> Listing | None:
    tables.bind()
    try:
        return _from_model(ListingModel.get(listing_id, consistent_read=True))
    except ListingModel.DoesNotExist:
        return None


def get_many(listing_ids: Iterable[str]) -> dict[str, Listing]:
    """Full listings by id (missing ones are left out); BatchGetItem in chunks of 100."""
    tables.bind()
    ids = list(dict.fromkeys(listing_ids))
    chunks = [ids[start : start + BATCH_GET_SIZE] for start in range(0, len(ids), BATCH_GET_SIZE)]
    if len(chunks) > 1:
        ListingModel._get_connection().connection.client  # create the shared client before fanning out
    results = _query_pool.map(lambda chunk: [_from_model(m) for m in ListingModel.batch_get(chunk)], chunks)
    return {listing.listing_id: listing for chunk in results for listing in chunk}


def save(listing: Listing) -> Listing:
    """Write a changed listing; refused (409) if someone else changed it since it was read."""
    tables.bind()
    model = _to_model(listing)
    try:
        model.save()
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("the listing was changed by another request; read it again") from exc
        raise
    return replace(listing, version=int(model.version))


def insert(listing: Listing) -> Listing:
    """Store a new listing of an existing provider."""
    return save(listing)


def insert_many(listings: Iterable[Listing]) -> None:
    """Bulk-load new listings (demo data, benchmarks): BatchWriteItem, no conditions."""
    tables.bind()
    with ListingModel.batch_write() as batch:
        for listing in listings:
            batch.save(_to_model(replace(listing, version=listing.version or 1)))


def insert_first(make: Callable[[bool], Listing], user_id: str, quota: int, now: str) -> Listing:
    """Publish a user's first listing and settle their privileged status in the same transaction.

    The counter of privileged providers is incremented only while below `quota`, and the profile is
    marked a provider only if it was not one: so with any number of concurrent first listings exactly
    `quota` distinct users become privileged, and a user is counted once. Raises AlreadyProvider when
    the user became a provider concurrently (their status is settled; publish with it).
    """
    connection = tables.bind()
    profile = ProfileModel(user_id=user_id)
    if quota > 0:
        listing = make(True)
        try:
            with TransactWrite(connection=connection) as tx:
                counter = CounterModel(name=PRIVILEGED_COUNTER)
                tx.update(
                    counter,
                    actions=[CounterModel.value.add(1)],
                    condition=CounterModel.value.does_not_exist() | (CounterModel.value < quota),
                )
                tx.update(
                    profile,
                    actions=[ProfileModel.privileged.set(True), ProfileModel.provider_since.set(now)],
                    condition=ProfileModel.user_id.exists() & ProfileModel.provider_since.does_not_exist(),
                )
                tx.save(_to_model(listing), condition=ListingModel.listing_id.does_not_exist())
            return replace(listing, version=1)
        except TransactWriteError as exc:
            # PynamoDB sends puts before updates: [listing put, counter update, profile update].
            if _condition_failed(exc, 2):
                raise AlreadyProvider() from exc
            if not _condition_failed(exc, 1):
                raise
    listing = make(False)
    try:
        with TransactWrite(connection=connection) as tx:
            tx.update(
                profile,
                actions=[ProfileModel.privileged.set(False), ProfileModel.provider_since.set(now)],
                condition=ProfileModel.user_id.exists() & ProfileModel.provider_since.does_not_exist(),
            )
            tx.save(_to_model(listing), condition=ListingModel.listing_id.does_not_exist())
    except TransactWriteError as exc:
        if _condition_failed(exc, 1):  # [listing put, profile update]
            raise AlreadyProvider() from exc
        raise
    return replace(listing, version=1)


def _condition_failed(exc: TransactWriteError, index: int) -> bool:
    reasons = exc.cancellation_reasons
    return index < len(reasons) and reasons[index] is not None and reasons[index].code == "ConditionalCheckFailed"


def privileged_count() -> int:
    tables.bind()
    try:
        return int(CounterModel.get(PRIVILEGED_COUNTER, consistent_read=True).value)
    except CounterModel.DoesNotExist:
        return 0


def page_by_provider(
    provider_id: str, limit: int, start_key: dict[str, Any] | None
) -> tuple[list[Listing], dict[str, Any] | None]:
    """One page of a provider's active listings, newest first."""
    tables.bind()
    page, next_key = one_page(
        lambda count, start: ListingModel.by_provider.query(
            provider_id, scan_index_forward=False, limit=count, last_evaluated_key=start, page_size=count
        ),
        limit,
        start_key,
        lambda last: {
            "id": {"S": last.listing_id},
            "provider_active": {"S": last.provider_active},
            "provider_sk": {"S": last.provider_sk},
        },
    )
    return [_from_model(model) for model in page], next_key


def _run_query(query: IndexQuery) -> list[GeoHit]:
    index = getattr(ListingModel, query.index_name)
    return [
        GeoHit(model.listing_id, float(model.lat), float(model.lon), bool(model.privileged))
        for model in index.query(query.partition, ListingModel.geohash.between(query.low, query.high))
    ]


def read_cover(cover: geo.Cover, category: str | None) -> GeoRead:
    """Every active listing in the cover's key ranges: one Query per range, all under way at once."""
    tables.bind()
    ListingModel._get_connection().connection.client  # create the shared client before fanning out
    futures = [_query_pool.submit(_run_query, query) for query in plan_queries(cover, category)]
    hits = [hit for future in futures for hit in future.result()]
    return GeoRead(hits=hits, queries=len(futures))
