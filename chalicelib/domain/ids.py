"""Identifiers: ULIDs — 26 characters, 80 random bits (unguessable), and sorted by creation time."""
from __future__ import annotations

from datetime import datetime

from ulid import ULID


def new_id(at: datetime | None = None) -> str:
    """A fresh ULID; `at` fixes its time part (so a message id sorts with its sent_at)."""
    return str(ULID.from_datetime(at) if at is not None else ULID())
