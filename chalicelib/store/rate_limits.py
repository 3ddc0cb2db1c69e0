"""Rate-limit counters in DynamoDB: one atomic counter per user, action and time window, shared by every
Lambda instance. Old windows are deleted by the system table's TTL."""
from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from chalicelib.store import refusals, tables
from chalicelib.store.models import RateCounterModel


def hit(action: str, user_id: str, window: int, limit: int, expires_at: datetime) -> bool:
    """Count one `action` by the user in `window` unless it already reached `limit`; True if counted (allowed).
    A limit of 0 allows nothing (the condition alone would let a window's first hit through)."""
    if limit < 1:
        return False
    tables.bind()
    try:
        RateCounterModel(name=f"rate#{action}#{user_id}#{window}").update(
            actions=[RateCounterModel.hits.add(1), RateCounterModel.expires_at.set(expires_at)],
            condition=RateCounterModel.hits.does_not_exist() | (RateCounterModel.hits < limit),
        )
        return True
    except UpdateError as exc:
        if refusals.condition_failed(exc):
            return False
        raise
