"""The order state machine, up to "accepted": who may move an order where, and what refuses.

API.md: accept and decline are the provider's (`requested → accepted | declined`), cancel is the
buyer's (before funding → `cancelled`), and an action the status does not allow is 409 ConflictError
with nothing changed. Terminal statuses (declined, cancelled, expired) absorb every action.

The concurrent accept + decline race runs against the moto *server* with requests serialised (as
`make run` runs it), calling the order service from threads: in-process moto is not thread-safe, and
the in-process Chalice test client keeps the current request on the app object, so it cannot serve
two requests at once either.

The state machine's whole table (every status, action and caller, without HTTP) is tests/unit/test_order_transitions.py.
"""
from __future__ import annotations

import functools
import itertools
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.domain import orders as domain
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.errors import Conflict
from chalicelib.domain.identity import Caller
from chalicelib.domain.ids import new_id
from chalicelib.services import listings as listing_service
from chalicelib.services import orders as order_service
from chalicelib.store import orders as order_store
from tests.conftest import PEOPLES_SQUARE, listing_body

# ---- the contract, written out (API.md) ----

ACTIONS = ("accept", "decline", "cancel")
ACTOR = {"accept": "provider", "decline": "provider", "cancel": "buyer"}
# How each status a client can reach today is reached from a fresh request.
ROUTE_TO = {
    "requested": (),
    "accepted": ("accept",),
    "declined": ("decline",),
    "cancelled": ("cancel",),
    "expired": (),  # placed with REQUEST_EXPIRY_S=0: lapsed before anyone answers
}
CONFLICT = None
# (status now, action) -> status after, or CONFLICT (409, nothing changes).
OUTCOME = {
    ("requested", "accept"): "accepted",
    ("requested", "decline"): "declined",
    ("requested", "cancel"): "cancelled",
    ("accepted", "accept"): CONFLICT,
    ("accepted", "decline"): CONFLICT,
    ("accepted", "cancel"): "cancelled",
    ("declined", "accept"): CONFLICT,
    ("declined", "decline"): CONFLICT,
    ("declined", "cancel"): CONFLICT,
    ("cancelled", "accept"): CONFLICT,
    ("cancelled", "decline"): CONFLICT,
    ("cancelled", "cancel"): CONFLICT,
    ("expired", "accept"): CONFLICT,
    ("expired", "decline"): CONFLICT,
    ("expired", "cancel"): CONFLICT,
}
ALLOWED = [(status, action, after) for (status, action), after in OUTCOME.items() if after is not CONFLICT]
FORBIDDEN = [(status, action) for (status, action), after in OUTCOME.items() if after is CONFLICT]


def test_the_outcome_table_covers_every_reachable_status_and_action():
    assert set(OUTCOME) == set(itertools.product(ROUTE_TO, ACTIONS))


# ---- over HTTP ----


def place(client, buyer, listing_id, **fields):
    return client.post("/orders", buyer, {"listing_id": listing_id, **fields},
                       headers={"Idempotency-Key": str(uuid.uuid4())})


def order_in(status, client, make_user, monkeypatch):
    """A fresh order brought to `status` the way clients bring it there; returns (order, buyer, provider)."""
    provider, buyer = make_user(), make_user()
    listing = client.post("/listings", provider, listing_body()).body
    if status == "expired":
        monkeypatch.setenv("REQUEST_EXPIRY_S", "0")
    placed = place(client, buyer, listing["listing_id"])
    assert placed.status == 201, placed.body
    order = placed.body
    who = {"buyer": buyer, "provider": provider}
    for action in ROUTE_TO[status]:
        moved = client.post(f"/orders/{order['order_id']}/{action}", who[ACTOR[action]])
        assert moved.status == 200, moved.body
    seen = client.get(f"/orders/{order['order_id']}", buyer)
    assert seen.status == 200 and seen.body["status"] == status, seen.body
    return seen.body, buyer, provider


def instants(order):
    return [parse_iso(entry["at"]) for entry in order["timeline"]]


@pytest.mark.parametrize("status, action, after", ALLOWED, ids=[f"{s}-{a}" for s, a, _ in ALLOWED])
def test_an_allowed_action_moves_the_order_and_records_it_in_the_timeline(
    client, make_user, monkeypatch, status, action, after
):
    before, buyer, provider = order_in(status, client, make_user, monkeypatch)
    actor = {"buyer": buyer, "provider": provider}[ACTOR[action]]
    moved = client.post(f"/orders/{before['order_id']}/{action}", actor)
    assert moved.status == 200, moved.body
    order = moved.body
    assert order["status"] == after
    assert [e["status"] for e in order["timeline"]] == ["requested", *([status] if ROUTE_TO[status] else []), after]
    assert order["timeline"][:-1] == before["timeline"]
    assert instants(order) == sorted(instants(order))
    assert order["updated_at"] == order["timeline"][-1]["at"]
    assert parse_iso(order["updated_at"]) > parse_iso(before["updated_at"])
    assert order["created_at"] == before["created_at"] == order["timeline"][0]["at"]
    unchanged = ("order_id", "listing_id", "buyer_id", "provider_id", "price_cents", "currency", "fee_cents", "note")
    assert {k: order[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert client.get(f"/orders/{order['order_id']}", buyer).body == order
    assert client.get(f"/orders/{order['order_id']}", provider).body == order


def test_a_request_accepted_then_cancelled_keeps_every_step_in_its_timeline(client, make_user, monkeypatch):
    before, buyer, provider = order_in("requested", client, make_user, monkeypatch)
    path = f"/orders/{before['order_id']}"
    assert client.post(f"{path}/accept", provider).status == 200
    cancelled = client.post(f"{path}/cancel", buyer)
    assert cancelled.status == 200, cancelled.body
    assert [e["status"] for e in cancelled.body["timeline"]] == ["requested", "accepted", "cancelled"]
    assert instants(cancelled.body) == sorted(instants(cancelled.body))


@pytest.mark.parametrize("status, action", FORBIDDEN, ids=[f"{s}-{a}" for s, a in FORBIDDEN])
def test_an_action_the_status_does_not_allow_is_a_conflict_and_changes_nothing(
    client, make_user, monkeypatch, status, action
):
    before, buyer, provider = order_in(status, client, make_user, monkeypatch)
    actor = {"buyer": buyer, "provider": provider}[ACTOR[action]]
    refused = client.post(f"/orders/{before['order_id']}/{action}", actor)
    assert refused.status == 409, refused.body
    assert refused.body["Code"] == "ConflictError"
    assert client.get(f"/orders/{before['order_id']}", buyer).body == before
    listed = client.get("/orders?role=buyer", buyer).body["items"]
    assert listed == [before]


def test_only_the_provider_answers_a_request_and_only_the_buyer_cancels_it(client, make_user, monkeypatch):
    before, buyer, provider = order_in("requested", client, make_user, monkeypatch)
    path = f"/orders/{before['order_id']}"
    for action, wrong in (("accept", buyer), ("decline", buyer), ("cancel", provider)):
        refused = client.post(f"{path}/{action}", wrong)
        assert refused.status == 403, (action, refused.body)
        assert refused.body["Code"] == "ForbiddenError"
    stranger = make_user()
    for action in ACTIONS:
        hidden = client.post(f"{path}/{action}", stranger)
        assert hidden.status == 404, (action, hidden.body)
        assert hidden.body["Code"] == "NotFoundError"
    assert client.get(path, buyer).body == before


# ---- which listings take orders ----


def paused(client, owner, listing_id):
    assert client.patch(f"/listings/{listing_id}", owner, {"status": "paused"}).status == 200
    return listing_id


def deleted(client, owner, listing_id):
    assert client.delete(f"/listings/{listing_id}", owner).status == 204
    return listing_id


def missing(client, owner, listing_id):
    return new_id()


@pytest.mark.parametrize(
    "prepare, own, status, code",
    [
        (paused, False, 409, "ConflictError"),
        (deleted, False, 409, "ConflictError"),
        (None, True, 400, "BadRequestError"),
        (missing, False, 404, "NotFoundError"),
    ],
    ids=["paused", "deleted", "own", "missing"],
)
def test_an_order_on_a_listing_that_takes_none_is_refused_and_nothing_is_stored(
    client, make_user, prepare, own, status, code
):
    provider, buyer = make_user(), make_user()
    listing_id = client.post("/listings", provider, listing_body()).body["listing_id"]
    if prepare is not None:
        listing_id = prepare(client, provider, listing_id)
    orderer = provider if own else buyer
    refused = place(client, orderer, listing_id)
    assert refused.status == status, refused.body
    assert refused.body["Code"] == code
    if own:
        assert "listing_id" in refused.body["Message"]
    assert client.get("/orders?role=buyer", orderer).body == {"items": [], "next_cursor": None}
    assert client.get("/orders?role=provider", provider).body == {"items": [], "next_cursor": None}


# ---- concurrent answers (moto server, requests serialised) ----


def answer(caller: Caller, order_id: str, action: str, barrier: threading.Barrier):
    barrier.wait()
    try:
        return action, order_service.act(caller, order_id, action).status
    except Conflict:
        return action, "conflict"


def test_a_concurrent_accept_and_decline_of_one_request_have_exactly_one_winner(served_stack):
    provider, buyer = Caller(user_id=str(uuid.uuid4())), Caller(user_id=str(uuid.uuid4()))
    lat, lon = PEOPLES_SQUARE
    listing = listing_service.publish(provider, "Errands", "", "errands", 1000, None, lat, lon)
    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(10):
            order = order_service.place(buyer, new_id(), listing.listing_id, None, "")
            barrier = threading.Barrier(2)
            take = functools.partial(answer, provider, order.order_id, barrier=barrier)
            outcomes = dict(pool.map(take, ("accept", "decline")))
            won = [action for action, result in outcomes.items() if result != "conflict"]
            assert len(won) == 1, outcomes
            assert outcomes[won[0]] == domain.TRANSITIONS[won[0]].target
            stored = order_store.get(order.order_id)
            assert stored.status == outcomes[won[0]]
            assert [e.status for e in stored.timeline] == ["requested", stored.status]
