"""The ledger in DynamoDB: post an entry (its lines and balance changes) in one transaction, exactly once."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain import ledger
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import InsufficientFunds
from chalicelib.domain.ledger import Entry, Posting
from chalicelib.store import entry_shape, items, refusals, tables
from chalicelib.store.contention import retried
from chalicelib.store.key_layouts import (
    BALANCE_SORT_KEY,
    ENTRY_SORT_KEY,
    LINE_PREFIX,
    account_key,
    account_of,
    entry_key,
)
from chalicelib.store.models import BalanceModel, EntryModel, LineModel, PostingAttribute
from chalicelib.store.pages import Key, one_page


@dataclass(frozen=True)
class Line:
    """One posting as an account's statement shows it."""

    account: str
    entry_id: str
    kind: str
    amount_cents: int
    order_id: str | None
    at: str


@dataclass(frozen=True)
class Balance:
    account: str
    balance_cents: int
    held_cents: int


@retried(idempotent=True)  # an entry id posts once: safe to re-send after a lost response
def post(entry: Entry) -> bool:
    """Write the entry, its lines and the balance changes atomically; False if it was posted before.

    Raises InsufficientFunds if an account that may not go below zero would (nothing is written then).
    The entry item is put only if absent (moto ignores ClientRequestToken, so the guard is ours), which
    makes a retried post — say after a response lost in transit — a no-op.
    """
    connection = tables.bind()
    shape = entry_shape.of(
        entry.entry_id, entry.at, [(p.account, p.amount_cents) for p in entry.postings],
        [(ledger.wallet(user), delta) for user, delta in entry.held if delta], ledger.may_go_negative,
    )
    try:
        with TransactWrite(connection=connection) as tx:
            # Puts go first in the request (PynamoDB's order), so index 0 of the cancellation reasons is the guard.
            postings = [PostingAttribute(account=p.account, amount_cents=p.amount_cents) for p in entry.postings]
            tx.save(
                EntryModel(
                    pk=shape.guard[0], sk=shape.guard[1], entry_id=entry.entry_id, kind=entry.kind,
                    postings=postings, order_id=entry.order_id, at=entry.at,
                ),
                condition=EntryModel.pk.does_not_exist(),
            )
            for line in shape.lines:
                tx.save(
                    LineModel(
                        pk=line.key[0], sk=line.key[1], entry_id=entry.entry_id,
                        kind=entry.kind, amount_cents=line.amount, order_id=entry.order_id, at=entry.at,
                    )
                )
            for update in sorted(shape.balances, key=lambda update: update.account):
                _update_balance(tx, update)
    except TransactWriteError as exc:
        if refusals.condition_failed_at(exc, 0):
            return False
        if refusals.any_condition_failed(exc):
            raise InsufficientFunds("not enough money in the wallet for this") from exc
        raise
    return True


def _update_balance(tx: TransactWrite, update: entry_shape.BalanceUpdate[int]) -> None:
    actions: list[Any] = []
    condition = None
    if update.add_balance:
        actions.append(BalanceModel.balance.add(update.add_balance))
        if update.balance_at_least is not None:
            condition = BalanceModel.balance >= update.balance_at_least
    if update.add_held:
        actions.append(BalanceModel.held.add(update.add_held))
        if update.held_at_least is not None:
            held_enough = BalanceModel.held >= update.held_at_least
            condition = held_enough if condition is None else condition & held_enough
    tx.update(BalanceModel(pk=update.key[0], sk=update.key[1]), actions=actions, condition=condition)


def is_posted(entry_id: str) -> bool:
    return items.read(EntryModel, entry_key(entry_id), ENTRY_SORT_KEY) is not None


def balance(account: str) -> Balance:
    model = items.read(BalanceModel, account_key(account), BALANCE_SORT_KEY)
    return _balance(account, model) if model is not None else Balance(account, 0, 0)


def _balance(account: str, model: BalanceModel) -> Balance:
    return Balance(account, int(model.balance or 0), int(model.held or 0))


def statement(account: str, limit: int, start_key: Key | None) -> tuple[list[Line], Key | None]:
    """A page of the account's lines, newest first."""
    tables.bind()
    models, next_key = one_page(
        lambda count, start: LineModel.query(
            account_key(account), LineModel.sk.startswith(LINE_PREFIX), scan_index_forward=False,
            consistent_read=True, limit=count, page_size=count, last_evaluated_key=start,
        ),
        limit,
        start_key,
        lambda last: {"pk": {"S": last.pk}, "sk": {"S": last.sk}},
    )
    return [_line(model) for model in models], next_key


def _line(model: LineModel) -> Line:
    return items.to_domain(
        model, Line, account=account_of(model.pk), amount_cents=int(model.amount_cents), at=iso(parse_iso(model.at))
    )


@dataclass(frozen=True)
class StoredEntry:
    """An entry as stored, unchecked: reconciliation must see a broken one, not fail to read it."""

    entry_id: str
    kind: str
    postings: tuple[Posting, ...]
    order_id: str | None
    at: str


@dataclass(frozen=True)
class Snapshot:
    """Everything in the ledger table, for reconciliation."""

    balances: dict[str, Balance]
    lines: list[Line]
    entries: list[StoredEntry]


def snapshot() -> Snapshot:
    """Read the whole ledger (a Scan: for the reconciliation command, not for requests)."""
    tables.bind()
    balances: dict[str, Balance] = {}
    lines: list[Line] = []
    entries: list[StoredEntry] = []
    for item in _scan():
        sk = item["sk"]["S"]
        if sk == BALANCE_SORT_KEY:
            stored = BalanceModel.from_raw_data(item)
            account = account_of(stored.pk)
            balances[account] = _balance(account, stored)
        elif sk.startswith(LINE_PREFIX):
            lines.append(_line(LineModel.from_raw_data(item)))
        elif sk == ENTRY_SORT_KEY:
            entry = EntryModel.from_raw_data(item)
            postings = tuple(Posting(p.account, int(p.amount_cents)) for p in entry.postings)
            entries.append(items.to_domain(entry, StoredEntry, postings=postings))
    return Snapshot(balances, lines, entries)


def _scan() -> Iterator[dict[str, Any]]:
    client = BalanceModel._get_connection().connection.client
    paginator = client.get_paginator("scan")
    for page in paginator.paginate(TableName=BalanceModel.Meta.table_name, ConsistentRead=True):
        yield from page["Items"]
