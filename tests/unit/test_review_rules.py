"""The rules of a review: the window opens when the order settles, and sealed reviews publish together once both
sides have written or once the window has closed."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.clock import iso, now, parse_iso
from chalicelib.domain.errors import Conflict
from chalicelib.domain.events import REVIEW_PUBLISHED, review_published
from chalicelib.domain.orders import Order, TimelineEntry
from chalicelib.domain.reviews import new_review, publishable

DAY = 86400


def _order(status: str = "released", settled_days_ago: float = 0) -> Order:
    settled = iso(now() - timedelta(days=settled_days_ago))
    return Order(
        order_id="o1", listing_id="l1", buyer_id="alice", provider_id="bob", price_cents=5000, currency="CNY",
        fee_cents=0, status=status, note="", failure_reason=None, created_at=settled, updated_at=settled,
        expires_at=settled, timeline=(TimelineEntry("requested", settled), TimelineEntry(status, settled)),
    )


def test_the_window_closes_its_length_after_the_order_settled():
    order = _order(settled_days_ago=1)
    review = new_review(order, "buyer", 5, "", now(), 14 * DAY)
    assert parse_iso(review.closes_at) == parse_iso(order.timeline[-1].at) + timedelta(days=14)
    assert (review.author_id, review.subject_id, review.published_at) == ("alice", "bob", None)


@pytest.mark.parametrize("status", ["requested", "accepted", "funded", "delivered", "disputed", "refunded"])
def test_an_unsettled_order_has_no_window(status):
    with pytest.raises(Conflict):
        new_review(_order(status), "buyer", 5, "", now(), 14 * DAY)


def test_no_review_after_the_window():
    with pytest.raises(Conflict, match="window"):
        new_review(_order(settled_days_ago=15), "provider", 5, "", now(), 14 * DAY)


def test_a_lone_review_publishes_only_once_the_window_has_closed():
    review = new_review(_order(), "buyer", 5, "", now(), 60)
    assert publishable([review], now()) == []
    assert publishable([review], now() + timedelta(seconds=61)) == [review]


def test_two_sealed_reviews_publish_together_at_once():
    order = _order()
    both = [new_review(order, "buyer", 5, "", now(), DAY), new_review(order, "provider", 4, "", now(), DAY)]
    assert publishable(both, now()) == both


def test_published_reviews_do_not_publish_again():
    review = replace(new_review(_order(), "buyer", 5, "", now(), 60), published_at=iso(now()))
    assert publishable([review], now() + timedelta(days=1)) == []


def test_a_published_review_is_told_to_its_subject_and_its_author_once_each():
    review = replace(new_review(_order(), "buyer", 4, "Good", now(), 60), published_at=iso(now()))
    notices = review_published(review, "record-1")
    assert [(n.recipient_id, n.kind) for n in notices] == [("bob", REVIEW_PUBLISHED), ("alice", REVIEW_PUBLISHED)]
    assert {n.source for n in notices} == {"record-1#buyer"}
    assert notices[0].data["rating"] == 4 and notices[0].data["subject_id"] == "bob"
