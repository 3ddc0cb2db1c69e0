"""Reports about tasks and what operators decide: a takedown hides a task from everyone but its requester, a
suspension hides the user's open tasks until it is lifted (as for listings, test_moderation.py)."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.clock import now
from chalicelib.domain.ids import new_id
from chalicelib.domain.orders import order_from_offer
from chalicelib.domain.tasks import assigned
from chalicelib.store import tasks as task_store
from tests.integration.test_moderation import report
from tests.integration.test_tasks import offer, post_task


@pytest.fixture
def cast(client: Any, make_user: Any) -> tuple[Any, Any, Any, dict[str, Any]]:
    """Alice posts a need; Bob is a provider nearby; Olga is an operator."""
    alice, bob, olga = make_user("Alice"), make_user("Bob"), make_user("Olga", operator=True)
    return alice, bob, olga, post_task(client, alice)


def close(client: Any, olga: Any, report_id: str, action: str) -> Any:
    answer = client.post(f"/admin/reports/{report_id}/close", olga, {"action": action})
    assert answer.status == 200, answer.body
    return answer


def test_a_report_about_a_task_names_its_requester(client, cast):
    alice, bob, _olga, task = cast
    filed = report(client, bob, "task", task["task_id"])
    assert filed.status == 201, filed.body
    assert filed.body["subject_owner"] == alice.user_id


def test_a_task_the_reporter_cannot_see_is_not_found(client, cast, make_user):
    alice, bob, _olga, task = cast
    client.post(f"/tasks/{task['task_id']}/cancel", alice)
    assert report(client, bob, "task", task["task_id"]).status == 404


def test_a_takedown_hides_the_task_from_everyone_but_its_requester(client, cast):
    alice, bob, olga, task = cast
    close(client, olga, report(client, bob, "task", task["task_id"]).body["report_id"], "takedown")
    assert client.get(f"/tasks/{task['task_id']}", bob).status == 404
    assert offer(client, bob, task["task_id"]).status == 404
    seen = client.get(f"/tasks/{task['task_id']}", alice).body
    assert (seen["status"], seen["hidden"]) == ("open", "takedown")


def test_a_suspension_hides_the_users_open_tasks_and_reinstating_shows_them_again(client, cast):
    alice, bob, olga, task = cast
    close(client, olga, report(client, bob, "user", alice.user_id).body["report_id"], "suspend")
    assert client.get(f"/tasks/{task['task_id']}", bob).status == 404
    assert client.post(f"/admin/users/{alice.user_id}/reinstate", olga).status == 200
    assert client.get(f"/tasks/{task['task_id']}", bob).body["hidden"] is None
    assert offer(client, bob, task["task_id"]).status == 201


def test_a_suspended_requester_cannot_post_or_accept(client, cast):
    alice, bob, olga, task = cast
    made = offer(client, bob, task["task_id"]).body
    close(client, olga, report(client, bob, "user", alice.user_id).body["report_id"], "suspend")
    assert client.post("/tasks", alice, {"title": "x", "category": "errands", "budget_cents": 100, "lat": 31.23,
                                         "lon": 121.47}).status == 403
    assert client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/accept", alice).status == 403


def test_a_taken_down_task_cannot_be_turned_into_an_order(client, cast):
    alice, bob, olga, task = cast
    made = offer(client, bob, task["task_id"]).body
    close(client, olga, report(client, bob, "task", task["task_id"]).body["report_id"], "takedown")
    accepted = client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/accept", alice)
    assert accepted.status == 409, accepted.body


def test_a_suspended_providers_offer_cannot_be_accepted(client, cast):
    alice, bob, olga, task = cast
    made = offer(client, bob, task["task_id"]).body
    close(client, olga, report(client, alice, "user", bob.user_id).body["report_id"], "suspend")
    accepted = client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/accept", alice)
    assert accepted.status == 409, accepted.body
    assert "suspended" in accepted.body["Message"]


def test_a_takedown_landing_between_an_accepts_read_and_its_write_stands(client, cast):
    """The accept puts the whole task as it read it: its condition refuses a task hidden since."""
    alice, bob, _olga, task = cast
    task_id = task["task_id"]
    offer(client, bob, task_id)
    before = task_store.get(task_id)
    chosen = task_store.offer_of(task_id, bob.user_id)
    assert before is not None and chosen is not None
    assert task_store.hide(before, "takedown")  # the operator's takedown, after the accept read the task
    moment = now()
    order = order_from_offer(order_id=new_id(), task_id=task_id, buyer_id=alice.user_id, provider_id=bob.user_id,
                             price_cents=chosen.price_cents, currency=chosen.currency, note="", fee_bps=0, now=moment)
    with pytest.raises(task_store.Refused):
        task_store.assign(before, assigned(before, chosen, order.order_id, moment), chosen, [], order)
    stored = task_store.get(task_id)
    assert stored is not None and (stored.status, stored.hidden) == ("open", "takedown")


def test_a_taken_down_assigned_task_leaves_its_providers_list_too(client, cast):
    alice, bob, olga, task = cast
    made = offer(client, bob, task["task_id"]).body
    assert client.post(f"/tasks/{task['task_id']}/offers/{made['offer_id']}/accept", alice).status == 200
    close(client, olga, report(client, bob, "task", task["task_id"]).body["report_id"], "takedown")
    assert client.get(f"/tasks/{task['task_id']}", bob).status == 404
    assert client.get("/tasks?role=provider", bob).body["items"] == []
