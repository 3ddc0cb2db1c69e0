"""Chat routes: a buyer and a listing's provider talk before (and during) the deal."""
from __future__ import annotations

from functools import partial

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import (
    ConversationCreate,
    ConversationOut,
    ConversationPage,
    MessageCreate,
    MessageOut,
    MessagePage,
    MessagesQuery,
    PageQuery,
    shown_as,
)
from chalicelib.domain.identity import Caller
from chalicelib.services import conversations as chat

conversations_bp = Blueprint(__name__)


conversation_out = partial(shown_as, ConversationOut)


message_out = partial(shown_as, MessageOut)


@operation(
    conversations_bp, "POST", "/conversations", summary="Open (or reopen) my conversation about a listing",
    tag="chat", body=ConversationCreate, response=ConversationOut, status=201, other_status=200, errors=(404,),
    limit="conversation",
)
def open_conversation(caller: Caller, body: ConversationCreate) -> tuple[ConversationOut, int]:
    conversation, created = chat.open_about(caller, body.listing_id)
    return conversation_out(conversation), 201 if created else 200


@operation(
    conversations_bp, "GET", "/conversations", summary="My conversations, most recent activity first",
    tag="chat", query=PageQuery, response=ConversationPage,
)
def list_conversations(caller: Caller, query: PageQuery) -> ConversationPage:
    return ConversationPage.of(chat.mine(caller, query.limit, query.cursor), conversation_out)


@operation(
    conversations_bp, "GET", "/conversations/{conversation_id}", summary="One of my conversations",
    tag="chat", response=ConversationOut, errors=(404,),
)
def get_conversation(caller: Caller, conversation_id: str) -> ConversationOut:
    return conversation_out(chat.get(caller, conversation_id))


@operation(
    conversations_bp, "POST", "/conversations/{conversation_id}/messages", summary="Send a message",
    tag="chat", body=MessageCreate, response=MessageOut, status=201, errors=(404, 429), limit="message",
)
def send_message(caller: Caller, conversation_id: str, body: MessageCreate) -> MessageOut:
    return message_out(chat.send(caller, conversation_id, body.text, body.offer_cents))


@operation(
    conversations_bp, "GET", "/conversations/{conversation_id}/messages",
    summary="Messages oldest first, after a given message", tag="chat", query=MessagesQuery,
    response=MessagePage, errors=(404,),
)
def list_messages(caller: Caller, conversation_id: str, query: MessagesQuery) -> MessagePage:
    page = chat.messages(caller, conversation_id, query.after, query.limit, query.cursor)
    return MessagePage.of(page, message_out)
