"""Reconciliation: does the ledger add up? A pure check over everything the ledger and the orders hold.

1. every entry balances (its postings sum to zero), and its lines are exactly its postings;
2. every account's balance equals the fold of its lines, and no account that may not go negative is;
3. money inside the platform (wallets + escrows + fees) equals deposits minus withdrawals, and the
   rail's clearing accounts hold exactly the opposite;
4. each order's escrow holds its price while the hold is open (funded, delivered, disputed) and nothing
   otherwise; so escrow in total equals the sum of open holds;
5. each wallet's `held` equals the buyer's open escrows;
6. no money is stuck: no order has been `paying` for longer than a payment takes, every order whose money the
   escrow holds has a running workflow to move it, and no dispute outlived DISPUTE_TIMEOUT_S unresolved
   (`escrow_finding`; the escrow sweep publishes the same findings as metrics, and `make redrive` mends them).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from chalicelib.domain import ledger
from chalicelib.domain import orders as ledger_statuses


@dataclass(frozen=True, slots=True)  # slots: a reconciliation holds every balance and line of the books
class Account:
    account: str
    balance_cents: int
    held_cents: int


@dataclass(frozen=True, slots=True)
class Line:
    account: str
    entry_id: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class JournalEntry:
    entry_id: str
    kind: str
    postings: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class OpenHold:
    """An order whose payment should sit in escrow now."""

    order_id: str
    buyer_id: str
    price_cents: int


# What is wrong with an order's escrow, by the name of the metric the escrow sweep publishes for it.
STUCK_PAYING = "StuckPaying"
HOLDING_WITHOUT_EXECUTION = "HoldingWithoutExecution"
ESCALATED_DISPUTES = "EscalatedDisputes"
FINDINGS = (STUCK_PAYING, HOLDING_WITHOUT_EXECUTION, ESCALATED_DISPUTES)
RUNNING = "RUNNING"


@dataclass(frozen=True, slots=True)
class StuckOrder:
    """An order whose money cannot move without an operator: `finding` is one of FINDINGS."""

    order_id: str
    status: str
    finding: str
    since: str  # when it entered its status
    execution: str | None  # its workflow's status (None: it has none)


def escrow_finding(
    status: str, since: str, execution: str | None, escalated: bool, paying_stuck_before: str
) -> str | None:
    """Which finding (FINDINGS) an order in a watched status is, or None if its escrow is fine.

    `since`: when it entered the status; `execution`: its workflow's status (None: none); `paying_stuck_before`:
    a payment that entered `paying` before this time should long have been funded or failed (ISO times sort).
    """
    if status == ledger_statuses.PAYING:
        return STUCK_PAYING if since < paying_stuck_before else None
    if status in ledger_statuses.HOLDING and execution != RUNNING:
        return HOLDING_WITHOUT_EXECUTION
    if status == ledger_statuses.DISPUTED and escalated:
        return ESCALATED_DISPUTES
    return None



def count_findings(stuck: list[StuckOrder]) -> dict[str, int]:
    """How many orders of each finding (FINDINGS): what the sweep publishes and reconcile reports."""
    return {finding: sum(1 for order in stuck if order.finding == finding) for finding in FINDINGS}

@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    stuck: list[StuckOrder] = field(default_factory=list)

    def stuck_counts(self) -> dict[str, int]:
        """How many orders of each finding (FINDINGS)."""
        return count_findings(self.stuck)

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
    stuck: Iterable[StuckOrder] = (),
) -> Report:
    """Every problem found (an empty list means the books are clean), and the totals by account kind."""
    stuck = list(stuck)
    balances = {a.account: a for a in accounts}
    lines = list(lines)
    entries = list(entries)
    holds = {hold.order_id: hold for hold in open_holds}
    deposits = _wallet_inflow(entries, ledger.DEPOSIT)
    withdrawals = -_wallet_inflow(entries, ledger.WITHDRAWAL)
    totals = _totals_by_kind(balances)
    problems = [
        *_entry_problems(entries, lines),
        *_balance_problems(balances, lines),
        *_money_inside_problems(totals, deposits - withdrawals),
        *_escrow_problems(balances, holds),
        *_held_problems(balances, holds),
        *_stuck_problems(stuck),
    ]
    return Report(problems, {
        **{kind: totals.get(kind, 0) for kind in ("wallet", "escrow", "fees", "rail")},
        "deposits": deposits,
        "withdrawals": withdrawals,
        "open_holds": sum(hold.price_cents for hold in holds.values()),
    }, stuck)


def _wallet_inflow(entries: list[JournalEntry], kind: str) -> int:
    """What the entries of one kind credited to wallets, in total (negative for money leaving them)."""
    return sum(
        amount
        for entry in entries if entry.kind == kind
        for account, amount in entry.postings if account.startswith("wallet#")
    )


def _totals_by_kind(balances: dict[str, Account]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for account, stored in balances.items():
        totals[_kind_of(account)] += stored.balance_cents
    return totals


def _entry_problems(entries: list[JournalEntry], lines: list[Line]) -> list[str]:
    """Rule 1: every entry balances, and its lines are exactly its postings (no line without an entry)."""
    problems = []
    lines_by_entry: dict[str, Counter[tuple[str, int]]] = defaultdict(Counter)
    for line in lines:
        lines_by_entry[line.entry_id][(line.account, line.amount_cents)] += 1
    for entry in entries:
        total = sum(amount for _, amount in entry.postings)
        if total:
            problems.append(f"entry {entry.entry_id} does not balance: off by {total}")
        if lines_by_entry.pop(entry.entry_id, Counter()) != Counter(entry.postings):
            problems.append(f"entry {entry.entry_id}: its lines differ from its postings")
    problems.extend(f"lines of entry {entry_id}, which does not exist" for entry_id in lines_by_entry)
    return problems


def _balance_problems(balances: dict[str, Account], lines: list[Line]) -> list[str]:
    """Rule 2: every balance is the fold of its account's lines, and only accounts that may go negative are."""
    problems = []
    folded: dict[str, int] = defaultdict(int)
    for line in lines:
        folded[line.account] += line.amount_cents
    for account in sorted(set(balances) | set(folded)):
        stored = balances[account].balance_cents if account in balances else 0
        if stored != folded.get(account, 0):
            problems.append(f"{account}: balance {stored} but its lines sum to {folded.get(account, 0)}")
        if stored < 0 and not ledger.may_go_negative(account):
            problems.append(f"{account}: negative balance {stored}")
    return problems


def _money_inside_problems(totals: dict[str, int], net_deposits: int) -> list[str]:
    """Rule 3: wallets, escrows and fees hold what was deposited less what was withdrawn; the rail the opposite."""
    problems = []
    inside = totals.get("wallet", 0) + totals.get("escrow", 0) + totals.get("fees", 0)
    if inside != net_deposits:
        problems.append(f"money inside ({inside}) differs from deposits - withdrawals ({net_deposits})")
    if totals.get("rail", 0) != -net_deposits:
        problems.append(f"the rail's clearing accounts hold {totals.get('rail', 0)}, expected {-net_deposits}")
    return problems


def _escrow_problems(balances: dict[str, Account], holds: dict[str, OpenHold]) -> list[str]:
    """Rule 4: each order's escrow holds its price while its hold is open, and nothing otherwise."""
    problems = []
    escrows = {account.removeprefix("escrow#") for account in balances if account.startswith("escrow#")}
    for order_id in sorted(escrows | set(holds)):
        escrow = balances.get(ledger.escrow(order_id))
        held = escrow.balance_cents if escrow else 0
        expected = holds[order_id].price_cents if order_id in holds else 0
        if held != expected:
            problems.append(f"order {order_id}: escrow holds {held}, expected {expected}")
    return problems


def _held_problems(balances: dict[str, Account], holds: dict[str, OpenHold]) -> list[str]:
    """Rule 5: each wallet's `held` is its owner's open escrows (a buyer with open escrows has a wallet)."""
    problems = []
    held_by_buyer: dict[str, int] = defaultdict(int)
    for hold in holds.values():
        held_by_buyer[hold.buyer_id] += hold.price_cents
    for account, stored in balances.items():
        user = ledger.owner_of(account)
        if user is not None and stored.held_cents != held_by_buyer.get(user, 0):
            problems.append(f"{account}: held {stored.held_cents}, open escrows {held_by_buyer.get(user, 0)}")
    problems.extend(
        f"{ledger.wallet(user)}: held 0, open escrows {amount}"
        for user, amount in held_by_buyer.items() if ledger.wallet(user) not in balances
    )
    return problems


def _stuck_problems(stuck: list[StuckOrder]) -> list[str]:
    """Rule 6: each order whose money cannot move without an operator, and what to do."""
    what = {
        STUCK_PAYING: "paying since {since}: the payment neither funded nor failed; `make redrive ORDER={id}`",
        HOLDING_WITHOUT_EXECUTION: "{status} since {since} but its escrow workflow is {execution}: the money is "
        "held and nothing will move it; `make redrive ORDER={id}`",
        ESCALATED_DISPUTES: "disputed since {since}, escalated: nobody resolved it in time; an operator must "
        "(POST /admin/orders/{id}/resolve)",
    }
    return [
        f"order {order.order_id}: {order.finding}: " + what[order.finding].format(
            since=order.since, status=order.status, execution=order.execution or "missing", id=order.order_id)
        for order in sorted(stuck, key=lambda order: (order.finding, order.order_id))
    ]
