"""The event log and its push: changes become events in their recipients' logs, then frames on their sockets.

Where events come from: the tables' DynamoDB Streams (jobs/event_streams.py), not the code that makes each
change. A stream sees every write whoever makes it — the API, the escrow workflow's own DynamoDB steps, a
sweep — so no status change can be missed, and none is told twice: each stream record's change is stored once
per recipient (store/events.py marks it), however often Lambda hands the record over.

The log is the truth; the push is a courtesy. A frame that cannot be delivered (the client left, API Gateway
throttled) is dropped: the event stays in the log, and the client reads what it missed with GET /events.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict

from chalicelib.domain.clock import now
from chalicelib.domain.connections import Connection, gone_for_good
from chalicelib.domain.events import (
    Event,
    Notice,
    message_created,
    order_updated,
    review_published,
    task_offer,
    task_updated,
)
from chalicelib.domain.identity import Caller
from chalicelib.domain.tasks import Task
from chalicelib.observability import logger
from chalicelib.services import alerts
from chalicelib.settings import get_settings
from chalicelib.store import changes, connections
from chalicelib.store import events as event_store
from chalicelib.store import reviews as review_store
from chalicelib.store import tasks as task_store


def record(notices: Iterable[Notice]) -> int:
    """Store each notice in its recipient's log and push it; returns how many events were new.

    Each recipient's notices are stored in order, different recipients' side by side (STREAM_WORKERS at once: a
    new task may tell hundreds of providers). A notice whose change is in the log already (Lambda handed the batch
    over again) is pushed again: the first attempt may have failed before its push, and a client drops an event
    id it has seen."""
    by_recipient: dict[str, list[Notice]] = {}
    for notice in notices:
        by_recipient.setdefault(notice.recipient_id, []).append(notice)
    workers = get_settings().stream_workers
    if len(by_recipient) <= 1 or workers == 1:
        return sum(_record_in_order(mine) for mine in by_recipient.values())
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="events") as pool:
        return sum(pool.map(_record_in_order, by_recipient.values()))


def _record_in_order(notices: list[Notice]) -> int:
    retention_s = get_settings().event_retention_s
    new = 0
    for notice in notices:
        stored = event_store.append(notice, retention_s)
        if stored is None:
            continue
        event, is_new = stored
        new += is_new
        push(notice.recipient_id, event)
    return new


def push(user_id: str, event: Event) -> None:
    """Send the event to each of the user's connections (at most MAX_CONNECTIONS_PER_USER). A gone connection is
    forgotten; any other failure is logged, and the client catches up."""
    frame = frame_of(event)
    for connection in connections.of_user(user_id, get_settings().max_connections_per_user):
        _deliver(connection, frame)


def _deliver(connection: Connection, frame: str) -> None:
    try:
        connections.send(connection, frame)
    except connections.Gone:
        if not gone_for_good(connection, now()):  # still opening: its client catches up once it is open
            logger.info("connection not open yet: frame dropped", connection_id=connection.connection_id)
            return
        connections.remove(connection.connection_id)
        logger.info("connection gone: forgotten", connection_id=connection.connection_id)
    except connections.Undelivered as exc:
        logger.warning("frame not delivered: the client catches up from the log",
                       connection_id=connection.connection_id, error=str(exc))


def frame_of(event: Event) -> str:
    """The one JSON text frame an event is pushed as: the same object GET /events lists."""
    return json.dumps(asdict(event), separators=(",", ":"), ensure_ascii=False)


def from_order_change(
    source: str, old_image: dict[str, object] | None, new_image: dict[str, object] | None
) -> list[Notice]:
    """The notices of one change of the orders table (`source`: the stream record's id): a status change tells both
    parties (`order.updated`); a publish of its reviews (roles added to `reviews_published`) tells each review's
    subject and author (`review.published`: one Query of the order's reviews, at most 2)."""
    try:
        images = changes.order_images(old_image, new_image)
    except changes.Unreadable as exc:
        _skipped(source, exc)
        return []
    if images is None:
        return []
    before, after = images
    notices = order_updated(before, after, source)
    roles = changes.reviews_published(new_image) - changes.reviews_published(old_image)
    if roles:  # exactly the reviews this change published (the record names their authors' roles)
        newly = [review for review in review_store.published_of_order(after.order_id) if review.role in roles]
        notices += [notice for review in newly for notice in review_published(review, source)]
    return notices


def from_chat_change(source: str, new_image: dict[str, object] | None) -> list[Notice]:
    """The notice of one change of the chat table: a new message tells its recipient."""
    try:
        sent = changes.sent_message(new_image)
    except changes.Unreadable as exc:
        _skipped(source, exc)
        return []
    return [message_created(sent.message, sent.recipient_id, source)] if sent is not None else []


def from_task_change(
    source: str, old_image: dict[str, object] | None, new_image: dict[str, object] | None
) -> list[Notice]:
    """The notices of one change of the tasks table: a new task tells the providers it alerts (`task.nearby`), a
    task leaving `open` its requester and everyone who offered (`task.updated`: one Query of its offers, at most
    MAX_OFFERS_PER_TASK), an offer made or withdrawn the requester (`task.offer`)."""
    try:
        change = changes.task_table_change(old_image, new_image)
    except changes.Unreadable as exc:
        _skipped(source, exc)
        return []
    if isinstance(change, changes.OfferChange):
        return task_offer(change.before, change.after, change.requester_id, source)
    if change is None:
        return []
    before, after = change.before, change.after
    if before is None:
        return _alerts_of_new(after, source)
    if before.status == after.status:
        return []
    offerers = [offer.provider_id for offer in task_store.offers(after.task_id, get_settings().max_offers_per_task)]
    return task_updated(before, after, offerers, source)


def _alerts_of_new(task: Task, source: str) -> list[Notice]:
    """`task.nearby` for a new task, as it stands now (one consistent read): a task cancelled, assigned, taken down
    or expired before its record was read (a stream backlog, a retried batch) alerts nobody."""
    fresh = task_store.get(task.task_id)
    if fresh is None or not (fresh.is_listed and fresh.is_open_at(now())):
        return []
    return alerts.nearby_notices(fresh, source)


def _skipped(source: str, exc: Exception) -> None:
    """A record no retry can read is skipped, not failed: Lambda would retry its batch until the records expire
    (24 h), holding every later change of its shard back. Logged as an error, by id, for someone to look at."""
    logger.error("a change the events cannot read: skipped", record=source, error=str(exc))


def page(caller: Caller, after: int, limit: int) -> list[Event]:
    """The caller's events after the id `after`, oldest first."""
    return event_store.after(caller.user_id, after, limit)
