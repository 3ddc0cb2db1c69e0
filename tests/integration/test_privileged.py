"""Privileged status: the first PRIVILEGED_QUOTA distinct providers, race-free, for good.

Concurrency is tested against the moto *server* with requests serialised (as `make run` runs it):
in-process moto is not thread-safe, and real DynamoDB gives the isolation in production.
"""
from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from chalicelib.domain.identity import Caller
from chalicelib.services import listings as listing_service
from chalicelib.services import profiles as profile_service
from chalicelib.store import listings as listing_store
from chalicelib.store import tables
from tests.conftest import PEOPLES_SQUARE


def publish_first(caller: Caller, barrier: threading.Barrier) -> bool:
    barrier.wait()
    lat, lon = PEOPLES_SQUARE
    return listing_service.publish(caller, "Errands", "", "errands", 1000, None, lat, lon).privileged


def test_with_quota_5_and_20_concurrent_first_listings_exactly_5_providers_are_privileged(served_stack, monkeypatch):
    monkeypatch.setenv("PRIVILEGED_QUOTA", "5")
    callers = [Caller(user_id=str(uuid.uuid4())) for _ in range(20)]
    barrier = threading.Barrier(len(callers))
    with ThreadPoolExecutor(max_workers=len(callers)) as pool:
        outcomes = list(pool.map(lambda c: publish_first(c, barrier), callers))
    assert sum(outcomes) == 5
    profiles = [profile_service.public_profile(c.user_id) for c in callers]
    assert sum(p.privileged for p in profiles) == 5
    assert all(p.provider_since for p in profiles)
    assert listing_store.privileged_count() == 5
    assert all(len(listing_store.page_by_provider(c.user_id, 10, None)[0]) == 1 for c in callers)


def test_one_user_publishing_many_first_listings_at_once_is_counted_once(served_stack, monkeypatch):
    monkeypatch.setenv("PRIVILEGED_QUOTA", "5")
    same = Caller(user_id=str(uuid.uuid4()))
    barrier = threading.Barrier(8)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda c: publish_first(c, barrier), [same] * 8))
    assert outcomes == [True] * 8
    assert listing_store.privileged_count() == 1


def test_privileged_status_is_kept_when_the_quota_later_shrinks(served_stack, monkeypatch):
    monkeypatch.setenv("PRIVILEGED_QUOTA", "1")
    early, late = Caller(user_id=str(uuid.uuid4())), Caller(user_id=str(uuid.uuid4()))
    lat, lon = PEOPLES_SQUARE
    assert listing_service.publish(early, "A", "", "tech", 100, None, lat, lon).privileged
    assert not listing_service.publish(late, "B", "", "tech", 100, None, lat, lon).privileged
    monkeypatch.setenv("PRIVILEGED_QUOTA", "0")
    assert listing_service.publish(early, "C", "", "tech", 100, None, lat, lon).privileged
    assert profile_service.public_profile(early.user_id).privileged
    monkeypatch.setenv("PRIVILEGED_QUOTA", "10")
    assert not listing_service.publish(late, "D", "", "tech", 100, None, lat, lon).privileged


def test_once_the_quota_is_full_first_listings_no_longer_touch_the_counter(served_stack, monkeypatch):
    """The counter is one item, a write hot spot: once an instance saw it full it leaves it alone."""
    monkeypatch.setenv("PRIVILEGED_QUOTA", "1")
    lat, lon = PEOPLES_SQUARE
    def publish(title: str):
        return listing_service.publish(Caller(user_id=str(uuid.uuid4())), title, "", "tech", 100, None, lat, lon)

    assert publish("A").privileged
    assert not publish("B").privileged
    writes: list[str] = []

    def record(params, **_):
        writes.append(json.dumps(params["TransactItems"]))

    client = tables.bind().client
    client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", record)
    try:
        for title in ("C", "D", "E"):
            caller = Caller(user_id=str(uuid.uuid4()))
            assert not listing_service.publish(caller, title, "", "tech", 100, None, lat, lon).privileged
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.TransactWriteItems", record)
    assert len(writes) == 3
    assert not any(listing_store.PRIVILEGED_COUNTER in write for write in writes)
    assert listing_store.privileged_count() == 1
