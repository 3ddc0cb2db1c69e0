"""Reconciliation finds every kind of drift, and nothing in books that add up."""
from __future__ import annotations

import pytest

from chalicelib.domain import ledger, reconciliation
from chalicelib.domain.reconciliation import Account, JournalEntry, Line, OpenHold, reconcile

ALICE, BOB = "alice", "bob"


def books(entries: list[ledger.Entry]):
    """The accounts, lines and journal a correct ledger would hold after `entries`."""
    balances: dict[str, list[int]] = {}
    lines, journal = [], []
    for entry in entries:
        postings = tuple((p.account, p.amount_cents) for p in entry.postings)
        journal.append(JournalEntry(entry.entry_id, entry.kind, postings))
        for posting in entry.postings:
            lines.append(Line(posting.account, entry.entry_id, posting.amount_cents))
            balances.setdefault(posting.account, [0, 0])[0] += posting.amount_cents
        for user, delta in entry.held:
            balances.setdefault(ledger.wallet(user), [0, 0])[1] += delta
    return {a: Account(a, b, h) for a, (b, h) in balances.items()}, lines, journal


def history():
    return [
        ledger.deposit("d1", ALICE, 10_000, "t1"),
        ledger.hold("o1#hold", "o1", ALICE, 6_000, "t2"),
        ledger.hold("o2#hold", "o2", ALICE, 3_000, "t3"),
        ledger.settle("o1#settle", ledger.RELEASE, "o1", ALICE, BOB, 6_000, 6_000, 250, "t4"),
        ledger.withdrawal("w1", BOB, 1_000, "t5"),
    ]


def test_books_that_add_up_are_clean():
    accounts, lines, journal = books(history())
    report = reconcile(accounts.values(), lines, journal, [OpenHold("o2", ALICE, 3_000)])
    assert report.problems == []
    assert report.totals["deposits"] - report.totals["withdrawals"] == 9_000
    assert report.totals["escrow"] == report.totals["open_holds"] == 3_000
    assert report.totals["fees"] == 150


def test_a_balance_that_differs_from_its_lines_is_drift():
    accounts, lines, journal = books(history())
    accounts[ledger.wallet(BOB)] = Account(ledger.wallet(BOB), accounts[ledger.wallet(BOB)].balance_cents + 1, 0)
    problems = reconcile(accounts.values(), lines, journal, [OpenHold("o2", ALICE, 3_000)]).problems
    assert any("wallet#bob: balance" in p for p in problems)
    assert any("money inside" in p for p in problems)


def test_an_entry_that_does_not_balance_is_drift():
    accounts, lines, journal = books(history())
    journal.append(JournalEntry("bad", "deposit", (("wallet#x", 5), ("rail#1", -4))))
    report = reconcile(accounts.values(), lines, journal, [OpenHold("o2", ALICE, 3_000)])
    assert any("does not balance" in p for p in report.problems)


def test_lines_without_their_entry_are_drift():
    accounts, lines, journal = books(history())
    lines.append(Line("wallet#alice", "ghost", 1))
    problems = reconcile(accounts.values(), lines, journal, [OpenHold("o2", ALICE, 3_000)]).problems
    assert any("ghost" in p for p in problems)


def test_an_escrow_that_is_not_an_open_hold_is_drift():
    accounts, lines, journal = books(history())
    problems = reconcile(accounts.values(), lines, journal, []).problems  # o2 is funded in the ledger only
    assert any("order o2: escrow holds 3000, expected 0" in p for p in problems)
    assert any("held 3000, open escrows 0" in p for p in problems)


def test_an_open_hold_without_money_in_escrow_is_drift():
    accounts, lines, journal = books(history())
    holds = [OpenHold("o2", ALICE, 3_000), OpenHold("o9", BOB, 500)]
    problems = reconcile(accounts.values(), lines, journal, holds).problems
    assert any("order o9: escrow holds 0, expected 500" in p for p in problems)


def test_a_negative_wallet_is_drift_but_the_rail_may_be_negative():
    accounts, lines, journal = books(history())
    report = reconcile(accounts.values(), lines, journal, [OpenHold("o2", ALICE, 3_000)])
    assert report.totals["rail"] < 0 and report.clean
    entry = JournalEntry("neg", "withdrawal", (("wallet#carol", -5), ("rail#2", 5)))
    accounts["wallet#carol"] = Account("wallet#carol", -5, 0)
    accounts["rail#2"] = Account("rail#2", accounts.get("rail#2", Account("rail#2", 0, 0)).balance_cents + 5, 0)
    problems = reconcile(accounts.values(), [*lines, Line("wallet#carol", "neg", -5), Line("rail#2", "neg", 5)],
                         [*journal, entry], [OpenHold("o2", ALICE, 3_000)]).problems
    assert any("wallet#carol: negative" in p for p in problems)


# ---- rule 6: money that cannot move ----

PAYING_STUCK_BEFORE = "2030-01-01T12:00:00.000Z"
BEFORE, AFTER = "2030-01-01T11:00:00.000Z", "2030-01-01T12:30:00.000Z"


@pytest.mark.parametrize("status, since, execution, escalated, expected", [
    ("paying", BEFORE, "RUNNING", False, reconciliation.STUCK_PAYING),  # a hold takes seconds, not a quarter hour
    ("paying", AFTER, None, False, None),  # still within the time a payment may take
    ("funded", AFTER, "FAILED", False, reconciliation.HOLDING_WITHOUT_EXECUTION),
    ("delivered", BEFORE, None, False, reconciliation.HOLDING_WITHOUT_EXECUTION),
    ("disputed", BEFORE, "SUCCEEDED", True, reconciliation.HOLDING_WITHOUT_EXECUTION),
    ("funded", BEFORE, "RUNNING", False, None),
    ("disputed", BEFORE, "RUNNING", True, reconciliation.ESCALATED_DISPUTES),
    ("disputed", BEFORE, "RUNNING", False, None),
])
def test_an_order_whose_money_cannot_move_is_a_finding(status, since, execution, escalated, expected):
    assert reconciliation.escrow_finding(status, since, execution, escalated, PAYING_STUCK_BEFORE) == expected


def test_stuck_orders_make_the_books_not_clean_and_say_what_to_do():
    stuck = [reconciliation.StuckOrder("o1", "funded", reconciliation.HOLDING_WITHOUT_EXECUTION, BEFORE, "FAILED")]
    report = reconciliation.reconcile([], [], [], [], stuck=stuck)
    assert not report.clean
    assert report.problems == [
        f"order o1: HoldingWithoutExecution: funded since {BEFORE} but its escrow workflow is FAILED: the money is "
        "held and nothing will move it; `make redrive ORDER=o1`"
    ]
    assert report.stuck_counts() == {"StuckPaying": 0, "HoldingWithoutExecution": 1, "EscalatedDisputes": 0}
