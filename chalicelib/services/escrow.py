"""Use cases for paying and settling an order through escrow.

`pay` moves the order to `paying` and starts the escrow workflow, which holds the price (→ funded) or
finds the money missing (→ payment_failed). After that, the workflow makes every change that moves
money; `decide` checks that the caller may take the action now and hands the workflow the decision,
then waits briefly to answer with the order as the workflow left it.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from chalicelib.domain import orders
from chalicelib.domain.clock import now
from chalicelib.domain.errors import Busy, Conflict, NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.orders import Order
from chalicelib.observability import logger
from chalicelib.services import orders as order_service
from chalicelib.settings import get_settings
from chalicelib.store import escrow_waits
from chalicelib.store import orders as order_store
from chalicelib.workflows import escrow as workflow

SETTLE_WAIT_S = 5.0  # how long an answer waits for the workflow to carry a decision out
DECISION_WAIT_S = 3.0  # how long a decision waits for the wait's token, or for a decision in flight to land
RETRY_AFTER_S = 1  # what a decision told 429 is asked to wait before it tries again
POLL_S = 0.1


def keep_token(order_id: str, status: str, token: str) -> bool:
    """The escrow_tokens function: store a waiting execution's token on its order."""
    stored = escrow_waits.store_token(order_id, status, token)
    if stored:
        logger.info("escrow token stored", order_id=order_id, token_status=status)
    else:
        logger.info("escrow token refused: the order left that status or a decision used it", order_id=order_id,
                    token_status=status)
    return stored


def _load(caller: Caller, order_id: str) -> Order:
    return orders.check_visible(order_store.get(order_id), caller)


def _after_workflow(order_id: str, status: str, wait_s: float) -> tuple[Order, bool]:
    """The order once the workflow has moved it out of `status` (True), or as it is after `wait_s` (False)."""
    deadline = time.monotonic() + wait_s
    while True:
        current = order_store.get(order_id)
        if current is None:
            raise NotFound("order not found")
        if current.status != status:
            return current, True
        if time.monotonic() >= deadline:
            return current, False
        time.sleep(POLL_S)


def pay(caller: Caller, order_id: str) -> tuple[Order, bool]:
    """Start paying an accepted order from the buyer's wallet; returns the order and whether it is settled
    (funded or payment_failed) already."""
    order = _load(caller, order_id)
    moment = now()
    transition = orders.check_action(order, "pay", caller, moment)
    paying = replace(
        orders.after(order, transition.target, moment), pay_attempt=order.pay_attempt + 1, redrive=0,
        failure_reason=None,
    )
    try:
        order_store.change_status(order, paying)
    except order_store.StatusChanged as exc:
        raise Conflict("the order changed meanwhile; read it again") from exc
    try:
        workflow.start(paying)
    except Exception:  # noqa: BLE001 - whatever stopped the start, the order must leave paying: nothing was held
        logger.exception("escrow workflow could not be started: the payment failed", order_id=order_id,
                         pay_attempt=paying.pay_attempt)
        failed = replace(orders.after(paying, orders.PAYMENT_FAILED, now()), failure_reason="PaymentUnavailable")
        order_store.change_status(paying, failed)
        raise Busy("payment could not be started; nothing was taken; pay again in a moment") from None
    logger.info("escrow payment started", order_id=order_id, pay_attempt=paying.pay_attempt,
                price_cents=order.price_cents)
    return _after_workflow(order_id, orders.PAYING, SETTLE_WAIT_S)


def _claim(order: Order, wait: escrow_waits.EscrowWait) -> str:
    """Take the token of the workflow's wait for this status off the order, to send one decision with it.

    The token reaches the order a moment after the status. A decision that loses a race gets a definite
    answer as soon as there is one: 409 once the status moved or another decision was taken in this wait
    (Step Functions accepted it: the workflow is carrying it out); the token, if the other decision could
    not be sent and gave it back. Only while none of that is known after DECISION_WAIT_S: 429, retry."""
    deadline = time.monotonic() + DECISION_WAIT_S
    current: escrow_waits.EscrowWait | None = wait
    while current is not None and current.status == order.status:
        token = current.task_token
        if token and current.token_status == current.status:
            if escrow_waits.claim_decision(order.order_id, order.status, token):
                return token
        else:
            taken = current.decision_in_flight()
            if taken:
                raise Conflict(f"another decision ({taken}) was taken on this order and the escrow is carrying it "
                               "out; read the order again")
        if time.monotonic() >= deadline:
            raise Busy("the escrow is still settling this order; try again in a moment", retry_after_s=RETRY_AFTER_S)
        time.sleep(POLL_S)
        current = escrow_waits.get_wait(order.order_id)
    if current is None:
        raise NotFound("order not found")
    raise Conflict(f"the order changed meanwhile and is now {current.status}")


def _record_sent(order: Order, token: str, action: str) -> None:
    """Mark the decision as taken, for the decisions that lost the race (best effort: it was taken already)."""
    try:
        escrow_waits.mark_decision_sent(order.order_id, order.status, token, action)
    except Exception:  # noqa: BLE001 - best effort: the decision was sent; not recording it only slows a racer
        logger.warning("escrow decision sent but not recorded: a decision racing it waits for the status instead",
                       order_id=order.order_id, action=action, exc_info=True)


def decide(caller: Caller, order_id: str, action: str, decision: dict[str, Any] | None = None) -> tuple[Order, bool]:
    """Take an escrow action (deliver, confirm, refund, dispute, resolve) as the caller."""
    found = escrow_waits.get_with_wait(order_id)
    if found is None:
        raise NotFound("order not found")
    order, wait = found
    moment = now()
    orders.check_action(order, action, caller, moment)  # 404 unless the caller may see it, as in _load
    if action == "refund":  # on the order as read here: a dispute that came in since the caller's read counts
        orders.check_dispute_refund(order, moment, get_settings().provider_dispute_grace_s)
    token = _claim(order, wait)
    try:
        # `from`: the status the decision was taken in, so a step that fails can return to that status's wait.
        sent = workflow.send_decision(token, {"action": action, "from": order.status, **(decision or {})})
    except Busy:
        returned = escrow_waits.return_token(order_id, order.status, token)
        logger.warning("Step Functions did not take an escrow decision", order_id=order_id, action=action,
                       from_status=order.status, token_returned=returned)
        raise
    if not sent:
        logger.info("escrow decision refused: the workflow's wait was over", order_id=order_id, action=action,
                    from_status=order.status)
        raise Conflict("the order changed meanwhile; read it again")
    _record_sent(order, token, action)
    logger.info("escrow decision sent", order_id=order_id, action=action, from_status=order.status)
    return _after_workflow(order_id, order.status, SETTLE_WAIT_S)


def dispute(caller: Caller, order_id: str) -> tuple[Order, bool]:
    """Either side disputes: the workflow records who (`disputed_by`) and from which status (`disputed_from`)."""
    return decide(caller, order_id, "dispute", {"by": caller.user_id})


def cancel(caller: Caller, order_id: str) -> tuple[Order, bool]:
    """Cancel as the buyer: before funding nothing was paid; once funded the escrow refunds. A disputed order
    only when the provider disputed it while funded, after PROVIDER_DISPUTE_GRACE_S (409 before, saying when)."""
    order = _load(caller, order_id)
    if orders.cancel_action(order) == "refund":
        return decide(caller, order_id, "refund")
    return order_service.act(caller, order_id, "cancel"), True


def resolve(caller: Caller, order_id: str, release_cents: int, note: str = "") -> tuple[Order, bool]:
    """An operator settles a dispute: `release_cents` to the provider (less the fee on it), the rest to the buyer.
    The order records who (`resolved_by`) and why (`resolution_note`), written with the settlement."""
    order = _load(caller, order_id)
    orders.check_action(order, "resolve", caller, now())  # 403 for an operator who is a party, before the amount
    split = orders.resolution(order, release_cents, get_settings().fee_bps)
    return decide(caller, order_id, "resolve", {  # DynamoDB numbers are strings
        "to_provider": str(split.to_provider),
        "fee": str(split.fee),
        "to_buyer": str(split.to_buyer),
        "by": caller.user_id,
        "note": note,
    })
