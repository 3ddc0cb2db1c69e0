"""A listing: a service a provider offers at a point on the map (a pin)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain import geo
from chalicelib.domain.ids import new_id

ACTIVE = "active"
PAUSED = "paused"
DELETED = "deleted"
OWNER_SETTABLE_STATUSES = (ACTIVE, PAUSED)
COORDINATE_DECIMALS = 7  # ~1 cm: finer than any phone's fix, and fewer digits to store and read in every search


def pin(degrees: float) -> float:
    """A coordinate as stored and searched: rounded to COORDINATE_DECIMALS."""
    return round(degrees, COORDINATE_DECIMALS)


@dataclass(frozen=True)
class Pin:
    """What the map needs of a listing; the geo index entries carry exactly this (domain/nearest.py)."""

    listing_id: str
    provider_id: str
    title: str
    category: str
    price_cents: int
    currency: str
    lat: float
    lon: float
    geohash: str
    privileged: bool


@dataclass(frozen=True)
class Listing(Pin):
    """The whole listing: its pin, and what only its own page shows."""

    description: str
    status: str
    created_at: str
    updated_at: str
    version: int = 0  # optimistic concurrency: the store refuses a write based on a stale read

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def is_deleted(self) -> bool:
        return self.status == DELETED


def active_change(before: Listing | None, after: Listing) -> int:
    """How a write changes its provider's number of active listings: +1 (publish, resume), -1 (pause or delete
    an active one) or 0."""
    return int(after.is_active) - int(before is not None and before.is_active)


def new_listing_id() -> str:
    """A ULID: 26 characters (10 fewer than a UUID, in every index entry), 80 random bits, time-ordered."""
    return new_id()


def new_listing(
    provider_id: str,
    title: str,
    description: str,
    category: str,
    price_cents: int,
    currency: str,
    lat: float,
    lon: float,
    privileged: bool,
    now: str,
) -> Listing:
    lat, lon = pin(lat), pin(lon)
    return Listing(
        listing_id=new_listing_id(), provider_id=provider_id, title=title, description=description,
        category=category, price_cents=price_cents, currency=currency, lat=lat, lon=lon,
        geohash=geo.encode(lat, lon), status=ACTIVE, privileged=privileged, created_at=now, updated_at=now,
    )


def with_changes(listing: Listing, changes: dict[str, object], now: str) -> Listing:
    """The listing after an owner's edit; a move re-computes the geohash, so it is found at its new place."""
    fields: dict[str, Any] = changes  # the owner's fields, checked by the API's model (api/schemas.py)
    updated = replace(listing, **fields, updated_at=now)
    if "lat" in changes or "lon" in changes:
        lat, lon = pin(updated.lat), pin(updated.lon)
        updated = replace(updated, lat=lat, lon=lon, geohash=geo.encode(lat, lon))
    return updated
