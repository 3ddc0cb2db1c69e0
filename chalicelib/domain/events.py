"""Events: what happened that a user should hear of, as they find it in their log (GET /events) and on their socket.

Each user has one log; its events have increasing ids (1, 2, 3...) in the order they were stored, so a client
that has seen up to id n asks for what is after n and misses nothing. Which change tells whom:

| change                                   | kind              | to                                              |
|------------------------------------------|-------------------|-------------------------------------------------|
| a message stored in a conversation       | `message.created` | the other participant                           |
| an order created, or its status changed  | `order.updated`   | its buyer and its provider                      |
| a task posted                            | `task.nearby`     | providers whose alert area covers it, and match |
| an offer made or withdrawn on a task     | `task.offer`      | the task's requester                            |
| a task assigned, cancelled or expired    | `task.updated`    | its requester and every provider who offered    |
| a review published                       | `review.published`| the reviewed user and its author                |

An event says what changed with ids and statuses; a message event carries that message (its recipient reads
it in the conversation anyway), and nothing else of anyone's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.conversations import Message
from chalicelib.domain.orders import Order
from chalicelib.domain.reviews import Review
from chalicelib.domain.tasks import PENDING, WITHDRAWN, Offer, Task

MESSAGE_CREATED = "message.created"
ORDER_UPDATED = "order.updated"
TASK_NEARBY = "task.nearby"
TASK_OFFER = "task.offer"
TASK_UPDATED = "task.updated"
REVIEW_PUBLISHED = "review.published"
KINDS = (MESSAGE_CREATED, ORDER_UPDATED, TASK_NEARBY, TASK_OFFER, TASK_UPDATED, REVIEW_PUBLISHED)


@dataclass(frozen=True)
class Event:
    """One event in a user's log."""

    event_id: int
    kind: str
    at: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Notice:
    """An event to store in one user's log: `source` names the change it comes from, so the same change seen
    twice (a retried stream batch) is stored once."""

    recipient_id: str
    kind: str
    at: str
    data: dict[str, Any]
    source: str


def message_created(message: Message, recipient_id: str, source: str) -> Notice:
    """The recipient's notice of a message sent to them."""
    data: dict[str, Any] = {
        "conversation_id": message.conversation_id,
        "message_id": message.message_id,
        "sender_id": message.sender_id,
        "text": message.text,
        "sent_at": message.sent_at,
    }
    if message.offer_cents is not None:
        data["offer_cents"] = message.offer_cents
    return Notice(recipient_id, MESSAGE_CREATED, message.sent_at, data, source)


def order_updated(before: Order | None, after: Order, source: str) -> list[Notice]:
    """Both parties' notices of an order created or moved to another status; none for any other change (a
    task token stored, a timer's bookkeeping)."""
    if before is not None and before.status == after.status:
        return []
    data = {
        "order_id": after.order_id,
        "listing_id": after.listing_id,
        "task_id": after.task_id,
        "status": after.status,
        "previous_status": before.status if before is not None else None,
        "buyer_id": after.buyer_id,
        "provider_id": after.provider_id,
        "price_cents": after.price_cents,
        "currency": after.currency,
    }
    return [
        Notice(user_id, ORDER_UPDATED, after.updated_at, data, source)
        for user_id in dict.fromkeys((after.buyer_id, after.provider_id))
    ]


def task_nearby(task: Task, provider_id: str, distance_m: int, source: str) -> Notice:
    """A provider's notice of a new task in their alert area: what the nearby list shows of it."""
    data = {
        "task_id": task.task_id, "requester_id": task.requester_id, "title": task.title, "category": task.category,
        "budget_cents": task.budget_cents, "currency": task.currency, "lat": task.lat, "lon": task.lon,
        "expires_at": task.expires_at, "distance_m": distance_m,
    }
    return Notice(provider_id, TASK_NEARBY, task.created_at, data, source)


def task_offer(before: Offer | None, after: Offer, requester_id: str, source: str) -> list[Notice]:
    """The requester's notice of an offer made (a first one, or a new one after a withdrawal) or withdrawn; an
    offer accepted or declined is told by `task.updated` instead."""
    made = after.status == PENDING and (before is None or before.offer_id != after.offer_id)
    withdrawn = after.status == WITHDRAWN and before is not None and before.status == PENDING
    if not (made or withdrawn):
        return []
    data = {
        "task_id": after.task_id, "offer_id": after.offer_id, "provider_id": after.provider_id,
        "price_cents": after.price_cents, "currency": after.currency, "message": after.message,
        "status": after.status,
    }
    return [Notice(requester_id, TASK_OFFER, after.updated_at, data, source)]


def task_updated(before: Task | None, after: Task, offerers: list[str], source: str) -> list[Notice]:
    """Notices of a task leaving `open` (assigned, cancelled, expired): to its requester and to every provider who
    offered on it. Who won and the order's id go to the requester and the assigned provider only (a provider sees
    only their own offer)."""
    if before is None or before.status == after.status:
        return []
    data: dict[str, Any] = {
        "task_id": after.task_id, "title": after.title, "status": after.status, "previous_status": before.status,
    }
    notices = []
    for user_id in dict.fromkeys((after.requester_id, *offerers)):
        party = user_id in (after.requester_id, after.provider_id)
        seen = {**data, "provider_id": after.provider_id, "order_id": after.order_id} if party else data
        notices.append(Notice(user_id, TASK_UPDATED, after.updated_at, seen, source))
    return notices


def review_published(review: Review, source: str) -> list[Notice]:
    """Notices of a published review, to the reviewed user and its author: the review as GET
    /users/{id}/reviews lists it. `source` is per review: one publish may publish both of an order's reviews."""
    data = {
        "review_id": review.review_id, "order_id": review.order_id, "author_id": review.author_id,
        "subject_id": review.subject_id, "role": review.role, "rating": review.rating, "text": review.text,
        "published_at": review.published_at,
    }
    return [
        Notice(user_id, REVIEW_PUBLISHED, review.published_at or review.created_at, data, f"{source}#{review.role}")
        for user_id in dict.fromkeys((review.subject_id, review.author_id))
    ]
