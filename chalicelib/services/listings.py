"""Use cases for listings: publish, read, edit (owner), pause, delete (owner), a provider's listings."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain import listings, regions
from chalicelib.domain.categories import check_category
from chalicelib.domain.clock import now_iso
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.listings import Listing
from chalicelib.domain.pages import Page
from chalicelib.domain.profiles import Profile
from chalicelib.services.paging import page_of
from chalicelib.services.profiles import ensure_profile
from chalicelib.settings import get_settings
from chalicelib.store import listings as listing_store
from chalicelib.store import profiles as profile_store


def _open_region_for(lat: float, lon: float) -> regions.Region:
    return regions.open_region_for(lat, lon, get_settings().open_regions)


def publish(
    caller: Caller,
    title: str,
    description: str,
    category: str,
    price_cents: int,
    currency: str | None,
    lat: float,
    lon: float,
    location_precision: str = listings.EXACT,
) -> Listing:
    """Publish a listing; a user's first one settles their privileged status (first PRIVILEGED_QUOTA). A provider
    has at most MAX_ACTIVE_LISTINGS active listings (409 beyond)."""
    check_category(category)
    region = _open_region_for(lat, lon)
    if currency is not None and currency != region.currency:
        raise InvalidInput(f"currency: listings in {region.name} are priced in {region.currency}")
    profile = ensure_profile(caller)
    now = now_iso()

    def make(privileged: bool) -> Listing:
        new = listings.new_listing(
            caller.user_id, title, description, category, price_cents, region.currency, lat, lon,
            privileged=privileged, now=now, location_precision=location_precision,
        )
        return _rated(new, profile)

    for _ in range(3):
        if profile.is_provider:
            return listing_store.insert(make(privileged=profile.privileged), get_settings().max_active_listings)
        quota = get_settings().privileged_quota
        try:
            return listing_store.insert_first(
                lambda privileged: make(privileged=privileged), caller.user_id, quota, now
            )
        except listing_store.AlreadyProvider:
            profile = profile_store.get(caller.user_id) or profile
    raise Conflict("your provider status is being settled by another request; try again")


def _rated(listing: Listing, provider: Profile | None) -> Listing:
    """The listing with its provider's current reputation, for its index entries (services/reputation.py)."""
    if provider is None:
        return listing
    return replace(listing, rating_score=provider.rating_score, rating_count=provider.rating_count)


def get_visible(caller: Caller, listing_id: str) -> Listing:
    """A listing anyone signed in may see: active or paused; deleted ones are gone (404), and ones an operator
    hid are seen by their owner only."""
    listing = listing_store.get(listing_id)
    if listing is None or not listing.is_visible_to(caller.user_id):
        raise NotFound("listing not found")
    return listing


def _get_owned(caller: Caller, listing_id: str) -> Listing:
    listing = get_visible(caller, listing_id)
    if listing.provider_id != caller.user_id:
        raise Forbidden("only the listing's owner may change it")
    return listing


def edit(caller: Caller, listing_id: str, changes: dict[str, Any]) -> Listing:
    """Apply an owner's changes; a move must stay inside an open region."""
    listing = _get_owned(caller, listing_id)
    if "category" in changes:
        check_category(changes["category"])
    if "lat" in changes or "lon" in changes:
        lat, lon = listing.precise_point
        _open_region_for(changes.get("lat", lat), changes.get("lon", lon))
    if "status" in changes and changes["status"] not in listings.OWNER_SETTABLE_STATUSES:
        raise InvalidInput("status: must be 'active' or 'paused'")
    if not changes:
        return listing
    updated = _rated(listings.with_changes(listing, changes, now_iso()), profile_store.get(caller.user_id))
    return listing_store.save(updated, listing, max_active=get_settings().max_active_listings)


def delete(caller: Caller, listing_id: str) -> None:
    """Delete for good as far as clients can tell; the record stays for orders and chats that cite it."""
    listing = _get_owned(caller, listing_id)
    deleted = listings.with_changes(listing, {"status": listings.DELETED}, now_iso())
    listing_store.save(deleted, listing, max_active=get_settings().max_active_listings)


def provider_listings(caller: Caller, provider_id: str, limit: int, cursor: str | None) -> Page[Listing]:
    """A page of a provider's active listings, newest first (those an operator hid: for their owner only, so
    another caller's page may come out short)."""

    def read(start: Any) -> tuple[list[Listing], Any]:
        items, next_key = listing_store.page_by_provider(provider_id, limit, start)
        return [item for item in items if item.is_visible_to(caller.user_id)], next_key

    return page_of(("provider_listings", caller.user_id, provider_id), cursor, read)
