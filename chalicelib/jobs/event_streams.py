"""The functions that turn table changes into events: one per stream (Chalice subscribes a function to one).

Each stream's ARN is fixed when the app is packaged or deployed (an event source mapping is deployment-time):
ORDERS_STREAM_ARN, CHAT_STREAM_ARN and TASKS_STREAM_ARN in that environment (scripts/chalice_project.py sets them
from the infra stack; the packaged template binds them to its own tables). Locally the stack runner reads the
streams from moto and calls these same handlers with Lambda-shaped events (scripts/local_triggers.py).

A batch that fails (DynamoDB refused a write) raises, and Lambda hands the same records over again: the events
already stored are found by their marks and not stored twice.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint

from chalicelib.domain.events import Notice
from chalicelib.observability import logger
from chalicelib.services import events

event_streams_bp = Blueprint(__name__)
PLACEHOLDER = "arn:aws:dynamodb:us-east-1:123456789012:table/everywhere-local-{table}/stream/local"
ORDERS_STREAM = os.environ.get("ORDERS_STREAM_ARN") or PLACEHOLDER.format(table="orders")
CHAT_STREAM = os.environ.get("CHAT_STREAM_ARN") or PLACEHOLDER.format(table="chat")
TASKS_STREAM = os.environ.get("TASKS_STREAM_ARN") or PLACEHOLDER.format(table="tasks")
BATCH = 100
# A new task may tell TASK_ALERT_FANOUT providers (each a counter update and an event): a batch of 10 tasks stays
# well within the function's timeout (120 s) at the fan-out cap, and a failed batch holds back fewer changes.
TASK_BATCH = 10


@event_streams_bp.on_dynamodb_record(stream_arn=ORDERS_STREAM, batch_size=BATCH, name="order_events")
def order_events(event: Any) -> dict[str, int]:
    """`order.updated` to both parties of each order created or moved to another status."""
    return _record("order", event, lambda record: events.from_order_change(
        record.event_id, record.old_image, record.new_image))


@event_streams_bp.on_dynamodb_record(stream_arn=CHAT_STREAM, batch_size=BATCH, name="chat_events")
def chat_events(event: Any) -> dict[str, int]:
    """`message.created` to the recipient of each new message."""
    return _record("chat", event, lambda record: events.from_chat_change(record.event_id, record.new_image))


@event_streams_bp.on_dynamodb_record(stream_arn=TASKS_STREAM, batch_size=TASK_BATCH, name="task_events")
def task_events(event: Any) -> dict[str, int]:
    """`task.nearby` to the providers a new task alerts, `task.offer` to a requester of each offer made or
    withdrawn, `task.updated` to everyone concerned when a task is assigned, cancelled or expires."""
    return _record("task", event, lambda record: events.from_task_change(
        record.event_id, record.old_image, record.new_image))


def _record(table: str, event: Any, notices_of: Callable[[Any], list[Notice]]) -> dict[str, int]:
    """Store (and push) the notices of a batch of one table's stream records."""
    notices = [notice for record in event for notice in notices_of(record)]
    stored = events.record(notices)
    logger.info(f"{table} changes read", notices=len(notices), events=stored)
    return {"events": stored}
