"""Orders up to "accepted": a buyer requests a listing's service, its provider answers."""
from __future__ import annotations

import uuid

from tests.conftest import listing_body


def order(client, buyer, listing_id, key=None, **fields):
    return client.post("/orders", buyer, {"listing_id": listing_id, **fields},
                       headers={"Idempotency-Key": key or str(uuid.uuid4())})


def test_a_buyer_requests_and_the_provider_accepts_at_the_listings_price(client, make_user):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body(price_cents=8800)).body
    placed = order(client, alice, item["listing_id"], note="Rear tyre, please")
    assert placed.status == 201, placed.body
    body = placed.body
    assert body["status"] == "requested"
    assert (body["buyer_id"], body["provider_id"], body["listing_id"]) == (alice.user_id, bob.user_id, item["listing_id"])
    assert (body["price_cents"], body["currency"], body["fee_cents"]) == (8800, "CNY", 0)
    assert body["note"] == "Rear tyre, please"
    assert body["failure_reason"] is None
    assert [e["status"] for e in body["timeline"]] == ["requested"]
    accepted = client.post(f"/orders/{body['order_id']}/accept", bob)
    assert accepted.status == 200, accepted.body
    assert accepted.body["status"] == "accepted"
    assert [e["status"] for e in accepted.body["timeline"]] == ["requested", "accepted"]
    assert client.get(f"/orders/{body['order_id']}", alice).body == accepted.body
