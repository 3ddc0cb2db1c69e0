"""Reconcile the books: read the whole ledger and every open escrow, check they add up, and find the orders
whose money is stuck (services/escrow_health.py)."""
from __future__ import annotations

from chalicelib.domain import reconciliation
from chalicelib.services import escrow_health
from chalicelib.store import ledger as ledger_store
from chalicelib.store import orders as order_store


def reconcile() -> reconciliation.Report:
    """Problems (none when clean) and totals; reads everything, so run it as a job, not in a request."""
    snapshot = ledger_store.snapshot()
    return reconciliation.reconcile(
        accounts=[
            reconciliation.Account(b.account, b.balance_cents, b.held_cents) for b in snapshot.balances.values()
        ],
        lines=[reconciliation.Line(line.account, line.entry_id, line.amount_cents) for line in snapshot.lines],
        entries=[
            reconciliation.JournalEntry(e.entry_id, e.kind, tuple((p.account, p.amount_cents) for p in e.postings))
            for e in snapshot.entries
        ],
        open_holds=[
            reconciliation.OpenHold(order.order_id, order.buyer_id, order.price_cents)
            for order in order_store.holding()
        ],
        stuck=escrow_health.find_stuck()[0],
    )
