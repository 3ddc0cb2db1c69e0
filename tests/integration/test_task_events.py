"""Posted needs in the event log: a new task alerts the providers whose area and categories match it (`task.nearby`),
each offer tells the requester (`task.offer`), and a task leaving `open` tells everyone concerned (`task.updated`).

The tasks table's stream is read from moto by the relay the local stack runs, as in test_events.py.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.clock import now
from chalicelib.services import tasks as task_service
from tests.conftest import PEOPLES_SQUARE
from tests.integration.conftest import stream_relays
from tests.integration.test_tasks import offer, post_task


@pytest.fixture
def streams(stack: Any) -> Any:
    """Hand everything the tasks and orders streams hold to their functions: `streams()` after each action."""
    return stream_relays(stack, "task_events", "order_events")


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {"alice": make_user("Alice"), "bob": make_user("Bob"), "carol": make_user("Carol"),
            "dave": make_user("Dave")}


def events_of(client: Any, user: Any, kind: str | None = None) -> list[dict[str, Any]]:
    answer = client.get("/events?limit=100", user)
    assert answer.status == 200, answer.body
    return [event for event in answer.body["items"] if kind is None or event["kind"] == kind]


def alert(client: Any, user: Any, radius_m: int = 3000, categories: tuple[str, ...] = ("errands",),
          at: tuple[float, float] = PEOPLES_SQUARE) -> None:
    answer = client.call("PUT", "/me/alerts", user, {"lat": at[0], "lon": at[1], "radius_m": radius_m,
                                                      "categories": list(categories)})
    assert answer.status == 200, answer.body


def test_a_new_task_alerts_the_providers_whose_area_and_categories_match_it(client, people, streams):
    alice, bob, carol, dave = people["alice"], people["bob"], people["carol"], people["dave"]
    alert(client, bob)
    alert(client, carol, categories=("tech",))
    alert(client, dave, radius_m=500, at=(31.2800, 121.4737))  # 5.5 km north: the square is outside
    alert(client, alice)
    task = post_task(client, alice)
    streams()
    [told] = events_of(client, bob, "task.nearby")
    assert told["data"]["task_id"] == task["task_id"]
    assert told["data"]["distance_m"] == 0
    assert (told["data"]["title"], told["data"]["budget_cents"]) == (task["title"], task["budget_cents"])
    for user in (carol, dave, alice):
        assert events_of(client, user, "task.nearby") == []


def test_a_task_cancelled_before_its_record_is_read_alerts_nobody(client, people, streams):
    alert(client, people["bob"])
    task = post_task(client, people["alice"])
    assert client.post(f"/tasks/{task['task_id']}/cancel", people["alice"]).status == 200
    streams()
    assert events_of(client, people["bob"], "task.nearby") == []


def test_a_provider_hears_of_at_most_task_alerts_per_hour_new_tasks(client, people, streams, monkeypatch):
    monkeypatch.setenv("TASK_ALERTS_PER_HOUR", "2")
    alert(client, people["bob"])
    for _ in range(3):
        post_task(client, people["alice"])
    streams()
    assert len(events_of(client, people["bob"], "task.nearby")) == 2


def test_each_offer_made_or_withdrawn_tells_the_requester(client, people, streams):
    task = post_task(client, people["alice"])
    made = offer(client, people["bob"], task["task_id"], 7000, "Tonight?").body
    client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/withdraw", people["bob"])
    streams()
    told = events_of(client, people["alice"], "task.offer")
    assert [(e["data"]["offer_id"], e["data"]["status"]) for e in told] == [
        (made["offer_id"], "pending"), (made["offer_id"], "withdrawn")]
    assert told[0]["data"]["price_cents"] == 7000
    assert told[0]["data"]["message"] == "Tonight?"
    assert events_of(client, people["bob"], "task.offer") == []


def test_an_accept_tells_the_requester_and_every_provider_who_offered_the_order_only_to_the_parties(
        client, people, streams):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    task = post_task(client, alice)
    bobs = offer(client, bob, task["task_id"]).body
    offer(client, carol, task["task_id"])
    order = client.post(f"/tasks/{task['task_id']}/offers/{bobs['offer_id']}/accept", alice).body
    streams()
    for user in (alice, bob):
        [updated] = events_of(client, user, "task.updated")
        assert (updated["data"]["status"], updated["data"]["previous_status"]) == ("assigned", "open")
        assert updated["data"]["order_id"] == order["order_id"]
        assert updated["data"]["provider_id"] == bob.user_id
        [born] = events_of(client, user, "order.updated")
        assert (born["data"]["order_id"], born["data"]["status"]) == (order["order_id"], "accepted")
    [declined] = events_of(client, carol, "task.updated")
    assert declined["data"]["status"] == "assigned"
    assert "order_id" not in declined["data"]
    assert events_of(client, carol, "order.updated") == []


def test_a_cancelled_and_an_expired_task_tell_the_requester_and_the_providers_who_offered(client, people, streams):
    alice, bob = people["alice"], people["bob"]
    cancelled = post_task(client, alice)
    expiring = post_task(client, alice, expires_in_s=60)
    for task in (cancelled, expiring):
        offer(client, bob, task["task_id"])
    client.post(f"/tasks/{cancelled['task_id']}/cancel", alice)
    assert task_service.expire_overdue_tasks(now() + timedelta(seconds=61)) == 1
    streams()
    for user in (alice, bob):
        told = {e["data"]["task_id"]: e["data"]["status"] for e in events_of(client, user, "task.updated")}
        assert told == {cancelled["task_id"]: "cancelled", expiring["task_id"]: "expired"}
