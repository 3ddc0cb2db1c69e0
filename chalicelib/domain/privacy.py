"""Who may see where a listing's service really is (its precise point; domain/listings.py).

Its provider always; an order's buyer once that order is funded (funded, or any status reached only through
funding): they have paid into escrow for a service at that place. Nobody else, operators included: an
approximate listing is shown to them at its cell's centre, and an exact one where it is anyway.
"""
from __future__ import annotations

from chalicelib.domain.listings import Listing
from chalicelib.domain.orders import DELIVERED, DISPUTED, FUNDED, REFUNDED, RELEASED, RESOLVED, Order

FUNDED_OR_LATER = frozenset({FUNDED, DELIVERED, RELEASED, DISPUTED, RESOLVED, REFUNDED})


def sees_precise_point(listing: Listing, viewer_id: str) -> bool:
    return viewer_id == listing.provider_id


def sees_service_location(order: Order, viewer_id: str) -> bool:
    return viewer_id == order.buyer_id and order.status in FUNDED_OR_LATER
