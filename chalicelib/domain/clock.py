"""Time as the API shows it: ISO-8601 UTC with milliseconds and a trailing Z (sorts as text)."""
from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """A time `iso` wrote, or any ISO-8601 time with an offset or a trailing Z."""
    return datetime.fromisoformat(text)


def now_iso() -> str:
    return iso(now())
