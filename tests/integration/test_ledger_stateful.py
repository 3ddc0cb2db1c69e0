"""The ledger under any sequence of money operations: a Hypothesis state machine against the stored books.

Deposits, withdrawals, holds (an order's payment into its escrow), settlements (release, refund, an
operator's split, with or without a fee) and replays of any of them are run on the domain ledger and
the DynamoDB store, in in-process moto. A model of what every account should hold runs alongside, and
after every step the stored books must equal the model and reconcile: money is conserved, balances are
the fold of their lines, escrow is exactly the open holds, nothing that may not go negative does, and a
hold is settled at most once.
"""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

import boto3
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chalicelib.domain import ledger, reconciliation
from chalicelib.domain.clock import now_iso
from chalicelib.domain.errors import InsufficientFunds
from chalicelib.domain.identity import Caller
from chalicelib.services import wallet
from chalicelib.settings import get_settings
from chalicelib.store import ledger as ledger_store
from tests.conftest import REGION

USERS = 4
SETTLEMENTS = (ledger.RELEASE, ledger.REFUND, ledger.SPLIT)
FEE_BPS = (250, 0)

users = st.integers(0, USERS - 1)
amounts = st.integers(1, 10_000)
prices = st.integers(1, 8_000)


@dataclass(frozen=True)
class Hold:
    """An order's payment, held in its escrow until it is settled."""

    order_id: str
    buyer_id: str
    provider_id: str
    price_cents: int


@dataclass(frozen=True)
class Operation:
    """A wallet operation that went through, so it can be sent again."""

    kind: str  # ledger.DEPOSIT or ledger.WITHDRAWAL
    operation_id: str
    user_id: str
    amount_cents: int


def _empty_the_ledger() -> None:
    """Start an example with empty books (the table is ours alone, in this test's moto)."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(get_settings().ledger_table)
    items = table.scan(ProjectionExpression="pk, sk", ConsistentRead=True)["Items"]
    with table.batch_writer() as batch:
        for item in items:
            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})


def _to_provider(data: st.DataObject, kind: str, price_cents: int) -> int:
    """What a settlement of `kind` pays the provider (before the fee): all, nothing, or an operator's split."""
    if kind == ledger.RELEASE:
        return price_cents
    if kind == ledger.REFUND:
        return 0
    return data.draw(st.integers(0, price_cents), label="release_cents")


def _nonzero(amounts: dict[str, int]) -> dict[str, int]:
    return {key: amount for key, amount in amounts.items() if amount}


class LedgerMachine(RuleBasedStateMachine):
    """Four users moving money through wallets and escrows; the model says what every account holds."""

    def __init__(self) -> None:
        super().__init__()
        _empty_the_ledger()
        self.users = [f"user-{uuid.uuid4().hex[:12]}" for _ in range(USERS)]
        self.balances: Counter[str] = Counter()  # account -> balance
        self.held: Counter[str] = Counter()  # user -> money in open escrows as buyer
        self.deposited = 0
        self.withdrawn = 0
        self.open: dict[str, Hold] = {}
        self.settled: dict[str, Hold] = {}
        self.posted: list[ledger.Entry] = []
        self.operations: list[Operation] = []

    def available(self, user_id: str) -> int:
        return self.balances[ledger.wallet(user_id)]

    def wallet_of(self, user_id: str) -> wallet.Wallet:
        """What GET /wallet should answer."""
        return wallet.Wallet(self.available(user_id), self.held[user_id], "CNY")  # Shanghai's currency

    def apply(self, entry: ledger.Entry) -> None:
        """The model's side of a posted entry."""
        for posting in entry.postings:
            self.balances[posting.account] += posting.amount_cents
        for user_id, delta in entry.held:
            self.held[user_id] += delta
        self.posted.append(entry)

    # Wallets: money in and out through the payment rail.

    @initialize(starting=st.lists(st.integers(0, 10_000), min_size=USERS, max_size=USERS))
    def open_wallets(self, starting: list[int]) -> None:
        """Most users start with some money, so that payments have something to take."""
        for user, amount in enumerate(starting):
            if amount:
                self.deposit(user, amount)

    @rule(user=users, amount=amounts)
    def deposit(self, user: int, amount: int) -> None:
        user_id = self.users[user]
        operation_id = uuid.uuid4().hex
        receipt = wallet.deposit(Caller(user_id), amount, operation_id)
        self.apply(ledger.deposit(receipt.entry_id, user_id, amount, receipt.at))
        self.deposited += amount
        self.operations.append(Operation(ledger.DEPOSIT, operation_id, user_id, amount))
        assert receipt.wallet == self.wallet_of(user_id)

    @rule(user=users, percent=st.integers(1, 150))
    def withdraw(self, user: int, percent: int) -> None:
        """A withdrawal of up to everything available goes through; more is refused and moves nothing."""
        user_id = self.users[user]
        amount = max(1, self.available(user_id) * percent // 100)
        operation_id = uuid.uuid4().hex
        if amount > self.available(user_id):
            with pytest.raises(InsufficientFunds):
                wallet.withdraw(Caller(user_id), amount, operation_id)
            return
        receipt = wallet.withdraw(Caller(user_id), amount, operation_id)
        self.apply(ledger.withdrawal(receipt.entry_id, user_id, amount, receipt.at))
        self.withdrawn += amount
        self.operations.append(Operation(ledger.WITHDRAWAL, operation_id, user_id, amount))
        assert receipt.wallet == self.wallet_of(user_id)

    # Escrow: the buyer pays an order into its escrow; it is settled once.

    @rule(buyer=users, other=st.integers(1, USERS - 1), price=prices)
    def pay(self, buyer: int, other: int, price: int) -> None:
        """The hold takes the price from the buyer's wallet into the order's escrow, or is refused whole."""
        buyer_id, provider_id = self.users[buyer], self.users[(buyer + other) % USERS]
        order_id = f"order-{uuid.uuid4().hex[:12]}"
        entry = ledger.hold(f"{order_id}#hold#1", order_id, buyer_id, price, now_iso())
        if price > self.available(buyer_id):
            with pytest.raises(InsufficientFunds):
                ledger_store.post(entry)
            return
        assert ledger_store.post(entry) is True
        self.apply(entry)
        self.open[order_id] = Hold(order_id, buyer_id, provider_id, price)

    @precondition(lambda self: self.open)
    @rule(data=st.data(), kind=st.sampled_from(SETTLEMENTS), fee_bps=st.sampled_from(FEE_BPS))
    def settle(self, data: st.DataObject, kind: str, fee_bps: int) -> None:
        """Release, refund or split empties the escrow: provider (less the fee), fees and buyer share it."""
        hold = self.open[data.draw(st.sampled_from(sorted(self.open)), label="order")]
        to_provider = _to_provider(data, kind, hold.price_cents)
        entry = ledger.settle(
            f"{hold.order_id}#settle", kind, hold.order_id, hold.buyer_id, hold.provider_id, hold.price_cents,
            to_provider, fee_bps, now_iso(),
        )
        assert ledger_store.post(entry) is True
        self.apply(entry)
        fee = to_provider * fee_bps // 10_000
        assert _nonzero({p.account: p.amount_cents for p in entry.postings}) == _nonzero({
            ledger.escrow(hold.order_id): -hold.price_cents,
            ledger.wallet(hold.provider_id): to_provider - fee,
            ledger.fees(hold.order_id): fee,
            ledger.wallet(hold.buyer_id): hold.price_cents - to_provider,
        })
        self.settled[hold.order_id] = self.open.pop(hold.order_id)

    # Replays: nothing posts twice, and a settled hold stays settled.

    @precondition(lambda self: self.posted)
    @rule(data=st.data())
    def replay_an_entry(self, data: st.DataObject) -> None:
        """Posting an entry id again reports it was posted before and changes nothing."""
        entry = data.draw(st.sampled_from(self.posted), label="entry")
        assert ledger_store.post(entry) is False

    @precondition(lambda self: self.operations)
    @rule(data=st.data())
    def replay_a_wallet_operation(self, data: st.DataObject) -> None:
        """A re-sent deposit or withdrawal (same operation id) moves the money once, even if the wallet is now empty."""
        operation = data.draw(st.sampled_from(self.operations), label="operation")
        send = wallet.deposit if operation.kind == ledger.DEPOSIT else wallet.withdraw
        receipt = send(Caller(operation.user_id), operation.amount_cents, operation.operation_id)
        assert receipt.entry_id == f"{operation.kind}#{operation.operation_id}"
        assert receipt.wallet == self.wallet_of(operation.user_id)

    @precondition(lambda self: self.settled)
    @rule(
        data=st.data(), kind=st.sampled_from(SETTLEMENTS), fee_bps=st.sampled_from(FEE_BPS),
        same_entry_id=st.booleans(),
    )
    def settle_again(self, data: st.DataObject, kind: str, fee_bps: int, same_entry_id: bool) -> None:
        """A settled hold cannot be settled again: not under its settlement's id, nor under any other id
        and kind (its escrow and the buyer's `held` no longer cover it)."""
        hold = self.settled[data.draw(st.sampled_from(sorted(self.settled)), label="order")]
        entry_id = f"{hold.order_id}#settle" if same_entry_id else f"{hold.order_id}#settle#{uuid.uuid4().hex[:8]}"
        entry = ledger.settle(
            entry_id, kind, hold.order_id, hold.buyer_id, hold.provider_id, hold.price_cents,
            _to_provider(data, kind, hold.price_cents), fee_bps, now_iso(),
        )
        if same_entry_id:
            assert ledger_store.post(entry) is False
        else:
            with pytest.raises(InsufficientFunds):
                ledger_store.post(entry)

    # After every step: the stored books are the model's, and they reconcile.

    @invariant()
    def the_books_add_up(self) -> None:
        books = ledger_store.snapshot()
        self._stored_books_are_the_models(books)
        self._balances_are_the_fold_of_their_lines(books)
        self._money_is_conserved(books)
        self._escrow_is_exactly_the_open_holds(books)
        self._each_hold_is_settled_at_most_once(books)
        self._reconciliation_is_clean(books)

    def _stored_books_are_the_models(self, books: ledger_store.Snapshot) -> None:
        stored = {account: b.balance_cents for account, b in books.balances.items()}
        assert _nonzero(stored) == _nonzero(dict(self.balances))
        stored_held = {ledger.owner_of(a): b.held_cents for a, b in books.balances.items() if ledger.owner_of(a)}
        assert _nonzero(stored_held) == _nonzero(dict(self.held))
        assert sorted(e.entry_id for e in books.entries) == sorted(e.entry_id for e in self.posted)

    def _balances_are_the_fold_of_their_lines(self, books: ledger_store.Snapshot) -> None:
        lines: dict[str, list[int]] = {}
        for line in books.lines:
            lines.setdefault(line.account, []).append(line.amount_cents)
        for account in set(books.balances) | set(lines):
            stored = books.balances[account].balance_cents if account in books.balances else 0
            assert stored == ledger.fold(lines.get(account, [])), account
            assert stored >= 0 or ledger.may_go_negative(account), f"{account} is negative: {stored}"
            if account in books.balances:
                assert books.balances[account].held_cents >= 0, f"{account} holds a negative `held`"

    def _money_is_conserved(self, books: ledger_store.Snapshot) -> None:
        totals: Counter[str] = Counter()
        for account, stored in books.balances.items():
            totals[account.split("#", 1)[0]] += stored.balance_cents
        inside = self.deposited - self.withdrawn
        assert totals["wallet"] + totals["escrow"] + totals["fees"] == inside
        assert totals["rail"] == -inside
        assert sum(totals.values()) == 0

    def _escrow_is_exactly_the_open_holds(self, books: ledger_store.Snapshot) -> None:
        escrows = {
            account.removeprefix("escrow#"): b.balance_cents
            for account, b in books.balances.items() if account.startswith("escrow#")
        }
        assert _nonzero(escrows) == {order_id: hold.price_cents for order_id, hold in self.open.items()}
        held_by_buyer: Counter[str] = Counter()
        for hold in self.open.values():
            held_by_buyer[hold.buyer_id] += hold.price_cents
        assert _nonzero(dict(self.held)) == _nonzero(dict(held_by_buyer))

    def _each_hold_is_settled_at_most_once(self, books: ledger_store.Snapshot) -> None:
        holds = Counter(e.order_id for e in books.entries if e.kind == ledger.HOLD)
        settlements = Counter(e.order_id for e in books.entries if e.kind in SETTLEMENTS)
        assert holds == Counter(set(self.open) | set(self.settled))
        assert settlements == Counter(set(self.settled))

    def _reconciliation_is_clean(self, books: ledger_store.Snapshot) -> None:
        report = reconciliation.reconcile(
            accounts=[
                reconciliation.Account(b.account, b.balance_cents, b.held_cents) for b in books.balances.values()
            ],
            lines=[reconciliation.Line(line.account, line.entry_id, line.amount_cents) for line in books.lines],
            entries=[
                reconciliation.JournalEntry(e.entry_id, e.kind, tuple((p.account, p.amount_cents) for p in e.postings))
                for e in books.entries
            ],
            open_holds=[reconciliation.OpenHold(h.order_id, h.buyer_id, h.price_cents) for h in self.open.values()],
        )
        assert report.problems == []
        assert report.totals["deposits"] == self.deposited
        assert report.totals["withdrawals"] == self.withdrawn
        assert report.totals["open_holds"] == sum(hold.price_cents for hold in self.open.values())


SETTINGS = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_the_ledger_keeps_every_cent_through_any_sequence_of_money_operations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto import mock_aws

    from scripts import provision

    with mock_aws():
        deployed = provision.deploy(boto3.Session(region_name=REGION), "test")
        for key, value in deployed.environment().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("PAYMENT_RAIL", wallet.SIMULATED_RAIL)
        run_state_machine_as_test(LedgerMachine, settings=SETTINGS)
