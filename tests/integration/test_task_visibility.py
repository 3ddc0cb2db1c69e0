"""Who sees and acts on a task: its requester always; anyone signed in while it is open; afterwards its assigned
provider too, and nobody else (an operator included: 404, as for an absent task). Offers: the requester sees all,
a provider only their own. A refused call changes nothing.

Callers: the requester, a provider who offered and was declined (`offerer`), the provider whose offer was accepted
(`assignee`), a stranger, an operator, and nobody (no token). The cases share one stack (module scope).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import NO_RATE_LIMITS, Api, User
from tests.integration.conftest import SharedApp
from tests.integration.test_tasks import task_body

ABSENT = "01J0000000000000000000000T"


@dataclass
class World:
    client: Api
    users: dict[str, User]
    tasks: dict[str, dict[str, Any]]  # open (offered on by offerer), assigned (to assignee), cancelled
    offers: dict[str, str]  # offer ids: open-offerer, assigned-offerer, assigned-assignee

    def caller(self, name: str) -> User | None:
        return self.users.get(name)

    def snapshot(self) -> list[Any]:
        requester = self.users["requester"]
        return [(self.client.get(f"/tasks/{task['task_id']}", requester).body,
                 self.client.get(f"/tasks/{task['task_id']}/offers", requester).body) for task in self.tasks.values()]


@pytest.fixture(scope="module", autouse=True)
def _no_rate_limits() -> Any:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RATE_LIMITS", NO_RATE_LIMITS)
        yield


@pytest.fixture(scope="module")
def world(shared_app: SharedApp, _no_rate_limits: Any) -> World:
    client = shared_app.client
    users = {name: shared_app.user(f"{name}@example.com", name=name.title())
             for name in ("requester", "offerer", "assignee", "stranger")}
    users["operator"] = shared_app.user("operator@example.com", operator=True)
    requester = users["requester"]

    def post(title: str) -> dict[str, Any]:
        answer = client.post("/tasks", requester, task_body(title=title))
        assert answer.status == 201, answer
        return dict(answer.body)

    def offer(user: str, task: dict[str, Any]) -> str:
        answer = client.post(f"/tasks/{task['task_id']}/offers", users[user], {"price_cents": 5000})
        assert answer.status == 201, answer
        return str(answer.body["offer_id"])

    tasks = {"open": post("Open"), "assigned": post("Assigned"), "cancelled": post("Cancelled")}
    offers = {"open-offerer": offer("offerer", tasks["open"]),
              "assigned-offerer": offer("offerer", tasks["assigned"]),
              "assigned-assignee": offer("assignee", tasks["assigned"])}
    accepted = client.post(f"/tasks/{tasks['assigned']['task_id']}/offers/{offers['assigned-assignee']}/accept",
                           requester)
    assert accepted.status == 200, accepted
    assert client.post(f"/tasks/{tasks['cancelled']['task_id']}/cancel", requester).status == 200
    return World(client, users, tasks, offers)


READS = [  # (task, caller, GET /tasks/{id}, GET /tasks/{id}/offers: status and how many offers listed)
    ("open", "requester", 200, (200, 1)),
    ("open", "offerer", 200, (200, 1)),
    ("open", "assignee", 200, (200, 0)),
    ("open", "stranger", 200, (200, 0)),
    ("open", "operator", 200, (200, 0)),
    ("open", "nobody", 401, (401, None)),
    ("assigned", "requester", 200, (200, 2)),
    ("assigned", "assignee", 200, (200, 1)),
    ("assigned", "offerer", 404, (404, None)),
    ("assigned", "stranger", 404, (404, None)),
    ("assigned", "operator", 404, (404, None)),
    ("cancelled", "requester", 200, (200, 0)),
    ("cancelled", "offerer", 404, (404, None)),
    ("cancelled", "stranger", 404, (404, None)),
    ("absent", "requester", 404, (404, None)),
    ("absent", "stranger", 404, (404, None)),
]


def _task_id(world: World, task: str) -> str:
    return ABSENT if task == "absent" else str(world.tasks[task]["task_id"])


@pytest.mark.parametrize(("task", "caller", "status", "offers"), READS,
                         ids=[f"{task}-{caller}" for task, caller, *_ in READS])
def test_who_reads_a_task_and_its_offers(world, task, caller, status, offers):
    task_id = _task_id(world, task)
    assert world.client.get(f"/tasks/{task_id}", world.caller(caller)).status == status
    listed = world.client.get(f"/tasks/{task_id}/offers", world.caller(caller))
    assert listed.status == offers[0]
    if offers[1] is not None:
        assert len(listed.body["items"]) == offers[1]
        assert all(item["provider_id"] == world.users[caller].user_id
                   for item in listed.body["items"]) or caller == "requester"


ACTIONS = [  # (task, caller, what, expected status): every one refused, and nothing changes
    ("open", "offerer", "cancel", 403),
    ("open", "stranger", "cancel", 403),
    ("open", "operator", "cancel", 403),
    ("open", "nobody", "cancel", 401),
    ("open", "stranger", "accept:open-offerer", 403),
    ("open", "offerer", "accept:open-offerer", 403),
    ("open", "stranger", "withdraw:open-offerer", 404),
    ("open", "requester", "withdraw:open-offerer", 404),
    ("assigned", "assignee", "cancel", 403),
    ("assigned", "stranger", "cancel", 404),
    ("assigned", "offerer", "withdraw:assigned-offerer", 404),
    ("assigned", "requester", "accept:assigned-offerer", 409),
    ("assigned", "requester", "cancel", 409),
    ("assigned", "stranger", "offer", 404),
    ("cancelled", "stranger", "offer", 404),
    ("cancelled", "requester", "cancel", 409),
    ("absent", "requester", "cancel", 404),
    ("absent", "stranger", "offer", 404),
    ("open", "requester", "offer", 400),
    ("open", "offerer", "offer", 409),
]


@pytest.mark.parametrize(("task", "caller", "what", "status"), ACTIONS,
                         ids=[f"{task}-{caller}-{what}" for task, caller, what, _ in ACTIONS])
def test_a_refused_action_on_a_task_changes_nothing(world, task, caller, what, status):
    task_id = _task_id(world, task)
    action, _, offer = what.partition(":")
    path, body = {
        "cancel": (f"/tasks/{task_id}/cancel", None),
        "offer": (f"/tasks/{task_id}/offers", {"price_cents": 4000}),
        "accept": (f"/tasks/{task_id}/offers/{world.offers.get(offer)}/accept", None),
        "withdraw": (f"/tasks/{task_id}/offers/{world.offers.get(offer)}/withdraw", None),
    }[action]
    before = world.snapshot()
    answer = world.client.post(path, world.caller(caller), body)
    assert answer.status == status, answer
    if status != 401:  # (the authorizer's 401 is API Gateway's own body; scripts/gateway_responses.py shapes it)
        assert set(answer.body) == {"Code", "Message"}
    assert world.snapshot() == before
