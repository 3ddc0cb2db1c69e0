"""The ledger's journal entries (chalicelib/domain/ledger.py) without AWS: every kind balances, moves whole positive
cents between the accounts its kind names, refuses bad amounts, and is the same entry whenever it is built again.

The stored side (the books in DynamoDB under any sequence of operations) is
tests/integration/test_ledger_stateful.py; reconciliation of stored books is tests/unit/test_reconciliation.py.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import ledger
from chalicelib.domain import orders as order_rules
from chalicelib.domain.errors import InvalidInput

AT = "2030-01-01T12:00:00.000Z"
NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
ALICE, BOB = "alice", "bob"

amounts = st.integers(1, ledger.MAX_AMOUNT)
fee_bps = st.integers(0, order_rules.BPS_DENOMINATOR)
ids = st.text("abcdef0123456789-", min_size=1, max_size=36)


@st.composite
def settlements(draw: st.DrawFn) -> tuple[str, int, int, int]:
    """(kind, price, to the provider, fee in basis points) as the escrow settles an order."""
    kind = draw(st.sampled_from((ledger.RELEASE, ledger.REFUND, ledger.SPLIT)))
    price = draw(amounts)
    fixed = {ledger.RELEASE: price, ledger.REFUND: 0}
    to_provider = fixed[kind] if kind in fixed else draw(st.integers(0, price))
    return kind, price, to_provider, draw(fee_bps)


def settled(kind: str, price: int, to_provider: int, bps: int) -> ledger.Entry:
    return ledger.settle("o1#settle", kind, "o1", ALICE, BOB, price, to_provider, bps, AT)


def moved(entry: ledger.Entry) -> dict[str, int]:
    return {posting.account: posting.amount_cents for posting in entry.postings}


def assert_well_formed(entry: ledger.Entry) -> None:
    """Balanced, whole cents, no empty posting, each account once."""
    assert sum(p.amount_cents for p in entry.postings) == 0, entry
    assert all(type(p.amount_cents) is int and p.amount_cents != 0 for p in entry.postings), entry
    assert len({p.account for p in entry.postings}) == len(entry.postings), entry
    assert entry.kind in ledger.KINDS


# ---- every kind balances and moves what its kind says ----


@given(amounts)
def test_a_deposit_moves_money_from_the_rail_into_the_wallet(amount):
    entry = ledger.deposit("deposit#op1", ALICE, amount, AT)
    assert_well_formed(entry)
    assert (entry.kind, entry.entry_id, entry.at) == (ledger.DEPOSIT, "deposit#op1", AT)
    assert moved(entry) == {ledger.wallet(ALICE): amount, ledger.rail(ALICE): -amount}
    assert entry.order_id is None and entry.held == ()


@given(amounts)
def test_a_withdrawal_moves_money_from_the_wallet_out_to_the_rail(amount):
    entry = ledger.withdrawal("withdrawal#op1", ALICE, amount, AT)
    assert_well_formed(entry)
    assert entry.kind == ledger.WITHDRAWAL
    assert moved(entry) == {ledger.wallet(ALICE): -amount, ledger.rail(ALICE): amount}
    assert entry.order_id is None and entry.held == ()


@given(amounts)
def test_a_hold_moves_the_price_from_the_buyers_wallet_into_the_orders_escrow(price):
    entry = ledger.hold("o1#hold#1", "o1", ALICE, price, AT)
    assert_well_formed(entry)
    assert entry.kind == ledger.HOLD
    assert moved(entry) == {ledger.wallet(ALICE): -price, ledger.escrow("o1"): price}
    assert entry.order_id == "o1"
    assert entry.held == ((ALICE, price),)


@given(settlements())
def test_a_settlement_empties_the_escrow_and_splits_the_price_exactly(settlement):
    kind, price, to_provider, bps = settlement
    entry = settled(kind, price, to_provider, bps)
    assert_well_formed(entry)
    money = moved(entry)
    assert money[ledger.escrow("o1")] == -price
    provider = money.get(ledger.wallet(BOB), 0)
    fee = money.get(ledger.fees("o1"), 0)
    buyer = money.get(ledger.wallet(ALICE), 0)
    assert provider + fee + buyer == price
    assert min(provider, fee, buyer) >= 0
    assert fee == to_provider * bps // 10_000  # the fee is on what the provider gets, rounded down
    assert provider == to_provider - fee
    assert buyer == price - to_provider
    assert set(money) <= {ledger.escrow("o1"), ledger.wallet(BOB), ledger.fees("o1"), ledger.wallet(ALICE)}
    assert entry.held == ((ALICE, -price),)  # the buyer's money is no longer held, whoever gets it
    assert (entry.kind, entry.order_id) == (kind, "o1")


@given(amounts, fee_bps)
def test_a_release_pays_the_provider_the_price_less_the_fee_the_order_shows(price, bps):
    money = moved(settled(ledger.RELEASE, price, price, bps))
    fee = order_rules.fee_for(price, bps)
    assert money.get(ledger.fees("o1"), 0) == fee
    assert money.get(ledger.wallet(BOB), 0) == price - fee
    assert ledger.wallet(ALICE) not in money


@given(amounts, fee_bps)
def test_a_refund_gives_the_buyer_everything_back_and_takes_no_fee(price, bps):
    assert moved(settled(ledger.REFUND, price, 0, bps)) == {ledger.escrow("o1"): -price, ledger.wallet(ALICE): price}


def test_a_split_with_a_fee_names_all_four_accounts():
    money = moved(settled(ledger.SPLIT, 6_000, 4_000, 250))
    assert money == {ledger.escrow("o1"): -6_000, ledger.wallet(BOB): 3_900, ledger.fees("o1"): 100,
                     ledger.wallet(ALICE): 2_000}


@given(settlements())
def test_the_ledger_moves_exactly_what_the_orders_resolution_decides(settlement):
    kind, price, to_provider, bps = settlement
    order = order_rules.new_order("o1", "l1", ALICE, BOB, price, "CNY", "", bps, 3600, NOW)
    split = order_rules.resolution(order, to_provider, bps)
    money = moved(settled(kind, price, to_provider, bps))
    assert (money.get(ledger.wallet(BOB), 0), money.get(ledger.fees("o1"), 0), money.get(ledger.wallet(ALICE), 0)) == (
        split.to_provider, split.fee, split.to_buyer
    )


# ---- refusals ----


@pytest.mark.parametrize("amount", [0, -1, -5_000, ledger.MAX_AMOUNT + 1, 2**63])
def test_a_deposit_or_withdrawal_of_a_bad_amount_is_refused_naming_amount_cents(amount):
    for make in (ledger.deposit, ledger.withdrawal):
        with pytest.raises(InvalidInput, match="amount_cents"):
            make("op", ALICE, amount, AT)


@pytest.mark.parametrize("amount", [1, 5_000, ledger.MAX_AMOUNT])
def test_the_amount_bounds_are_inclusive(amount):
    assert ledger.check_amount(amount) == amount


@given(amounts, st.integers(1, 10**12), st.booleans())
def test_a_settlement_outside_zero_to_the_price_is_refused_naming_release_cents(price, off, below):
    to_provider = -off if below else price + off
    with pytest.raises(InvalidInput, match="release_cents"):
        settled(ledger.SPLIT, price, to_provider, 250)


def test_an_entry_that_does_not_balance_cannot_be_made():
    with pytest.raises(ValueError, match="does not balance"):
        ledger.Entry("e1", ledger.DEPOSIT, (ledger.Posting("wallet#a", 100), ledger.Posting("rail#1", -99)), AT)


def test_an_entry_of_an_unknown_kind_cannot_be_made():
    with pytest.raises(ValueError, match="unknown entry kind"):
        ledger.Entry("e1", "gift", (ledger.Posting("wallet#a", 100), ledger.Posting("rail#1", -100)), AT)


def test_an_entry_posting_twice_to_one_account_cannot_be_made():
    postings = (ledger.Posting("wallet#a", 100), ledger.Posting("wallet#a", -100))
    with pytest.raises(ValueError, match="distinct accounts"):
        ledger.Entry("e1", ledger.DEPOSIT, postings, AT)


# ---- deterministic: the same step is the same entry ----


@given(ids, ids, amounts)
def test_building_an_entry_again_gives_the_same_entry_under_the_same_id(entry_id, user_id, amount):
    assert ledger.deposit(entry_id, user_id, amount, AT) == ledger.deposit(entry_id, user_id, amount, AT)
    assert ledger.deposit(entry_id, user_id, amount, AT).entry_id == entry_id
    assert ledger.hold(entry_id, "o1", user_id, amount, AT) == ledger.hold(entry_id, "o1", user_id, amount, AT)


@given(ids)
def test_a_keys_fee_and_rail_accounts_are_always_the_same_shard(key):
    assert ledger.fees(key) == ledger.fees(key)
    assert ledger.rail(key) == ledger.rail(key)
    fee_shard, rail_shard = int(ledger.fees(key).split("#")[1]), int(ledger.rail(key).split("#")[1])
    assert fee_shard == rail_shard and 0 <= fee_shard < ledger.SHARDS


def test_the_known_shards_do_not_move():
    """A shard is part of stored keys: a change of the hash would strand every balance already written."""
    assert [ledger.fees(key) for key in ("o1", "alice", "bob")] == ["fees#13", "fees#7", "fees#0"]


def test_account_names_and_what_they_may_do():
    assert (ledger.wallet("u1"), ledger.escrow("o1")) == ("wallet#u1", "escrow#o1")
    assert [ledger.may_go_negative(a) for a in ("rail#3", "wallet#u1", "escrow#o1", "fees#3")] == [
        True, False, False, False
    ]
    assert [ledger.owner_of(a) for a in ("wallet#u1", "rail#3", "escrow#o1")] == ["u1", None, None]


@given(st.lists(st.integers(-ledger.MAX_AMOUNT, ledger.MAX_AMOUNT)))
def test_a_balance_is_the_sum_of_its_lines(lines):
    assert ledger.fold(lines) == sum(lines)
