"""An operator re-drives an order's escrow (`make redrive ORDER=<id>`): a new execution of the workflow that
starts at the order's current status — the hold for a `paying` order, the wait for a decision otherwise.

Idempotent: nothing starts while the order's execution is running; the re-drive count on the order (a
conditional write) names the new execution, so two re-drives at once start one; and every money step the new
execution takes posts under the order's deterministic entry ids (workflows/escrow.py `entry_ids`), so money
that already moved is not moved again (the step finds its entry and goes on as done).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.domain import orders
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.observability import logger
from chalicelib.store import orders as order_store
from chalicelib.workflows import escrow as workflow


@dataclass(frozen=True)
class Redriven:
    order_id: str
    status: str
    started: str | None  # the new execution's name; None if nothing was started
    why: str


def redrive(order_id: str) -> Redriven:
    """Start a new escrow execution for the order if it needs one (see the module); says what it did."""
    order = order_store.get(order_id)
    if order is None:
        raise NotFound("order not found")
    if order.status not in orders.WATCHED:
        return Redriven(order_id, order.status, None, f"the order is {order.status}: its escrow has nothing to do")
    current = workflow.execution_status(order)
    if current == "RUNNING":
        return Redriven(order_id, order.status, None, f"its execution {workflow.execution_name(order)} is running")
    again = replace(order, redrive=order.redrive + 1)
    if not order_store.note_redrive(order, again):
        raise Conflict("the order changed meanwhile (another re-drive, or its status); look again")
    workflow.start(again, resume=True)
    name = workflow.execution_name(again)
    logger.warning("escrow re-driven by an operator", order_id=order_id, order_status=order.status,
                   execution=name, previous_execution=current or "missing")
    return Redriven(order_id, order.status, name, f"its execution was {current or 'missing'}")
