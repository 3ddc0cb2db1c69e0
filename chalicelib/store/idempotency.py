"""Idempotency records in DynamoDB: who holds a key, what body it was used with, and the answer once done."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.store import items, refusals, tables
from chalicelib.store.models import IdempotencyModel

RUNNING = "running"
DONE = "done"


@dataclass(frozen=True)
class Record:
    fingerprint: str
    operation_id: str
    state: str
    locked_until: float
    status_code: int | None
    response: str | None


def _record(model: IdempotencyModel) -> Record:
    status_code = int(model.status_code) if model.status_code is not None else None
    return items.to_domain(model, Record, locked_until=float(model.locked_until), status_code=status_code)


def record_key(user_id: str, key: str) -> str:
    """Keys are scoped to the caller: two users may pick the same one."""
    return f"{user_id}#{key}"


def reserve(key: str, fingerprint: str, operation_id: str, now: datetime, lock_s: int, keep_s: int) -> Record | None:
    """Claim `key` for a new run (None), or the record already holding it.

    A record past its keep time counts as absent even before DynamoDB's TTL has deleted it.
    """
    tables.bind()
    model = IdempotencyModel(
        key=key,
        fingerprint=fingerprint,
        operation_id=operation_id,
        state=RUNNING,
        locked_until=now.timestamp() + lock_s,
        expires_at=now + timedelta(seconds=keep_s),
    )
    try:
        model.save(condition=IdempotencyModel.key.does_not_exist() | (IdempotencyModel.expires_at < now))
        return None
    except PutError as exc:
        if not refusals.condition_failed(exc):
            raise
    stored = items.read(IdempotencyModel, key)
    if stored is None:  # deleted (expired or released) in between: try again
        return reserve(key, fingerprint, operation_id, now, lock_s, keep_s)
    return _record(stored)


def take_over(key: str, operation_id: str, now: datetime, lock_s: int) -> bool:
    """Claim a run whose owner stopped without finishing (its lock lapsed); True if this caller got it."""
    tables.bind()
    try:
        IdempotencyModel(key=key).update(
            actions=[IdempotencyModel.locked_until.set(now.timestamp() + lock_s)],
            condition=(IdempotencyModel.state == RUNNING)
            & (IdempotencyModel.operation_id == operation_id)
            & (IdempotencyModel.locked_until < now.timestamp()),
        )
        return True
    except UpdateError as exc:
        if refusals.condition_failed(exc):
            return False
        raise


def complete(key: str, operation_id: str, status_code: int, response: str) -> None:
    """Record the answer of the run that holds the key."""
    tables.bind()
    IdempotencyModel(key=key).update(
        actions=[
            IdempotencyModel.state.set(DONE),
            IdempotencyModel.status_code.set(status_code),
            IdempotencyModel.response.set(response),
        ],
        condition=(IdempotencyModel.operation_id == operation_id) & (IdempotencyModel.state == RUNNING),
    )


def unlock(key: str, operation_id: str) -> None:
    """Let the next repeat take over at once, with the same operation id, after a run that did not finish.

    The key is not given back: the run may have written (say, its response was lost in transit), and
    only a repeat with the same operation id finds what it wrote instead of writing it again.
    """
    tables.bind()
    try:
        IdempotencyModel(key=key).update(
            actions=[IdempotencyModel.locked_until.set(0)],
            condition=(IdempotencyModel.operation_id == operation_id) & (IdempotencyModel.state == RUNNING),
        )
    except UpdateError as exc:
        if not refusals.condition_failed(exc):
            raise

