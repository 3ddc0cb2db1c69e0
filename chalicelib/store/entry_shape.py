"""What posting one journal entry writes, whoever writes it.

store/ledger.py posts entries with PynamoDB; the escrow workflow posts its own from Step Functions, with an
ASL that workflows/escrow_definition.py builds from this shape. Either way, one transaction writes:

- the guard: the entry item, put only if absent, so an entry id is posted once however often it is retried;
- one journal line per posting, in the account's partition;
- one balance change per account touched (posted to, or a wallet whose held money moves), on condition that
  no balance which may not go below zero does, and that held money never does.

Amounts are generic: ints in the store, symbolic amounts (JSONPaths into the execution input) in the builder.
The rules need only an amount's sign (`amount < 0`) and its negation (`-amount`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, Self, TypeVar

from chalicelib.store.key_layouts import BALANCE_SORT_KEY, ENTRY_SORT_KEY, account_key, entry_key, line_sort_key


class Signed(Protocol):
    def __neg__(self) -> Self: ...

    def __lt__(self, other: int, /) -> bool: ...


A = TypeVar("A", bound=Signed)
Key = tuple[str, str]  # (pk, sk)


@dataclass(frozen=True)
class LineItem(Generic[A]):
    key: Key
    account: str
    amount: A


@dataclass(frozen=True)
class BalanceUpdate(Generic[A]):
    """ADD `add_balance` to the balance and `add_held` to held (None: leave it), if the conditions hold."""

    key: Key
    account: str
    add_balance: A | None
    add_held: A | None
    balance_at_least: A | None  # condition: the balance covers this (None: no condition)
    held_at_least: A | None


@dataclass(frozen=True)
class Shape(Generic[A]):
    guard: Key  # the entry item's key; it is put on condition that it does not exist
    lines: tuple[LineItem[A], ...]
    balances: tuple[BalanceUpdate[A], ...]


def of(
    entry_id: str,
    at: str,
    postings: Sequence[tuple[str, A]],
    held: Sequence[tuple[str, A]],
    may_go_negative: Callable[[str], bool],
) -> Shape[A]:
    """The items an entry writes. `postings`: (account, amount), amounts non-zero; `held`: (wallet account,
    change of its held money). Balance updates come in the order their accounts first appear."""
    amounts = dict(postings)
    held_by_account = dict(held)
    accounts = list(dict.fromkeys([account for account, _ in postings] + [account for account, _ in held]))
    return Shape(
        guard=(entry_key(entry_id), ENTRY_SORT_KEY),
        lines=tuple(
            LineItem((account_key(account), line_sort_key(at, entry_id)), account, amount)
            for account, amount in postings
        ),
        balances=tuple(
            _balance_update(account, amounts.get(account), held_by_account.get(account), may_go_negative(account))
            for account in accounts
        ),
    )


def _balance_update(account: str, amount: A | None, held: A | None, may_go_negative: bool) -> BalanceUpdate[A]:
    return BalanceUpdate(
        key=(account_key(account), BALANCE_SORT_KEY),
        account=account,
        add_balance=amount,
        add_held=held,
        balance_at_least=-amount if amount is not None and amount < 0 and not may_go_negative else None,
        held_at_least=-held if held is not None and held < 0 else None,
    )
