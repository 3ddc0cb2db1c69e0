"""Use cases for chat: open a conversation about a listing, list mine, read one, send and read messages."""
from __future__ import annotations

from chalicelib.domain import conversations, cursors
from chalicelib.domain.clock import iso, now
from chalicelib.domain.conversations import Conversation, Message
from chalicelib.domain.identity import Caller
from chalicelib.domain.ids import new_id
from chalicelib.services import rate_limits
from chalicelib.services.listings import Page, get_visible
from chalicelib.settings import get_settings
from chalicelib.store import chat as chat_store
from chalicelib.store import keys
from chalicelib.store.contention import retrying

SEND_MESSAGE = "send_message"


def open_about(caller: Caller, listing_id: str) -> tuple[Conversation, bool]:
    """The caller's conversation about the listing, made if new; returns it and whether it is new."""
    existing = chat_store.find(listing_id, caller.user_id)
    if existing is not None:
        return existing, False
    listing = get_visible(caller, listing_id)
    conversations.check_can_open(caller, listing.provider_id)
    conversation = Conversation(
        conversation_id=new_id(),
        listing_id=listing.listing_id,
        buyer_id=caller.user_id,
        provider_id=listing.provider_id,
        created_at=iso(now()),
        last_message_at=None,
    )
    return retrying(lambda: chat_store.create(conversation))


def get(caller: Caller, conversation_id: str) -> Conversation:
    return conversations.check_participant(chat_store.get_for(caller.user_id, conversation_id), caller)


def mine(caller: Caller, limit: int, cursor: str | None) -> Page:
    """A page of the caller's conversations, latest activity first."""
    secret = keys.cursor_key()
    bound_to = cursors.binding("conversations", caller.user_id)
    start_key = cursors.decode(cursor, bound_to, secret) if cursor else None
    items, last_key = chat_store.page_inbox(caller.user_id, limit, start_key)
    return Page(items=items, next_cursor=cursors.encode(last_key, bound_to, secret) if last_key else None)


def send(caller: Caller, conversation_id: str, text: str, offer_cents: int | None) -> Message:
    """Post a message as one of the two participants (rate-limited per sender)."""
    conversation = get(caller, conversation_id)
    conversations.check_text(text)
    settings = get_settings()
    moment = now()
    rate_limits.check(caller.user_id, SEND_MESSAGE, settings.message_rate_limit, settings.message_rate_window_s, moment)
    message = Message(
        message_id=new_id(moment),
        conversation_id=conversation.conversation_id,
        sender_id=caller.user_id,
        text=text,
        sent_at=iso(moment),
        offer_cents=offer_cents,
    )
    retrying(lambda: chat_store.append(conversation, message))
    return message


def messages(caller: Caller, conversation_id: str, after: str | None, limit: int, cursor: str | None) -> Page:
    """A page of messages oldest first, after message `after` (or from the start); the cursor continues it."""
    get(caller, conversation_id)
    secret = keys.cursor_key()
    bound_to = cursors.binding("messages", caller.user_id, conversation_id, after or "")
    position = cursors.decode(cursor, bound_to, secret) if cursor else after
    items, more = chat_store.messages_after(conversation_id, position, limit)
    next_cursor = cursors.encode(items[-1].message_id, bound_to, secret) if more and items else None
    return Page(items=items, next_cursor=next_cursor)
