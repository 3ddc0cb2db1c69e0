"""An approximate listing's precise point goes to the buyer with the funded order (`service_location`), to
nobody before funding, and never to anyone else (issue 14). The escrow runs for real on the served moto."""
from __future__ import annotations

import pytest

from tests.conftest import listing_body
from tests.integration.escrow_kit import accepted_order, decide, deposit, key, pay, wait_for

HOME = (31.2299512, 121.4731437)
AT_HOME = {"lat": HOME[0], "lon": HOME[1]}


@pytest.fixture
def stack(escrow_stack):
    return escrow_stack


@pytest.fixture
def home_shop(client, make_user):
    """Bob teaches piano at home (an approximate listing); Alice has money to pay for a lesson."""
    bob, alice, carol = make_user("Bob"), make_user("Alice"), make_user("Carol")
    listing = client.post("/listings", bob, listing_body(
        title="Piano lessons", price_cents=6_000, lat=HOME[0], lon=HOME[1], location_precision="approximate",
    ))
    assert listing.status == 201, listing.body
    deposit(client, alice, 10_000)
    return {"bob": bob, "alice": alice, "carol": carol, "listing": listing.body}


def location(client, user, order_id):
    answer = client.get(f"/orders/{order_id}", user)
    assert answer.status == 200, answer.body
    return answer.body["service_location"]


def test_the_buyer_sees_where_the_service_is_only_once_the_order_is_funded(client, home_shop):
    alice, bob = home_shop["alice"], home_shop["bob"]
    placed = client.post("/orders", alice, {"listing_id": home_shop["listing"]["listing_id"]}, headers=key())
    assert placed.status == 201 and placed.body["service_location"] is None, placed.body
    order_id = placed.body["order_id"]
    accepted = client.post(f"/orders/{order_id}/accept", bob)
    assert accepted.status == 200 and accepted.body["service_location"] is None, accepted.body
    assert location(client, alice, order_id) is None
    assert pay(client, home_shop, order_id).status == 202
    wait_for(client, alice, order_id, "funded")
    assert location(client, alice, order_id) == AT_HOME
    listed = client.get("/orders?role=buyer", alice).body["items"]
    assert [(item["order_id"], item["service_location"]) for item in listed] == [(order_id, AT_HOME)]
    assert decide(client, bob, order_id, "deliver").status in (200, 202)
    wait_for(client, alice, order_id, "delivered")
    confirmed = decide(client, alice, order_id, "confirm")
    assert confirmed.status in (200, 202) and confirmed.body["service_location"] == AT_HOME, confirmed.body
    wait_for(client, alice, order_id, "released")
    assert location(client, alice, order_id) == AT_HOME


def test_nobody_but_the_buyer_is_given_it_on_the_order(client, home_shop, make_user):
    order_id = accepted_order(client, home_shop)
    assert pay(client, home_shop, order_id).status == 202
    wait_for(client, home_shop["alice"], order_id, "funded")
    assert location(client, home_shop["bob"], order_id) is None  # the provider: it is theirs, on their listing
    assert client.get(f"/orders/{order_id}", home_shop["carol"]).status == 404
    olga = make_user("Olga", operator=True)
    assert location(client, olga, order_id) is None
    assert client.get("/orders?role=provider", home_shop["bob"]).body["items"][0]["service_location"] is None


def test_a_buyer_whose_order_is_only_requested_or_whose_payment_failed_is_not_given_it(client, home_shop, make_user):
    broke = make_user("Broke")
    placed = client.post("/orders", broke, {"listing_id": home_shop["listing"]["listing_id"]}, headers=key())
    order_id = placed.body["order_id"]
    assert client.post(f"/orders/{order_id}/accept", home_shop["bob"]).status == 200
    assert client.post(f"/orders/{order_id}/pay", broke, headers=key()).status == 202
    failed = wait_for(client, broke, order_id, "payment_failed")
    assert failed["service_location"] is None
    assert location(client, broke, order_id) is None
