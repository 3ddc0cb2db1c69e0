"""Orders up to "accepted": a buyer requests a listing's service, its provider answers."""
from __future__ import annotations

import contextlib
import uuid

from tests.conftest import listing_body, walk_pages


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
    assert (body["buyer_id"], body["provider_id"], body["listing_id"]) == (
        alice.user_id, bob.user_id, item["listing_id"]
    )
    assert (body["price_cents"], body["currency"], body["fee_cents"]) == (8800, "CNY", 0)
    assert body["note"] == "Rear tyre, please"
    assert body["failure_reason"] is None
    assert [e["status"] for e in body["timeline"]] == ["requested"]
    accepted = client.post(f"/orders/{body['order_id']}/accept", bob)
    assert accepted.status == 200, accepted.body
    assert accepted.body["status"] == "accepted"
    assert [e["status"] for e in accepted.body["timeline"]] == ["requested", "accepted"]
    assert client.get(f"/orders/{body['order_id']}", alice).body == accepted.body


def test_a_buyer_may_name_the_price_agreed_in_chat(client, make_user):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body(price_cents=8800)).body
    assert order(client, alice, item["listing_id"], price_cents=7000).body["price_cents"] == 7000


def test_a_chat_offer_never_sets_the_orders_price_silently(client, make_user):
    """Issue 14: the provider lists at 6000 and offers 600000 in chat; an order naming no price is at 6000."""
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body(price_cents=6000)).body
    conversation = client.post("/conversations", alice, {"listing_id": item["listing_id"]}).body
    offer = client.post(f"/conversations/{conversation['conversation_id']}/messages", bob,
                        {"text": "6000 yuan, final", "offer_cents": 600000})
    assert offer.body["offer_cents"] == 600000
    placed = order(client, alice, item["listing_id"])
    assert placed.status == 201, placed.body
    assert placed.body["price_cents"] == 6000


def test_a_buyer_accepts_an_offer_by_naming_its_price(client, make_user):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body(price_cents=8800)).body
    conversation = client.post("/conversations", alice, {"listing_id": item["listing_id"]}).body
    path = f"/conversations/{conversation['conversation_id']}/messages"
    client.post(path, alice, {"text": "Would 60 yuan do?", "offer_cents": 6000})
    offer = client.post(path, bob, {"text": "70 and it's a deal", "offer_cents": 7000})
    assert offer.body["offer_cents"] == 7000
    assert client.get(f"/conversations/{conversation['conversation_id']}", alice).body["offer_cents"] == 7000
    assert order(client, alice, item["listing_id"], price_cents=7000).body["price_cents"] == 7000


def test_without_a_price_or_an_offer_the_order_takes_the_listings_price(client, make_user):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body(price_cents=8800)).body
    client.post("/conversations", alice, {"listing_id": item["listing_id"]})
    assert order(client, alice, item["listing_id"]).body["price_cents"] == 8800


def test_the_platform_fee_is_taken_in_basis_points_of_the_price(client, make_user, monkeypatch):
    monkeypatch.setenv("FEE_BPS", "250")
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body(price_cents=8799)).body
    assert order(client, alice, item["listing_id"]).body["fee_cents"] == 219  # 2.5 % rounded down


def test_an_order_price_outside_1_to_99999999_cents_is_refused(client, make_user):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    for price in (0, -5, 100_000_000, 12.5, "100"):
        answer = order(client, alice, item["listing_id"], price_cents=price)
        assert answer.status == 400, price
        assert "price_cents" in answer.body["Message"]
    assert client.get("/orders", alice).body["items"] == []


def test_orders_are_listed_by_role_and_status_newest_first(client, make_user):
    bob, carol, alice = make_user(), make_user(), make_user()
    bobs = client.post("/listings", bob, listing_body()).body
    alices = client.post("/listings", alice, listing_body(title="Maths tutoring", category="education")).body
    first = order(client, alice, bobs["listing_id"]).body
    second = order(client, alice, bobs["listing_id"]).body
    incoming = order(client, carol, alices["listing_id"]).body
    client.post(f"/orders/{first['order_id']}/accept", bob)

    def ids(query: str, user=alice) -> list[str]:
        answer = client.get(f"/orders{query}", user)
        assert answer.status == 200, answer.body
        return [o["order_id"] for o in answer.body["items"]]

    assert ids("?role=buyer") == [second["order_id"], first["order_id"]]
    assert ids("?role=provider") == [incoming["order_id"]]
    assert ids("") == [incoming["order_id"], second["order_id"], first["order_id"]]
    assert ids("?role=buyer&status=accepted") == [first["order_id"]]
    assert ids("?status=requested") == [incoming["order_id"], second["order_id"]]
    assert ids("?role=provider", bob) == [second["order_id"], first["order_id"]]
    assert ids("?role=provider&status=requested", bob) == [second["order_id"]]


def test_my_orders_in_both_roles_are_paged_without_gaps_or_repeats(client, make_user):
    bob, carol, alice = make_user(), make_user(), make_user()
    bobs = client.post("/listings", bob, listing_body()).body
    alices = client.post("/listings", alice, listing_body(title="Maths tutoring", category="education")).body
    placed = []
    for n in range(7):
        if n % 3 == 0:
            placed.append(order(client, carol, alices["listing_id"]).body["order_id"])
        else:
            placed.append(order(client, alice, bobs["listing_id"]).body["order_id"])
    for limit in (1, 2, 3, 7, 8):
        assert [o["order_id"] for o in walk_pages(client, alice, f"/orders?limit={limit}")] == placed[::-1], limit


def test_an_unknown_role_or_status_filter_is_refused(client, make_user):
    alice = make_user()
    assert client.get("/orders?role=operator", alice).status == 400
    assert client.get("/orders?status=lost", alice).status == 400


def test_the_buyers_own_offer_does_not_set_the_price(client, make_user):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body(price_cents=8800)).body
    conversation = client.post("/conversations", alice, {"listing_id": item["listing_id"]}).body
    client.post(f"/conversations/{conversation['conversation_id']}/messages", alice,
                {"text": "1 cent?", "offer_cents": 1})
    assert order(client, alice, item["listing_id"]).body["price_cents"] == 8800


def test_a_listing_paused_while_the_order_is_placed_refuses_it(client, make_user, monkeypatch):
    from chalicelib.services import orders as order_service
    from chalicelib.store import listings as listing_store

    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    seen_active = listing_store.get(item["listing_id"])
    client.patch(f"/listings/{item['listing_id']}", bob, {"status": "paused"})
    monkeypatch.setattr(order_service.listing_store, "get", lambda _id: seen_active)  # read before the pause
    answer = order(client, alice, item["listing_id"])
    assert answer.status == 409, answer.body
    assert client.get("/orders", alice).body["items"] == []


def test_a_failed_run_retried_with_its_key_finds_the_order_it_stored(client, make_user, monkeypatch):
    """The order was written but the answer never made it (a crash after the write): the retry with the same
    key takes the same operation id over at once and finds that order instead of placing a second."""
    from chalicelib.services import orders as order_service

    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    real_insert = order_service.order_store.insert

    def insert_then_crash(new_order):
        real_insert(new_order)
        raise RuntimeError("the function died after the write")

    monkeypatch.setattr(order_service.order_store, "insert", insert_then_crash)
    with contextlib.suppress(RuntimeError):
        order(client, alice, item["listing_id"], key="order-1")
    monkeypatch.setattr(order_service.order_store, "insert", real_insert)
    retried = order(client, alice, item["listing_id"], key="order-1")
    assert retried.status == 201, retried.body
    assert [o["order_id"] for o in client.get("/orders", alice).body["items"]] == [retried.body["order_id"]]
