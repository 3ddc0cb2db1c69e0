"""The escrow, executed for real by moto's Step Functions: hold, wait, release / refund / split, timers.

Each path ends with the reconciliation check: the books add up after every one.
"""
from __future__ import annotations

import time
import uuid

import pytest

from chalicelib.services.reconcile import reconcile
from tests.conftest import listing_body


@pytest.fixture
def stack(escrow_stack):
    """Here the app, its users and its tokens live on the served moto that executes the escrow."""
    return escrow_stack


@pytest.fixture
def shop(client, make_user):
    """A provider with a listing at 60 yuan, a buyer with 100 yuan in the wallet, an operator."""
    bob, alice, olga = make_user("Bob"), make_user("Alice"), make_user("Olga", operator=True)
    listing = client.post("/listings", bob, listing_body(price_cents=6_000)).body
    deposit = client.post("/wallet/deposits", alice, {"amount_cents": 10_000}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert deposit.status == 201, deposit.body
    return {"bob": bob, "alice": alice, "olga": olga, "listing": listing}


def accepted_order(client, shop) -> str:
    placed = client.post("/orders", shop["alice"], {"listing_id": shop["listing"]["listing_id"]},
                         headers={"Idempotency-Key": str(uuid.uuid4())})
    assert placed.status == 201, placed.body
    order_id = placed.body["order_id"]
    assert client.post(f"/orders/{order_id}/accept", shop["bob"]).status == 200
    return order_id


def pay(client, shop, order_id, key=None):
    return client.post(f"/orders/{order_id}/pay", shop["alice"], headers={"Idempotency-Key": key or str(uuid.uuid4())})


def wait_for(client, user, order_id, status, timeout_s=20.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        order = client.get(f"/orders/{order_id}", user).body
        if order["status"] == status or time.monotonic() > deadline:
            assert order["status"] == status, order
            return order
        time.sleep(0.2)


def wallet(client, user) -> dict:
    return client.get("/wallet", user).body


def assert_books_clean():
    report = reconcile()
    assert report.problems == []


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
    assert [e["status"] for e in order["timeline"]] == [
        "requested", "accepted", "paying", "funded", "delivered", "released"
    ]
    assert wallet(client, alice) == {"available_cents": 4_000, "held_cents": 0, "currency": "CNY"}
    assert wallet(client, bob)["available_cents"] == 6_000
    assert [line["kind"] for line in client.get("/wallet/ledger", bob).body["items"]] == ["release"]
    assert_books_clean()
