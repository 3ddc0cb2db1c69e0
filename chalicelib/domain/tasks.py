"""A posted need (求助): what a requester wants done near a point, for a budget, until it expires; and the offers
nearby providers make on it (抢单), one of which the requester accepts.

| task status | how it gets there                                            | who sees it                     |
|-------------|--------------------------------------------------------------|---------------------------------|
| open        | posted                                                       | anyone (not hidden)             |
| assigned    | the requester accepted an offer: an order exists, `accepted` | its requester and its provider  |
| cancelled   | the requester cancelled it while open                        | its requester                   |
| expired     | still open at `expires_at` (read so at once, written by the sweep) | its requester             |

An offer is `pending` until the requester accepts it (`accepted`) or another one (`declined`), or its provider
withdraws it (`withdrawn`). A provider has one live (pending) offer per task; after a withdrawal they may offer
again.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.ids import new_id
from chalicelib.domain.listings import EXACT, placement, precise_or_shown

OPEN, ASSIGNED, CANCELLED, EXPIRED = "open", "assigned", "cancelled", "expired"
STATUSES = (OPEN, ASSIGNED, CANCELLED, EXPIRED)
PENDING, ACCEPTED, DECLINED, WITHDRAWN = "pending", "accepted", "declined", "withdrawn"
OFFER_STATUSES = (PENDING, ACCEPTED, DECLINED, WITHDRAWN)
REQUESTER, PROVIDER = "requester", "provider"
MIN_EXPIRES_IN_S = 60
MAX_EXPIRES_IN_S = 7 * 86400
DEFAULT_EXPIRES_IN_S = 86400


@dataclass(frozen=True)
class TaskPin:
    """What the nearby list shows of an open task; the nearby index entries carry exactly this."""

    task_id: str
    requester_id: str
    title: str
    category: str
    budget_cents: int
    currency: str
    lat: float
    lon: float
    geohash: str
    expires_at: str

    @property
    def entry_id(self) -> str:
        """Its id in the nearest-first scan (domain/nearest.py)."""
        return self.task_id


@dataclass(frozen=True)
class Task(TaskPin):
    description: str
    status: str
    created_at: str
    updated_at: str
    order_id: str | None = None
    provider_id: str | None = None  # whose offer was accepted
    offer_id: str | None = None
    offer_count: int = 0  # providers who offered (each has one offer item)
    offers_version: int = 0
    hidden: str | None = None  # why an operator hid it from everyone but its requester (domain/moderation.py)
    location_precision: str = EXACT  # approximate: shown and searched at its geohash-7 cell's centre (as listings)
    precise_lat: float | None = None  # approximate tasks only: where the job really is (privacy.py says who sees it)
    precise_lon: float | None = None

    @property
    def precise_point(self) -> tuple[float, float]:
        """Where the job is: the shown point of an exact task, the kept one of an approximate task."""
        return precise_or_shown(self.lat, self.lon, self.precise_lat, self.precise_lon)

    def status_at(self, now: datetime) -> str:
        """Its status as clients see it: an open task past its expiry is expired at once (the sweep writes it)."""
        if self.status == OPEN and parse_iso(self.expires_at) <= now:
            return EXPIRED
        return self.status

    def is_open_at(self, now: datetime) -> bool:
        return self.status_at(now) == OPEN

    @property
    def is_listed(self) -> bool:
        """In the nearby indexes: open and not hidden (an expired one leaves them when the sweep writes it)."""
        return self.status == OPEN and self.hidden is None

    def is_visible_to(self, user_id: str, now: datetime) -> bool:
        """Its requester always; anyone while it is open and not hidden; afterwards its assigned provider too."""
        if user_id == self.requester_id:
            return True
        if self.hidden is not None:
            return False
        return self.is_open_at(now) or (self.status == ASSIGNED and user_id == self.provider_id)


@dataclass(frozen=True)
class Offer:
    offer_id: str
    task_id: str
    provider_id: str
    price_cents: int
    currency: str
    message: str
    status: str
    created_at: str
    updated_at: str

    @property
    def is_live(self) -> bool:
        return self.status == PENDING


def new_task(requester_id: str, title: str, description: str, category: str, budget_cents: int, currency: str,
             lat: float, lon: float, expires_in_s: int, now: datetime, location_precision: str = EXACT) -> Task:
    """A task open from `now`: shown where it is (exact), or, approximate (someone's home), at the centre of its
    ~150 m cell, as listings are (domain/listings.py), its precise point kept apart."""
    if not MIN_EXPIRES_IN_S <= expires_in_s <= MAX_EXPIRES_IN_S:
        raise InvalidInput(f"expires_in_s: between {MIN_EXPIRES_IN_S} and {MAX_EXPIRES_IN_S} seconds")
    at = iso(now)
    place = placement(lat, lon, location_precision)
    return Task(
        task_id=new_id(), requester_id=requester_id, title=title, category=category, budget_cents=budget_cents,
        currency=currency, lat=place.lat, lon=place.lon, geohash=place.geohash,
        expires_at=iso(now + timedelta(seconds=expires_in_s)), description=description, status=OPEN,
        created_at=at, updated_at=at, location_precision=location_precision, precise_lat=place.precise_lat,
        precise_lon=place.precise_lon,
    )


def check_visible(task: Task | None, user_id: str, now: datetime) -> Task:
    """The task as the caller may see it, or 404 (absent and invisible are one answer)."""
    if task is None or not task.is_visible_to(user_id, now):
        raise NotFound("task not found")
    return as_seen(task, now)


def as_seen(task: Task, now: datetime) -> Task:
    status = task.status_at(now)
    return task if status == task.status else replace(task, status=status)


def check_open(task: Task, now: datetime, action: str) -> None:
    status = task.status_at(now)
    if status != OPEN:
        raise Conflict(f"this task is {status}: it can no longer be {action}")


def check_requester(task: Task, user_id: str, action: str) -> None:
    """Only the requester acts on their task (anyone else who can see it: 403; the others already got 404)."""
    if user_id != task.requester_id:
        raise Forbidden(f"only the task's requester can {action} it")


def check_can_offer(task: Task, provider_id: str, now: datetime) -> None:
    if provider_id == task.requester_id:
        raise InvalidInput("task_id: you cannot offer on your own task")
    check_open(task, now, "offered on")


def new_offer(task: Task, provider_id: str, price_cents: int, message: str, now: datetime) -> Offer:
    at = iso(now)
    return Offer(offer_id=new_id(), task_id=task.task_id, provider_id=provider_id, price_cents=price_cents,
                 currency=task.currency, message=message, status=PENDING, created_at=at, updated_at=at)


def offers_seen_by(task: Task, offers: list[Offer], user_id: str) -> list[Offer]:
    """The requester sees every offer; a provider only their own."""
    if user_id == task.requester_id:
        return offers
    return [offer for offer in offers if offer.provider_id == user_id]


def assigned(task: Task, offer: Offer, order_id: str, now: datetime) -> Task:
    return replace(task, status=ASSIGNED, order_id=order_id, provider_id=offer.provider_id, offer_id=offer.offer_id,
                   updated_at=iso(now))


def with_status(task: Task, status: str, now: datetime) -> Task:
    return replace(task, status=status, updated_at=iso(now))
