"""Use cases for chat: open a conversation about a listing, list mine, read one, send and read messages."""
from __future__ import annotations

from datetime import timedelta

from chalicelib.domain import conversations
from chalicelib.domain.clock import iso, now, parse_iso
from chalicelib.domain.conversations import Conversation, Message
from chalicelib.domain.errors import Busy
from chalicelib.domain.identity import Caller
from chalicelib.domain.ids import new_id
from chalicelib.domain.pages import Page
from chalicelib.services.listings import get_visible
from chalicelib.services.paging import page_of
from chalicelib.store import chat as chat_store

SEND_ATTEMPTS = 5


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
    return chat_store.create(conversation)


def get(caller: Caller, conversation_id: str) -> Conversation:
    return conversations.check_participant(chat_store.get_for(caller.user_id, conversation_id), caller)


def mine(caller: Caller, limit: int, cursor: str | None) -> Page[Conversation]:
    """A page of the caller's conversations, latest activity first."""
    return page_of(
        ("conversations", caller.user_id), cursor, lambda start: chat_store.page_inbox(caller.user_id, limit, start)
    )


def send(caller: Caller, conversation_id: str, text: str, offer_cents: int | None) -> Message:
    """Post a message as one of the two participants."""
    conversation = get(caller, conversation_id)
    conversations.check_text(text)
    moment = now()
    for _ in range(SEND_ATTEMPTS):
        message = Message(
            message_id=new_id(moment),
            conversation_id=conversation.conversation_id,
            sender_id=caller.user_id,
            text=text,
            sent_at=iso(moment),
            offer_cents=offer_cents,
        )
        try:
            chat_store.append(conversation, message)
            return message
        except chat_store.OutOfOrder:
            # Another message got a later id first (a clock ahead of ours): take a moment after it.
            latest = chat_store.get_for(caller.user_id, conversation.conversation_id) or conversation
            moment = max(now(), parse_iso(latest.last_message_at or iso(moment)) + timedelta(milliseconds=1))
    raise Busy("the conversation is busy; send the message again")


def messages(caller: Caller, conversation_id: str, after: str | None, limit: int, cursor: str | None) -> Page[Message]:
    """A page of messages oldest first, after message `after` (or from the start); the cursor continues it."""
    get(caller, conversation_id)

    def read(position: str | None) -> tuple[list[Message], str | None]:
        items, more = chat_store.messages_after(conversation_id, position or after, limit)
        return items, (items[-1].message_id if more and items else None)

    return page_of(("messages", caller.user_id, conversation_id, after or ""), cursor, read)
