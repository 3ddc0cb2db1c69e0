"""What the escrow tests do again and again: place and accept an order, pay it, wait for the workflow."""
from __future__ import annotations

import time
import uuid
from typing import Any

from chalicelib.services.reconcile import reconcile

SETTLE_TIMEOUT_S = 20.0


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def deposit(client: Any, user: Any, amount_cents: int) -> None:
    answer = client.post("/wallet/deposits", user, {"amount_cents": amount_cents}, headers=key())
    assert answer.status == 201, answer.body


def accepted_order(client: Any, shop: dict[str, Any], listing: str = "listing") -> str:
    placed = client.post("/orders", shop["alice"], {"listing_id": shop[listing]["listing_id"]}, headers=key())
    assert placed.status == 201, placed.body
    order_id = placed.body["order_id"]
    accepted = client.post(f"/orders/{order_id}/accept", shop["bob"])
    assert accepted.status == 200, accepted.body
    return order_id


def pay(client: Any, shop: dict[str, Any], order_id: str, idempotency_key: str | None = None) -> Any:
    return client.post(
        f"/orders/{order_id}/pay", shop["alice"], headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
    )


def wait_for(client: Any, user: Any, order_id: str, status: str, timeout_s: float = SETTLE_TIMEOUT_S) -> dict:
    """The order once it reaches `status`; fails with the order as it is if it does not in time."""
    deadline = time.monotonic() + timeout_s
    while True:
        order = client.get(f"/orders/{order_id}", user).body
        if order["status"] == status or time.monotonic() > deadline:
            assert order["status"] == status, order
            return order
        time.sleep(0.2)


def funded_order(client: Any, shop: dict[str, Any]) -> str:
    order_id = accepted_order(client, shop)
    answer = pay(client, shop, order_id)
    assert answer.status == 202, answer.body
    wait_for(client, shop["alice"], order_id, "funded")
    return order_id


def wallet(client: Any, user: Any) -> dict:
    return client.get("/wallet", user).body


def statuses(order: dict) -> list[str]:
    return [entry["status"] for entry in order["timeline"]]


def assert_books_clean() -> None:
    report = reconcile()
    assert report.problems == [], report.problems
