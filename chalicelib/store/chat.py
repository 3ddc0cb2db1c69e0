"""Conversations and messages in DynamoDB (the chat table's item layout is in store/models.py)."""
from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.conversations import Conversation, Message
from chalicelib.store import items, refusals, tables
from chalicelib.store.contention import retried
from chalicelib.store.models import ConversationMemberModel, ConversationPairModel, MessageModel
from chalicelib.store.pages import Key, one_page

PAIR_SORT_KEY = "pair"


class OutOfOrder(Exception):
    """A message with a later id was stored first; this one needs a later id (clients read `after` an id)."""


def _member_key(user_id: str, conversation_id: str) -> tuple[str, str]:
    return f"u#{user_id}", f"c#{conversation_id}"


def _pair_key(listing_id: str, buyer_id: str) -> str:
    return f"pair#{listing_id}#{buyer_id}"


def _message_key(conversation_id: str, message_id: str) -> tuple[str, str]:
    return f"c#{conversation_id}", f"m#{message_id}"


def _offer(cents: float | None) -> int | None:
    return int(cents) if cents is not None else None


def _conversation(model: ConversationMemberModel) -> Conversation:
    return items.to_domain(model, Conversation, offer_cents=_offer(model.offer_cents))


def message_from_model(model: MessageModel, conversation_id: str) -> Message:
    return items.to_domain(model, Message, conversation_id=conversation_id, offer_cents=_offer(model.offer_cents))


def _membership(conversation: Conversation, user_id: str) -> ConversationMemberModel:
    pk, sk = _member_key(user_id, conversation.conversation_id)
    return items.to_item(
        conversation, ConversationMemberModel, pk=pk, sk=sk,
        activity=f"{conversation.last_activity}#{conversation.conversation_id}",
    )


def get_for(user_id: str, conversation_id: str) -> Conversation | None:
    """The conversation as `user_id` has it, or None if it does not exist or they take no part in it."""
    model = items.read(ConversationMemberModel, *_member_key(user_id, conversation_id))
    return _conversation(model) if model is not None else None


def find(listing_id: str, buyer_id: str) -> Conversation | None:
    """The buyer's conversation about the listing, if they opened one."""
    pair = items.read(ConversationPairModel, _pair_key(listing_id, buyer_id), PAIR_SORT_KEY)
    return get_for(buyer_id, pair.conversation_id) if pair is not None else None


@retried()
def create(conversation: Conversation) -> tuple[Conversation, bool]:
    """Store a new conversation unless the buyer already has one about the listing.

    Returns the stored conversation and whether it is new. The pair item and both memberships are written
    in one transaction, so concurrent opens make exactly one conversation and nothing half-made.
    """
    connection = tables.bind()
    pair = ConversationPairModel(
        pk=_pair_key(conversation.listing_id, conversation.buyer_id),
        sk=PAIR_SORT_KEY,
        conversation_id=conversation.conversation_id,
    )
    try:
        with TransactWrite(connection=connection) as tx:
            tx.save(pair, condition=ConversationPairModel.pk.does_not_exist())
            for user_id in conversation.participants:
                tx.save(_membership(conversation, user_id), condition=ConversationMemberModel.pk.does_not_exist())
    except TransactWriteError as exc:
        if not refusals.any_condition_failed(exc):
            raise
        existing = find(conversation.listing_id, conversation.buyer_id)
        if existing is None:
            raise
        return existing, False
    return conversation, True


@retried(idempotent=True)  # a message id is stored once: safe to re-send
def append(conversation: Conversation, message: Message) -> None:
    """Store a message and move the conversation's last activity (and the provider's latest offer) for both
    participants.

    Refused with OutOfOrder unless the message's id sorts after every stored one, so a reader who has
    seen messages up to some id never misses one stored later with a smaller id. A re-sent request
    (its response lost) finds its message stored and succeeds.
    """
    connection = tables.bind()
    pk, sk = _message_key(conversation.conversation_id, message.message_id)
    stored = items.to_item(message, MessageModel, leave_out=("conversation_id",), pk=pk, sk=sk,
                           recipient_id=conversation.other_than(message.sender_id))
    actions: list[Any] = [
        ConversationMemberModel.last_message_at.set(message.sent_at),
        ConversationMemberModel.last_message_id.set(message.message_id),
        ConversationMemberModel.activity.set(f"{message.sent_at}#{conversation.conversation_id}"),
    ]
    if message.offer_cents is not None and message.sender_id == conversation.provider_id:
        actions += [
            ConversationMemberModel.offer_cents.set(message.offer_cents),
            ConversationMemberModel.offer_by.set(message.sender_id),
        ]
    in_order = ConversationMemberModel.last_message_id.does_not_exist() | (
        ConversationMemberModel.last_message_id < message.message_id
    )
    try:
        with TransactWrite(connection=connection, client_request_token=message.message_id) as tx:
            tx.save(stored, condition=MessageModel.pk.does_not_exist())  # puts go first: reason 0
            for user_id in conversation.participants:
                member_pk, member_sk = _member_key(user_id, conversation.conversation_id)
                tx.update(
                    ConversationMemberModel(pk=member_pk, sk=member_sk),
                    actions=actions,
                    condition=ConversationMemberModel.pk.exists() & in_order,
                )
    except TransactWriteError as exc:
        if refusals.condition_failed_at(exc, 0):
            return
        if refusals.any_condition_failed(exc):
            raise OutOfOrder(message.message_id) from exc
        raise


def page_inbox(user_id: str, limit: int, start_key: Key | None) -> tuple[list[Conversation], Key | None]:
    """A page of the user's conversations, latest activity first."""
    tables.bind()
    models, next_key = one_page(
        lambda count, start: ConversationMemberModel.inbox.query(
            f"u#{user_id}", scan_index_forward=False, consistent_read=True,
            limit=count, page_size=count, last_evaluated_key=start,
        ),
        limit,
        start_key,
        lambda last: {"pk": {"S": last.pk}, "sk": {"S": last.sk}, "activity": {"S": last.activity}},
    )
    return [_conversation(model) for model in models], next_key


def messages_after(conversation_id: str, after_id: str | None, limit: int) -> tuple[list[Message], bool]:
    """Up to `limit` messages after `after_id` (all from the start if None), oldest first; and whether more follow."""
    tables.bind()
    pk, first = _message_key(conversation_id, "")
    condition = MessageModel.sk > f"m#{after_id}" if after_id else MessageModel.sk.startswith(first)
    models = list(
        MessageModel.query(pk, condition, consistent_read=True, limit=limit + 1, page_size=limit + 1)
    )
    return [message_from_model(model, conversation_id) for model in models[:limit]], len(models) > limit
