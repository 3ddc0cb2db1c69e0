"""Events over a real WebSocket against the running local stack (`make run`'s runner): pushed in order, once each,
to the right user only, and caught up with GET /events after a reconnect; a posted need from alert to settlement."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.conftest import ROOT
from tests.e2e.conftest import sign_in

FRAME_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def stack_settings() -> dict[str, str]:
    return {"DEMO_LISTINGS": "40", "DEMO_PROVIDERS": "4", "LOCAL_SCHEDULE_S": "1"}


@pytest.fixture(scope="module")
def people(running_stack: dict[str, Any]) -> dict[str, dict[str, str]]:
    password = running_stack["demo_password"]
    return {who: sign_in(running_stack, f"{who}@everywhere.local", password) for who in ("alice", "bob", "olga")}


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


@contextmanager
def socket_of(stack: dict[str, Any], headers: dict[str, str]) -> Iterator[ClientConnection]:
    with connect(f"{stack['ws_url']}/?token={token_of(headers)}", open_timeout=30) as socket:
        yield socket


def frames(socket: ClientConnection, count: int) -> list[dict[str, Any]]:
    """The next `count` frames (each one JSON event), failing if they do not come."""
    return [json.loads(socket.recv(timeout=FRAME_TIMEOUT_S)) for _ in range(count)]


def no_more_frames(socket: ClientConnection, wait_s: float = 2.0) -> bool:
    try:
        socket.recv(timeout=wait_s)
    except TimeoutError:
        return True
    return False


def events_after(stack: dict[str, Any], headers: dict[str, str], after: int) -> list[dict[str, Any]]:
    answer = requests.get(f"{stack['api_url']}/events", params={"after": after, "limit": 100}, headers=headers,
                          timeout=60)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def last_event_id(stack: dict[str, Any], headers: dict[str, str]) -> int:
    events = events_after(stack, headers, 0)
    return events[-1]["event_id"] if events else 0


def post(stack: dict[str, Any], path: str, headers: dict[str, str], body: Any = None, **extra: str) -> Any:
    answer = requests.post(f"{stack['api_url']}{path}", headers={**headers, **extra}, json=body, timeout=60)
    assert answer.status_code in (200, 201, 202), answer.text
    return answer.json()


def test_a_chat_and_every_step_of_an_order_reach_both_parties_in_order_once_each_and_nobody_else(
    running_stack, people
):
    stack, alice, bob, olga = running_stack, people["alice"], people["bob"], people["olga"]
    marks = {who: last_event_id(stack, people[who]) for who in people}
    with socket_of(stack, alice) as alice_socket, socket_of(stack, bob) as bob_socket, \
            socket_of(stack, olga) as olga_socket:
        listing = post(stack, "/listings", bob, {"title": "Bike repair", "category": "repair", "price_cents": 4000,
                                                 "lat": 31.2304, "lon": 121.4737})
        conversation = post(stack, "/conversations", alice, {"listing_id": listing["listing_id"]})
        post(stack, f"/conversations/{conversation['conversation_id']}/messages", bob, {"text": "Ready at 3pm"})
        [message] = frames(alice_socket, 1)
        assert message["kind"] == "message.created" and message["data"]["text"] == "Ready at 3pm"

        post(stack, "/wallet/deposits", alice, {"amount_cents": 10_000}, **{"Idempotency-Key": str(uuid.uuid4())})
        order = post(stack, "/orders", alice, {"listing_id": listing["listing_id"]},
                     **{"Idempotency-Key": str(uuid.uuid4())})
        path = f"/orders/{order['order_id']}"
        post(stack, f"{path}/accept", bob)
        post(stack, f"{path}/pay", alice, **{"Idempotency-Key": str(uuid.uuid4())})
        steps = ["requested", "accepted", "paying", "funded"]
        seen = {"alice": frames(alice_socket, 4), "bob": frames(bob_socket, 4)}  # funded: written by the workflow
        post(stack, f"{path}/deliver", bob)
        for who, socket in (("alice", alice_socket), ("bob", bob_socket)):
            seen[who] += frames(socket, 1)
        post(stack, f"{path}/confirm", alice)
        for who, socket in (("alice", alice_socket), ("bob", bob_socket)):
            seen[who] += frames(socket, 1)  # released: written by the workflow
        for who in ("alice", "bob"):
            assert [f["data"]["status"] for f in seen[who]] == [*steps, "delivered", "released"], who
            assert {f["data"]["order_id"] for f in seen[who]} == {order["order_id"]}
            first = marks[who] + (2 if who == "alice" else 1)  # alice's message event came first
            assert [f["event_id"] for f in seen[who]] == list(range(first, first + 6)), who
            assert no_more_frames(alice_socket if who == "alice" else bob_socket, 0.5)
        assert no_more_frames(olga_socket)
    assert last_event_id(stack, olga) == marks["olga"]


def test_a_client_that_was_away_catches_up_with_no_gap_or_double(running_stack, people):
    """As a client does (scripts/watch_events.py): after reconnecting it reads what it missed with GET /events and
    keeps pushed frames it has not seen; a frame pushed for an event it already read is the same event."""
    stack, alice, bob = running_stack, people["alice"], people["bob"]
    listing = post(stack, "/listings", bob, {"title": "Piano lessons", "category": "education", "price_cents": 9000,
                                             "lat": 31.2304, "lon": 121.4737})
    conversation = post(stack, "/conversations", alice, {"listing_id": listing["listing_id"]})
    messages = f"/conversations/{conversation['conversation_id']}/messages"
    with socket_of(stack, bob) as socket:
        post(stack, messages, alice, {"text": "one"})
        [seen] = frames(socket, 1)
    post(stack, messages, alice, {"text": "two"})  # while bob is away
    post(stack, messages, alice, {"text": "three"})
    shown = {seen["event_id"]: seen}
    with socket_of(stack, bob) as socket:
        for event in events_after(stack, bob, seen["event_id"]):
            shown.setdefault(event["event_id"], event)
        post(stack, messages, alice, {"text": "four"})
        while "four" not in [event["data"]["text"] for event in shown.values()]:
            [pushed] = frames(socket, 1)
            assert shown.setdefault(pushed["event_id"], pushed) == pushed  # a repeat is the very same event
    ids = sorted(shown)
    assert [shown[i]["data"]["text"] for i in ids] == ["one", "two", "three", "four"]
    assert ids == list(range(ids[0], ids[0] + 4))


@pytest.mark.parametrize("query", ["", "?token=", "?token=not.a.token"])
def test_a_connection_without_a_valid_token_is_refused(running_stack, query):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{running_stack['ws_url']}/{query}", open_timeout=30)
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body)["Code"] == "UnauthorizedError"


def test_a_ping_is_answered_and_anything_else_gets_an_error_frame(running_stack, people):
    with socket_of(running_stack, people["olga"]) as socket:
        socket.send(json.dumps({"action": "ping"}))
        assert json.loads(socket.recv(timeout=FRAME_TIMEOUT_S))["kind"] == "pong"
        socket.send("hello")
        assert json.loads(socket.recv(timeout=FRAME_TIMEOUT_S))["Code"] == "BadRequestError"


def frames_of_kind(socket: ClientConnection, kind: str, count: int) -> list[dict[str, Any]]:
    """The next `count` frames of one kind (frames of other kinds in between are passed over)."""
    found: list[dict[str, Any]] = []
    while len(found) < count:
        [frame] = frames(socket, 1)
        if frame["kind"] == kind:
            found.append(frame)
    return found


def put(stack: dict[str, Any], path: str, headers: dict[str, str], body: Any) -> Any:
    answer = requests.put(f"{stack['api_url']}{path}", headers=headers, json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_posted_need_alerts_two_providers_live_both_offer_and_the_accepted_order_settles_through_escrow(
    running_stack, people
):
    """Issue 16's walkthrough: alice posts, bob and a demo provider (alert areas set) hear of it at once over their
    sockets, both offer, alice hears of both offers and accepts bob's; the order then pays, delivers and settles."""
    stack, alice, bob = running_stack, people["alice"], people["bob"]
    carol = sign_in(stack, "provider-1@everywhere.local", stack["demo_password"])
    square = {"lat": 31.2304, "lon": 121.4737}
    for provider in (bob, carol):
        put(stack, "/me/alerts", provider, {**square, "radius_m": 3000, "categories": ["errands"]})
    with socket_of(stack, alice) as alice_socket, socket_of(stack, bob) as bob_socket, \
            socket_of(stack, carol) as carol_socket:
        task = post(stack, "/tasks", alice, {"title": "Queue for concert tickets", "category": "errands",
                                             "budget_cents": 5000, "lat": 31.2310, "lon": 121.4740})
        for socket in (bob_socket, carol_socket):
            [told] = frames_of_kind(socket, "task.nearby", 1)
            assert told["data"]["task_id"] == task["task_id"]
        bobs = post(stack, f"/tasks/{task['task_id']}/offers", bob, {"price_cents": 4500, "message": "On my way"})
        post(stack, f"/tasks/{task['task_id']}/offers", carol, {"price_cents": 4800})
        offered = frames_of_kind(alice_socket, "task.offer", 2)
        assert {frame["data"]["price_cents"] for frame in offered} == {4500, 4800}
        order = post(stack, f"/tasks/{task['task_id']}/offers/{bobs['offer_id']}/accept", alice)
        assert (order["status"], order["price_cents"], order["task_id"]) == ("accepted", 4500, task["task_id"])
        [declined] = frames_of_kind(carol_socket, "task.updated", 1)
        assert declined["data"]["status"] == "assigned" and "order_id" not in declined["data"]

        before = {who: requests.get(f"{stack['api_url']}/wallet", headers=people[who], timeout=60).json()
                  for who in ("alice", "bob")}
        post(stack, "/wallet/deposits", alice, {"amount_cents": 4500}, **{"Idempotency-Key": str(uuid.uuid4())})
        path = f"/orders/{order['order_id']}"
        post(stack, f"{path}/pay", alice, **{"Idempotency-Key": str(uuid.uuid4())})
        statuses = [frame["data"]["status"] for frame in frames_of_kind(bob_socket, "order.updated", 3)]
        assert statuses == ["accepted", "paying", "funded"]
        post(stack, f"{path}/deliver", bob)
        frames_of_kind(alice_socket, "order.updated", 4)  # accepted, paying, funded, delivered
        post(stack, f"{path}/confirm", alice)
        [released] = frames_of_kind(bob_socket, "order.updated", 2)[1:]
        assert released["data"]["status"] == "released"
    after = {who: requests.get(f"{stack['api_url']}/wallet", headers=people[who], timeout=60).json()
             for who in ("alice", "bob")}
    assert after["alice"]["available_cents"] == before["alice"]["available_cents"]
    assert after["bob"]["available_cents"] == before["bob"]["available_cents"] + 4500
    # Both review (issue 17): sealed until the second, then on Bob's profile.
    sealed = post(stack, f"{path}/review", alice, {"rating": 5, "text": "Got the tickets"})
    assert sealed["published_at"] is None
    assert post(stack, f"{path}/review", bob, {"rating": 4})["published_at"] is not None
    bob_id = order["provider_id"]
    reviews = requests.get(f"{stack['api_url']}/users/{bob_id}/reviews", headers=alice, timeout=60).json()["items"]
    assert [(review["role"], review["rating"]) for review in reviews] == [("buyer", 5)]
    profile = requests.get(f"{stack['api_url']}/users/{bob_id}", headers=alice, timeout=60).json()
    assert profile["rating_count"] >= 1 and profile["rating_score"] is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    books = subprocess.run([sys.executable, "-m", "scripts.reconcile"], cwd=ROOT, capture_output=True, text=True,
                           timeout=60, check=False, env={**env, "STATE_DIR": str(stack["state_dir"])})
    assert books.returncode == 0, books.stdout + books.stderr
    assert "the books are clean" in books.stdout
