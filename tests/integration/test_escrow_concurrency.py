"""Money under concurrency: many payments from one wallet at once, and buyers who confirm and cancel the same
order at the same moment. Runs on the serialised moto server whose Step Functions execute the escrow ASL, as
`make run` does, so each DynamoDB request is atomic as it is in AWS.

The threads call the escrow services the routes call (what POST /orders/{id}/pay, /confirm and /cancel run
after authentication): Chalice's in-process test client keeps the current request on the app object and so
serves one request at a time. The same kind of race over real HTTP is in tests/e2e.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.domain import ledger
from chalicelib.domain.errors import Busy, Conflict, DomainError
from chalicelib.domain.identity import Caller
from chalicelib.domain.orders import Order
from chalicelib.services import escrow
from chalicelib.services import listings as listing_service
from chalicelib.services import orders as order_service
from chalicelib.services import wallet as wallet_service
from chalicelib.store import ledger as ledger_store
from chalicelib.store import orders as order_store
from tests.conftest import PEOPLES_SQUARE
from tests.integration.escrow_kit import assert_books_clean, waiting

PRICE = 100
SETTLEMENTS = {ledger.RELEASE, ledger.REFUND, ledger.SPLIT}
SETTLE_TIMEOUT_S = 120.0
# A hundred pays released at once keep a hundred in flight against one wallet: the race needs two. Two hundred
# queued so deep on the single-threaded emulator, on two loaded cores, that reads waited past the store's 30 s
# read timeout (two full runs failed so, with no money wrong).
PAYS, COVERED = 100, 25


@pytest.fixture
def stack(escrow_stack: Any) -> Any:
    return escrow_stack


@pytest.fixture
def answer_at_once(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The escrow stack, with answers that do not wait for the workflow: every request is in flight together."""
    monkeypatch.setattr(escrow, "SETTLE_WAIT_S", 0.0)


class Deal:
    """A provider's listing at PRICE and a buyer with `funds` in her wallet."""

    def __init__(self, funds_cents: int) -> None:
        self.provider, self.buyer = Caller(user_id=str(uuid.uuid4())), Caller(user_id=str(uuid.uuid4()))
        lat, lon = PEOPLES_SQUARE
        self.listing = listing_service.publish(self.provider, "Stamps", "", "errands", PRICE, None, lat, lon)
        wallet_service.deposit(self.buyer, funds_cents, str(uuid.uuid4()))

    def accepted_orders(self, count: int) -> list[str]:
        ids = []
        for _ in range(count):
            order = order_service.place(self.buyer, str(uuid.uuid4()), self.listing.listing_id, None, "")
            order_service.act(self.provider, order.order_id, "accept")
            ids.append(order.order_id)
        return ids


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call in its own thread, released together; each result is the call's value or its error."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return call()
        except DomainError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def as_a_client(call: Callable[[], Any]) -> Callable[[], Any]:
    """The call, sent again after its Retry-After for as long as it is answered 429 (outcome not known yet)."""

    def again() -> Any:
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while True:
            try:
                return call()
            except Busy as busy:
                assert time.monotonic() < deadline, f"still 429 after {SETTLE_TIMEOUT_S:.0f} s: {busy}"
                time.sleep(busy.retry_after_s)

    return again


def settled(order_ids: list[str], moving: set[str]) -> list[Order]:
    """The orders once none is in a status in `moving` (the workflow still at work on it)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        orders = [order_store.get(order_id) for order_id in order_ids]
        if not any(order.status in moving for order in orders):
            return orders
        assert time.monotonic() < deadline, Counter(order.status for order in orders)
        time.sleep(0.5)


def entries_by_order(kinds: set[str]) -> Counter[str]:
    return Counter(entry.order_id for entry in ledger_store.snapshot().entries if entry.kind in kinds)


def test_a_hundred_pays_from_a_wallet_that_covers_twenty_five_fund_exactly_twenty_five(answer_at_once):
    deal = Deal(funds_cents=COVERED * PRICE)
    order_ids = deal.accepted_orders(PAYS)

    answers = at_once([lambda order_id=order_id: escrow.pay(deal.buyer, order_id) for order_id in order_ids])

    assert [a for a in answers if not isinstance(a, tuple)] == [], "every pay was taken and started"
    orders = settled(order_ids, moving={"paying"})
    assert Counter(order.status for order in orders) == {"funded": COVERED, "payment_failed": PAYS - COVERED}
    assert {order.failure_reason for order in orders if order.status == "payment_failed"} == {"InsufficientFunds"}
    assert wallet_service.wallet_of(deal.buyer.user_id).available_cents == 0
    assert wallet_service.wallet_of(deal.buyer.user_id).held_cents == COVERED * PRICE
    holds = entries_by_order({ledger.HOLD})
    assert sorted(holds) == sorted(order.order_id for order in orders if order.status == "funded")
    assert set(holds.values()) == {1}
    assert_books_clean()


def test_a_buyer_who_confirms_and_cancels_at_once_gets_one_of_them_and_the_money_moves_once(answer_at_once):
    deal = Deal(funds_cents=50 * PRICE)
    order_ids = deal.accepted_orders(50)
    at_once([lambda order_id=order_id: escrow.pay(deal.buyer, order_id) for order_id in order_ids])
    for order_id in order_ids:
        waiting(order_id, "funded", timeout_s=SETTLE_TIMEOUT_S)

    answers = at_once([
        as_a_client(call) for order_id in order_ids for call in (
            lambda order_id=order_id: escrow.decide(deal.buyer, order_id, "confirm"),
            lambda order_id=order_id: escrow.cancel(deal.buyer, order_id),
        )
    ])

    orders = settled(order_ids, moving={"funded"})
    for order, (confirm, cancel) in zip(orders, zip(answers[::2], answers[1::2], strict=True), strict=True):
        won = "released" if isinstance(cancel, Conflict) else "refunded"
        assert sorted(map(type, (confirm, cancel)), key=str) == sorted((tuple, Conflict), key=str), (confirm, cancel)
        assert order.status == won, order
    released = sum(order.status == "released" for order in orders)
    assert wallet_service.wallet_of(deal.provider.user_id).available_cents == released * PRICE
    assert wallet_service.wallet_of(deal.buyer.user_id).available_cents == (50 - released) * PRICE
    assert wallet_service.wallet_of(deal.buyer.user_id).held_cents == 0
    assert set(entries_by_order(SETTLEMENTS).values()) == {1}
    assert len(entries_by_order(SETTLEMENTS)) == 50
    assert_books_clean()
