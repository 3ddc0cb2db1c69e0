"""Whether a request may run now: a suspended user may not write, and nobody beyond their rate.

Every route names its kind of request (api/routing.py), and each kind has a per-user rate limit in the one table
of settings (settings.RATE_LIMITS). Cost: a write reads the caller's suspension (1 strongly consistent read of a
small item) and counts one hit (1 write); a rate-limited read counts one hit.
"""
from __future__ import annotations

from chalicelib.domain.clock import now
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.identity import Caller
from chalicelib.services import rate_limits
from chalicelib.settings import get_settings
from chalicelib.store import suspensions

# How a 429 names what there was too much of.
NOUNS = {
    "search": "searches", "message": "messages", "conversation": "conversations opened",
    "listing": "listing changes", "order": "orders placed", "order_action": "order actions",
    "wallet": "wallet movements", "profile": "profile changes", "report": "reports",
    "operator": "operator decisions", "events": "event reads", "connect": "connections",
    "socket_message": "socket messages", "task": "task changes", "offer": "offers", "nearby": "nearby task searches",
    "alert": "alert changes", "review": "reviews",
}


def admit(caller: Caller, kind: str, writes: bool) -> None:
    """Refuse a suspended caller's write (403) and a request over its kind's rate (429)."""
    if writes and suspensions.get(caller.user_id) is not None:
        raise Forbidden("your account is suspended: you cannot change anything until an operator reinstates it")
    limit = get_settings().rate_limits[kind]
    rate_limits.check(caller.user_id, kind, limit.limit, limit.window_s, now(), plural=NOUNS.get(kind))
