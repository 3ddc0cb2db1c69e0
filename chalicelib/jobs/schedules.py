"""Functions the platform runs on a clock (EventBridge schedules), not on a client's request.

Why a scheduled sweep for request expiry: it is exact enough (a request lapses at most one period late,
and the API already treats an overdue request as expired), it costs one indexed Query per shard per
period however few requests lapse, and it runs the same way deployed and locally. DynamoDB TTL deletes
items (we keep orders) and only "within a few days"; a Step Functions timer or a one-off EventBridge
schedule per order would cost a state machine or schedule per request, for nothing the sweep lacks.
`chalice local` does not run schedules: the local stack runner calls `expire_requests` itself.
"""
from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Rate

from chalicelib.observability import logger
from chalicelib.services import orders as order_service
from chalicelib.services import reviews as review_service
from chalicelib.services import tasks as task_service

jobs_bp = Blueprint(__name__)
SWEEP_EVERY_MINUTES = 1


@jobs_bp.schedule(Rate(SWEEP_EVERY_MINUTES, unit=Rate.MINUTES), name="expire_requests")
def expire_requests(event: Any) -> dict[str, int]:
    """Expire every order request nobody answered within REQUEST_EXPIRY_S, and every posted need (task) still open
    at its `expires_at`: both are requests that lapse unanswered, swept the same way. Publish the sealed reviews
    whose window (REVIEW_WINDOW_S) has closed: the same kind of timer, one period late at most."""
    expired = order_service.expire_overdue_requests()
    tasks_expired = task_service.expire_overdue_tasks()
    reviews_published = review_service.publish_closed_windows()
    logger.info("overdue requests expired", expired=expired, tasks_expired=tasks_expired,
                reviews_published=reviews_published)
    return {"expired": expired, "tasks_expired": tasks_expired, "reviews_published": reviews_published}
