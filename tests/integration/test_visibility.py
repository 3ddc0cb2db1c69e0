"""Who sees what: a conversation or an order exists only for its participants (and an order for operators).

Every route that takes a conversation, message or order id is called by each kind of caller: the buyer, the
provider, a stranger (signed in, with conversations and orders of their own), an operator, and nobody (no
token). Only the allowed answers are accepted, and a refused call must change nothing. An id that does not
exist gets exactly the answer a stranger gets for a real one, so nobody can tell the two apart.

The cases share one stack (module scope). Order actions that succeed run on an order made for the case;
refused calls are checked against a snapshot taken just before them.
"""
from __future__ import annotations

import random
import string
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import NO_RATE_LIMITS, Answer, Api, User, listing_body
from tests.integration.conftest import SharedApp

CALLERS = ("buyer", "provider", "stranger", "operator", "nobody")


# ---- the shared world ----
@dataclass
class World:
    client: Api
    provider: User  # has the listing
    buyer: User  # opened the conversation and placed the order
    stranger: User  # a signed-in user with a conversation and an order of their own on the same listing
    operator: User  # member of the `operators` group
    listing: dict[str, Any]
    conversation: dict[str, Any]  # the buyer's conversation with the provider
    first_message: dict[str, Any]  # sent by the buyer
    second_message: dict[str, Any]  # sent by the provider
    order: dict[str, Any]  # the buyer's order, requested (never moved by this module)

    def caller(self, name: str) -> User | None:
        return None if name == "nobody" else getattr(self, name)

    def fill(self, path: str, order_id: str | None = None) -> str:
        return path.format(
            conversation=self.conversation["conversation_id"],
            first_message=self.first_message["message_id"],
            order=order_id or self.order["order_id"],
        )

    def place_order(self, status: str = "requested") -> dict[str, Any]:
        """A fresh order of the buyer's on the provider's listing, moved to `status`."""
        placed = self.client.post("/orders", self.buyer, {"listing_id": self.listing["listing_id"]},
                                  headers={"Idempotency-Key": str(uuid.uuid4())})
        assert placed.status == 201, placed
        order = placed.body
        if status != "requested":
            action, actor = {
                "accepted": ("accept", self.provider),
                "declined": ("decline", self.provider),
                "cancelled": ("cancel", self.buyer),
            }[status]
            moved = self.client.post(f"/orders/{order['order_id']}/{action}", actor)
            assert moved.status == 200 and moved.body["status"] == status, moved
            order = moved.body
        return order

    def order_as_buyer_sees_it(self, order_id: str) -> dict[str, Any]:
        seen = self.client.get(f"/orders/{order_id}", self.buyer)
        assert seen.status == 200, seen
        return seen.body

    def chat_as_buyer_sees_it(self) -> list[Any]:
        conversation = self.client.get(self.fill("/conversations/{conversation}"), self.buyer)
        messages = self.client.get(self.fill("/conversations/{conversation}/messages?limit=100"), self.buyer)
        assert conversation.status == 200 and messages.status == 200, (conversation, messages)
        return [conversation.body, messages.body]


@pytest.fixture(scope="module", autouse=True)
def no_rate_limits() -> Any:
    """These cases call the same routes hundreds of times as one user: what they check is who sees what."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RATE_LIMITS", NO_RATE_LIMITS)
        yield


@pytest.fixture(scope="module")
def world(shared_app: SharedApp) -> World:
    client, user = shared_app.client, shared_app.user
    provider, buyer = user("provider@example.com"), user("buyer@example.com")
    stranger, operator = user("stranger@example.com"), user("operator@example.com", operator=True)
    listing = client.post("/listings", provider, listing_body())
    assert listing.status == 201, listing
    listing_id = listing.body["listing_id"]
    conversation = client.post("/conversations", buyer, {"listing_id": listing_id})
    assert conversation.status == 201, conversation
    path = f"/conversations/{conversation.body['conversation_id']}/messages"
    first = client.post(path, buyer, {"text": "Can you fix a flat tyre today?"})
    second = client.post(path, provider, {"text": "Yes, after 5 pm."})
    assert (first.status, second.status) == (201, 201), (first, second)
    # The stranger is no outsider to the listing: they talk to the same provider and ordered too.
    own_chat = client.post("/conversations", stranger, {"listing_id": listing_id})
    assert own_chat.status == 201, own_chat
    own_order = client.post("/orders", stranger, {"listing_id": listing_id},
                            headers={"Idempotency-Key": str(uuid.uuid4())})
    assert own_order.status == 201, own_order
    world = World(client, provider, buyer, stranger, operator, listing.body, conversation.body,
                  first.body, second.body, order=None)  # type: ignore[arg-type]
    world.order = world.place_order()
    return world


def assert_error(answer: Answer, status: int, code: str) -> None:
    assert answer.status == status, answer
    if status == 401:
        return  # without a token the gateway answers itself, in its own shape
    assert set(answer.body) == {"Code", "Message"}, answer.body
    assert answer.body["Code"] == code, answer.body
    assert isinstance(answer.body["Message"], str) and answer.body["Message"].strip(), answer.body


ERROR_CODES = {401: "UnauthorizedError", 403: "ForbiddenError", 404: "NotFoundError", 409: "ConflictError"}


# ---- conversations: only the two participants; everyone else (operators too) gets 404 ----
@dataclass(frozen=True)
class Route:
    id: str
    method: str
    path: str
    body: Any = None
    ok: int = 200

    def call(self, world: World, caller: str, path: str | None = None) -> Answer:
        answer = world.client.call(self.method, path or world.fill(self.path), world.caller(caller), self.body)
        assert answer.status < 500, answer
        return answer


CHAT_ROUTES = [
    Route("read-conversation", "GET", "/conversations/{conversation}"),
    Route("send-message", "POST", "/conversations/{conversation}/messages", {"text": "Is 40 yuan fine?"}, ok=201),
    Route("read-messages", "GET", "/conversations/{conversation}/messages"),
    Route("read-messages-after", "GET", "/conversations/{conversation}/messages?after={first_message}"),
]
CHAT_ANSWERS = {"buyer": "ok", "provider": "ok", "stranger": 404, "operator": 404, "nobody": 401}


def chat_cases() -> list[Any]:
    return [
        pytest.param(route, caller, CHAT_ANSWERS[caller], id=f"{route.id}:{caller}")
        for route in CHAT_ROUTES
        for caller in CALLERS
    ]


@pytest.mark.parametrize(("route", "caller", "expected"), chat_cases())
def test_only_the_two_participants_see_or_write_a_conversation(world, route, caller, expected):
    before = world.chat_as_buyer_sees_it()
    answer = route.call(world, caller)
    if expected == "ok":
        assert answer.status == route.ok, answer
        return
    assert_error(answer, expected, ERROR_CODES[expected])
    assert world.chat_as_buyer_sees_it() == before, "a refused call changed the conversation"


@pytest.mark.parametrize("caller", ["buyer", "provider"])
def test_a_participant_reads_the_conversation_and_its_messages(world, caller):
    conversation = CHAT_ROUTES[0].call(world, caller)
    assert conversation.status == 200, conversation
    assert conversation.body["conversation_id"] == world.conversation["conversation_id"]
    assert (conversation.body["buyer_id"], conversation.body["provider_id"]) == (
        world.buyer.user_id, world.provider.user_id,
    )
    messages = CHAT_ROUTES[2].call(world, caller)
    assert [m["message_id"] for m in messages.body["items"][:2]] == [
        world.first_message["message_id"], world.second_message["message_id"],
    ]
    after = CHAT_ROUTES[3].call(world, caller)
    assert after.body["items"][0]["message_id"] == world.second_message["message_id"], after.body
    assert world.first_message["message_id"] not in [m["message_id"] for m in after.body["items"]]


@pytest.mark.parametrize("caller", ["buyer", "provider"])
def test_a_participants_message_is_theirs_and_joins_the_conversation(world, caller):
    sent = CHAT_ROUTES[1].call(world, caller)
    assert sent.status == 201, sent
    assert sent.body["sender_id"] == world.caller(caller).user_id
    assert sent.body["conversation_id"] == world.conversation["conversation_id"]
    assert sent.body in world.chat_as_buyer_sees_it()[1]["items"]


# ---- orders: reading ----
ORDER_READ_ANSWERS = {"buyer": 200, "provider": 200, "operator": 200, "stranger": 404, "nobody": 401}


@pytest.mark.parametrize("caller", CALLERS)
def test_an_order_is_seen_by_its_buyer_its_provider_and_operators_only(world, caller):
    expected = ORDER_READ_ANSWERS[caller]
    answer = world.client.get(f"/orders/{world.order['order_id']}", world.caller(caller))
    if expected == 200:
        assert answer.status == 200, answer
        assert answer.body == world.order_as_buyer_sees_it(world.order["order_id"])
    else:
        assert_error(answer, expected, ERROR_CODES[expected])


# ---- orders: acting ----
@dataclass(frozen=True)
class ActionCase:
    action: str
    caller: str
    status: str  # of the order before the call
    expected: int

    def param(self) -> Any:
        return pytest.param(self, id=f"{self.action}:{self.caller}:{self.status}")


TARGET = {"accept": "accepted", "decline": "declined", "cancel": "cancelled"}

ACTION_CASES = [
    # accept: the provider, while the order is requested
    ActionCase("accept", "provider", "requested", 200),
    ActionCase("accept", "provider", "accepted", 409),
    ActionCase("accept", "provider", "declined", 409),
    ActionCase("accept", "provider", "cancelled", 409),
    ActionCase("accept", "buyer", "requested", 403),
    ActionCase("accept", "operator", "requested", 403),
    ActionCase("accept", "stranger", "requested", 404),
    ActionCase("accept", "nobody", "requested", 401),
    # decline: the provider, while the order is requested
    ActionCase("decline", "provider", "requested", 200),
    ActionCase("decline", "provider", "accepted", 409),
    ActionCase("decline", "provider", "declined", 409),
    ActionCase("decline", "buyer", "requested", 403),
    ActionCase("decline", "operator", "requested", 403),
    ActionCase("decline", "stranger", "requested", 404),
    ActionCase("decline", "nobody", "requested", 401),
    # cancel: the buyer, before paying
    ActionCase("cancel", "buyer", "requested", 200),
    ActionCase("cancel", "buyer", "accepted", 200),
    ActionCase("cancel", "buyer", "declined", 409),
    ActionCase("cancel", "buyer", "cancelled", 409),
    ActionCase("cancel", "provider", "requested", 403),
    ActionCase("cancel", "operator", "requested", 403),
    ActionCase("cancel", "stranger", "requested", 404),
    ActionCase("cancel", "nobody", "requested", 401),
]


@pytest.mark.parametrize("case", [case.param() for case in ACTION_CASES])
def test_only_the_right_side_acts_on_an_order_and_only_when_its_status_allows(world, case):
    order = world.place_order(case.status)
    before = world.order_as_buyer_sees_it(order["order_id"])
    answer = world.client.post(f"/orders/{order['order_id']}/{case.action}", world.caller(case.caller))
    assert answer.status < 500, answer
    after = world.order_as_buyer_sees_it(order["order_id"])
    if case.expected == 200:
        assert answer.status == 200, answer
        assert answer.body["status"] == TARGET[case.action]
        assert after == answer.body
    else:
        assert_error(answer, case.expected, ERROR_CODES[case.expected])
        assert after == before, "a refused action changed the order"


# ---- operator routes: the dispute queue is for operators only; resolving is an operator's, on an order they see ----
ADMIN_ANSWERS = {
    # (route) -> caller -> answer. Resolving a requested order: 409 for an operator (only a disputed order is
    # resolved), 403 for its two sides, 404 for a stranger (they cannot see it).
    "dispute-queue": {"buyer": 403, "provider": 403, "stranger": 403, "operator": 200, "nobody": 401},
    "resolve-order": {"buyer": 403, "provider": 403, "stranger": 404, "operator": 409, "nobody": 401},
}
ADMIN_ROUTES = [
    Route("dispute-queue", "GET", "/admin/orders?status=disputed"),
    Route("resolve-order", "POST", "/admin/orders/{order}/resolve", {"release_cents": 0, "note": "no"}),
]


@pytest.mark.parametrize(("route", "caller"), [
    pytest.param(route, caller, id=f"{route.id}:{caller}") for route in ADMIN_ROUTES for caller in CALLERS
])
def test_only_operators_see_the_dispute_queue_and_resolve_and_refused_calls_change_nothing(world, route, caller):
    expected = ADMIN_ANSWERS[route.id][caller]
    before = world.order_as_buyer_sees_it(world.order["order_id"])
    answer = route.call(world, caller)
    if expected == 200:
        assert answer.status == 200, answer
        assert set(answer.body) == {"items", "next_cursor"}
    else:
        assert_error(answer, expected, ERROR_CODES[expected])
    assert world.order_as_buyer_sees_it(world.order["order_id"]) == before


# ---- ids that do not exist: the same answer as a stranger gets for a real one ----
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_ids() -> list[str]:
    rng = random.Random(20240611)  # the same ids on every run, so a failure can be replayed
    uuids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(20)]
    ulids = [rng.choice("01234567") + "".join(rng.choice(CROCKFORD) for _ in range(25)) for _ in range(20)]
    odd = [
        "x" * 128,  # the longest id there may be
        "x" * 129,  # one longer than any id
        "a%20b",
        "%20",
        "-",
        "_",
        "0" * 26,
        rng.choice(CROCKFORD).lower() * 26,
        "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40)),
        str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper(),
    ]
    return uuids + ulids + odd


RANDOM_IDS = random_ids()

ID_ROUTES = [
    *CHAT_ROUTES,
    Route("read-order", "GET", "/orders/{order}"),
    Route("accept-order", "POST", "/orders/{order}/accept"),
    Route("decline-order", "POST", "/orders/{order}/decline"),
    Route("cancel-order", "POST", "/orders/{order}/cancel"),
    ADMIN_ROUTES[1],
]


def test_the_random_ids_are_fifty_distinct_values():
    assert len(RANDOM_IDS) == len(set(RANDOM_IDS)) == 50


def with_id(path: str, resource_id: str) -> str:
    """The route's path with `resource_id` in place of its conversation or order id."""
    return path.replace("{conversation}", resource_id).replace("{order}", resource_id)


@pytest.mark.parametrize("route", ID_ROUTES, ids=[route.id for route in ID_ROUTES])
def test_an_unknown_id_gets_the_same_404_as_a_stranger_gets_for_a_real_one(world, route):
    strangers = route.call(world, "stranger")
    assert_error(strangers, 404, "NotFoundError")
    different = {}
    for resource_id in RANDOM_IDS:
        answer = route.call(world, "buyer", world.fill(with_id(route.path, resource_id)))
        if (answer.status, answer.body) != (404, strangers.body):
            different[resource_id] = answer
    assert not different, f"expected 404 {strangers.body}, got: {different}"


# ---- reports and the operator's desk ----
REPORT_ANSWERS = {"buyer": 201, "provider": 201, "stranger": 404, "operator": 404, "nobody": 401}
DESK_ANSWERS = {"buyer": 403, "provider": 403, "stranger": 403, "nobody": 401}


@pytest.mark.parametrize("caller", CALLERS)
def test_only_a_participant_reports_a_conversation(world, caller):
    expected = REPORT_ANSWERS[caller]
    body = {"subject": "conversation", "subject_id": world.conversation["conversation_id"], "reason": "rude"}
    answer = world.client.post("/reports", world.caller(caller), body)
    if expected == 201:
        assert answer.status == 201, answer
        assert answer.body["reporter_id"] == world.caller(caller).user_id
    else:
        assert_error(answer, expected, ERROR_CODES[expected])


def _open_report(world: World) -> dict[str, Any]:
    body = {"subject": "listing", "subject_id": world.listing["listing_id"], "reason": "not a real service"}
    answer = world.client.post("/reports", world.stranger, body)
    assert answer.status == 201, answer
    return answer.body


@pytest.mark.parametrize("caller", CALLERS)
def test_only_operators_read_the_report_queue(world, caller):
    filed = _open_report(world)
    answer = world.client.get("/admin/reports?limit=100", world.caller(caller))
    if caller == "operator":
        assert answer.status == 200, answer
        assert filed["report_id"] in [item["report_id"] for item in answer.body["items"]]
    else:
        assert_error(answer, DESK_ANSWERS[caller], ERROR_CODES[DESK_ANSWERS[caller]])


@pytest.mark.parametrize("caller", CALLERS)
def test_only_operators_decide_a_report_and_a_refusal_leaves_it_open(world, caller):
    filed = _open_report(world)
    answer = world.client.post(f"/admin/reports/{filed['report_id']}/close", world.caller(caller), {"action": "none"})
    queue = world.client.get("/admin/reports?limit=100", world.operator).body["items"]
    if caller == "operator":
        assert answer.status == 200 and answer.body["status"] == "closed", answer
        assert filed["report_id"] not in [item["report_id"] for item in queue]
    else:
        assert_error(answer, DESK_ANSWERS[caller], ERROR_CODES[DESK_ANSWERS[caller]])
        assert filed["report_id"] in [item["report_id"] for item in queue]


@pytest.mark.parametrize("caller", CALLERS)
def test_only_operators_reinstate(world, caller):
    answer = world.client.post(f"/admin/users/{world.buyer.user_id}/reinstate", world.caller(caller))
    expected = 409 if caller == "operator" else DESK_ANSWERS.get(caller, 403)  # the buyer is not suspended
    assert_error(answer, expected, ERROR_CODES[expected])


def test_an_unknown_report_is_not_found_for_an_operator(world):
    for report_id in RANDOM_IDS:
        answer = world.client.post(f"/admin/reports/{report_id}/close", world.operator, {"action": "none"})
        assert_error(answer, 404, "NotFoundError")
