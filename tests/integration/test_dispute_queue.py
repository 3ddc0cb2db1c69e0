"""The operators' dispute queue (issue 14): `GET /admin/orders?status=disputed` lists every disputed order, oldest
dispute first, a page at a time, read from the sparse escrow_watch index; an order leaves it once settled."""
from __future__ import annotations

import pytest

from tests.integration.escrow_kit import (
    assert_books_clean,
    decide,
    deposit,
    funded_order,
    wait_for,
    waiting,
)

QUEUE = "/admin/orders?status=disputed"


@pytest.fixture
def stack(escrow_stack):
    return escrow_stack


def disputed_by(client, shop, who: str) -> str:
    order_id = funded_order(client, shop)
    assert decide(client, shop[who], order_id, "dispute").status in (200, 202)
    wait_for(client, shop["alice"], order_id, "disputed")
    return order_id


def test_operators_find_disputes_oldest_first_a_page_at_a_time_until_they_are_settled(client, shop):
    deposit(client, shop["alice"], 20_000)  # five orders' worth
    first, second, third = (disputed_by(client, shop, who) for who in ("alice", "bob", "alice"))
    funded_order(client, shop)  # not disputed: not in the queue
    olga = shop["olga"]

    page = client.get(QUEUE + "&limit=2", olga)
    assert page.status == 200, page.body
    assert [order["order_id"] for order in page.body["items"]] == [first, second]
    assert [order["disputed_by"] for order in page.body["items"]] == [shop["alice"].user_id, shop["bob"].user_id]
    rest = client.get(QUEUE + f"&limit=2&cursor={page.body['next_cursor']}", olga)
    assert ([order["order_id"] for order in rest.body["items"]], rest.body["next_cursor"]) == ([third], None)
    assert client.get(QUEUE + f"&limit=2&cursor={page.body['next_cursor']}", shop["bob"]).status == 403

    waiting(first, "disputed")
    assert decide(client, olga, first, "resolve", {"release_cents": 0, "note": "no show"}).status in (200, 202)
    wait_for(client, olga, first, "resolved")
    assert [order["order_id"] for order in client.get(QUEUE, olga).body["items"]] == [second, third]
    assert_books_clean()


def test_the_queue_is_for_operators_and_lists_only_disputes(client, shop):
    assert client.get(QUEUE, shop["alice"]).status == 403
    refused = client.get("/admin/orders?status=funded", shop["olga"])
    assert refused.status == 400 and "status" in refused.body["Message"], refused.body
    assert client.get(QUEUE, shop["olga"]).body == {"items": [], "next_cursor": None}
