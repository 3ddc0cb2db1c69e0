"""Use cases for a user's wallet: balance, statement, deposits and withdrawals through the payment rail."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain import ledger, regions
from chalicelib.domain.clock import now_iso
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.identity import Caller
from chalicelib.domain.pages import Page
from chalicelib.observability import logger
from chalicelib.services.paging import page_of
from chalicelib.settings import SIMULATED_RAIL, get_settings
from chalicelib.store import ledger as ledger_store


@dataclass(frozen=True)
class Wallet:
    """A user's money: what they may spend, and what sits in their open escrows as a buyer."""

    available_cents: int
    held_cents: int
    currency: str


@dataclass(frozen=True)
class Receipt:
    """A movement as the API answers it: its entry, its signed amount, and the wallet right after it."""

    entry_id: str
    kind: str
    amount_cents: int
    at: str
    wallet: Wallet


def wallet_of(user_id: str) -> Wallet:
    stored = ledger_store.balance(ledger.wallet(user_id))
    currency = regions.wallet_currency(regions.load_regions(get_settings().open_regions))
    return Wallet(available_cents=stored.balance_cents, held_cents=stored.held_cents, currency=currency)


def statement(caller: Caller, limit: int, cursor: str | None) -> Page[ledger_store.Line]:
    """A page of the caller's wallet lines, newest first."""
    account = ledger.wallet(caller.user_id)
    return page_of(("ledger", caller.user_id), cursor, lambda start: ledger_store.statement(account, limit, start))


def _check_rail() -> None:
    if get_settings().payment_rail != SIMULATED_RAIL:
        raise Forbidden("this stage has no payment rail: deposits and withdrawals are disabled")


def _post(entry: ledger.Entry, user_id: str, signed_amount: int) -> Receipt:
    ledger_store.post(entry)
    logger.info("wallet entry posted", entry_id=entry.entry_id, kind=entry.kind, amount_cents=signed_amount)
    return Receipt(entry.entry_id, entry.kind, signed_amount, entry.at, wallet_of(user_id))


def deposit(caller: Caller, amount_cents: int, operation_id: str) -> Receipt:
    """Money in from the (simulated) payment rail."""
    _check_rail()
    entry = ledger.deposit(f"deposit#{operation_id}", caller.user_id, amount_cents, now_iso())
    return _post(entry, caller.user_id, amount_cents)


def withdraw(caller: Caller, amount_cents: int, operation_id: str) -> Receipt:
    """Money out to the (simulated) payment rail; no more than is available (422 InsufficientFunds)."""
    _check_rail()
    entry = ledger.withdrawal(f"withdrawal#{operation_id}", caller.user_id, amount_cents, now_iso())
    return _post(entry, caller.user_id, -amount_cents)
