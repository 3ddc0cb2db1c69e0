"""Per-user rate limits, counted in DynamoDB so they hold across every Lambda instance."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.errors import RateLimited
from chalicelib.store import rate_limits as counter_store


def check(user_id: str, action: str, limit: int, window_s: int, now: datetime, plural: str | None = None) -> None:
    """Count one `action` by the user in the current fixed window; RateLimited (429) once over `limit`.

    `plural` names the action in the message (default: the action's name with an "s").
    """
    if not take(user_id, action, limit, window_s, now):
        window_ends = _window_ends(now, window_s)
        retry_after = max(1, int((window_ends - now).total_seconds() + 0.999))
        what = plural or action.replace("_", " ") + "s"
        raise RateLimited(
            f"too many {what}: at most {limit} per {window_s} s; try again in {retry_after} s", retry_after
        )


def take(user_id: str, action: str, limit: int, window_s: int, now: datetime) -> bool:
    """Count one `action` by (or for) the user in the current fixed window; False, counting nothing, once the
    window holds `limit` of them."""
    window = int(now.timestamp()) // window_s
    expires_at = _window_ends(now, window_s) + timedelta(seconds=window_s)
    return counter_store.hit(action, user_id, window, limit, expires_at=expires_at)


def _window_ends(now: datetime, window_s: int) -> datetime:
    return datetime.fromtimestamp((int(now.timestamp()) // window_s + 1) * window_s, tz=UTC)
