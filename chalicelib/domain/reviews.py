"""Reviews: each party of a settled order may rate the other once, double-blind.

An order is settled when it is `released` or `resolved` (its timeline says when); from then its buyer and its
provider have REVIEW_WINDOW_S to review it. A review is sealed (only its author sees it) until both sides have
reviewed, or the window closes, whichever is first: then it is published, and counts on its subject's profile.
Neither side can see the other's review before writing their own, so neither can answer one in kind.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import Conflict
from chalicelib.domain.ids import new_id
from chalicelib.domain.orders import BUYER, PROVIDER, RELEASED, RESOLVED, Order

SETTLED = (RELEASED, RESOLVED)
MIN_RATING, MAX_RATING = 1, 5
TEXT_MAX = 1000


@dataclass(frozen=True)
class Review:
    review_id: str
    order_id: str
    author_id: str
    subject_id: str  # the reviewed user: the order's other party
    role: str  # the author's role in the order (buyer, provider)
    rating: int
    text: str
    created_at: str
    closes_at: str  # when the order's review window closes
    published_at: str | None  # None while sealed

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


def settled_at(order: Order) -> str | None:
    """When the order was released or resolved (its timeline's entry), or None while it is not settled."""
    if order.status not in SETTLED:
        return None
    moments = [entry.at for entry in order.timeline if entry.status == order.status]
    return moments[-1] if moments else order.updated_at


def window_closes_at(order: Order, window_s: float) -> str:
    """When the order's review window closes; Conflict if the order is not settled."""
    settled = settled_at(order)
    if settled is None:
        raise Conflict(f"an order can be reviewed once it is released or resolved, not while {order.status}")
    return iso(parse_iso(settled) + timedelta(seconds=window_s))


def new_review(order: Order, role: str, rating: int, text: str, moment: datetime, window_s: float) -> Review:
    """The sealed review by the order's party in `role`; Conflict if the order is unsettled or its window closed."""
    closes_at = window_closes_at(order, window_s)
    if parse_iso(closes_at) <= moment:
        raise Conflict("the order's review window has closed")
    author, subject = (order.buyer_id, order.provider_id) if role == BUYER else (order.provider_id, order.buyer_id)
    return Review(
        review_id=new_id(moment), order_id=order.order_id, author_id=author, subject_id=subject, role=role,
        rating=rating, text=text, created_at=iso(moment), closes_at=closes_at, published_at=None,
    )


def publishable(reviews: list[Review], moment: datetime) -> list[Review]:
    """Of one order's reviews, the sealed ones that publish now: all of them once both sides have reviewed or the
    window has closed, else none."""
    sealed = [review for review in reviews if not review.is_published]
    if not sealed:
        return []
    both = {review.role for review in reviews} == {BUYER, PROVIDER}
    closed = parse_iso(sealed[0].closes_at) <= moment
    return sealed if both or closed else []

