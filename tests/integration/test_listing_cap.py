"""A provider has at most MAX_ACTIVE_LISTINGS active listings (issue 14: one account could fill a cell).

The count is kept on the profile and changed in the same transaction as the listing write, on condition it
stays within the cap, so concurrent publishes never overshoot it (tested on the serialised moto server, as
`make run` runs it: in-process moto is not thread-safe; real DynamoDB gives the isolation in production).
"""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from chalicelib.domain.errors import Conflict
from chalicelib.domain.identity import Caller
from chalicelib.services import listings as listing_service
from chalicelib.store import listings as listing_store
from chalicelib.store.models import ProfileModel
from tests.conftest import PEOPLES_SQUARE, listing_body


def active_count(user_id: str) -> int:
    """The counter on the profile, checked against the listings themselves."""
    listed = len(listing_store.page_by_provider(user_id, 100, None)[0])
    counted = int(ProfileModel.get(user_id, consistent_read=True).active_listings or 0)
    assert counted == listed, (counted, listed)
    return counted


def test_the_51st_active_listing_is_refused_until_one_is_paused_or_deleted(client, make_user):
    bob = make_user()
    published = [client.post("/listings", bob, listing_body(title=f"Repair {n}")) for n in range(50)]
    assert [answer.status for answer in published] == [201] * 50
    refused = client.post("/listings", bob, listing_body(title="One too many"))
    assert refused.status == 409, refused.body
    assert refused.body["Code"] == "ConflictError"
    assert "50" in refused.body["Message"] and "MAX_ACTIVE_LISTINGS" in refused.body["Message"]
    assert active_count(bob.user_id) == 50

    first, second = (answer.body["listing_id"] for answer in published[:2])
    assert client.patch(f"/listings/{first}", bob, {"status": "paused"}).status == 200
    assert client.post("/listings", bob, listing_body(title="Now there is room")).status == 201
    resumed = client.patch(f"/listings/{first}", bob, {"status": "active"})
    assert resumed.status == 409, resumed.body
    assert "MAX_ACTIVE_LISTINGS" in resumed.body["Message"]
    assert client.delete(f"/listings/{second}", bob).status == 204
    assert client.patch(f"/listings/{first}", bob, {"status": "active"}).status == 200
    assert active_count(bob.user_id) == 50


def test_edits_that_keep_a_listing_active_or_paused_do_not_count(client, make_user, monkeypatch):
    monkeypatch.setenv("MAX_ACTIVE_LISTINGS", "1")
    bob = make_user()
    listing = client.post("/listings", bob, listing_body()).body["listing_id"]
    assert client.patch(f"/listings/{listing}", bob, {"price_cents": 7000}).status == 200
    assert client.patch(f"/listings/{listing}", bob, {"status": "active"}).status == 200
    assert client.patch(f"/listings/{listing}", bob, {"status": "paused"}).status == 200
    assert client.patch(f"/listings/{listing}", bob, {"title": "Paused and renamed"}).status == 200
    assert client.delete(f"/listings/{listing}", bob).status == 204  # a paused one: nothing to give back
    assert active_count(bob.user_id) == 0
    assert client.post("/listings", bob, listing_body()).status == 201


def _publish(caller: Caller, barrier: threading.Barrier, title: str) -> str:
    barrier.wait()
    lat, lon = PEOPLES_SQUARE
    try:
        listing_service.publish(caller, title, "", "errands", 1000, None, lat, lon)
        return "published"
    except Conflict as refused:
        return str(refused)


def test_concurrent_first_publishes_of_a_new_provider_never_exceed_the_cap(served_stack, monkeypatch):
    monkeypatch.setenv("MAX_ACTIVE_LISTINGS", "3")
    caller = Caller(user_id=str(uuid.uuid4()))
    barrier = threading.Barrier(12)
    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(lambda n: _publish(caller, barrier, f"Errand {n}"), range(12)))
    assert outcomes.count("published") == 3, outcomes
    assert all("MAX_ACTIVE_LISTINGS" in outcome for outcome in outcomes if outcome != "published"), outcomes
    assert active_count(caller.user_id) == 3


def test_concurrent_publishes_of_a_provider_near_the_cap_fill_it_exactly(served_stack, monkeypatch):
    monkeypatch.setenv("MAX_ACTIVE_LISTINGS", "5")
    caller = Caller(user_id=str(uuid.uuid4()))
    lat, lon = PEOPLES_SQUARE
    listing_service.publish(caller, "The first", "", "errands", 1000, None, lat, lon)
    barrier = threading.Barrier(16)
    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(lambda n: _publish(caller, barrier, f"Errand {n}"), range(16)))
    assert outcomes.count("published") == 4, outcomes
    assert active_count(caller.user_id) == 5
