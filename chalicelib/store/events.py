"""Each user's event log in DynamoDB (the item layout is in store/models.py, "events").

An event is stored in one transaction with the user's head (the id of their latest event) moved on from the
value it was read at, and with the mark of the change it comes from. So:
- ids are 1, 2, 3... per user, and event n+1 cannot be stored before event n is: a reader who has seen up to
  n and asks for what follows never misses one that commits later with a smaller id;
- a change handed over twice (a retried stream batch, a redelivered record) finds its mark and adds nothing;
  the event it became is handed back, so a push the first attempt did not finish is made again.
Two writers racing for one user's next id: one wins, the other reads the head again and takes the next.
"""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.clock import now
from chalicelib.domain.errors import Busy
from chalicelib.domain.events import Event, Notice
from chalicelib.store import items, refusals, tables
from chalicelib.store.contention import retried
from chalicelib.store.models import EventHeadModel, EventModel, EventSeenModel

HEAD = 0
SEEN_FOR = timedelta(days=2)  # a stream keeps a record for 24 hours: a retry comes within that
ATTEMPTS = 20  # racing writers for one user's log, each taking the next id


def _seen_key(user_id: str, source: str) -> str:
    return f"seen#{user_id}#{source}"


class _HeadMoved(Exception):
    """Another event was stored for the user since their head was read."""


def append(notice: Notice, retention_s: float) -> tuple[Event, bool] | None:
    """Store the notice as the recipient's next event: the event, and whether it is new (False: its change was
    in their log already, and this is that event); None if that earlier event is gone (expired)."""
    for _ in range(ATTEMPTS):
        head = items.read(EventHeadModel, notice.recipient_id, HEAD)
        try:
            stored = _store(notice, int(head.last) if head is not None else 0, head is not None, retention_s)
        except _HeadMoved:
            continue
        if stored is not None:
            return stored, True
        earlier = _stored_for(notice)
        return (earlier, False) if earlier is not None else None
    raise Busy("too many events for one user at once: try again")


def _stored_for(notice: Notice) -> Event | None:
    """The event a change already became in the recipient's log (its mark says which)."""
    mark = items.read(EventSeenModel, _seen_key(notice.recipient_id, notice.source), HEAD)
    if mark is None:
        return None
    model = items.read(EventModel, notice.recipient_id, int(mark.event_id))
    return _event(model) if model is not None else None


@retried(idempotent=True)  # the change's mark makes a repeat add nothing
def _store(notice: Notice, last: int, has_head: bool, retention_s: float) -> Event | None:
    """Event `last + 1` if the head still says `last` (else _HeadMoved); None if the change was seen already."""
    connection = tables.bind()
    event_id = last + 1
    moment = now()
    event = EventModel(
        owner=notice.recipient_id, seq=event_id, kind=notice.kind, at=notice.at,
        data=json.dumps(notice.data, separators=(",", ":"), ensure_ascii=False),
        expires_at=moment + timedelta(seconds=retention_s),
    )
    mark = EventSeenModel(
        owner=_seen_key(notice.recipient_id, notice.source), seq=HEAD, event_id=event_id, expires_at=moment + SEEN_FOR
    )
    unmoved = EventHeadModel.last == last if has_head else EventHeadModel.owner.does_not_exist()
    try:
        with TransactWrite(connection=connection) as tx:
            tx.save(mark, condition=EventSeenModel.owner.does_not_exist())  # puts go first: reason 0
            tx.save(event, condition=EventModel.owner.does_not_exist())
            tx.update(
                EventHeadModel(owner=notice.recipient_id, seq=HEAD),
                actions=[EventHeadModel.last.set(event_id)],
                condition=unmoved,
            )
    except TransactWriteError as exc:
        if refusals.condition_failed_at(exc, 0):
            return None
        if refusals.any_condition_failed(exc):
            raise _HeadMoved from exc
        raise
    return Event(event_id=event_id, kind=notice.kind, at=notice.at, data=notice.data)


def after(user_id: str, after_id: int, limit: int) -> list[Event]:
    """Up to `limit` of the user's events after `after_id`, oldest first (a consistent read: nothing stored
    before this read is left out)."""
    tables.bind()
    models = EventModel.query(
        user_id, EventModel.seq > after_id, consistent_read=True, limit=limit, page_size=limit
    )
    return [_event(model) for model in models]


def _event(model: EventModel) -> Event:
    data: dict[str, Any] = json.loads(model.data)
    return Event(event_id=int(model.seq), kind=model.kind, at=model.at, data=data)
