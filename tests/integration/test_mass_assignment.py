"""No mass assignment in chat and orders: a server-owned field in a request body is refused, never stored.

Every write route of chat and orders gets an otherwise valid body with one server-owned field added. The answer
must be 400 `BadRequestError` naming that field, and nothing may be stored: no conversation, message or order
appears, and the order acted on keeps its status.

The cases share one stack (module scope). A snapshot of everything a refused request could have written is
taken before each case and compared after it; the positive controls at the end use users and orders of their
own, so they never touch what the table checks.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Answer, Api, User, listing_body
from tests.integration.conftest import SharedApp

AT = "2020-01-01T00:00:00Z"


# ---- the shared world ----
@dataclass
class World:
    client: Api
    provider: User  # owns the listing
    buyer: User  # has a conversation (no messages) and a requested order with the provider
    creator: User  # every create in the table is theirs, and every one is refused
    listing: dict[str, Any]
    conversation: dict[str, Any]
    order: dict[str, Any]

    def order_key(self) -> dict[str, str]:
        return {"Idempotency-Key": str(uuid.uuid4())}


@pytest.fixture(scope="module")
def world(shared_app: SharedApp) -> World:
    client, user = shared_app.client, shared_app.user
    provider, buyer, creator = user("provider@example.com"), user("buyer@example.com"), user("creator@example.com")
    listing = client.post("/listings", provider, listing_body())
    assert listing.status == 201, listing
    conversation = client.post("/conversations", buyer, {"listing_id": listing.body["listing_id"]})
    assert conversation.status == 201, conversation
    order = client.post("/orders", buyer, {"listing_id": listing.body["listing_id"]},
                        headers={"Idempotency-Key": str(uuid.uuid4())})
    assert order.status == 201 and order.body["status"] == "requested", order
    return World(client, provider, buyer, creator, listing.body, conversation.body, order.body)


def state(world: World) -> dict[str, Any]:
    """Everything a refused write could have touched."""
    client, conversation_id = world.client, world.conversation["conversation_id"]
    seen = {
        "creator's conversations": client.get("/conversations", world.creator),
        "creator's orders": client.get("/orders?role=buyer", world.creator),
        "buyer's conversations": client.get("/conversations", world.buyer),
        "messages": client.get(f"/conversations/{conversation_id}/messages", world.buyer),
        "buyer's orders": client.get("/orders?role=buyer", world.buyer),
        "provider's orders": client.get("/orders?role=provider", world.provider),
        "the order": client.get(f"/orders/{world.order['order_id']}", world.buyer),
    }
    for name, answer in seen.items():
        assert answer.status == 200, (name, answer)
    return {name: answer.body for name, answer in seen.items()}


@pytest.fixture
def snapshot(world: World) -> Iterator[None]:
    """Around each case: nothing was stored, and nothing changed."""
    before = state(world)
    nothing = {"items": [], "next_cursor": None}
    assert before["creator's conversations"] == nothing, "a refused conversation was stored"
    assert before["creator's orders"] == nothing, "a refused order was stored"
    assert before["messages"] == nothing, "a refused message was stored"
    assert before["the order"]["status"] == "requested", "a refused action moved the order"
    yield
    after = state(world)
    assert after == before, {name: (before[name], after[name]) for name in before if after[name] != before[name]}


# ---- the table ----
@dataclass(frozen=True)
class Route:
    id: str
    path: str
    caller: str
    body: dict[str, Any]  # a valid body: the route accepts it as it is
    idempotent: bool = False

    def call(self, world: World, body: dict[str, Any]) -> Answer:
        path = self.path.format(
            conversation=world.conversation["conversation_id"], order=world.order["order_id"],
        )
        headers = world.order_key() if self.idempotent else None
        answer = world.client.post(path, getattr(world, self.caller), body, headers=headers)
        assert answer.status < 500, answer
        return answer


# Listing ids are filled in when called: the table is built before the world exists.
LISTING = "{listing}"

ROUTES = [
    Route("open-conversation", "/conversations", "creator", {"listing_id": LISTING}),
    Route("send-message", "/conversations/{conversation}/messages", "buyer",
          {"text": "Is 40 yuan fine?", "offer_cents": 4000}),
    Route("place-order", "/orders", "creator", {"listing_id": LISTING, "price_cents": 4000, "note": "Rear tyre"},
          idempotent=True),
    Route("accept-order", "/orders/{order}/accept", "provider", {}),
    Route("decline-order", "/orders/{order}/decline", "provider", {}),
    Route("cancel-order", "/orders/{order}/cancel", "buyer", {}),
]

# Each server-owned field with a value of the right type, so the field itself is the only problem.
SERVER_OWNED: dict[str, Any] = {
    "status": "accepted",
    "buyer_id": "someone-else",
    "provider_id": "someone-else",
    "sender_id": "someone-else",
    "conversation_id": "01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "order_id": "01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "message_id": "01JZZZZZZZZZZZZZZZZZZZZZZZ",
    "created_at": AT,
    "updated_at": AT,
    "sent_at": AT,
    "fee_cents": 0,
    "currency": "CNY",
    "timeline": [{"status": "accepted", "at": AT}],
    "failure_reason": "none",
    "expires_at": "2099-01-01T00:00:00Z",
    "privileged": True,
}
ACTION_ROUTES = {"accept-order", "decline-order", "cancel-order"}  # they take no fields at all: price included


def cases() -> list[Any]:
    params = []
    for route in ROUTES:
        fields = dict(SERVER_OWNED)
        if route.id in ACTION_ROUTES:
            fields["price_cents"] = 1
        for field, value in fields.items():
            params.append(pytest.param(route, field, value, id=f"{route.id}:{field}"))
    return params


def with_listing(world: World, body: dict[str, Any]) -> dict[str, Any]:
    return {k: (world.listing["listing_id"] if v == LISTING else v) for k, v in body.items()}


@pytest.mark.parametrize(("route", "field", "value"), cases())
def test_a_server_owned_field_is_refused_with_400_naming_it_and_nothing_is_stored(world, snapshot, route, field, value):
    answer = route.call(world, {**with_listing(world, route.body), field: value})
    assert answer.status == 400, answer
    assert set(answer.body) == {"Code", "Message"}, answer.body
    assert answer.body["Code"] == "BadRequestError", answer.body
    assert field in answer.body["Message"], f"{answer.body['Message']!r} does not name {field!r}"


# ---- the controls: the same bodies without the extra field are accepted ----
def test_a_conversation_opens_with_just_its_listing(world):
    client = world.client
    listing = client.post("/listings", world.provider, listing_body(title="Control: chat"))
    opened = client.post("/conversations", world.buyer, {"listing_id": listing.body["listing_id"]})
    assert opened.status == 201, opened
    assert (opened.body["buyer_id"], opened.body["provider_id"]) == (world.buyer.user_id, world.provider.user_id)


def test_a_message_is_sent_with_its_text_and_offer(world):
    client = world.client
    listing = client.post("/listings", world.provider, listing_body(title="Control: message"))
    conversation = client.post("/conversations", world.buyer, {"listing_id": listing.body["listing_id"]}).body
    sent = client.post(f"/conversations/{conversation['conversation_id']}/messages", world.buyer,
                       {"text": "Is 40 yuan fine?", "offer_cents": 4000})
    assert sent.status == 201, sent
    assert (sent.body["sender_id"], sent.body["offer_cents"]) == (world.buyer.user_id, 4000)


def test_an_order_is_placed_with_its_price_and_note(world):
    client = world.client
    listing = client.post("/listings", world.provider, listing_body(title="Control: order"))
    placed = client.post("/orders", world.buyer, {"listing_id": listing.body["listing_id"], "price_cents": 4000,
                                                  "note": "Rear tyre"}, headers=world.order_key())
    assert placed.status == 201, placed
    assert (placed.body["status"], placed.body["price_cents"], placed.body["note"]) == ("requested", 4000, "Rear tyre")


@pytest.mark.parametrize(("action", "actor", "target"), [
    ("accept", "provider", "accepted"),
    ("decline", "provider", "declined"),
    ("cancel", "buyer", "cancelled"),
])
def test_an_order_action_is_taken_with_an_empty_object(world, action, actor, target):
    client = world.client
    listing = client.post("/listings", world.provider, listing_body(title=f"Control: {action}"))
    order = client.post("/orders", world.buyer, {"listing_id": listing.body["listing_id"]},
                        headers=world.order_key()).body
    answer = client.post(f"/orders/{order['order_id']}/{action}", getattr(world, actor), {})
    assert answer.status == 200, answer
    assert answer.body["status"] == target
