"""Listings in DynamoDB: reads, conditional writes, the geo index Queries and first-listing grants.

A write that starts or ends an active listing (publish, resume, pause, delete) changes the provider's count of
active listings (`ProfileModel.active_listings`) in the same transaction, and one that starts one only while
the count is below the cap: with any number of concurrent publishes a provider never has more than the cap.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict
from chalicelib.domain.listings import EXACT, Listing, active_change
from chalicelib.store import items, refusals, search_counts, search_index, tables
from chalicelib.store import profiles as profile_store
from chalicelib.store.contention import retried
from chalicelib.store.models import CounterModel, ListingModel, ProfileModel
from chalicelib.store.pages import one_page

PRIVILEGED_COUNTER = "privileged_providers"
# (table, quota) pairs whose counter this instance saw full: privileged status is for good and the quota
# only fills, so once full the counter item (a single write hot spot) is never touched again.
_quota_full: set[tuple[str, int]] = set()


class AlreadyProvider(Exception):
    """The user published a first listing concurrently; publish again as an existing provider."""


def _to_model(listing: Listing) -> ListingModel:
    model = items.to_item(listing, ListingModel, leave_out=("version",), rating_count=listing.rating_count or None)
    if listing.version:
        model.version = listing.version
    for attribute, value in search_index.index_attributes(listing).items():
        setattr(model, attribute, value)
    if listing.is_active:  # (hidden ones too: their owner pages them; others never see them)
        model.provider_active = listing.provider_id
        model.provider_sk = f"{listing.created_at}#{listing.listing_id}"
    return model


def stored_item(listing: Listing) -> dict[str, dict[str, Any]]:
    """The item as DynamoDB stores it (wire form), e.g. to measure its size."""
    return _to_model(listing).serialize()


def from_model(model: ListingModel) -> Listing:
    return items.to_domain(
        model, Listing, price_cents=int(model.price_cents), lat=float(model.lat), lon=float(model.lon),
        privileged=bool(model.privileged), version=int(model.version or 0),
        location_precision=model.location_precision or EXACT,
        precise_lat=_float_or_none(model.precise_lat), precise_lon=_float_or_none(model.precise_lon),
        rating_score=_float_or_none(model.rating_score), rating_count=int(model.rating_count or 0),
    )


def _float_or_none(value: float | None) -> float | None:
    return float(value) if value is not None else None


def get_many(listing_ids: Iterable[str]) -> dict[str, Listing]:
    """The listings with these ids that exist, by id (BatchGetItem)."""
    tables.bind()
    found = ListingModel.batch_get(set(listing_ids))  # eventually consistent: half the read units
    return {model.listing_id: from_model(model) for model in found}


def get(listing_id: str) -> Listing | None:
    model = items.read(ListingModel, listing_id)
    return from_model(model) if model is not None else None


CHANGED_MEANWHILE = "the listing was changed by another request; read it again"


def cap_reached(max_active: int) -> Conflict:
    return Conflict(
        f"you have {max_active} active listings, the most a provider may have (MAX_ACTIVE_LISTINGS):"
        " pause or delete one first"
    )


def save(listing: Listing, before: Listing | None, *, max_active: int) -> Listing:
    """Write a changed listing (`before` as it was read); refused (409) if someone else changed it since, or if
    it would make its provider's active listings more than `max_active`."""
    change = active_change(before, listing)
    model = _to_model(listing)
    if change:
        _save_counted(model, listing.provider_id, change, max_active)
    else:
        tables.bind()
        try:
            model.save()
        except PutError as exc:
            if refusals.condition_failed(exc):
                raise Conflict(CHANGED_MEANWHILE) from exc
            raise
    search_counts.adjust_counts(before, listing)
    _restamped(listing)
    return replace(listing, version=int(model.version))


def _restamped(listing: Listing) -> None:
    """After a whole-item put: the provider's reputation as it is now, if a review's refresh landed between the
    writer's read and its put (1 profile read; a write only then)."""
    profile = profile_store.get(listing.provider_id)
    if profile is not None and profile.rating_count > listing.rating_count:
        set_reputation(listing.listing_id, profile.rating_score, profile.rating_count)


@retried()
def _save_counted(model: ListingModel, provider_id: str, change: int, max_active: int) -> None:
    """Put the listing (on its version) and move the provider's active count by `change`, in one transaction."""
    condition = ProfileModel.user_id.exists()
    if change > 0:
        condition &= _below(max_active)
    try:
        with TransactWrite(connection=tables.bind()) as tx:
            tx.save(model)
            tx.update(ProfileModel(user_id=provider_id), actions=[ProfileModel.active_listings.add(change)],
                      condition=condition)
    except TransactWriteError as exc:
        if refusals.condition_failed_at(exc, 0):  # [listing put, profile update]
            raise Conflict(CHANGED_MEANWHILE) from exc
        if refusals.condition_failed_at(exc, 1):
            raise cap_reached(max_active) if change > 0 else Conflict("the provider has no profile") from exc
        raise


def _below(max_active: int) -> Condition:
    below: Condition = ProfileModel.active_listings.does_not_exist() | (ProfileModel.active_listings < max_active)
    return below


def insert(listing: Listing, max_active: int) -> Listing:
    """Store a new listing of an existing provider, if they have fewer than `max_active` active ones."""
    return save(listing, None, max_active=max_active)


def insert_many(listings: Iterable[Listing]) -> None:
    """Bulk-load new listings (demo data, benchmarks, reindexing): BatchWriteItem, no conditions and no cap.

    The active counts of providers who have a profile are then added to directly (one update each); listings of
    users with no profile (synthetic benchmark providers) are counted nowhere.
    """
    tables.bind()
    changes: dict[str, dict[str, int]] = {}
    active: Counter[str] = Counter()
    with ListingModel.batch_write() as batch:
        for listing in listings:
            batch.save(_to_model(replace(listing, version=listing.version or 1)))
            search_counts.add_count_changes(changes, search_counts.count_changes(None, listing))
            active[listing.provider_id] += active_change(None, listing)
    search_counts.apply_count_changes(changes)
    for provider_id, count in active.items():
        if count:
            _add_active(provider_id, count)


@retried()
def _add_active(provider_id: str, count: int) -> None:
    """Add to a provider's count of active listings, if they have a profile."""
    items.update_if(ProfileModel, provider_id, [ProfileModel.active_listings.add(count)], ProfileModel.user_id.exists())


@retried()
def insert_first(make: Callable[[bool], Listing], user_id: str, quota: int, now: str) -> Listing:
    """Publish a user's first listing and settle their privileged status in the same transaction.

    The counter of privileged providers is incremented only while below `quota`, and the profile is
    marked a provider only if it was not one: so with any number of concurrent first listings exactly
    `quota` distinct users become privileged, and a user is counted once. Raises AlreadyProvider when
    the user became a provider concurrently (their status is settled; publish with it).
    """
    connection = tables.bind()
    profile = ProfileModel(user_id=user_id)
    first_active = ProfileModel.active_listings.add(1)  # the cap is at least 1: a first listing is always within it
    full_key = (CounterModel.Meta.table_name, quota)
    if quota > 0 and full_key not in _quota_full:
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
                    actions=[ProfileModel.privileged.set(True), ProfileModel.provider_since.set(now), first_active],
                    condition=ProfileModel.user_id.exists() & ProfileModel.provider_since.does_not_exist(),
                )
                tx.save(_to_model(listing), condition=ListingModel.listing_id.does_not_exist())
            search_counts.adjust_counts(None, listing)
            return replace(listing, version=1)
        except TransactWriteError as exc:
            # PynamoDB sends puts before updates: [listing put, counter update, profile update].
            if refusals.condition_failed_at(exc, 2):
                raise AlreadyProvider() from exc
            if not refusals.condition_failed_at(exc, 1):
                raise
            _quota_full.add(full_key)
    listing = make(False)
    try:
        with TransactWrite(connection=connection) as tx:
            tx.update(
                profile,
                actions=[ProfileModel.privileged.set(False), ProfileModel.provider_since.set(now), first_active],
                condition=ProfileModel.user_id.exists() & ProfileModel.provider_since.does_not_exist(),
            )
            tx.save(_to_model(listing), condition=ListingModel.listing_id.does_not_exist())
    except TransactWriteError as exc:
        if refusals.condition_failed_at(exc, 1):  # [listing put, profile update]
            raise AlreadyProvider() from exc
        raise
    search_counts.adjust_counts(None, listing)
    return replace(listing, version=1)


def forget_quota_full() -> None:
    """Forget that the quota was seen full (store/caches.py)."""
    _quota_full.clear()


def privileged_count() -> int:
    counter = items.read(CounterModel, PRIVILEGED_COUNTER)
    return int(counter.value) if counter is not None else 0


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
    return [from_model(model) for model in page], next_key


def set_reputation(listing_id: str, score: float | None, count: int) -> bool:
    """Write the provider's reputation into a listing (and so its index entries): an UpdateItem of `rs` and `rc`
    alone, conditional on the listing existing and holding an older copy (fewer reviews); False if not.

    The version is neither checked nor bumped (a model update would do both): nothing decides on these two
    attributes, so a concurrent edit is never refused for them. An edit (a whole-item put) may put back the copy it
    read: `save` stamps the listing again from the profile right after (`_restamped`).
    """
    tables.bind()
    actions = (
        [ListingModel.rating_score.set(score), ListingModel.rating_count.set(count)]
        if score is not None and count
        else [ListingModel.rating_score.remove(), ListingModel.rating_count.remove()]
    )
    # A count only grows: a copy with as many reviews or more is as new or newer (two refreshes out of order, an
    # edit that put back what it read), so it stays.
    newer = ListingModel.rating_count.does_not_exist() | (ListingModel.rating_count < count)
    try:
        ListingModel._get_connection().update_item(
            listing_id, actions=actions, condition=ListingModel.listing_id.exists() & newer
        )
    except UpdateError as exc:
        if refusals.condition_failed(exc):
            return False
        raise
    return True
