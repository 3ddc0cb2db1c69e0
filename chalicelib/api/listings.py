"""Listing routes: the pins on the map."""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import ListingCreate, ListingOut, ListingPage, ListingPatch, PageQuery, PointOut, shown_as
from chalicelib.domain.identity import Caller
from chalicelib.domain.listings import Listing
from chalicelib.domain.privacy import sees_precise_point
from chalicelib.services import listings as listing_service

listings_bp = Blueprint(__name__)


def listing_out(listing: Listing, caller: Caller) -> ListingOut:
    """The listing as the caller sees it: its precise point (`service_location`) only if it is theirs."""
    shown = shown_as(ListingOut, listing)
    if sees_precise_point(listing, caller.user_id):
        lat, lon = listing.precise_point
        shown.service_location = PointOut(lat=lat, lon=lon)
    return shown


@operation(
    listings_bp, "POST", "/listings", summary="Publish a service at a place", tag="listings",
    body=ListingCreate, response=ListingOut, status=201, errors=(400, 422), limit="listing",
)
def create_listing(caller: Caller, body: ListingCreate) -> ListingOut:
    return listing_out(listing_service.publish(caller, **body.model_dump()), caller)


@operation(
    listings_bp, "GET", "/listings/{listing_id}", summary="A listing", tag="listings", response=ListingOut,
    errors=(404,),
)
def get_listing(caller: Caller, listing_id: str) -> ListingOut:
    return listing_out(listing_service.get_visible(caller, listing_id), caller)


@operation(
    listings_bp, "PATCH", "/listings/{listing_id}", summary="Change, move, pause or resume my listing",
    tag="listings", body=ListingPatch, response=ListingOut, errors=(400, 403, 404, 409, 422), limit="listing",
)
def patch_listing(caller: Caller, listing_id: str, body: ListingPatch) -> ListingOut:
    return listing_out(listing_service.edit(caller, listing_id, body.changes()), caller)


@operation(
    listings_bp, "DELETE", "/listings/{listing_id}", summary="Delete my listing", tag="listings",
    status=204, errors=(403, 404, 409), limit="listing",
)
def delete_listing(caller: Caller, listing_id: str) -> None:
    listing_service.delete(caller, listing_id)


@operation(
    listings_bp, "GET", "/users/{user_id}/listings", summary="A user's active listings, newest first",
    tag="listings", query=PageQuery, response=ListingPage, errors=(400,),
)
def user_listings(caller: Caller, user_id: str, query: PageQuery) -> ListingPage:
    page = listing_service.provider_listings(caller, user_id, query.limit, query.cursor)
    return ListingPage.of(page, lambda listing: listing_out(listing, caller))
