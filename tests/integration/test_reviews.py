"""Reviews over HTTP: each party of a settled order reviews the other once, double-blind — sealed (seen by its
author only) until both have reviewed or the window closes; published ones count on the subject's profile and are
told to its subject and author (`review.published`).

An order's way to `released` through the escrow is tested elsewhere (test_escrow*.py) and takes seconds: these
tests write a settled order's item directly (`settled_order`), as the escrow leaves it.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain import reviews
from chalicelib.domain.clock import iso, now
from chalicelib.domain.errors import Busy
from chalicelib.domain.ids import new_id
from chalicelib.domain.orders import Order, TimelineEntry
from chalicelib.store import orders as order_store
from chalicelib.store import reviews as review_store
from chalicelib.store import tables
from chalicelib.store.models import OrderModel
from tests.integration.conftest import stream_relays
from tests.integration.test_request_expiry import sweep

WINDOW_S = 2


def settled_order(buyer_id: str, provider_id: str, status: str = "released", at: datetime | None = None) -> str:
    """Store an order of `buyer_id` from `provider_id` in `status`, its timeline ending there at `at`."""
    moment = iso(at or now())
    statuses = ["requested", "accepted", "paying", "funded", "delivered", status][: 6 if status == "released" else 4]
    if status not in statuses:
        statuses.append(status)
    order = Order(
        order_id=new_id(), listing_id=new_id(), buyer_id=buyer_id, provider_id=provider_id, price_cents=5000,
        currency="CNY", fee_cents=0, status=status, note="", failure_reason=None, created_at=moment,
        updated_at=moment, expires_at=moment, timeline=tuple(TimelineEntry(s, moment) for s in statuses),
    )
    tables.bind()
    order_store.to_model(order).save(condition=OrderModel.order_id.does_not_exist())
    return order.order_id


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {"alice": make_user("Alice"), "bob": make_user("Bob"), "carol": make_user("Carol")}


@pytest.fixture
def order(people: dict[str, Any]) -> str:
    """Alice bought Bob's service; the order was released just now."""
    return settled_order(people["alice"].user_id, people["bob"].user_id)


def review(client: Any, user: Any, order_id: str, rating: int = 5, text: str = "") -> Any:
    return client.post(f"/orders/{order_id}/review", user, {"rating": rating, "text": text})


def about(client: Any, user: Any, subject: Any) -> list[dict[str, Any]]:
    answer = client.get(f"/users/{subject.user_id}/reviews", user)
    assert answer.status == 200, answer.body
    return answer.body["items"]


def test_a_review_is_sealed_until_the_other_side_reviews_too(client, people, order):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    written = review(client, alice, order, 4, "On time, friendly.")
    assert written.status == 201, written.body
    assert written.body["published_at"] is None
    assert (written.body["author_id"], written.body["role"], written.body["rating"]) == (alice.user_id, "buyer", 4)
    for user in (alice, bob, carol):
        assert about(client, user, bob) == []
        assert about(client, user, alice) == []


def test_both_reviews_publish_when_the_second_side_reviews(client, people, order):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    review(client, alice, order, 4, "On time, friendly.")
    answer = review(client, bob, order, 5, "Clear instructions.")
    assert answer.status == 201, answer.body
    assert answer.body["published_at"] is not None
    [of_bob] = about(client, carol, bob)
    assert (of_bob["author_id"], of_bob["role"], of_bob["rating"], of_bob["text"]) == (
        alice.user_id, "buyer", 4, "On time, friendly.")
    [of_alice] = about(client, carol, alice)
    assert (of_alice["author_id"], of_alice["role"], of_alice["rating"]) == (bob.user_id, "provider", 5)
    assert of_alice["published_at"] == of_bob["published_at"] == answer.body["published_at"]


def test_published_reviews_count_on_the_subjects_profile(client, people, order):
    alice, bob = people["alice"], people["bob"]
    client.get("/me", bob)
    review(client, alice, order, 4)
    assert client.get(f"/users/{bob.user_id}", alice).body["rating_count"] == 0
    review(client, bob, order, 5)
    bobs = client.get(f"/users/{bob.user_id}", alice).body
    assert (bobs["rating_avg"], bobs["rating_count"]) == (4.0, 1)
    assert client.get("/me", alice).body["rating_count"] == 1


def test_reviews_about_a_user_come_newest_first_page_by_page(client, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    for rating in (3, 4, 5):
        order_id = settled_order(alice.user_id, bob.user_id)
        review(client, alice, order_id, rating)
        review(client, bob, order_id, 5)
    first = client.get(f"/users/{bob.user_id}/reviews?limit=2", carol).body
    assert [item["rating"] for item in first["items"]] == [5, 4]
    rest = client.get(f"/users/{bob.user_id}/reviews?limit=2&cursor={first['next_cursor']}", carol).body
    assert [item["rating"] for item in rest["items"]] == [3]
    assert rest["next_cursor"] is None


def test_a_lone_review_publishes_when_the_window_closes(client, chalice_client, people, monkeypatch):
    monkeypatch.setenv("REVIEW_WINDOW_S", str(WINDOW_S))
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    order_id = settled_order(alice.user_id, bob.user_id)
    review(client, alice, order_id, 2, "Late.")
    assert sweep(chalice_client)["reviews_published"] == 0
    assert about(client, carol, bob) == []
    time.sleep(WINDOW_S + 0.1)
    assert sweep(chalice_client)["reviews_published"] == 1
    [published] = about(client, carol, bob)
    assert (published["rating"], published["text"]) == (2, "Late.")
    assert client.get(f"/users/{bob.user_id}", carol).body["rating_count"] == 1
    assert sweep(chalice_client)["reviews_published"] == 0


def test_no_review_once_the_window_has_closed(client, people):
    alice, bob = people["alice"], people["bob"]
    order_id = settled_order(alice.user_id, bob.user_id, at=now() - timedelta(days=15))
    answer = review(client, alice, order_id)
    assert answer.status == 409
    assert "window" in answer.body["Message"]


def test_a_resolved_order_can_be_reviewed(client, people):
    order_id = settled_order(people["alice"].user_id, people["bob"].user_id, status="resolved")
    assert review(client, people["bob"], order_id).status == 201


def test_an_unsettled_order_cannot_be_reviewed(client, people):
    order_id = settled_order(people["alice"].user_id, people["bob"].user_id, status="funded")
    answer = review(client, people["alice"], order_id)
    assert answer.status == 409
    assert "funded" in answer.body["Message"]


def test_someone_elses_order_is_not_found(client, people, order):
    assert review(client, people["carol"], order).status == 404
    assert review(client, people["carol"], "no-such-order").status == 404


def test_each_side_reviews_once(client, people, order):
    assert review(client, people["alice"], order).status == 201
    again = review(client, people["alice"], order, 1)
    assert again.status == 409
    assert review(client, people["bob"], order).status == 201
    assert review(client, people["bob"], order).status == 409


def test_published_reviews_are_told_to_their_subject_and_author(client, stack, people, order):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    streams = stream_relays(stack, "order_events")
    review(client, alice, order, 4)
    streams()
    assert _told(client, bob) == [] and _told(client, alice) == []
    review(client, bob, order, 5)
    streams()
    streams()
    for user in (alice, bob):
        told = _told(client, user)
        assert sorted((event["data"]["author_id"], event["data"]["rating"]) for event in told) == sorted(
            [(alice.user_id, 4), (bob.user_id, 5)])
        assert all(event["data"]["order_id"] == order for event in told)
    assert _told(client, carol) == []


def _told(client: Any, user: Any) -> list[dict[str, Any]]:
    answer = client.get("/events?limit=100", user)
    assert answer.status == 200, answer.body
    return [event for event in answer.body["items"] if event["kind"] == "review.published"]


def test_a_lone_review_published_by_the_sweep_is_told_too(client, chalice_client, stack, people, monkeypatch):
    monkeypatch.setenv("REVIEW_WINDOW_S", str(WINDOW_S))
    alice, bob = people["alice"], people["bob"]
    streams = stream_relays(stack, "order_events")
    order_id = settled_order(alice.user_id, bob.user_id)
    review(client, bob, order_id, 3)
    time.sleep(WINDOW_S + 0.1)
    assert sweep(chalice_client)["reviews_published"] == 1
    streams()
    for user in (alice, bob):
        [told] = _told(client, user)
        assert (told["data"]["author_id"], told["data"]["subject_id"], told["data"]["rating"]) == (
            bob.user_id, alice.user_id, 3)


@pytest.fixture
def half_published(client: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, str]:
    """Alice reviewed; Bob's review was stored but its publish failed once (a busy profile: 429)."""
    alice, bob = make_user(), make_user()
    order_id = settled_order(alice.user_id, bob.user_id)
    assert review(client, alice, order_id, 4).status == 201
    real = review_store.publish
    failures = [Busy("the platform is busy with this item; try again in a moment")]

    def busy_once(*args: Any, **kwargs: Any) -> bool:
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)

    monkeypatch.setattr(review_store, "publish", busy_once)
    assert review(client, bob, order_id, 5).status == 429  # the put landed; the publish did not
    return alice, bob, order_id


def test_a_pair_whose_publish_failed_publishes_on_the_second_sides_retry(client, half_published):
    alice, bob, order_id = half_published
    retried = review(client, bob, order_id, 5)
    assert retried.status == 409  # "you have reviewed this order already", and the pair is published now
    assert [r["rating"] for r in about(client, alice, bob)] == [4]


def test_a_pair_whose_publish_failed_is_published_by_the_next_sweep(client, chalice_client, half_published):
    """The second side's review is due at once: the sweep publishes the pair if nobody retries."""
    alice, bob, _ = half_published
    assert sweep(chalice_client)["reviews_published"] == 1
    assert [r["rating"] for r in about(client, alice, bob)] == [4]


def test_each_review_is_told_once_even_if_published_out_of_timestamp_order(client, stack, make_user):
    alice, bob = make_user(), make_user()
    client.get("/me", alice), client.get("/me", bob)
    streams = stream_relays(stack, "order_events")
    order_id = settled_order(alice.user_id, bob.user_id)
    order = order_store.get(order_id)
    submit_moment = now()  # bob's submit read the clock just before the window closed ...
    sweep_at = submit_moment + timedelta(milliseconds=5)  # ... the sweep started just after
    lone = review_store.insert(reviews.new_review(order, "buyer", 4, "", submit_moment, 3600))
    assert review_store.publish([lone], iso(sweep_at))  # the sweep read only alice's review and published it
    streams()
    late = review_store.insert(reviews.new_review(order, "provider", 2, "", submit_moment, 3600))
    assert review_store.publish([late], iso(submit_moment))  # bob's submit publishes his, stamped earlier
    streams()
    for user in (alice, bob):
        told = sorted(event["data"]["role"] for event in _told(client, user))
        assert told == ["buyer", "provider"], told
