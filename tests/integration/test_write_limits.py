"""Every write route is rate-limited per user, from the one table of settings (RATE_LIMITS): 429 with Retry-After."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from chalicelib.api.routing import OPERATIONS
from chalicelib.domain.clock import now
from chalicelib.services import admission
from chalicelib.settings import RATE_LIMITS
from tests.conftest import listing_body

WINDOW_S = 3600


@pytest.fixture
def fresh_window(monkeypatch):
    """A clock a second into a fresh hour-long window, so a test's requests share one window."""
    into_window = timedelta(seconds=now().timestamp() % WINDOW_S - 1)
    monkeypatch.setattr(admission, "now", lambda: now() - into_window)


def test_every_write_route_names_a_rate_limit_from_the_settings_table():
    import app  # noqa: F401 - declaring the routes fills OPERATIONS

    writes = [op for op in OPERATIONS if op.method != "GET"]
    assert writes
    assert all(op.limit in RATE_LIMITS for op in writes), [op.path for op in writes if op.limit not in RATE_LIMITS]
    assert all(429 in op.errors and 403 in op.errors for op in writes)


def test_an_order_note_is_no_unthrottled_message_channel(client, make_user, monkeypatch, fresh_window):
    monkeypatch.setenv("RATE_LIMITS", f"order=2/{WINDOW_S}")
    bob, alice = make_user(), make_user()
    listing = client.post("/listings", bob, listing_body()).body

    def order():
        return client.post("/orders", alice, {"listing_id": listing["listing_id"], "note": "call me"},
                           headers={"Idempotency-Key": str(uuid.uuid4())})

    assert [order().status, order().status] == [201, 201]
    refused = order()
    assert refused.status == 429 and refused.body["Code"] == "TooManyRequestsError"
    assert "orders placed" in refused.body["Message"]
    assert len(client.get("/orders?role=buyer", alice).body["items"]) == 2


def test_opening_conversations_is_capped_per_hour(client, make_user, monkeypatch, fresh_window):
    monkeypatch.setenv("RATE_LIMITS", f"conversation=2/{WINDOW_S}")
    alice = make_user()
    listings = [client.post("/listings", make_user(), listing_body()).body["listing_id"] for _ in range(3)]
    answers = [client.post("/conversations", alice, {"listing_id": listing_id}).status for listing_id in listings]
    assert answers == [201, 201, 429]
    assert len(client.get("/conversations", alice).body["items"]) == 2


def test_publishing_is_rate_limited_and_the_429_says_when_to_retry(chalice_client, client, make_user, monkeypatch,
                                                                   fresh_window):
    monkeypatch.setenv("RATE_LIMITS", f"listing=1/{WINDOW_S}")
    bob = make_user()
    assert client.post("/listings", bob, listing_body()).status == 201
    response = chalice_client.http.post("/listings", headers={**bob.headers, "Content-Type": "application/json"},
                                        body=json.dumps(listing_body()).encode())
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= WINDOW_S


def test_one_users_limit_leaves_others_alone(client, make_user, monkeypatch, fresh_window):
    monkeypatch.setenv("RATE_LIMITS", f"profile=1/{WINDOW_S}")
    alice, bob = make_user(), make_user()
    assert client.patch("/me", alice, {"bio": "one"}).status == 200
    assert client.patch("/me", alice, {"bio": "two"}).status == 429
    assert client.patch("/me", bob, {"bio": "mine"}).status == 200


def test_a_missing_idempotency_key_is_bad_input_even_over_the_limit(client, make_user, monkeypatch, fresh_window):
    monkeypatch.setenv("RATE_LIMITS", f"wallet=0/{WINDOW_S}")
    alice = make_user()
    assert client.post("/wallet/deposits", alice, {"amount_cents": 100}).status == 400
    keyed = client.post("/wallet/deposits", alice, {"amount_cents": 100}, headers={"Idempotency-Key": "d-1"})
    assert keyed.status == 429
