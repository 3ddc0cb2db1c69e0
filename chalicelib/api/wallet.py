"""Wallet routes: my balance, my statement, and money in and out through the payment rail."""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import AmountBody, LedgerEntryOut, LedgerPage, PageQuery, ReceiptOut, WalletOut
from chalicelib.domain.identity import Caller
from chalicelib.services import wallet as wallet_service

wallet_bp = Blueprint(__name__)


def wallet_out(wallet: wallet_service.Wallet) -> WalletOut:
    return WalletOut.model_validate(wallet, from_attributes=True)


def receipt_out(receipt: wallet_service.Receipt) -> ReceiptOut:
    return ReceiptOut(
        entry_id=receipt.entry_id, kind=receipt.kind, amount_cents=receipt.amount_cents, order_id=None,
        at=receipt.at, wallet=wallet_out(receipt.wallet),
    )


@operation(wallet_bp, "GET", "/wallet", summary="My balance: available, and held in open escrows", tag="wallet",
           response=WalletOut)
def get_wallet(caller: Caller) -> WalletOut:
    return wallet_out(wallet_service.wallet_of(caller.user_id))


@operation(wallet_bp, "GET", "/wallet/ledger", summary="My wallet's journal lines, newest first", tag="wallet",
           query=PageQuery, response=LedgerPage)
def get_ledger(caller: Caller, query: PageQuery) -> LedgerPage:
    page = wallet_service.statement(caller, query.limit, query.cursor)
    return LedgerPage.of(page, lambda line: LedgerEntryOut.model_validate(line, from_attributes=True))


@operation(wallet_bp, "POST", "/wallet/deposits", summary="Money in from the payment rail", tag="wallet",
           body=AmountBody, response=ReceiptOut, status=201, errors=(403, 429), idempotent=True,
           limit="wallet")
def create_deposit(caller: Caller, body: AmountBody, operation_id: str) -> ReceiptOut:
    return receipt_out(wallet_service.deposit(caller, body.amount_cents, operation_id))


@operation(wallet_bp, "POST", "/wallet/withdrawals", summary="Money out to the payment rail", tag="wallet",
           body=AmountBody, response=ReceiptOut, status=201, errors=(403, 422, 429), idempotent=True,
           limit="wallet")
def create_withdrawal(caller: Caller, body: AmountBody, operation_id: str) -> ReceiptOut:
    return receipt_out(wallet_service.withdraw(caller, body.amount_cents, operation_id))
