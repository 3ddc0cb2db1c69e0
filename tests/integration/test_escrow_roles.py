"""Who may take each escrow action, with the escrow workflow really running (moto's Step Functions).

API.md, Orders: only the buyer pays, confirms or cancels (once funded, cancelling refunds); only the provider
delivers; either of them disputes; only an operator resolves a dispute. Everyone else is refused: a signed-in
user who is neither side gets 404, exactly as for an id that does not exist; an operator sees the order but
may take no action other than resolve (403); the wrong side of the deal gets 403; nobody without a token
gets 401. The role is checked before the status, so a refused caller learns nothing of where the order is;
the right caller at the wrong status gets 409. A refused call changes nothing: not the order, not a wallet,
not the books. And no answer ever carries the workflow's task token.

test_visibility.py covers reading and accept / decline / cancel on unpaid orders; test_escrow.py covers the
right caller's successful actions; tests/unit/test_order_transitions.py checks the role table in the domain,
without HTTP. This module fills in the escrow stages over HTTP: orders that are funded, delivered or disputed.

The cases share one stack (module scope) and, for each status, one order: a refused call leaves it as it
was, so the next case can use it again. Should a call wrongly move it, that case fails and the next one gets
a fresh order. The successes run on orders of their own.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib.store import escrow_waits
from chalicelib.store import orders as order_store
from tests.conftest import Answer, Api, User, listing_body
from tests.integration.conftest import SharedApp
from tests.integration.escrow_kit import (
    accepted_order,
    assert_books_clean,
    deposit,
    funded_order,
    key,
    wait_for,
    waiting,
    wallet,
)

PRICE = 6_000
CALLERS = ("buyer", "provider", "stranger", "operator", "nobody")
STATUSES = ("accepted", "funded", "delivered", "disputed")
WAITING = ("funded", "delivered", "disputed")  # the statuses in which the workflow waits for a decision
ACTIONS = ("pay", "deliver", "confirm", "cancel", "dispute", "resolve")

# API.md's table: who may take each action, and from which of STATUSES.
WHO = {
    "pay": {"buyer"},
    "deliver": {"provider"},
    "confirm": {"buyer"},
    "cancel": {"buyer"},
    "dispute": {"buyer", "provider"},
    "resolve": {"operator"},
}
FROM = {
    "pay": {"accepted"},
    "deliver": {"funded"},
    "confirm": {"funded", "delivered"},
    "cancel": {"accepted", "funded"},
    "dispute": {"funded", "delivered"},
    "resolve": {"disputed"},
}
ERROR_CODES = {400: "BadRequestError", 401: "UnauthorizedError", 403: "ForbiddenError", 404: "NotFoundError",
               409: "ConflictError"}
A_FAIR_SPLIT = {"release_cents": 3_000}


# ---- the shared world ----
@dataclass
class World:
    client: Api
    buyer: User  # Alice: orders Bob's job, with plenty in her wallet
    provider: User  # Bob: offers the job at PRICE
    stranger: User  # Sam: signed in, a buyer of Bob's too, with a funded order of his own
    operator: User  # Olga: member of `operators`
    listing: dict[str, Any]
    orders: dict[str, str] = field(default_factory=dict)  # status -> the shared order in that status

    @property
    def shop(self) -> dict[str, Any]:
        """The names escrow_kit's helpers expect."""
        return {"alice": self.buyer, "bob": self.provider, "olga": self.operator, "listing": self.listing}

    def caller(self, name: str) -> User | None:
        return None if name == "nobody" else getattr(self, name)

    def act(self, action: str, order_id: str, caller: str, body: dict[str, Any] | None = None) -> Answer:
        """Take `action` on the order as `caller`, by its route; resolve gets a fair split unless told."""
        if action == "resolve":
            path, body = f"/admin/orders/{order_id}/resolve", body or A_FAIR_SPLIT
        else:
            path = f"/orders/{order_id}/{action}"
        headers = key() if action == "pay" else None
        answer = self.client.post(path, self.caller(caller), body, headers=headers)
        assert answer.status < 500, answer
        assert_no_task_token(answer.body, order_id)
        return answer

    def fresh_order(self, status: str) -> str:
        """A new order of Alice's on Bob's listing, in `status`, with the workflow waiting if it waits there."""
        order_id = accepted_order(self.client, self.shop) if status == "accepted" else funded_order(
            self.client, self.shop)
        if status in ("delivered", "disputed"):
            waiting(order_id, "funded")
            action, actor = ("deliver", "provider") if status == "delivered" else ("dispute", "buyer")
            moved = self.act(action, order_id, actor)
            assert moved.status in (200, 202), moved
            wait_for(self.client, self.buyer, order_id, status)
        if status in WAITING:
            waiting(order_id, status)
        return order_id

    def order_in(self, status: str) -> str:
        """The shared order in `status`; a fresh one if the shared one is no longer there."""
        order_id = self.orders.get(status)
        if order_id is None or order_store.get(order_id).status != status:
            order_id = self.orders[status] = self.fresh_order(status)
        return order_id

    def seen_by(self, name: str, order_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/orders/{order_id}", self.caller(name))
        assert answer.status == 200, answer
        return answer.body

    def wallets(self) -> dict[str, dict[str, Any]]:
        return {name: wallet(self.client, self.caller(name)) for name in ("buyer", "provider", "stranger", "operator")}

    def state(self, order_id: str) -> dict[str, Any]:
        """Everything a refused action could have changed: the order as stored and as seen, and every wallet."""
        return {"stored": escrow_waits.get_with_wait(order_id), "seen": self.seen_by("buyer", order_id),
                "wallets": self.wallets()}


@pytest.fixture(scope="module")
def shared_stack(escrow_shared_stack: Any) -> Any:
    """This module's stack is on the served moto that executes the escrow."""
    return escrow_shared_stack


@pytest.fixture(scope="module")
def world(shared_app: SharedApp) -> World:
    """Four users with real tokens, and Bob's listing."""
    client = shared_app.client

    def user(name: str, operator: bool = False) -> User:
        return shared_app.user(f"{name.lower()}@example.com", name=name, operator=operator)

    alice, bob, sam, olga = user("Alice"), user("Bob"), user("Sam"), user("Olga", operator=True)
    listing = client.post("/listings", bob, listing_body(price_cents=PRICE))
    assert listing.status == 201, listing
    deposit(client, alice, 100_000)
    deposit(client, sam, 10_000)
    world = World(client, alice, bob, sam, olga, listing.body)
    funded_order(client, {"alice": sam, "bob": bob, "listing": listing.body})  # Sam's own deal
    return world


# ---- checks ----
def assert_error(answer: Answer, status: int) -> None:
    assert answer.status == status, answer
    if status == 401:
        return  # without a token the gateway answers itself, in its own shape
    assert set(answer.body) == {"Code", "Message"}, answer.body
    assert answer.body["Code"] == ERROR_CODES[status], answer.body
    assert isinstance(answer.body["Message"], str) and answer.body["Message"].strip(), answer.body


def keys_of(value: Any) -> Iterator[str]:
    """Every field name anywhere in a JSON value."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield name
            yield from keys_of(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from keys_of(inner)


def assert_no_task_token(body: Any, *order_ids: str) -> None:
    """No field named like a token, and none of these orders' stored task token anywhere in the answer."""
    assert not [name for name in keys_of(body) if "token" in name.lower()], body
    text = json.dumps(body)
    for order_id in order_ids:
        stored = escrow_waits.get_wait(order_id)
        assert stored is None or not stored.task_token or stored.task_token not in text, "a task token leaked"


def expected(action: str, status: str, caller: str) -> int | None:
    """The refusal API.md prescribes, or None when the call is allowed."""
    if caller == "nobody":
        return 401
    if caller == "stranger":
        return 404
    if caller not in WHO[action]:
        return 403
    if status not in FROM[action]:
        return 409
    return None


@dataclass(frozen=True)
class Case:
    action: str
    status: str
    caller: str
    refusal: int

    def param(self) -> Any:
        return pytest.param(self, id=f"{self.action}:{self.status}:{self.caller}:{self.refusal}")


# The allowed calls are left out: test_escrow.py takes them (cancelling an accepted order: test_visibility.py),
# and the two disputes it does not take are below.
REFUSALS = [
    Case(action, status, caller, refusal)
    for action in ACTIONS
    for status in STATUSES
    for caller in CALLERS
    if (refusal := expected(action, status, caller)) is not None
]


# ---- every caller the table does not allow ----
@pytest.mark.parametrize("case", [case.param() for case in REFUSALS])
def test_a_caller_the_table_does_not_allow_is_refused_and_nothing_changes(world, case):
    order_id = world.order_in(case.status)
    before = world.state(order_id)
    answer = world.act(case.action, order_id, case.caller)
    assert_error(answer, case.refusal)
    assert world.state(order_id) == before, "a refused action changed the order or moved money"
    assert_books_clean()


@pytest.mark.parametrize("status", WAITING)
@pytest.mark.parametrize("action", ACTIONS)
def test_a_stranger_who_guesses_an_order_id_is_told_it_does_not_exist(world, action, status):
    real = world.act(action, world.order_in(status), "stranger")
    unknown = world.act(action, str(uuid.uuid4()), "stranger")
    assert_error(real, 404)
    assert (real.status, real.body) == (unknown.status, unknown.body)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("status", WAITING)
def test_an_order_in_escrow_is_seen_by_its_two_sides_and_operators_only(world, status, caller):
    order_id = world.order_in(status)
    answer = world.client.get(f"/orders/{order_id}", world.caller(caller))
    assert_no_task_token(answer.body, order_id)
    if caller in ("buyer", "provider", "operator"):
        assert answer.status == 200, answer
        assert answer.body["status"] == status
        seen_by_buyer = world.seen_by("buyer", order_id)
        assert seen_by_buyer["service_location"] is not None  # issue 14: the funded order's buyer is told where
        others_see = {**seen_by_buyer, "service_location": None}  # ...and nobody else is
        assert answer.body == (seen_by_buyer if caller == "buyer" else others_see)
    else:
        assert_error(answer, 401 if caller == "nobody" else 404)


def test_the_workflows_task_token_never_reaches_a_client(world):
    in_escrow = [world.order_in(status) for status in WAITING]
    assert all(waiting(order_id, status).task_token for order_id, status in zip(in_escrow, WAITING, strict=True))
    answers = [world.client.get(f"/orders/{order_id}", world.caller(name))
               for order_id in in_escrow for name in ("buyer", "provider", "operator")]
    answers += [world.client.get(f"/orders?role={role}&limit=100", user)
                for role, user in (("buyer", world.buyer), ("provider", world.provider))]
    answers += [world.client.get("/orders?limit=100", world.buyer)]
    for answer in answers:
        assert answer.status == 200, answer
        assert_no_task_token(answer.body, *in_escrow)


# ---- resolving: an operator's, on a disputed order, within the price ----
@pytest.mark.parametrize("release_cents", [-1, PRICE + 1, 99_999_999, 100_000_000])
def test_a_split_outside_nothing_to_the_whole_price_is_refused_and_nothing_moves(world, release_cents):
    order_id = world.order_in("disputed")
    before = world.state(order_id)
    answer = world.act("resolve", order_id, "operator", {"release_cents": release_cents})
    assert_error(answer, 400)
    assert "release_cents" in answer.body["Message"], answer.body
    assert world.state(order_id) == before
    assert_books_clean()


def test_an_operator_may_give_the_whole_price_back_to_the_buyer(world):
    order_id = world.fresh_order("disputed")
    before = world.wallets()
    answer = world.act("resolve", order_id, "operator", {"release_cents": 0})
    assert answer.status in (200, 202), answer
    wait_for(world.client, world.buyer, order_id, "resolved")
    after = world.wallets()
    assert after["buyer"]["available_cents"] - before["buyer"]["available_cents"] == PRICE
    assert before["buyer"]["held_cents"] - after["buyer"]["held_cents"] == PRICE
    assert after["provider"] == before["provider"]
    assert_books_clean()


def test_a_dispute_is_resolved_once(world):
    order_id = world.fresh_order("disputed")
    assert world.act("resolve", order_id, "operator").status in (200, 202)
    wait_for(world.client, world.buyer, order_id, "resolved")
    before = world.state(order_id)
    again = world.act("resolve", order_id, "operator", {"release_cents": PRICE})
    assert_error(again, 409)
    assert world.state(order_id) == before
    assert_books_clean()


# ---- disputing: either side, funded or delivered (test_escrow.py takes the other two pairs) ----
@pytest.mark.parametrize(("caller", "status"), [("provider", "funded"), ("buyer", "delivered")])
def test_either_side_may_dispute_and_the_money_stays_held(world, caller, status):
    order_id = world.fresh_order(status)
    before = world.wallets()
    answer = world.act("dispute", order_id, caller)
    assert answer.status in (200, 202), answer
    order = wait_for(world.client, world.operator, order_id, "disputed")
    assert [entry["status"] for entry in order["timeline"]][-2:] == [status, "disputed"]
    assert world.wallets() == before
    assert_books_clean()


# ---- and after all that ----
def test_after_every_refusal_the_right_side_still_takes_the_order_on(world):
    """The refusals left each shared order's workflow waiting: the allowed caller moves it as usual."""
    moves = [("funded", "deliver", "provider", "delivered"), ("delivered", "confirm", "buyer", "released"),
             ("disputed", "resolve", "operator", "resolved")]
    for status, action, caller, target in moves:
        order_id = world.order_in(status)
        answer = world.act(action, order_id, caller)
        assert answer.status in (200, 202), (action, answer)
        wait_for(world.client, world.buyer, order_id, target)
    assert_books_clean()
