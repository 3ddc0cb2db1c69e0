"""The escrow workflow's wait, as the order item holds it: the task token a waiting execution left, the status it
was issued for, and the decision taken with it. Plumbing between Step Functions and the API (tokens travel
workflow → token queue → jobs/escrow_tokens.py → here → services/escrow.py), kept off the domain's Order and
never shown to clients. Every change is conditional on the order's status and the token, so of two decisions at
once exactly one takes the token."""
from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.orders import Order
from chalicelib.store import items
from chalicelib.store.models import OrderModel
from chalicelib.store.orders import conditional_update, from_model


@dataclass(frozen=True)
class EscrowWait:
    """What the order item holds of the escrow workflow's wait: plumbing between Step Functions and the API,
    kept off the domain's Order and never shown to clients."""

    status: str  # the order's status
    task_token: str | None = field(default=None, repr=False)  # the workflow's wait, while it waits
    token_status: str | None = None  # the status the stored token was issued for
    decided_action: str | None = None  # the decision Step Functions took in the wait of `token_status`

    def decision_in_flight(self) -> str | None:
        """The decision already taken in the workflow's wait for this status, which the workflow is still
        carrying out (the status has not moved yet); None if the order can still be decided here."""
        if self.decided_action and self.token_status == self.status and not self.task_token:
            return self.decided_action
        return None


def get_with_wait(order_id: str) -> tuple[Order, EscrowWait] | None:
    """The order and the escrow workflow's wait on it (one read), or None if there is no such order."""
    model = items.read(OrderModel, order_id)
    if model is None:
        return None
    return from_model(model), EscrowWait(model.status, model.task_token, model.token_status, model.decided_action)


def get_wait(order_id: str) -> EscrowWait | None:
    """The escrow workflow's wait on the order, or None if there is no such order."""
    found = get_with_wait(order_id)
    return found[1] if found is not None else None


def store_token(order_id: str, status: str, token: str) -> bool:
    """Keep the escrow workflow's task token on the order while it is in `status`; False if it moved on or
    a decision was already sent with this token (SQS may deliver the token's message again)."""
    return conditional_update(
        order_id,
        [OrderModel.task_token.set(token), OrderModel.token_status.set(status), OrderModel.decided_action.remove()],
        (OrderModel.status == status)
        & (OrderModel.decided_token.does_not_exist() | (OrderModel.decided_token != token)),
    )


def claim_decision(order_id: str, status: str, token: str) -> bool:
    """Take the workflow's token off the order to send one decision with it; False if another request
    took it first or the order moved on. Of two decisions at once (confirm and cancel), exactly one wins
    here: Step Functions would refuse the second use of a token, moto does not."""
    return conditional_update(
        order_id,
        [OrderModel.decided_token.set(token), OrderModel.task_token.remove()],
        (OrderModel.status == status) & (OrderModel.token_status == status) & (OrderModel.task_token == token),
    )


def mark_decision_sent(order_id: str, status: str, token: str, action: str) -> bool:
    """Record that Step Functions took `action` with the claimed token, so a decision that lost the race to
    it is told at once that the order is decided (409) instead of waiting for the workflow. False (and
    nothing written) if the workflow already moved on to its next wait."""
    return conditional_update(
        order_id,
        [OrderModel.decided_action.set(action)],
        (OrderModel.decided_token == token)
        & (OrderModel.token_status == status)
        & OrderModel.task_token.does_not_exist(),
    )


def return_token(order_id: str, status: str, token: str) -> bool:
    """Put a claimed token back when its decision could not be sent, so the order can be decided again."""
    return conditional_update(
        order_id,
        [OrderModel.task_token.set(token), OrderModel.decided_token.remove()],
        (OrderModel.status == status) & (OrderModel.decided_token == token) & OrderModel.task_token.does_not_exist(),
    )
