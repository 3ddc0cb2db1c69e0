"""What a table's stream says changed, read as the domain's values: the store knows the items' layouts.

A stream record carries the item before and after the change as DynamoDB JSON (NEW_AND_OLD_IMAGES for orders and
tasks, NEW_IMAGE for chat); PynamoDB reads them with the same models as the tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.conversations import Message
from chalicelib.domain.orders import Order
from chalicelib.domain.tasks import Offer, Task
from chalicelib.store import chat
from chalicelib.store.models import MessageModel, OfferModel, OrderModel, TaskModel
from chalicelib.store.orders import from_model
from chalicelib.store.tasks import OFFER_PREFIX, TASK_SK, offer_from_model, task_from_model

MESSAGE_PREFIX = "m#"


class Unreadable(Exception):
    """A stream record whose item is not what the table's model says (written by hand, or by another version)."""


@dataclass(frozen=True)
class SentMessage:
    message: Message
    recipient_id: str


Image = dict[str, Any] | None


def order_images(old_image: Image, new_image: Image) -> tuple[Order | None, Order] | None:
    """The order before and after a change of the orders table; None when no order is left (a delete)."""
    if not new_image:
        return None
    try:
        after = from_model(OrderModel.from_raw_data(new_image))
        before = from_model(OrderModel.from_raw_data(old_image)) if old_image else None
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise Unreadable(type(exc).__name__) from exc
    return before, after


def reviews_published(image: Image) -> frozenset[str]:
    """The authors' roles whose reviews of the order are published, as the order's image says."""
    value = (image or {}).get("reviews_published", {}).get("SS")
    return frozenset(str(role) for role in value) if isinstance(value, list) else frozenset()


@dataclass(frozen=True)
class TaskChange:
    before: Task | None
    after: Task


@dataclass(frozen=True)
class OfferChange:
    before: Offer | None
    after: Offer
    requester_id: str  # the task's requester


def task_table_change(old_image: Image, new_image: Image) -> TaskChange | OfferChange | None:
    """A task or an offer before and after a change of the tasks table; None when nothing is left (a delete)."""
    if not new_image:
        return None
    sort_key = new_image.get("sk", {}).get("S", "")
    try:
        if sort_key == TASK_SK:
            before = task_from_model(TaskModel.from_raw_data(old_image)) if old_image else None
            return TaskChange(before, task_from_model(TaskModel.from_raw_data(new_image)))
        if sort_key.startswith(OFFER_PREFIX):
            model = OfferModel.from_raw_data(new_image)
            old = offer_from_model(OfferModel.from_raw_data(old_image)) if old_image else None
            return OfferChange(old, offer_from_model(model), model.requester_id)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise Unreadable(type(exc).__name__) from exc
    raise Unreadable(f"an item of the tasks table with sort key {sort_key!r}")


def sent_message(new_image: Image) -> SentMessage | None:
    """The message a new chat item holds, and whom it was sent to; None for the chat's other items."""
    if not new_image or not new_image.get("sk", {}).get("S", "").startswith(MESSAGE_PREFIX):
        return None
    try:
        model = MessageModel.from_raw_data(new_image)
        conversation_id = model.pk.partition("#")[2]
        message = chat.message_from_model(model, conversation_id)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise Unreadable(type(exc).__name__) from exc
    recipient = model.recipient_id or _other_participant(conversation_id, model.sender_id)
    return SentMessage(message, recipient) if recipient else None


def _other_participant(conversation_id: str, sender_id: str) -> str | None:
    """For a message stored before messages named their recipient: the sender's conversation says who."""
    conversation = chat.get_for(sender_id, conversation_id)
    return conversation.other_than(sender_id) if conversation is not None else None
