"""Money: accounts, and journal entries that move it between them by double entry.

Every movement is an Entry whose postings sum to zero: what leaves one account enters others. Accounts:

| account              | what it holds                                        | may go below zero |
|----------------------|------------------------------------------------------|-------------------|
| wallet#<user_id>     | a user's available money                             | no                |
| escrow#<order_id>    | one order's held payment, from hold until settlement | no                |
| fees#<shard>         | the platform's fees (sharded: no hot item)           | no                |
| rail#<shard>         | the payment rail's clearing account: money outside   | yes (it is -(deposits - withdrawals)) |

So the sum of every account is always zero, and the money inside the platform (wallets + escrows +
fees) equals deposits minus withdrawals. Escrow is one sub-account per order, so "escrow equals the sum
of open holds" holds item by item and a hold can be settled at most once (its balance must cover it).
Entry ids are deterministic (the operation or order step they record), so posting twice is impossible.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput

DEPOSIT = "deposit"
WITHDRAWAL = "withdrawal"
HOLD = "hold"
RELEASE = "release"
REFUND = "refund"
SPLIT = "split"
KINDS = (DEPOSIT, WITHDRAWAL, HOLD, RELEASE, REFUND, SPLIT)

SHARDS = 16
MAX_AMOUNT = 99_999_999


def wallet(user_id: str) -> str:
    return f"wallet#{user_id}"


def escrow(order_id: str) -> str:
    return f"escrow#{order_id}"


def _shard(key: str) -> int:
    return zlib.crc32(key.encode()) % SHARDS


def fees(key: str) -> str:
    """The fee sub-account an order's fee goes to."""
    return f"fees#{_shard(key)}"


def rail(key: str) -> str:
    """The clearing sub-account a user's deposits and withdrawals pass through."""
    return f"rail#{_shard(key)}"


def may_go_negative(account: str) -> bool:
    return account.startswith("rail#")


def owner_of(account: str) -> str | None:
    """The user whose wallet this is (None for platform accounts)."""
    return account.removeprefix("wallet#") if account.startswith("wallet#") else None


@dataclass(frozen=True)
class Posting:
    account: str
    amount_cents: int  # signed: + the account's balance grows, - it shrinks


@dataclass(frozen=True)
class Entry:
    entry_id: str
    kind: str
    postings: tuple[Posting, ...]
    at: str
    order_id: str | None = None
    # The buyer's money in open escrows ("held" on GET /wallet) moves with escrow: (user_id, delta).
    held: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown entry kind {self.kind!r}")
        if sum(p.amount_cents for p in self.postings) != 0:
            raise ValueError(f"entry {self.entry_id} does not balance: {self.postings}")
        if len({p.account for p in self.postings}) != len(self.postings):
            raise ValueError(f"entry {self.entry_id}: postings must go to distinct accounts")


def check_amount(amount_cents: int) -> int:
    if not 1 <= amount_cents <= MAX_AMOUNT:
        raise InvalidInput(f"amount_cents: between 1 and {MAX_AMOUNT}")
    return amount_cents


def deposit(entry_id: str, user_id: str, amount_cents: int, at: str) -> Entry:
    """Money in from the payment rail to the user's wallet."""
    check_amount(amount_cents)
    return Entry(entry_id, DEPOSIT, (Posting(wallet(user_id), amount_cents), Posting(rail(user_id), -amount_cents)), at)


def withdrawal(entry_id: str, user_id: str, amount_cents: int, at: str) -> Entry:
    """Money out of the user's wallet to the payment rail."""
    check_amount(amount_cents)
    postings = (Posting(wallet(user_id), -amount_cents), Posting(rail(user_id), amount_cents))
    return Entry(entry_id, WITHDRAWAL, postings, at)


def hold(entry_id: str, order_id: str, buyer_id: str, price_cents: int, at: str) -> Entry:
    """The buyer's payment into the order's escrow."""
    return Entry(
        entry_id, HOLD, (Posting(wallet(buyer_id), -price_cents), Posting(escrow(order_id), price_cents)), at,
        order_id=order_id, held=((buyer_id, price_cents),),
    )


def settle(
    entry_id: str, kind: str, order_id: str, buyer_id: str, provider_id: str, price_cents: int,
    to_provider_cents: int, fee_bps: int, at: str,
) -> Entry:
    """Empty the order's escrow: `to_provider_cents` to the provider less the fee on it, the rest to the buyer.

    release: all to the provider; refund: all to the buyer; split: an operator's decision in between.
    """
    if not 0 <= to_provider_cents <= price_cents:
        raise InvalidInput(f"release_cents: between 0 and the price ({price_cents})")
    fee = to_provider_cents * fee_bps // 10_000
    amounts = [
        (escrow(order_id), -price_cents),
        (wallet(provider_id), to_provider_cents - fee),
        (fees(order_id), fee),
        (wallet(buyer_id), price_cents - to_provider_cents),
    ]
    postings = tuple(Posting(account, amount) for account, amount in amounts if amount)
    return Entry(entry_id, kind, postings, at, order_id=order_id, held=((buyer_id, -price_cents),))


def fold(amounts: list[int]) -> int:
    """An account's balance from its journal lines."""
    return sum(amounts)
