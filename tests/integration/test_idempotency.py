"""POST /orders with an Idempotency-Key: the same request twice is one order (API.md, Conventions).

A repeat with the same key and body gets the first answer again (with `Idempotent-Replayed: true`) and
has no further effect; the same key with another body is 409; keys are scoped to the caller; client
errors are recorded answers too. Replay headers are read from Chalice's test client directly (`api`),
since the `client` wrapper keeps only status and body.
"""
from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from chalicelib.api import idempotency as idempotency_service
from chalicelib.api.orders import order_out
from chalicelib.domain import idempotency
from chalicelib.domain.identity import Caller
from chalicelib.services import listings as listing_service
from chalicelib.services import orders as order_service
from chalicelib.store import idempotency as record_store
from chalicelib.store import orders as order_store
from tests.conftest import PEOPLES_SQUARE, listing_body

REPLAYED = "Idempotent-Replayed"


def post_order(api, user, body, key=None):
    """POST /orders as `user` (with `key` unless None); returns (status, JSON body, headers)."""
    headers = {**user.headers, **({"Idempotency-Key": key} if key is not None else {})}
    response = api.post("/orders", headers=headers, body=json.dumps(body).encode())
    return response.status_code, json.loads(response.body) if response.body else None, response.headers


def replayed(headers) -> str | None:
    return {name.lower(): value for name, value in headers.items()}.get(REPLAYED.lower())


def buyers_orders(client, buyer):
    page = client.get("/orders?role=buyer", buyer)
    assert page.status == 200, page.body
    return page.body["items"]


@pytest.fixture
def deal(client, make_user):
    """A provider's listing and a buyer: (buyer, provider, listing_id)."""
    provider, buyer = make_user(), make_user()
    listing = client.post("/listings", provider, listing_body(price_cents=5000))
    assert listing.status == 201, listing.body
    return buyer, provider, listing.body["listing_id"]


def test_an_order_without_an_idempotency_key_is_refused_and_nothing_is_stored(api, client, deal):
    buyer, _, listing_id = deal
    status, body, _ = post_order(api, buyer, {"listing_id": listing_id})
    assert status == 400, body
    assert body["Code"] == "BadRequestError"
    assert "Idempotency-Key" in body["Message"]
    assert buyers_orders(client, buyer) == []


@pytest.mark.parametrize("key", ["k" * 256, "two words", ""], ids=["256-chars", "with-space", "empty"])
def test_a_malformed_idempotency_key_is_refused_and_nothing_is_stored(api, client, deal, key):
    buyer, _, listing_id = deal
    status, body, _ = post_order(api, buyer, {"listing_id": listing_id}, key)
    assert status == 400, body
    assert body["Code"] == "BadRequestError"
    assert "Idempotency-Key" in body["Message"]
    assert buyers_orders(client, buyer) == []


def test_a_255_character_key_is_accepted(api, deal):
    buyer, _, listing_id = deal
    status, body, _ = post_order(api, buyer, {"listing_id": listing_id}, "k" * 255)
    assert status == 201, body


def test_a_repeat_with_the_same_key_and_body_replays_the_first_answer_and_places_one_order(api, client, deal):
    buyer, _, listing_id = deal
    key, request = str(uuid.uuid4()), {"listing_id": listing_id, "note": "Front brake"}
    first_status, first, first_headers = post_order(api, buyer, request, key)
    again_status, again, again_headers = post_order(api, buyer, request, key)
    assert (first_status, again_status) == (201, 201), (first, again)
    assert again == first
    assert replayed(first_headers) is None
    assert replayed(again_headers) == "true"
    assert [o["order_id"] for o in buyers_orders(client, buyer)] == [first["order_id"]]


def test_a_replay_is_the_first_answer_even_after_the_order_moved_on_and_changes_nothing(api, client, deal):
    buyer, provider, listing_id = deal
    key, request = str(uuid.uuid4()), {"listing_id": listing_id}
    _, first, _ = post_order(api, buyer, request, key)
    assert client.post(f"/orders/{first['order_id']}/accept", provider).status == 200
    status, again, headers = post_order(api, buyer, request, key)
    assert (status, again, replayed(headers)) == (201, first, "true")
    assert again["status"] == "requested"
    assert [o["status"] for o in buyers_orders(client, buyer)] == ["accepted"]


@pytest.mark.parametrize("other", [{"note": "Rear brake"}, {"price_cents": 4000}], ids=["other-note", "other-price"])
def test_the_same_key_with_another_body_is_a_conflict_and_places_nothing(api, client, deal, other):
    buyer, _, listing_id = deal
    key = str(uuid.uuid4())
    status, first, _ = post_order(api, buyer, {"listing_id": listing_id, "note": "Front brake"}, key)
    assert status == 201, first
    status, body, headers = post_order(api, buyer, {"listing_id": listing_id, "note": "Front brake", **other}, key)
    assert status == 409, body
    assert body["Code"] == "ConflictError"
    assert "Idempotency-Key" in body["Message"]
    assert replayed(headers) is None
    assert [o["order_id"] for o in buyers_orders(client, buyer)] == [first["order_id"]]


def test_keys_are_scoped_per_user_so_two_users_with_one_key_place_two_orders(api, client, make_user, deal):
    buyer, _, listing_id = deal
    other_buyer = make_user()
    key, request = "shared-key-1", {"listing_id": listing_id}
    status, mine, headers = post_order(api, buyer, request, key)
    other_status, theirs, other_headers = post_order(api, other_buyer, request, key)
    assert (status, other_status) == (201, 201), (mine, theirs)
    assert replayed(headers) is None and replayed(other_headers) is None
    assert mine["order_id"] != theirs["order_id"]
    assert (mine["buyer_id"], theirs["buyer_id"]) == (buyer.user_id, other_buyer.user_id)
    assert [o["order_id"] for o in buyers_orders(client, buyer)] == [mine["order_id"]]
    assert [o["order_id"] for o in buyers_orders(client, other_buyer)] == [theirs["order_id"]]


def test_a_client_error_is_a_recorded_answer_replayed_even_after_its_cause_is_gone(api, client, deal):
    buyer, provider, listing_id = deal
    assert client.patch(f"/listings/{listing_id}", provider, {"status": "paused"}).status == 200
    key, request = str(uuid.uuid4()), {"listing_id": listing_id}
    status, refused, _ = post_order(api, buyer, request, key)
    assert status == 409, refused
    assert refused["Code"] == "ConflictError"
    assert client.patch(f"/listings/{listing_id}", provider, {"status": "active"}).status == 200
    again_status, again, headers = post_order(api, buyer, request, key)
    assert (again_status, again, replayed(headers)) == (409, refused, "true")
    assert buyers_orders(client, buyer) == []
    fresh_status, fresh, _ = post_order(api, buyer, request, str(uuid.uuid4()))
    assert fresh_status == 201, fresh


# ---- a run that died before recording its answer ----


class Died(Exception):
    """Stands for the Lambda being killed (a timeout) between storing the order and recording the answer."""


@pytest.fixture
def died_after_storing(api, client, deal):
    """A first request whose run stored its order, then died before recording the answer.

    Made with the real route: `record_store.complete` is made to fail once, so the key's record stays
    'running' with the reserved operation id, and the order the run stored exists. Returns
    (buyer, request body, key, the stored order).
    """
    buyer, _, listing_id = deal
    key, request = str(uuid.uuid4()), {"listing_id": listing_id, "note": "Chain"}

    def die(*_args, **_kwargs):
        raise Died()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(record_store, "complete", die)
        status, _, _ = post_order(api, buyer, request, key)
    assert status == 500
    stored = buyers_orders(client, buyer)
    assert len(stored) == 1
    return buyer, request, key, stored[0]


def test_a_retry_after_a_dead_run_lapsed_returns_the_order_it_stored_and_places_no_second(
    api, client, died_after_storing, monkeypatch
):
    buyer, request, key, stored = died_after_storing
    real_now = idempotency_service.now
    monkeypatch.setattr(idempotency_service, "now",
                        lambda: real_now() + timedelta(seconds=idempotency_service.LOCK_S + 1))
    status, body, headers = post_order(api, buyer, request, key)
    assert status == 201, body
    assert body["order_id"] == stored["order_id"]
    assert body == stored
    assert [o["order_id"] for o in buyers_orders(client, buyer)] == [stored["order_id"]]
    status, again, headers = post_order(api, buyer, request, key)
    assert (status, again, replayed(headers)) == (201, body, "true")


def test_a_retry_while_the_first_run_may_still_be_running_is_refused_not_run_twice(
    api, client, died_after_storing, monkeypatch
):
    buyer, request, key, stored = died_after_storing
    monkeypatch.setattr(idempotency_service, "WAIT_S", 0.2)
    status, body, _ = post_order(api, buyer, request, key)
    assert status == 409, body
    assert body["Code"] == "ConflictError"
    assert "Idempotency-Key" in body["Message"]
    assert [o["order_id"] for o in buyers_orders(client, buyer)] == [stored["order_id"]]


# ---- concurrent repeats (moto server, requests serialised) ----


def test_ten_concurrent_identical_requests_place_one_order_and_all_get_its_id(served_stack):
    """Ten threads run POST /orders' idempotent path at once: run_once around the order service's place.

    This is what the route does (api.idempotency.run_once with the body's fingerprint, running
    orders.place with the reserved operation id), minus the HTTP gateway: Chalice's in-process test client
    keeps the current request on the app object, so it serves one request at a time, and in-process moto
    is not thread-safe. The moto server, serialised like `make run`'s, gives DynamoDB's per-request
    atomicity. The same race over real HTTP (chalice local is threaded) is in tests/e2e.
    """
    provider, buyer = Caller(user_id=str(uuid.uuid4())), Caller(user_id=str(uuid.uuid4()))
    lat, lon = PEOPLES_SQUARE
    listing = listing_service.publish(provider, "Errands", "", "errands", 1000, None, lat, lon)
    request = {"listing_id": listing.listing_id, "price_cents": None, "note": "Groceries"}
    fingerprint = idempotency.fingerprint("POST", "/orders", request)
    key = str(uuid.uuid4())
    barrier = threading.Barrier(10)

    def run(operation_id: str):
        placed = order_service.place(buyer, operation_id, listing.listing_id, None, "Groceries")
        return 201, order_out(placed).model_dump(mode="json")

    def repeat(_):
        barrier.wait()
        return idempotency_service.run_once(buyer.user_id, key, fingerprint, run)

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(repeat, range(10)))
    assert [a.status for a in answers] == [201] * 10
    assert len({a.body["order_id"] for a in answers}) == 1
    assert all(a.body == answers[0].body for a in answers)
    assert sum(not a.replayed for a in answers) == 1
    stored, _ = order_store.page_for(buyer.user_id, "buyer", None, 100, None)
    assert [o.order_id for o in stored] == [answers[0].body["order_id"]]
