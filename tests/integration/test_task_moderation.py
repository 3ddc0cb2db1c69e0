"""Reports about tasks and what operators decide: a takedown hides a task from everyone but its requester, a
suspension hides the user's open tasks until it is lifted (as for listings, test_moderation.py)."""
from __future__ import annotations

from typing import Any

import pytest

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
