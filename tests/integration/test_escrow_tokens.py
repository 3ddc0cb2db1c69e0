"""The workflow's task tokens on their way to a decision: queue → `escrow_tokens` → order → one decision.

SQS delivers at least once and Step Functions takes a token's first answer only, so a token is kept on its
order only while the order is in the status it was issued for, is taken off by exactly one decision, and
never comes back once a decision was sent with it. In-process moto; the workflow is not executing here
(test_escrow.py runs it), so the order is moved to `funded` as the hold would.
"""
from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.domain import orders
from chalicelib.domain.clock import now
from chalicelib.domain.errors import Busy, Conflict
from chalicelib.domain.identity import Caller
from chalicelib.domain.orders import Order
from chalicelib.services import escrow
from chalicelib.services import listings as listing_service
from chalicelib.services import orders as order_service
from chalicelib.store import escrow_waits
from chalicelib.store import orders as order_store
from chalicelib.workflows import escrow as workflow
from tests.conftest import PEOPLES_SQUARE

QUEUE = "everywhere-local-escrow-tokens"


@pytest.fixture
def funded(stack: Any) -> Order:
    """Bob's job, ordered by Alice, accepted and paid into escrow."""
    provider, buyer = Caller(user_id=str(uuid.uuid4())), Caller(user_id=str(uuid.uuid4()))
    listing = listing_service.publish(provider, "Bike repair", "", "repair", 6_000, None, *PEOPLES_SQUARE)
    order = order_service.place(buyer, str(uuid.uuid4()), listing.listing_id, None, "")
    order = order_service.act(provider, order.order_id, "accept")
    for status in (orders.PAYING, orders.FUNDED):
        moved = orders.after(order, status, now())
        order_store.change_status(order, moved)
        order = moved
    return order


def deliver_tokens(chalice_client: Any, *messages: tuple[str, str, str]) -> None:
    """The token queue's messages (order, status, token) handed to the function, as Lambda's mapping would."""
    bodies = [json.dumps({"order_id": o, "status": s, "task_token": t}) for o, s, t in messages]
    event = chalice_client.events.generate_sqs_event(message_bodies=bodies, queue_name=QUEUE)
    chalice_client.lambda_.invoke("escrow_tokens", event)


@contextmanager
def step_functions_down() -> Iterator[None]:
    """Every Step Functions call fails as a throttled service would, retries included."""
    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "SendTaskSuccess")

    events = workflow._client().meta.events
    events.register_first("before-send.states.SendTaskSuccess", refuse)
    try:
        yield
    finally:
        events.unregister("before-send.states.SendTaskSuccess", refuse)


def test_a_waiting_workflows_token_reaches_its_order(chalice_client, funded):
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-1"))
    stored = escrow_waits.get_wait(funded.order_id)
    assert (stored.task_token, stored.token_status) == ("token-1", "funded")


def test_a_token_for_a_status_the_order_has_left_is_not_kept(chalice_client, funded):
    deliver_tokens(chalice_client, (funded.order_id, "delivered", "token-1"))
    assert escrow_waits.get_wait(funded.order_id).task_token is None


def test_of_two_decisions_on_one_wait_only_one_takes_the_token(chalice_client, funded):
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-1"))
    assert escrow_waits.claim_decision(funded.order_id, "funded", "token-1") is True
    assert escrow_waits.claim_decision(funded.order_id, "funded", "token-1") is False
    assert escrow_waits.get_wait(funded.order_id).task_token is None


def test_a_token_delivered_again_after_a_decision_used_it_is_not_put_back(chalice_client, funded):
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-1"))
    assert escrow_waits.claim_decision(funded.order_id, "funded", "token-1")
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-1"))
    assert escrow_waits.get_wait(funded.order_id).task_token is None


def test_a_new_wait_in_the_same_status_brings_a_new_token(chalice_client, funded):
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-1"))
    assert escrow_waits.claim_decision(funded.order_id, "funded", "token-1")
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-2"))
    assert escrow_waits.get_wait(funded.order_id).task_token == "token-2"


def test_a_decision_step_functions_cannot_take_is_refused_and_can_be_taken_again(chalice_client, funded):
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-1"))
    with step_functions_down(), pytest.raises(Busy):
        escrow.decide(Caller(user_id=funded.provider_id), funded.order_id, "deliver")
    stored = escrow_waits.get_wait(funded.order_id)
    assert (stored.status, stored.task_token) == ("funded", "token-1")
    assert escrow_waits.claim_decision(funded.order_id, "funded", "token-1") is True


# ---- what a decision that lost the race is told ----

@pytest.fixture
def quick_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decisions wait a short moment for an outcome, so the 429 case is quick to reach."""
    monkeypatch.setattr(escrow, "DECISION_WAIT_S", 0.5)


def test_a_decision_after_another_was_taken_in_this_wait_is_told_409_at_once(chalice_client, funded):
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-1"))
    assert escrow_waits.claim_decision(funded.order_id, "funded", "token-1")
    assert escrow_waits.mark_decision_sent(funded.order_id, "funded", "token-1", "confirm")
    with pytest.raises(Conflict, match="another decision"):
        escrow.cancel(Caller(user_id=funded.buyer_id), funded.order_id)
    assert order_store.get(funded.order_id).status == "funded"  # the workflow carries the confirm out


def test_a_decision_while_another_is_still_being_sent_is_told_429_with_a_retry_after(chalice_client, funded,
                                                                                        quick_answers):
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-1"))
    assert escrow_waits.claim_decision(funded.order_id, "funded", "token-1")  # sent, not yet known to be taken
    with pytest.raises(Busy) as busy:
        escrow.cancel(Caller(user_id=funded.buyer_id), funded.order_id)
    assert busy.value.retry_after_s >= 1


def test_a_decision_waits_for_one_in_flight_that_gives_its_token_back_and_then_goes_through(
    chalice_client, funded, monkeypatch
):
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-1"))
    assert escrow_waits.claim_decision(funded.order_id, "funded", "token-1")
    sent: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(escrow, "SETTLE_WAIT_S", 0.0)  # the workflow is not executing here: answer at once
    monkeypatch.setattr(escrow, "DECISION_WAIT_S", 120.0)  # however slowly the token comes back
    monkeypatch.setattr(workflow, "send_decision", lambda token, decision: sent.append((token, decision)) or True)
    giving_back = threading.Timer(0.3, escrow_waits.return_token, (funded.order_id, "funded", "token-1"))
    giving_back.start()
    escrow.cancel(Caller(user_id=funded.buyer_id), funded.order_id)
    giving_back.join()
    assert sent == [("token-1", {"action": "refund", "from": "funded"})]


def test_a_new_wait_forgets_the_decision_of_the_last_one(chalice_client, funded):
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-1"))
    assert escrow_waits.claim_decision(funded.order_id, "funded", "token-1")
    assert escrow_waits.mark_decision_sent(funded.order_id, "funded", "token-1", "dispute")
    deliver_tokens(chalice_client, (funded.order_id, "funded", "token-2"))  # the dispute could not be written
    stored = escrow_waits.get_wait(funded.order_id)
    assert (stored.task_token, stored.decision_in_flight()) == ("token-2", None)
    assert escrow_waits.mark_decision_sent(funded.order_id, "funded", "token-1", "dispute") is False
