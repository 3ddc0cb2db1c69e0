"""The escrow, executed for real by moto's Step Functions: hold, wait, release / refund / split, timers.

Each path ends with the reconciliation check: the books add up after every one.
"""
from __future__ import annotations

import pytest

from tests.integration.escrow_kit import accepted_order, assert_books_clean, pay, statuses, wait_for, wallet


@pytest.fixture
def stack(escrow_stack):
    """Here the app, its users and its tokens live on the served moto that executes the escrow."""
    return escrow_stack


def test_the_happy_path_holds_then_pays_the_provider(client, shop):
    alice, bob = shop["alice"], shop["bob"]
    order_id = accepted_order(client, shop)
    paid = pay(client, shop, order_id)
    assert paid.status == 202, paid.body
    wait_for(client, alice, order_id, "funded")
    assert wallet(client, alice) == {"available_cents": 4_000, "held_cents": 6_000, "currency": "CNY"}
    delivered = client.post(f"/orders/{order_id}/deliver", bob)
    assert delivered.status in (200, 202), delivered.body
    wait_for(client, alice, order_id, "delivered")
    confirmed = client.post(f"/orders/{order_id}/confirm", alice)
    assert confirmed.status in (200, 202), confirmed.body
    order = wait_for(client, alice, order_id, "released")
    assert statuses(order) == ["requested", "accepted", "paying", "funded", "delivered", "released"]
    assert wallet(client, alice) == {"available_cents": 4_000, "held_cents": 0, "currency": "CNY"}
    assert wallet(client, bob)["available_cents"] == 6_000
    assert [line["kind"] for line in client.get("/wallet/ledger", bob).body["items"]] == ["release"]
    assert_books_clean()
