"""Events over a real WebSocket against the running local stack (`make run`'s runner): pushed in order, once each,
to the right user only, and caught up with GET /events after a reconnect."""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

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
