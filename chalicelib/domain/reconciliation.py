"""Reconciliation: does the ledger add up? A pure check over everything the ledger and the orders hold.

1. every entry balances (its postings sum to zero), and its lines are exactly its postings;
2. every account's balance equals the fold of its lines, and no account that may not go negative is;
3. money inside the platform (wallets + escrows + fees) equals deposits minus withdrawals, and the
   rail's clearing accounts hold exactly the opposite;
4. each order's escrow holds its price while the hold is open (funded, delivered, disputed) and nothing
   otherwise; so escrow in total equals the sum of open holds;
5. each wallet's `held` equals the buyer's open escrows.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from chalicelib.domain import ledger


@dataclass(frozen=True)
class Account:
    account: str
    balance_cents: int
    held_cents: int


@dataclass(frozen=True)
class Line:
    account: str
    entry_id: str
    amount_cents: int


@dataclass(frozen=True)
class JournalEntry:
    entry_id: str
    kind: str
    postings: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class OpenHold:
    """An order whose payment should sit in escrow now."""

    order_id: str
    buyer_id: str
    price_cents: int


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.problems


def _kind_of(account: str) -> str:
    return account.split("#", 1)[0]


def reconcile(
    accounts: Iterable[Account],
    lines: Iterable[Line],
    entries: Iterable[JournalEntry],
    open_holds: Iterable[OpenHold],
) -> Report:
    """Every problem found (an empty list means the books are clean), and the totals by account kind."""
    report = Report()
    balances = {a.account: a for a in accounts}
    lines = list(lines)
    entries = list(entries)

    lines_by_entry: dict[str, Counter[tuple[str, int]]] = defaultdict(Counter)
    folded: dict[str, int] = defaultdict(int)
    for line in lines:
        lines_by_entry[line.entry_id][(line.account, line.amount_cents)] += 1
        folded[line.account] += line.amount_cents

    deposits = withdrawals = 0
    for entry in entries:
        total = sum(amount for _, amount in entry.postings)
        if total:
            report.problems.append(f"entry {entry.entry_id} does not balance: off by {total}")
        if lines_by_entry.pop(entry.entry_id, Counter()) != Counter(entry.postings):
            report.problems.append(f"entry {entry.entry_id}: its lines differ from its postings")
        if entry.kind == ledger.DEPOSIT:
            deposits += sum(amount for account, amount in entry.postings if account.startswith("wallet#"))
        elif entry.kind == ledger.WITHDRAWAL:
            withdrawals -= sum(amount for account, amount in entry.postings if account.startswith("wallet#"))
    for entry_id in lines_by_entry:
        report.problems.append(f"lines of entry {entry_id}, which does not exist")

    for account in sorted(set(balances) | set(folded)):
        stored = balances[account].balance_cents if account in balances else 0
        if stored != folded.get(account, 0):
            report.problems.append(f"{account}: balance {stored} but its lines sum to {folded.get(account, 0)}")
        if stored < 0 and not ledger.may_go_negative(account):
            report.problems.append(f"{account}: negative balance {stored}")

    totals: dict[str, int] = defaultdict(int)
    for account, stored in balances.items():
        totals[_kind_of(account)] += stored.balance_cents
    inside = totals["wallet"] + totals["escrow"] + totals["fees"]
    if inside != deposits - withdrawals:
        report.problems.append(f"money inside ({inside}) differs from deposits - withdrawals ({deposits - withdrawals})")
    if totals["rail"] != -(deposits - withdrawals):
        report.problems.append(f"the rail's clearing accounts hold {totals['rail']}, expected {-(deposits - withdrawals)}")

    holds = {hold.order_id: hold for hold in open_holds}
    escrows = {account.removeprefix("escrow#") for account in balances if account.startswith("escrow#")}
    for order_id in sorted(escrows | set(holds)):
        stored = balances.get(ledger.escrow(order_id))
        held = stored.balance_cents if stored else 0
        expected = holds[order_id].price_cents if order_id in holds else 0
        if held != expected:
            report.problems.append(f"order {order_id}: escrow holds {held}, expected {expected}")
    held_by_buyer: dict[str, int] = defaultdict(int)
    for hold in holds.values():
        held_by_buyer[hold.buyer_id] += hold.price_cents
    for account, stored in balances.items():
        user = ledger.owner_of(account)
        if user is not None and stored.held_cents != held_by_buyer.get(user, 0):
            report.problems.append(f"{account}: held {stored.held_cents}, open escrows {held_by_buyer.get(user, 0)}")
    for user, amount in held_by_buyer.items():
        if ledger.wallet(user) not in balances:
            report.problems.append(f"{ledger.wallet(user)}: held 0, open escrows {amount}")

    report.totals = {
        **{kind: totals.get(kind, 0) for kind in ("wallet", "escrow", "fees", "rail")},
        "deposits": deposits,
        "withdrawals": withdrawals,
        "open_holds": sum(hold.price_cents for hold in holds.values()),
    }
    return report
