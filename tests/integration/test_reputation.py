"""The reputation score where strangers see it: profiles, task offers, and search pins, refreshed by the fan-out
(services/reputation.py) without making a search read more."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from chalicelib.domain.clock import now_iso
from chalicelib.domain.listings import new_listing
from chalicelib.services import listings as listing_service
from chalicelib.services import reputation
from chalicelib.services.reputation import reputation_changed
from chalicelib.store import caches, geo_index, reindex, tables
from chalicelib.store import listings as listing_store
from chalicelib.store import profiles as profile_store
from chalicelib.store.models import ListingModel, ProfileModel
from tests.conftest import PEOPLES_SQUARE, REGION, listing_body, walk_pages
from tests.integration.test_tasks import offer, post_task

SEARCH = f"/search?lat={PEOPLES_SQUARE[0]}&lon={PEOPLES_SQUARE[1]}&radius_m=2000&limit=100"


def rate(client: Any, user: Any, rating_sum: int, rating_count: int) -> None:
    """Set a profile's counters as the publishing of reviews leaves them (the profile made first)."""
    assert client.get("/me", user).status == 200
    tables.bind()
    ProfileModel(user.user_id).update(actions=[ProfileModel.rating_sum.set(rating_sum),
                                          ProfileModel.rating_count.set(rating_count)])


def pins_of(client: Any, user: Any, provider_id: str) -> dict[str, dict[str, Any]]:
    caches.forget_all()
    return {pin["listing_id"]: pin for pin in walk_pages(client, user, SEARCH) if pin["provider_id"] == provider_id}


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every search index Query made: (index, entries evaluated)."""
    seen: list[tuple[str, int]] = []
    real = geo_index.query

    def counted(read: Any, spec: Any) -> Any:
        result = real(read, spec)
        seen.append((spec.index_name, result.evaluated))
        return result

    monkeypatch.setattr(geo_index, "query", counted)
    return seen


def test_profiles_show_the_bayesian_score_and_none_before_any_review(client, make_user):
    alice, bob = make_user(), make_user()
    assert client.get("/me", bob).body["rating_score"] is None
    rate(client, bob, 48, 10)
    assert client.get("/me", bob).body["rating_score"] == 4.53
    public = client.get(f"/users/{bob.user_id}", alice).body
    assert (public["rating_score"], public["rating_avg"], public["rating_count"]) == (4.53, 4.8, 10)


def test_a_task_offer_shows_its_providers_score(client, make_user):
    alice, bob = make_user(), make_user()
    rate(client, bob, 5, 1)
    task = post_task(client, alice)
    offer(client, bob, task["task_id"])
    [shown] = client.get(f"/tasks/{task['task_id']}/offers", alice).body["items"]
    assert (shown["provider"]["rating_score"], shown["provider"]["rating_count"]) == (4.17, 1)


def test_a_listing_is_published_and_edited_with_its_providers_current_score(client, make_user):
    alice, bob = make_user(), make_user()
    first = client.post("/listings", bob, listing_body()).body["listing_id"]
    pin = pins_of(client, alice, bob.user_id)[first]
    assert (pin["rating_score"], pin["rating_count"]) == (None, 0)
    rate(client, bob, 9, 2)
    second = client.post("/listings", bob, listing_body(title="Second")).body["listing_id"]
    assert pins_of(client, alice, bob.user_id)[second]["rating_score"] == 4.14
    rate(client, bob, 14, 3)
    client.patch(f"/listings/{first}", bob, {"title": "Renamed"})
    assert pins_of(client, alice, bob.user_id)[first]["rating_score"] == 4.25


def test_the_fan_out_puts_the_new_score_on_every_active_pin_and_a_search_reads_the_same(client, make_user, queries):
    alice, bob = make_user(), make_user()
    active = [client.post("/listings", bob, listing_body(title=f"Bike {n}")).body["listing_id"] for n in range(3)]
    paused = client.post("/listings", bob, listing_body(title="Paused")).body["listing_id"]
    client.patch(f"/listings/{paused}", bob, {"status": "paused"})
    before = pins_of(client, alice, bob.user_id)
    read_before = list(queries)
    queries.clear()
    versions = {listing_id: listing_store.get(listing_id).version for listing_id in active}

    rate(client, bob, 48, 10)
    reputation_changed(bob.user_id)

    after = pins_of(client, alice, bob.user_id)
    assert set(after) == set(before) == set(active)
    assert {(pin["rating_score"], pin["rating_count"]) for pin in after.values()} == {(4.53, 10)}
    assert queries == read_before
    assert {listing_id: listing_store.get(listing_id).version for listing_id in active} == versions
    assert listing_store.get(paused).rating_count == 0


def test_the_fan_out_writes_nothing_into_a_listing_that_does_not_exist(stack):
    tables.bind()
    assert listing_store.set_reputation("no-such-listing", 4.5, 3) is False
    assert listing_store.get("no-such-listing") is None


def test_reindex_gives_every_listing_its_providers_current_score(client, make_user):
    alice, bob = make_user(), make_user()
    client.post("/listings", bob, listing_body())
    rate(client, bob, 48, 10)
    lat, lon = PEOPLES_SQUARE
    written_before = new_listing(bob.user_id, "Written before", "", "repair", 100, "CNY", lat, lon,
                                 privileged=False, now=now_iso())
    listing_store.insert_many([written_before])
    raw = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=ListingModel.Meta.table_name, Key={"id": {"S": written_before.listing_id}})["Item"]
    assert "rs" not in raw

    reindex.reindex_listings()

    assert {pin["rating_score"] for pin in pins_of(client, alice, bob.user_id).values()} == {4.53}


def test_two_refreshes_landing_out_of_order_leave_the_newer_score_on_the_pins(client, make_user, monkeypatch):
    """Publish 1 (count 1) reads the profile, publish 2 (count 2) commits and fans out, then publish 1 writes."""
    bob = make_user()
    listing_id = client.post("/listings", bob, listing_body()).body["listing_id"]
    rate(client, bob, 5, 1)  # publish 1 committed
    real_get = profile_store.get
    calls = {"n": 0}

    def slow_first_read(user_id: str) -> Any:
        calls["n"] += 1
        snapshot = real_get(user_id)
        if calls["n"] == 1:
            rate(client, bob, 9, 2)  # publish 2 commits ...
            monkeypatch.setattr(reputation, "profile_store", profile_store)
            reputation.reputation_changed(bob.user_id)  # ... and fans out first
        return snapshot

    monkeypatch.setattr(reputation, "profile_store", SimpleNamespace(get=slow_first_read))
    reputation.reputation_changed(bob.user_id)  # publish 1's fan-out lands last
    listing = listing_store.get(listing_id)
    assert (listing.rating_score, listing.rating_count) == (4.14, 2)


def test_an_edit_racing_a_refresh_keeps_the_newer_score(client, make_user, monkeypatch):
    bob = make_user()
    listing_id = client.post("/listings", bob, listing_body()).body["listing_id"]
    rate(client, bob, 5, 1)
    real_get = listing_service.profile_store.get

    def profile_then_publish(user_id: str) -> Any:
        snapshot = real_get(user_id)  # the edit read the profile (count 1) ...
        rate(client, bob, 9, 2)  # ... then a review is published and fanned out before the edit's put
        reputation.reputation_changed(bob.user_id)
        assert listing_store.get(listing_id).rating_count == 2
        return snapshot

    monkeypatch.setattr(listing_service, "profile_store", SimpleNamespace(get=profile_then_publish))
    assert client.patch(f"/listings/{listing_id}", bob, {"title": "Renamed"}).status == 200
    listing = listing_store.get(listing_id)
    assert (listing.rating_score, listing.rating_count) == (4.14, 2)
