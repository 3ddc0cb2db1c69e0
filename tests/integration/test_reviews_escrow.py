"""An order released by the escrow workflow for real (its timeline written by Step Functions) can be reviewed, and
not before: the window opens at the timeline's `released`. One order end to end: the other review tests write a
settled order directly (test_reviews.py)."""
from __future__ import annotations

import pytest

from tests.integration.escrow_kit import accepted_order, decide, pay, wait_for
from tests.integration.test_reviews import review


@pytest.fixture
def stack(escrow_stack):
    return escrow_stack


def test_an_order_is_reviewable_once_the_escrow_released_it(client, shop):
    alice, bob = shop["alice"], shop["bob"]
    order_id = accepted_order(client, shop)
    assert pay(client, shop, order_id).status == 202
    wait_for(client, alice, order_id, "funded")
    assert review(client, alice, order_id).status == 409
    assert decide(client, bob, order_id, "deliver").status in (200, 202)
    wait_for(client, alice, order_id, "delivered")
    assert decide(client, alice, order_id, "confirm").status in (200, 202)
    wait_for(client, alice, order_id, "released")
    assert review(client, alice, order_id, 5, "Great job").status == 201
    published = review(client, bob, order_id, 4)
    assert published.status == 201 and published.body["published_at"] is not None, published.body
    assert client.get(f"/users/{bob.user_id}", alice).body["rating_count"] == 1
