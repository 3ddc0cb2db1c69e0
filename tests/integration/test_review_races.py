"""Publishing reviews races: both sides of an order reviewing at once publish it exactly once, and a provider whose
fifty orders all publish at once ends with the exact count and sum of their ratings.

Run on the serialised moto server (in-process moto is not thread-safe), as `make run` runs it.
"""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from chalicelib.domain.identity import Caller
from chalicelib.services import reviews as review_service
from chalicelib.store import reviews as review_store
from chalicelib.store.models import OrderModel, ProfileModel
from tests.integration.test_reviews import settled_order

ORDERS = 50
WORKERS = 20  # an even number: the two sides of an order are handed to two workers one after the other


def test_fifty_orders_reviewed_by_both_sides_at_once_count_exactly_on_the_provider(served_stack):
    provider = Caller(user_id=str(uuid.uuid4()))
    buyers = [Caller(user_id=str(uuid.uuid4())) for _ in range(ORDERS)]
    orders = [settled_order(buyer.user_id, provider.user_id) for buyer in buyers]
    ratings = [index % 5 + 1 for index in range(ORDERS)]
    barriers = [threading.Barrier(2, timeout=30) for _ in orders]

    def submit(index: int, side: str) -> None:
        caller = buyers[index] if side == "buyer" else provider
        rating = ratings[index] if side == "buyer" else 5
        barriers[index].wait()
        review_service.submit(caller, orders[index], rating, "")

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        done = [pool.submit(submit, index, side) for index in range(ORDERS) for side in ("buyer", "provider")]
        for outcome in done:
            outcome.result()

    profile = ProfileModel.get(provider.user_id, consistent_read=True)
    assert (int(profile.rating_count), int(profile.rating_sum)) == (ORDERS, sum(ratings))
    for buyer in buyers:
        bought = ProfileModel.get(buyer.user_id, consistent_read=True)
        assert (int(bought.rating_count), int(bought.rating_sum)) == (1, 5)
    for order_id in orders:
        assert all(review.is_published for review in review_store.of_order(order_id))
        assert OrderModel.get(order_id, consistent_read=True).reviews_published == {"buyer", "provider"}
