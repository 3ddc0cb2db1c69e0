"""A listing: a service a provider offers at a point on the map (a pin).

Where a listing is shown is not always where its service is: an `approximate` listing (someone's home) is
shown, stored in the search indexes and searched at the centre of its geohash-7 cell (~150 m), so no pin,
distance or ordering tells anything finer; its precise point is kept apart (`precise_lat`/`precise_lon`), for
its provider and, once an order is funded, that order's buyer (domain/privacy.py).
"""
from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, replace
from typing import Any

from chalicelib.domain import geo
from chalicelib.domain.ids import new_id

ACTIVE = "active"
PAUSED = "paused"
DELETED = "deleted"
OWNER_SETTABLE_STATUSES = (ACTIVE, PAUSED)
COORDINATE_DECIMALS = 7  # ~1 cm: finer than any phone's fix, and fewer digits to store and read in every search
EXACT = "exact"  # a shop, a public place: shown where it is
APPROXIMATE = "approximate"  # someone's home: shown at the centre of its cell
LOCATION_PRECISIONS = (EXACT, APPROXIMATE)
APPROXIMATE_CELL_CHARS = 7  # geohash-7: ~153 x 153 m at the equator, ~130 x 153 m at Shanghai


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
    _: KW_ONLY
    # The provider's reputation as of the last refresh (services/reputation.py): in every index entry, so a search
    # shows it without reading profiles. None/0: no reviews yet.
    rating_score: float | None = None
    rating_count: int = 0

    @property
    def entry_id(self) -> str:
        """Its id in the nearest-first scan (domain/nearest.py)."""
        return self.listing_id


@dataclass(frozen=True)
class Listing(Pin):
    """The whole listing: its pin, and what only its own page shows."""

    description: str
    status: str
    created_at: str
    updated_at: str
    version: int = 0  # optimistic concurrency: the store refuses a write based on a stale read
    location_precision: str = EXACT
    precise_lat: float | None = None  # approximate listings only: where the service really is
    precise_lon: float | None = None

    @property
    def precise_point(self) -> tuple[float, float]:
        """Where the service is: the shown point of an exact listing, the kept one of an approximate listing."""
        return precise_or_shown(self.lat, self.lon, self.precise_lat, self.precise_lon)
    hidden: str | None = None  # why an operator hid it from everyone but its owner (domain/moderation.py)

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def is_listed(self) -> bool:
        """Found by search and shown on its provider's page: active, and not hidden by an operator."""
        return self.is_active and self.hidden is None

    def is_visible_to(self, user_id: str) -> bool:
        """Deleted listings are gone for everyone; hidden ones are seen by their owner only."""
        return not self.is_deleted and (self.hidden is None or self.provider_id == user_id)

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


def shown_point(lat: float, lon: float, precision: str) -> tuple[float, float]:
    """Where a listing at this point is shown and searched: the point, or the centre of its geohash-7 cell."""
    lat, lon = pin(lat), pin(lon)
    if precision == EXACT:
        return lat, lon
    centre_lat, centre_lon = geo.cell_centre(geo.encode(lat, lon), APPROXIMATE_CELL_CHARS)
    return pin(centre_lat), pin(centre_lon)


@dataclass(frozen=True)
class Placement:
    """Where something at a point is shown and searched (and its geohash), and its precise point, kept apart only
    when it is not the one shown (listings, and tasks: domain/tasks.py)."""

    lat: float
    lon: float
    geohash: str
    precise_lat: float | None
    precise_lon: float | None


def placement(lat: float, lon: float, precision: str) -> Placement:
    shown_lat, shown_lon = shown_point(lat, lon, precision)
    precise = (pin(lat), pin(lon)) if precision == APPROXIMATE else (None, None)
    return Placement(shown_lat, shown_lon, geo.encode(shown_lat, shown_lon), precise[0], precise[1])


def precise_or_shown(lat: float, lon: float, precise_lat: float | None,
                     precise_lon: float | None) -> tuple[float, float]:
    """The precise point if one is kept apart, else the shown point (it is the precise one)."""
    if precise_lat is None or precise_lon is None:
        return lat, lon
    return precise_lat, precise_lon


def placed(listing: Listing, lat: float, lon: float, precision: str) -> Listing:
    """The listing put at a point with a precision: its shown point and geohash, and the precise point kept
    apart only when it is not the one shown."""
    at = placement(lat, lon, precision)
    return replace(listing, lat=at.lat, lon=at.lon, geohash=at.geohash, location_precision=precision,
                   precise_lat=at.precise_lat, precise_lon=at.precise_lon)


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
    location_precision: str = EXACT,
) -> Listing:
    unplaced = Listing(
        listing_id=new_listing_id(), provider_id=provider_id, title=title, description=description,
        category=category, price_cents=price_cents, currency=currency, lat=lat, lon=lon, geohash="",
        status=ACTIVE, privileged=privileged, created_at=now, updated_at=now,
    )
    return placed(unplaced, lat, lon, location_precision)


PLACE_FIELDS = ("lat", "lon", "location_precision")


def with_changes(listing: Listing, changes: dict[str, object], now: str) -> Listing:
    """The listing after an owner's edit. A move or a change of precision re-computes where it is shown (and its
    geohash, so it is found there); a coordinate not given stays the precise one it had."""
    given: dict[str, Any] = changes  # the owner's fields, checked by the API's model (api/schemas.py)
    updated = replace(listing, **{name: value for name, value in given.items() if name not in PLACE_FIELDS},
                      updated_at=now)
    if any(name in given for name in PLACE_FIELDS):
        lat, lon = listing.precise_point
        updated = placed(updated, given.get("lat", lat), given.get("lon", lon),
                         given.get("location_precision", listing.location_precision))
    return updated
