"""Money that cannot move, found: orders stuck in `paying`, orders whose money the escrow holds with no running
workflow to move it, and escalated disputes (the rules: domain/reconciliation.py `escrow_finding`).

Read from the sparse escrow_watch index (store/key_layouts.py), at most ESCROW_SWEEP_LIMIT orders per watched
status, oldest first — the oldest are the likeliest stuck — so a run's cost is bounded whatever the table holds;
each holding order costs one DescribeExecution. Used by the scheduled sweep (jobs/escrow_sweep.py, which
publishes the counts as CloudWatch metrics for the alarms) and by `make reconcile`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib import metrics
from chalicelib.domain import orders, reconciliation
from chalicelib.domain.clock import iso, now
from chalicelib.domain.errors import Busy
from chalicelib.domain.orders import Order
from chalicelib.domain.reconciliation import StuckOrder
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import orders as order_store
from chalicelib.workflows import escrow as workflow


def _finding(order: Order, paying_stuck_before: str) -> StuckOrder | None:
    since = _entered(order)
    try:
        execution = workflow.execution_status(order) if order.status in orders.HOLDING else None
    except Busy:  # one order Step Functions would not answer about must not stop the run: the next one looks again
        logger.warning("escrow sweep could not read an order's execution", order_id=order.order_id)
        return None
    finding = reconciliation.escrow_finding(
        order.status, since, execution, order.escalated_at is not None, paying_stuck_before
    )
    if finding == reconciliation.HOLDING_WITHOUT_EXECUTION:
        current = order_store.get(order.order_id)  # the workflow may have settled it since the index was read
        if current is None or current.status != order.status or current.redrive != order.redrive:
            return None
    return StuckOrder(order.order_id, order.status, finding, since, execution) if finding else None


def _entered(order: Order) -> str:
    """When the order entered its status (its timeline's last entry)."""
    return order.timeline[-1].at if order.timeline else order.updated_at


def find_stuck(moment: datetime | None = None) -> tuple[list[StuckOrder], bool]:
    """Every stuck order the sweep's budget reaches, and whether the budget cut the reading short."""
    settings = get_settings()
    moment = moment or now()
    paying_stuck_before = iso(moment - timedelta(seconds=settings.stuck_paying_s))
    stuck: list[StuckOrder] = []
    truncated = False
    for status in orders.WATCHED:
        entered_before = paying_stuck_before if status == orders.PAYING else None
        found, more = order_store.watched(status, settings.escrow_sweep_limit, entered_before=entered_before)
        truncated |= more is not None
        stuck += [finding for order in found if (finding := _finding(order, paying_stuck_before)) is not None]
    return stuck, truncated


def sweep() -> dict[str, int]:
    """The scheduled sweep: find stuck orders, log each, publish the counts (the alarms fire on any)."""
    stuck, truncated = find_stuck()
    for order in stuck:
        logger.warning("escrow order stuck", order_id=order.order_id, finding=order.finding,
                       order_status=order.status, since=order.since, execution=order.execution)
    counts = reconciliation.count_findings(stuck)
    if truncated:
        logger.warning("escrow sweep read its budget of orders: raise ESCROW_SWEEP_LIMIT",
                       limit=get_settings().escrow_sweep_limit)
    metrics.publish(counts)
    logger.info("escrow sweep done", stuck_paying=counts[reconciliation.STUCK_PAYING],
                holding_without_execution=counts[reconciliation.HOLDING_WITHOUT_EXECUTION],
                escalated_disputes=counts[reconciliation.ESCALATED_DISPUTES])
    return counts
