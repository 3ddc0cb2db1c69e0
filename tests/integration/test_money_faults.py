"""Faults on money writes — throttling, and a response lost after DynamoDB committed — lose or duplicate
not a cent. Injected with botocore hooks on the client the ledger uses, where DynamoDB's answer arrives."""
from __future__ import annotations

import uuid
from contextlib import AbstractContextManager

from botocore.exceptions import ClientError, ConnectionClosedError

from chalicelib.services.reconcile import reconcile
from chalicelib.store import tables
from chalicelib.workflows import escrow as workflow
from tests.conftest import listing_body
from tests.integration.client_faults import failing

THROTTLED = {"Error": {"Code": "ThrottlingException", "Message": "Rate of requests exceeds the allowed throughput."}}


def injected(event: str, fault, times: int) -> AbstractContextManager[list[int]]:
    """Raise `fault()` from the `event` hook of TransactWriteItems the first `times` calls; yields the call count."""
    return failing(tables.bind().client, f"{event}.dynamodb.TransactWriteItems", fault, times)


def throttled() -> ClientError:
    return ClientError(THROTTLED, "TransactWriteItems")


def lost() -> ConnectionClosedError:
    """What a caller sees when the connection drops after the request was sent: the write may be done."""
    return ConnectionClosedError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")


def deposit(client, user, amount, key):
    return client.post("/wallet/deposits", user, {"amount_cents": amount}, headers={"Idempotency-Key": key})


def available(client, user) -> int:
    return client.get("/wallet", user).body["available_cents"]


def test_a_throttled_deposit_is_retried_and_posted_once(client, make_user):
    alice = make_user()
    with injected("before-send", throttled, times=3) as seen:
        answer = deposit(client, alice, 5_000, str(uuid.uuid4()))
    assert answer.status == 201, answer.body
    assert seen[0] >= 4
    assert available(client, alice) == 5_000
    assert reconcile().clean


def test_a_deposit_whose_response_was_lost_after_commit_is_posted_once(client, make_user):
    alice = make_user()
    with injected("after-call", lost, times=1) as seen:
        answer = deposit(client, alice, 5_000, str(uuid.uuid4()))
    assert answer.status == 201, answer.body
    assert seen[0] == 2  # sent again; the entry's guard made the repeat a no-op
    assert available(client, alice) == 5_000
    assert len(client.get("/wallet/ledger", alice).body["items"]) == 1
    assert reconcile().clean


def test_a_withdrawal_whose_response_was_lost_is_taken_once(client, make_user):
    alice = make_user()
    deposit(client, alice, 5_000, str(uuid.uuid4()))
    with injected("after-call", lost, times=1):
        answer = client.post("/wallet/withdrawals", alice, {"amount_cents": 2_000},
                             headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status == 201, answer.body
    assert available(client, alice) == 3_000
    assert reconcile().clean


def test_when_every_response_is_lost_the_client_retries_with_its_key_and_the_money_moves_once(client, make_user):
    alice = make_user()
    key = str(uuid.uuid4())
    with injected("after-call", lost, times=100):
        failed = deposit(client, alice, 5_000, key)
    assert failed.status == 429, failed.body  # the first attempt committed; the platform cannot tell yet
    retried = deposit(client, alice, 5_000, key)
    assert retried.status == 201, retried.body
    assert available(client, alice) == 5_000
    assert deposit(client, alice, 5_000, key).body == retried.body
    assert available(client, alice) == 5_000
    assert reconcile().clean


def test_a_deposit_refused_by_throttling_every_time_moves_nothing_and_can_be_retried(client, make_user):
    alice = make_user()
    key = str(uuid.uuid4())
    with injected("before-send", throttled, times=100):
        assert deposit(client, alice, 5_000, key).status == 429
    assert available(client, alice) == 0
    assert deposit(client, alice, 5_000, key).status == 201
    assert available(client, alice) == 5_000
    assert reconcile().clean


def test_a_payment_whose_workflow_cannot_start_fails_and_holds_nothing(client, make_user, monkeypatch):
    """Whatever stops the escrow from starting (here an error no AWS call raises), the order leaves `paying`
    for `payment_failed`, from which the buyer may pay again; nothing is taken."""
    bob, alice = make_user(), make_user()
    listing = client.post("/listings", bob, listing_body(price_cents=3000)).body
    placed = client.post("/orders", alice, {"listing_id": listing["listing_id"]},
                         headers={"Idempotency-Key": str(uuid.uuid4())}).body
    assert client.post(f"/orders/{placed['order_id']}/accept", bob).status == 200
    deposit(client, alice, 5_000, str(uuid.uuid4()))

    def cannot_start(order: object) -> None:
        raise TypeError("the workflow's client could not be made")

    monkeypatch.setattr(workflow, "start", cannot_start)
    answer = client.post(f"/orders/{placed['order_id']}/pay", alice, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status == 429, answer.body
    order = client.get(f"/orders/{placed['order_id']}", alice).body
    assert (order["status"], order["failure_reason"]) == ("payment_failed", "PaymentUnavailable")
    assert available(client, alice) == 5_000
    assert reconcile().clean
