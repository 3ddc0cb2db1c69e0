"""The escrow, executed for real by moto's Step Functions: hold, wait, release / refund / split, timers,
and what happens when DynamoDB or SQS misbehave on the way.

Each path ends with the reconciliation check: the books add up after every one. Faults are injected into
the served moto (tests/integration/conftest.py), so they reach the workflow's own DynamoDB and SQS calls.
The last test checks that these paths, together, take every state and every edge of the ASL.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import replace

import boto3
import pytest

from chalicelib.services.reconcile import reconcile
from chalicelib.services.redrive import redrive
from chalicelib.settings import get_settings
from chalicelib.store import orders as order_store
from chalicelib.workflows import escrow as workflow
from tests.conftest import ROOT, listing_body
from tests.integration.conftest import Fault
from tests.integration.escrow_kit import (
    Edge,
    accepted_order,
    assert_books_clean,
    decide,
    deposit,
    execution_outcome,
    executions_edges,
    funded_order,
    key,
    pay,
    statuses,
    sweep,
    wait_for,
    wait_until,
    waiting,
    wallet,
    workflow_edges,
)

ASL = json.loads((ROOT / "chalicelib" / "workflows" / "escrow.asl.json").read_text())
TAKEN: set[Edge] = set()  # every edge the tests of this module made the workflow take
SHORT_S = "2"  # a timer short enough to watch it fire


@pytest.fixture
def stack(escrow_stack):
    """Here the app, its users and its tokens live on the served moto that executes the escrow."""
    return escrow_stack


@pytest.fixture(autouse=True)
def record_edges(escrow_stack):
    """After each test, note which edges of the workflow its executions took."""
    yield
    TAKEN.update(executions_edges(os.environ["ESCROW_STATE_MACHINE_ARN"]))


def delivered_order(client, shop) -> str:
    order_id = funded_order(client, shop)
    assert decide(client, shop["bob"], order_id, "deliver").status in (200, 202)
    wait_for(client, shop["alice"], order_id, "delivered")
    return order_id


def disputed_order(client, shop) -> str:
    order_id = funded_order(client, shop)
    assert decide(client, shop["alice"], order_id, "dispute").status in (200, 202)
    wait_for(client, shop["alice"], order_id, "disputed")
    return order_id


def balances(client, shop) -> tuple[int, int, int]:
    """Alice's available and held money, and Bob's available money."""
    alice, bob = wallet(client, shop["alice"]), wallet(client, shop["bob"])
    return alice["available_cents"], alice["held_cents"], bob["available_cents"]


# ---- the paths a user takes ----------------------------------------------------------------------------

def test_the_happy_path_holds_then_pays_the_provider(client, shop):
    alice, bob = shop["alice"], shop["bob"]
    order_id = accepted_order(client, shop)
    paid = pay(client, shop, order_id)
    assert paid.status == 202, paid.body
    wait_for(client, alice, order_id, "funded")
    assert wallet(client, alice) == {"available_cents": 4_000, "held_cents": 6_000, "currency": "CNY"}
    delivered = decide(client, bob, order_id, "deliver")
    assert delivered.status in (200, 202), delivered.body
    wait_for(client, alice, order_id, "delivered")
    confirmed = decide(client, alice, order_id, "confirm")
    assert confirmed.status in (200, 202), confirmed.body
    order = wait_for(client, alice, order_id, "released")
    assert statuses(order) == ["requested", "accepted", "paying", "funded", "delivered", "released"]
    assert wallet(client, alice) == {"available_cents": 4_000, "held_cents": 0, "currency": "CNY"}
    assert wallet(client, bob)["available_cents"] == 6_000
    assert [line["kind"] for line in client.get("/wallet/ledger", bob).body["items"]] == ["release"]
    assert_books_clean()


def test_a_buyer_may_confirm_before_the_provider_says_delivered(client, shop):
    order_id = funded_order(client, shop)
    assert decide(client, shop["alice"], order_id, "confirm").status in (200, 202)
    order = wait_for(client, shop["alice"], order_id, "released")
    assert statuses(order)[-2:] == ["funded", "released"]
    assert balances(client, shop) == (4_000, 0, 6_000)
    assert_books_clean()


def test_a_payment_the_wallet_cannot_cover_fails_moves_nothing_and_can_be_paid_again(client, shop):
    other = client.post("/listings", shop["bob"], listing_body(title="Fence", price_cents=15_000))
    assert other.status == 201, other.body
    shop["fence"] = other.body
    order_id = accepted_order(client, shop, listing="fence")
    assert pay(client, shop, order_id).status == 202
    failed = wait_for(client, shop["alice"], order_id, "payment_failed")
    assert failed["failure_reason"] == "InsufficientFunds"
    assert balances(client, shop) == (10_000, 0, 0)
    deposit(client, shop["alice"], 5_000)
    assert pay(client, shop, order_id).status == 202
    funded = wait_for(client, shop["alice"], order_id, "funded")
    assert funded["failure_reason"] is None
    assert statuses(funded) == ["requested", "accepted", "paying", "payment_failed", "paying", "funded"]
    assert balances(client, shop) == (0, 15_000, 0)
    assert_books_clean()


def test_a_buyer_who_cancels_a_funded_order_gets_the_money_back(client, shop):
    order_id = funded_order(client, shop)
    cancelled = decide(client, shop["alice"], order_id, "cancel")
    assert cancelled.status in (200, 202), cancelled.body
    order = wait_for(client, shop["alice"], order_id, "refunded")
    assert statuses(order)[-2:] == ["funded", "refunded"]
    assert balances(client, shop) == (10_000, 0, 0)
    assert_books_clean()


def test_an_operator_splits_a_disputed_order_and_the_fee_is_taken_from_the_providers_part(
    client, shop, monkeypatch
):
    monkeypatch.setenv("FEE_BPS", "250")  # 2.5 %
    order_id = delivered_order(client, shop)
    assert decide(client, shop["bob"], order_id, "dispute").status in (200, 202)
    wait_for(client, shop["alice"], order_id, "disputed")
    assert balances(client, shop) == (4_000, 6_000, 0)
    resolved = decide(client, shop["olga"], order_id, "resolve", {"release_cents": 2_000})
    assert resolved.status in (200, 202), resolved.body
    order = wait_for(client, shop["alice"], order_id, "resolved")
    assert statuses(order)[-3:] == ["delivered", "disputed", "resolved"]
    assert balances(client, shop) == (8_000, 0, 1_950)  # 2,000 less 2.5 % to Bob, 4,000 back to Alice
    assert_books_clean()
    assert reconcile().totals["fees"] == 50


def test_a_dispute_on_a_funded_order_keeps_the_money_held_until_an_operator_decides(client, shop):
    order_id = disputed_order(client, shop)
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert decide(client, shop["olga"], order_id, "resolve", {"release_cents": 6_000}).status in (200, 202)
    wait_for(client, shop["alice"], order_id, "resolved")
    assert balances(client, shop) == (4_000, 0, 6_000)
    assert_books_clean()


# ---- the timers ----------------------------------------------------------------------------------------

def test_a_buyer_silent_after_delivery_pays_the_provider_automatically(client, shop, monkeypatch):
    monkeypatch.setenv("AUTO_RELEASE_AFTER_DELIVERY_S", SHORT_S)
    order_id = delivered_order(client, shop)
    order = wait_for(client, shop["alice"], order_id, "released")
    assert statuses(order)[-2:] == ["delivered", "released"]
    assert balances(client, shop) == (4_000, 0, 6_000)
    assert_books_clean()


def test_an_order_never_delivered_by_the_deadline_is_refunded(client, shop, monkeypatch):
    monkeypatch.setenv("SERVICE_DEADLINE_S", SHORT_S)
    order_id = funded_order(client, shop)
    order = wait_for(client, shop["alice"], order_id, "refunded")
    assert statuses(order)[-2:] == ["funded", "refunded"]
    assert balances(client, shop) == (10_000, 0, 0)
    assert_books_clean()


def test_a_dispute_nobody_resolves_in_time_is_escalated_and_the_money_stays_held(client, shop, monkeypatch, faults):
    """Issue 14 (silent refund): the dispute timeout used to refund the buyer by default. Now it marks the order
    escalated, keeps the money held and waits for an operator again (the sweep's alarm calls one); an escalation
    that cannot be written waits and escalates at the next timeout."""
    monkeypatch.setenv("DISPUTE_TIMEOUT_S", SHORT_S)
    faults.inject(Fault("UpdateItem", "SET escalated_at", "AccessDeniedException"))
    order_id = disputed_order(client, shop)
    order = wait_until(client, shop["alice"], order_id, lambda o: o["escalated_at"] is not None)
    assert statuses(order)[-1] == "disputed"
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert sweep()["EscalatedDisputes"] == 1
    waiting(order_id, "disputed")  # an operator can still decide it
    assert decide(client, shop["olga"], order_id, "resolve", {"release_cents": 6_000}).status in (200, 202)
    wait_for(client, shop["alice"], order_id, "resolved")
    assert balances(client, shop) == (4_000, 0, 6_000)
    assert_books_clean()


# ---- disputes: who opened them, who may end them ----

def test_the_buyer_may_cancel_a_providers_dispute_of_a_funded_order_after_the_grace_period(client, shop, monkeypatch):
    """Issue 14: a provider's dispute of a funded order froze the buyer's money for 60 days (cancel: 409)."""
    monkeypatch.setenv("PROVIDER_DISPUTE_GRACE_S", "3600")
    order_id = funded_order(client, shop)
    assert decide(client, shop["bob"], order_id, "dispute").status in (200, 202)
    order = wait_for(client, shop["alice"], order_id, "disputed")
    assert (order["disputed_by"], order["disputed_from"]) == (shop["bob"].user_id, "funded")
    waiting(order_id, "disputed")
    within = client.post(f"/orders/{order_id}/cancel", shop["alice"])
    assert within.status == 409 and "you may cancel it from" in within.body["Message"], within.body
    monkeypatch.setenv("PROVIDER_DISPUTE_GRACE_S", "0")  # the window has passed
    assert client.post(f"/orders/{order_id}/cancel", shop["bob"]).status == 403  # only the buyer cancels
    assert decide(client, shop["alice"], order_id, "cancel").status in (200, 202)
    order = wait_for(client, shop["alice"], order_id, "refunded")
    assert statuses(order)[-3:] == ["funded", "disputed", "refunded"]
    assert balances(client, shop) == (10_000, 0, 0)
    assert_books_clean()


def test_a_buyers_own_dispute_is_not_ended_by_cancelling_it(client, shop, monkeypatch):
    monkeypatch.setenv("PROVIDER_DISPUTE_GRACE_S", "0")
    order_id = disputed_order(client, shop)
    waiting(order_id, "disputed")
    refused = client.post(f"/orders/{order_id}/cancel", shop["alice"])
    assert refused.status == 409 and "an operator decides it" in refused.body["Message"], refused.body
    # Even a refund decision sent past the API reaches nothing: the workflow takes it only for a provider's dispute.
    assert workflow.send_decision(waiting(order_id, "disputed").task_token, {"action": "refund", "from": "disputed"})
    waiting(order_id, "disputed")
    assert order_store.get(order_id).status == "disputed"
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert_books_clean()


def test_an_operator_who_bought_the_order_may_not_resolve_it_and_the_one_who_does_is_recorded(client, shop, make_user):
    """Issue 14 (self-resolution): an operator could resolve their own order and pay themselves."""
    olga = shop["olga"]
    deposit(client, olga, 10_000)
    placed = client.post("/orders", olga, {"listing_id": shop["listing"]["listing_id"]}, headers=key())
    order_id = placed.body["order_id"]
    assert client.post(f"/orders/{order_id}/accept", shop["bob"]).status == 200
    assert pay(client, {**shop, "alice": olga}, order_id).status == 202
    wait_for(client, olga, order_id, "funded")
    assert decide(client, shop["bob"], order_id, "dispute").status in (200, 202)
    wait_for(client, olga, order_id, "disputed")
    waiting(order_id, "disputed")
    own = client.post(f"/admin/orders/{order_id}/resolve", olga, {"release_cents": 0, "note": "mine"})
    assert own.status == 403, own.body
    assert wallet(client, olga) == {"available_cents": 4_000, "held_cents": 6_000, "currency": "CNY"}
    ivan = make_user("Ivan", operator=True)
    answer = decide(client, ivan, order_id, "resolve", {"release_cents": 1_000, "note": "half a job, photos"})
    assert answer.status in (200, 202), answer.body
    order = wait_for(client, olga, order_id, "resolved")
    assert (order["resolved_by"], order["resolution_note"]) == (ivan.user_id, "half a job, photos")
    assert wallet(client, olga)["available_cents"] == 9_000
    assert_books_clean()


# ---- the same request twice ----------------------------------------------------------------------------

def test_a_replayed_pay_answers_the_same_and_holds_once(client, shop):
    order_id = accepted_order(client, shop)
    same_key = str(uuid.uuid4())
    first = pay(client, shop, order_id, same_key)
    wait_for(client, shop["alice"], order_id, "funded")
    again = pay(client, shop, order_id, same_key)
    assert (again.status, again.body) == (first.status, first.body)
    assert pay(client, shop, order_id).status == 409  # a new key: a funded order cannot be paid again
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert_books_clean()


def test_a_second_start_of_the_same_payment_starts_nothing(client, shop):
    order_id = funded_order(client, shop)
    workflow.start(order_store.get(order_id))
    sfn = boto3.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=os.environ["ESCROW_STATE_MACHINE_ARN"])["executions"]
    assert [e["name"] for e in executions] == [order_id]
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert_books_clean()


def test_a_duplicate_callback_changes_nothing(client, shop):
    order_id = funded_order(client, shop)
    token = waiting(order_id, "funded").task_token
    assert workflow.send_decision(token, {"action": "confirm", "from": "funded"})
    wait_for(client, shop["alice"], order_id, "released")
    assert not workflow.send_decision(token, {"action": "confirm", "from": "funded"})
    assert not workflow.send_decision(token, {"action": "refund", "from": "funded"})
    assert decide(client, shop["alice"], order_id, "confirm").status == 409
    assert balances(client, shop) == (4_000, 0, 6_000)
    assert_books_clean()


@pytest.mark.parametrize("status", ["funded", "delivered", "disputed"])
def test_a_decision_the_workflow_does_not_know_leaves_the_order_waiting(client, shop, status):
    order_id = {"funded": funded_order, "delivered": delivered_order, "disputed": disputed_order}[status](client, shop)
    assert workflow.send_decision(waiting(order_id, status).task_token, {"action": "teleport", "from": status})
    waiting(order_id, status)  # a fresh wait, with a fresh token
    assert order_store.get(order_id).status == status
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert_books_clean()


def test_an_execution_that_finds_its_order_no_longer_paying_moves_nothing(client, shop):
    order_id = accepted_order(client, shop)
    assert decide(client, shop["alice"], order_id, "cancel").status == 200
    stray = order_store.get(order_id)
    boto3.client("stepfunctions").start_execution(
        stateMachineArn=os.environ["ESCROW_STATE_MACHINE_ARN"], name=f"{order_id}-stray",
        input=json.dumps(workflow.execution_input(stray, get_settings())),
    )
    assert execution_outcome(f"{order_id}-stray") == "FAILED"
    assert order_store.get(order_id).status == "cancelled"
    assert balances(client, shop) == (10_000, 0, 0)
    assert_books_clean()


# ---- faults on the workflow's own calls ----------------------------------------------------------------

SETTLEMENTS = {  # the transaction's marker in its request, how to get there, the status it ends in
    "release": ('"release"', "confirm", "released", (4_000, 0, 6_000)),
    "refund": ('"refund"', "cancel", "refunded", (10_000, 0, 0)),
    "split": ('"split"', "resolve", "resolved", (7_000, 0, 3_000)),
}


def settle(client, shop, how: str) -> str:
    """Bring an order to the point of settling and ask for the settlement `how`; returns its id."""
    if how == "resolve":
        order_id = disputed_order(client, shop)
        answer = decide(client, shop["olga"], order_id, "resolve", {"release_cents": 3_000})
    else:
        order_id = funded_order(client, shop)
        answer = decide(client, shop["alice"], order_id, how)
    assert answer.status in (200, 202), answer.body
    return order_id


def test_a_throttled_hold_is_retried_and_funds_the_order_once(client, shop, faults):
    fault = faults.inject(Fault("TransactWriteItems", "#hold#", "ThrottlingException", times=2))
    funded_order(client, shop)
    assert fault.hits == 2
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert_books_clean()


def test_a_hold_whose_answer_was_lost_after_it_committed_is_not_taken_twice(client, shop, faults):
    faults.inject(Fault("TransactWriteItems", "#hold#", "InternalServerError", status=500, after_commit=True))
    order_id = funded_order(client, shop)
    waiting(order_id, "funded")  # the workflow tried again, saw the hold done, and waits as usual
    assert ("Hold", "retry", "Hold") in executions_edges(os.environ["ESCROW_STATE_MACHINE_ARN"])
    assert decide(client, shop["alice"], order_id, "confirm").status in (200, 202)
    wait_for(client, shop["alice"], order_id, "released")
    assert balances(client, shop) == (4_000, 0, 6_000)
    assert_books_clean()


def test_a_hold_in_a_transaction_conflict_is_tried_again(client, shop, faults):
    faults.inject(Fault("TransactWriteItems", "#hold#", "TransactionCanceledException", message=(
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]")))
    funded_order(client, shop)
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert_books_clean()


def test_a_hold_refused_for_another_reason_fails_the_payment_and_moves_nothing(client, shop, faults):
    faults.inject(Fault("TransactWriteItems", "#hold#", "AccessDeniedException"))
    order_id = accepted_order(client, shop)
    pay(client, shop, order_id)
    failed = wait_for(client, shop["alice"], order_id, "payment_failed")
    assert failed["failure_reason"] == "PaymentError"
    assert balances(client, shop) == (10_000, 0, 0)
    assert_books_clean()


def test_when_a_failed_payment_cannot_be_written_the_order_stays_paying_and_nothing_moves(client, shop, faults):
    faults.inject(Fault("TransactWriteItems", "#hold#", "AccessDeniedException"))
    faults.inject(Fault("UpdateItem", "payment_failed", "AccessDeniedException"))
    order_id = accepted_order(client, shop)
    pay(client, shop, order_id)
    assert execution_outcome(order_id) == "FAILED"
    assert order_store.get(order_id).status == "paying"
    assert balances(client, shop) == (10_000, 0, 0)
    assert_books_clean()


@pytest.mark.parametrize("kind", sorted(SETTLEMENTS))
def test_a_settlement_whose_answer_was_lost_after_it_committed_pays_once(client, shop, faults, kind):
    marker, how, status, expected = SETTLEMENTS[kind]
    fault = faults.inject(Fault("TransactWriteItems", marker, "InternalServerError", status=500, after_commit=True))
    order_id = settle(client, shop, how)
    wait_for(client, shop["alice"], order_id, status)
    assert execution_outcome(order_id) == "SUCCEEDED"
    assert fault.hits == 1
    assert balances(client, shop) == expected
    assert_books_clean()


@pytest.mark.parametrize("kind", sorted(SETTLEMENTS))
def test_a_settlement_in_a_transaction_conflict_is_tried_again(client, shop, faults, kind):
    marker, how, status, expected = SETTLEMENTS[kind]
    faults.inject(Fault("TransactWriteItems", marker, "TransactionCanceledException", message=(
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]")))
    order_id = settle(client, shop, how)
    wait_for(client, shop["alice"], order_id, status)
    assert balances(client, shop) == expected
    assert_books_clean()


STUCK = {  # the status a failed settlement leaves the order in → the marker of the refused transaction, the
    # decision that asks for it (by whom), and the balances once it is taken again after the re-drive
    "funded": ('"refund"', "cancel", "alice", (10_000, 0, 0)),
    "delivered": ('"release"', "confirm", "alice", (4_000, 0, 6_000)),
    "disputed": ('"split"', "resolve", "olga", (7_000, 0, 3_000)),
}


@pytest.mark.parametrize("status", sorted(STUCK))
def test_a_failed_settlement_is_found_re_driven_and_moves_the_money_once(client, shop, faults, status):
    """Issue 14 (stuck escrow): a settlement refused outright failed the execution and left the money held with
    nobody told, while `make reconcile` said clean. Now the sweep and reconcile find it, and a re-drive (twice:
    the second starts nothing) lets the decision be taken again; the money moves once."""
    marker, action, who, expected = STUCK[status]
    order_id = {"funded": funded_order, "delivered": delivered_order, "disputed": disputed_order}[status](client, shop)
    faults.inject(Fault("TransactWriteItems", marker, "AccessDeniedException"))
    body = {"release_cents": 3_000} if action == "resolve" else None
    assert decide(client, shop[who], order_id, action, body).status in (200, 202)
    assert execution_outcome(order_id) == "FAILED"
    assert order_store.get(order_id).status == status
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert sweep()["HoldingWithoutExecution"] == 1
    assert [line.split(": ")[1] for line in reconcile().problems] == ["HoldingWithoutExecution"]

    first, second = redrive(order_id), redrive(order_id)
    assert (first.started, second.started) == (f"{order_id}-r1", None)
    waiting(order_id, status)
    assert sweep()["HoldingWithoutExecution"] == 0
    assert decide(client, shop[who], order_id, action, body).status in (200, 202)
    wait_for(client, shop["alice"], order_id, {"funded": "refunded", "delivered": "released",
                                               "disputed": "resolved"}[status])
    assert execution_outcome(f"{order_id}-r1") == "SUCCEEDED"
    assert redrive(order_id).started is None  # settled: nothing to re-drive
    assert balances(client, shop) == expected
    assert_books_clean()


def test_a_payment_stuck_in_paying_is_found_and_re_driven_into_one_hold(client, shop, faults, monkeypatch):
    monkeypatch.setenv("STUCK_PAYING_S", "1")
    faults.inject(Fault("TransactWriteItems", "#hold#", "AccessDeniedException"))
    faults.inject(Fault("UpdateItem", "payment_failed", "AccessDeniedException"))
    order_id = accepted_order(client, shop)
    pay(client, shop, order_id)
    assert execution_outcome(order_id) == "FAILED"
    time.sleep(1.5)
    assert sweep()["StuckPaying"] == 1
    assert [line.split(": ")[1] for line in reconcile().problems] == ["StuckPaying"]
    assert redrive(order_id).started == f"{order_id}-r1"
    wait_for(client, shop["alice"], order_id, "funded")
    assert redrive(order_id).started is None  # its execution is running
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert decide(client, shop["alice"], order_id, "confirm").status in (200, 202)
    wait_for(client, shop["alice"], order_id, "released")
    assert balances(client, shop) == (4_000, 0, 6_000)
    assert_books_clean()


def test_a_stale_execution_replaying_a_settlement_moves_no_money(client, shop, monkeypatch):
    """A re-drive started from an outdated read of the order (here: funded, after it was refunded) reaches the
    refund again when its timer fires; the settlement's entry id is taken, so it moves nothing."""
    order_id = funded_order(client, shop)
    stale = order_store.get(order_id)
    assert decide(client, shop["alice"], order_id, "cancel").status in (200, 202)
    wait_for(client, shop["alice"], order_id, "refunded")
    monkeypatch.setenv("SERVICE_DEADLINE_S", SHORT_S)
    workflow.start(replace(stale, redrive=7), resume=True)
    assert execution_outcome(f"{order_id}-r7") == "SUCCEEDED"
    assert balances(client, shop) == (10_000, 0, 0)
    assert_books_clean()


@pytest.mark.parametrize("status", ["funded", "delivered"])
def test_a_dispute_that_cannot_be_written_leaves_the_order_as_it_was_and_waiting(client, shop, faults, status):
    order_id = funded_order(client, shop) if status == "funded" else delivered_order(client, shop)
    faults.inject(Fault("UpdateItem", '"disputed"', "AccessDeniedException"))
    decide(client, shop["alice"], order_id, "dispute")
    waiting(order_id, status)
    assert order_store.get(order_id).status == status
    assert decide(client, shop["alice"], order_id, "confirm").status in (200, 202)
    wait_for(client, shop["alice"], order_id, "released")
    assert_books_clean()


def test_a_delivery_that_cannot_be_written_leaves_the_order_funded_and_waiting(client, shop, faults):
    order_id = funded_order(client, shop)
    faults.inject(Fault("UpdateItem", '"delivered"', "AccessDeniedException"))
    decide(client, shop["bob"], order_id, "deliver")
    waiting(order_id, "funded")
    assert order_store.get(order_id).status == "funded"
    assert decide(client, shop["bob"], order_id, "deliver").status in (200, 202)
    wait_for(client, shop["alice"], order_id, "delivered")
    assert_books_clean()


WAITS = {  # status waited in → the decision that settles it once the token arrives (by whom), and the status
    "funded": ("confirm", "alice", None, "released"),
    "delivered": ("confirm", "alice", None, "released"),
    "disputed": ("resolve", "olga", {"release_cents": 6_000}, "resolved"),
}


@pytest.mark.parametrize("status", sorted(WAITS))
def test_when_the_token_queue_is_down_the_workflow_waits_and_sends_again_and_settles_nothing(
    client, shop, faults, monkeypatch, status
):
    """Issue 14: any error of a wait (the queue refusing the token, after its retries) took the timer's path at
    once — in `delivered`, releasing the money before the buyer's window. Now it waits ESCROW_QUEUE_RETRY_S and
    sends a token again with the timer started afresh; the money stays held until someone decides."""
    monkeypatch.setenv("ESCROW_QUEUE_RETRY_S", "1")
    action, who, body, outcome = WAITS[status]
    down = Fault("SendMessage", status, "InternalError", status=500, times=8)  # more than one wait's retries
    if status == "funded":
        faults.inject(down)
        order_id = accepted_order(client, shop)
        pay(client, shop, order_id)
    else:
        order_id = funded_order(client, shop)
        faults.inject(down)
        decide(client, shop["bob"], order_id, "deliver" if status == "delivered" else "dispute")
    waiting(order_id, status)  # the token arrived once the queue was back
    assert down.hits == 8
    assert order_store.get(order_id).status == status
    assert balances(client, shop) == (4_000, 6_000, 0)
    assert decide(client, shop[who], order_id, action, body).status in (200, 202)
    wait_for(client, shop["alice"], order_id, outcome)
    assert balances(client, shop) == (4_000, 0, 6_000)
    assert_books_clean()


# ---- together ------------------------------------------------------------------------------------------

def test_every_state_and_edge_of_the_workflow_is_taken_by_some_test():
    if not TAKEN:
        pytest.skip("run with the whole module: it checks what the other tests took")
    missing = workflow_edges(ASL) - {(a, how, b) for a, how, b in TAKEN if how != "retry"}
    assert not missing, f"never taken: {sorted(missing)}"
    assert {a for a, _, _ in TAKEN} | {b for _, _, b in TAKEN} == set(ASL["States"])
    assert any(how == "retry" for _, how, _ in TAKEN)
