"""A conversation: one buyer and one listing's provider talking about that listing, before and during a deal.

There is at most one conversation per buyer and listing. Only its two participants may see or write it;
to anyone else it does not exist. A message may carry a price offer (`offer_cents`): words in
the chat, never a price by itself. An order is at the listing's price unless its buyer names one, which is how
an offer is accepted (services/orders.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.text import has_visible_character

TEXT_MAX = 2000


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    listing_id: str
    buyer_id: str
    provider_id: str
    created_at: str
    last_message_at: str | None
    last_message_id: str | None = None
    offer_cents: int | None = None  # the provider's latest price offer in this conversation
    offer_by: str | None = None

    @property
    def participants(self) -> tuple[str, str]:
        return (self.buyer_id, self.provider_id)

    def other_than(self, user_id: str) -> str:
        """The participant who is not `user_id` (a message's recipient, when they sent it)."""
        return self.provider_id if user_id == self.buyer_id else self.buyer_id

    @property
    def last_activity(self) -> str:
        return self.last_message_at or self.created_at


@dataclass(frozen=True)
class Message:
    message_id: str
    conversation_id: str
    sender_id: str
    text: str
    sent_at: str
    offer_cents: int | None = None


def check_can_open(caller: Caller, provider_id: str) -> None:
    if caller.user_id == provider_id:
        raise InvalidInput("listing_id: this is your own listing; buyers open conversations with you")


def check_participant(conversation: Conversation | None, caller: Caller) -> Conversation:
    """The conversation if the caller takes part in it; NotFound otherwise (operators included)."""
    if conversation is None or caller.user_id not in conversation.participants:
        raise NotFound("conversation not found")
    return conversation


def check_text(text: str) -> None:
    """Messages say something: at least one visible character (the API layer also rejects control characters)."""
    if not has_visible_character(text):
        raise InvalidInput("text: must not be blank")
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"text: at most {TEXT_MAX} characters")
