"""Events: what happened to my chats and orders, oldest first after the last one I saw (the WebSocket pushes the
same objects as they happen: api/websocket.py)."""
from __future__ import annotations

from dataclasses import asdict

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import EventOut, EventPage, EventsQuery
from chalicelib.domain.identity import Caller
from chalicelib.services import events

events_bp = Blueprint(__name__)


@operation(
    events_bp, "GET", "/events", summary="My events after a given event id, oldest first", tag="events",
    query=EventsQuery, response=EventPage, errors=(400, 429), limit="events",
)
def list_events(caller: Caller, query: EventsQuery) -> EventPage:
    found = events.page(caller, query.after, query.limit)
    full = len(found) == query.limit
    return EventPage(
        items=[EventOut(**asdict(event)) for event in found],
        next_cursor=str(found[-1].event_id) if full else None,
    )
