"""Posted needs over HTTP: a requester posts a task, providers offer, the requester accepts one and an order is born."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.clock import now
from chalicelib.services import tasks as task_service
from tests.conftest import PEOPLES_SQUARE


def task_body(**overrides: Any) -> dict[str, Any]:
    body = {"title": "Carry a sofa upstairs", "description": "Third floor, no lift.", "category": "errands",
            "budget_cents": 8000, "lat": PEOPLES_SQUARE[0], "lon": PEOPLES_SQUARE[1]}
    body.update(overrides)
    return body


def post_task(client: Any, user: Any, **overrides: Any) -> dict[str, Any]:
    answer = client.post("/tasks", user, task_body(**overrides))
    assert answer.status == 201, answer.body
    return dict(answer.body)


def offer(client: Any, user: Any, task_id: str, price_cents: int = 7000, message: str = "") -> Any:
    return client.post(f"/tasks/{task_id}/offers", user, {"price_cents": price_cents, "message": message})


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {"alice": make_user("Alice"), "bob": make_user("Bob"), "carol": make_user("Carol"),
            "dave": make_user("Dave")}


def test_a_posted_task_is_open_in_the_regions_currency_with_its_expiry(client, people):
    task = post_task(client, people["alice"], expires_in_s=3600)
    assert task["status"] == "open"
    assert (task["requester_id"], task["currency"], task["budget_cents"]) == (people["alice"].user_id, "CNY", 8000)
    assert task["order_id"] is None
    assert task["service_location"] == {"lat": task["lat"], "lon": task["lon"]}  # exact: where it is shown
    assert client.get(f"/tasks/{task['task_id']}", people["bob"]).body == {**task, "service_location": None}


def test_a_task_outside_every_open_region_is_refused(client, people):
    answer = client.post("/tasks", people["alice"], task_body(lat=48.8566, lon=2.3522))
    assert (answer.status, answer.body["Code"]) == (422, "RegionNotOpen")


def test_the_requester_accepts_one_offer_and_an_accepted_order_is_born_at_its_price(client, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    task = post_task(client, alice)
    bobs = offer(client, bob, task["task_id"], 7000, "I can come at six").body
    carols = offer(client, carol, task["task_id"], 6500).body
    accepted = client.post(f"/tasks/{task['task_id']}/offers/{bobs['offer_id']}/accept", alice)
    assert accepted.status == 200, accepted.body
    order = accepted.body
    assert (order["status"], order["price_cents"], order["task_id"], order["listing_id"]) == (
        "accepted", 7000, task["task_id"], None)
    assert (order["buyer_id"], order["provider_id"]) == (alice.user_id, bob.user_id)
    assigned = client.get(f"/tasks/{task['task_id']}", alice).body
    assert (assigned["status"], assigned["order_id"], assigned["provider_id"]) == (
        "assigned", order["order_id"], bob.user_id)
    statuses = {o["offer_id"]: o["status"] for o in client.get(f"/tasks/{task['task_id']}/offers", alice).body["items"]}
    assert statuses == {bobs["offer_id"]: "accepted", carols["offer_id"]: "declined"}
    assert client.get(f"/orders/{order['order_id']}", bob).body["status"] == "accepted"


def test_accepting_the_accepted_offer_again_returns_the_same_order(client, people):
    task = post_task(client, people["alice"])
    made = offer(client, people["bob"], task["task_id"]).body
    path = f"/tasks/{task['task_id']}/offers/{made['offer_id']}/accept"
    first = client.post(path, people["alice"]).body
    assert client.post(path, people["alice"]).body["order_id"] == first["order_id"]


def test_the_requester_sees_every_offer_with_its_providers_profile_and_a_provider_only_their_own(client, people):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    task = post_task(client, alice)
    offer(client, bob, task["task_id"], 7000)
    offer(client, carol, task["task_id"], 6500)
    everything = client.get(f"/tasks/{task['task_id']}/offers", alice).body["items"]
    assert sorted(o["provider_id"] for o in everything) == sorted([bob.user_id, carol.user_id])
    bobs = next(o for o in everything if o["provider_id"] == bob.user_id)
    assert bobs["provider"]["display_name"] == "Bob"
    assert bobs["provider"]["rating_count"] == 0
    own = client.get(f"/tasks/{task['task_id']}/offers", carol).body["items"]
    assert [o["provider_id"] for o in own] == [carol.user_id]
    assert client.get(f"/tasks/{task['task_id']}/offers", people["dave"]).body["items"] == []


def test_a_provider_has_one_live_offer_per_task_and_may_offer_again_after_withdrawing(client, people):
    task = post_task(client, people["alice"])
    first = offer(client, people["bob"], task["task_id"], 7000).body
    again = offer(client, people["bob"], task["task_id"], 6000)
    assert (again.status, again.body["Code"]) == (409, "ConflictError")
    withdrawn = client.post(f"/tasks/{task['task_id']}/offers/{first['offer_id']}/withdraw", people["bob"])
    assert withdrawn.body["status"] == "withdrawn"
    renewed = offer(client, people["bob"], task["task_id"], 6000)
    assert renewed.status == 201, renewed.body
    assert renewed.body["offer_id"] != first["offer_id"]


def test_a_withdrawn_offer_cannot_be_accepted(client, people):
    task = post_task(client, people["alice"])
    made = offer(client, people["bob"], task["task_id"]).body
    client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/withdraw", people["bob"])
    answer = client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/accept", people["alice"])
    assert answer.status == 409
    assert client.get(f"/tasks/{task['task_id']}", people["alice"]).body["status"] == "open"


def test_a_requester_cannot_offer_on_their_own_task(client, people):
    task = post_task(client, people["alice"])
    assert offer(client, people["alice"], task["task_id"]).status == 400


def test_only_the_requester_accepts_or_cancels(client, people):
    task = post_task(client, people["alice"])
    made = offer(client, people["bob"], task["task_id"]).body
    assert client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/accept", people["bob"]).status == 403
    assert client.post(f"/tasks/{task['task_id']}/cancel", people["bob"]).status == 403


def test_a_cancelled_task_takes_no_offers_and_only_its_requester_sees_it(client, people):
    task = post_task(client, people["alice"])
    cancelled = client.post(f"/tasks/{task['task_id']}/cancel", people["alice"])
    assert cancelled.body["status"] == "cancelled"
    assert client.get(f"/tasks/{task['task_id']}", people["bob"]).status == 404
    assert offer(client, people["bob"], task["task_id"]).status == 404
    assert client.post(f"/tasks/{task['task_id']}/cancel", people["alice"]).status == 409


def test_an_assigned_task_is_seen_by_its_requester_and_provider_only(client, people):
    task = post_task(client, people["alice"])
    made = offer(client, people["bob"], task["task_id"]).body
    offer(client, people["carol"], task["task_id"])
    client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/accept", people["alice"])
    assert client.get(f"/tasks/{task['task_id']}", people["bob"]).status == 200
    assert client.get(f"/tasks/{task['task_id']}", people["carol"]).status == 404
    assert client.get(f"/tasks/{task['task_id']}/offers", people["carol"]).status == 404


def test_a_task_past_its_expiry_is_expired_at_once_and_the_sweep_writes_it(client, people):
    task = post_task(client, people["alice"], expires_in_s=60)
    later = now() + timedelta(seconds=61)
    assert task_service.expire_overdue_tasks(now()) == 0
    assert task_service.expire_overdue_tasks(later) == 1
    assert client.get(f"/tasks/{task['task_id']}", people["alice"]).body["status"] == "expired"
    assert client.get(f"/tasks/{task['task_id']}", people["bob"]).status == 404


def test_a_requester_has_at_most_max_open_tasks(client, people, monkeypatch):
    monkeypatch.setenv("MAX_OPEN_TASKS", "2")
    first = post_task(client, people["alice"])
    post_task(client, people["alice"])
    third = client.post("/tasks", people["alice"], task_body())
    assert (third.status, third.body["Code"]) == (409, "ConflictError")
    assert "MAX_OPEN_TASKS" in third.body["Message"]
    client.post(f"/tasks/{first['task_id']}/cancel", people["alice"])
    assert client.post("/tasks", people["alice"], task_body()).status == 201


def test_a_task_takes_at_most_max_offers_per_task_providers(client, people, monkeypatch):
    monkeypatch.setenv("MAX_OFFERS_PER_TASK", "2")
    task = post_task(client, people["alice"])
    assert offer(client, people["bob"], task["task_id"]).status == 201
    assert offer(client, people["carol"], task["task_id"]).status == 201
    full = offer(client, people["dave"], task["task_id"])
    assert full.status == 409
    assert "MAX_OFFERS_PER_TASK" in full.body["Message"]


def test_my_tasks_lists_those_i_posted_and_those_assigned_to_me(client, people):
    first = post_task(client, people["alice"], title="First")
    second = post_task(client, people["alice"], title="Second")
    made = offer(client, people["bob"], first["task_id"]).body
    client.post(f"/tasks/{first['task_id']}/offers/{made['offer_id']}/accept", people["alice"])
    posted = client.get("/tasks?role=requester", people["alice"]).body["items"]
    assert [t["task_id"] for t in posted] == [second["task_id"], first["task_id"]]
    assigned = client.get("/tasks?role=provider", people["bob"]).body["items"]
    assert [t["task_id"] for t in assigned] == [first["task_id"]]
    assert client.get("/tasks?role=provider", people["alice"]).body["items"] == []


def test_posted_tasks_enter_the_nearby_index_and_leave_it_when_cancelled_assigned_expired_or_taken_down(
        client, make_user):
    """Through the task routes and the sweep, not seeded: the store's own writes keep the index right."""
    from tests.integration.test_moderation import report

    alice, bob, carol = make_user("Alice"), make_user("Bob"), make_user("Carol")
    olga = make_user("Olga", operator=True)
    near = f"/tasks/nearby?lat={PEOPLES_SQUARE[0]}&lon={PEOPLES_SQUARE[1]}&radius_m=1000&limit=100"

    def listed() -> set[str]:
        return {item["task_id"] for item in client.get(near, carol).body["items"]}

    cancelled, accepted, expiring, taken_down = (post_task(client, alice, expires_in_s=seconds)
                                                  for seconds in (3600, 3600, 60, 3600))
    posted = {task["task_id"] for task in (cancelled, accepted, expiring, taken_down)}
    assert posted <= listed()
    assert client.post(f"/tasks/{cancelled['task_id']}/cancel", alice).status == 200
    made = offer(client, bob, accepted["task_id"]).body
    assert client.post(f"/tasks/{accepted['task_id']}/offers/{made['offer_id']}/accept", alice).status == 200
    assert task_service.expire_overdue_tasks(now() + timedelta(seconds=120)) >= 1
    filed = report(client, bob, "task", taken_down["task_id"]).body
    assert client.post(f"/admin/reports/{filed['report_id']}/close", olga, {"action": "takedown"}).status == 200
    assert listed() & posted == set()
