"""WebSocket connections: who is connected where, and how many connections one user may hold.

API Gateway keeps a connection at most 2 hours (and closes it after 10 idle minutes); a client reconnects and
catches up with GET /events. A user holds at most MAX_CONNECTIONS_PER_USER connections (phones, tabs): a new
one beyond that closes their oldest, so a client that lost its sockets without a goodbye is never locked out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.clock import parse_iso

MAX_LIFETIME_S = 2 * 3600  # API Gateway's limit on one WebSocket connection
# A connection is recorded while its $connect runs, before API Gateway delivers to it: a frame posted in that
# moment is refused as if the client were gone. Within this many seconds of connecting, "gone" is not believed.
OPENING_S = 10


@dataclass(frozen=True)
class Connection:
    connection_id: str
    user_id: str
    connected_at: str
    endpoint: str  # where frames to it are posted


def endpoint_for(domain_name: str, stage: str, configured: str = "") -> str:
    """Where to post frames to a connection made through `domain_name`/`stage` (API Gateway's management API),
    unless the stage configures one endpoint for all (the local runner does)."""
    return configured.rstrip("/") if configured else f"https://{domain_name}/{stage}"


def gone_for_good(connection: Connection, now: datetime) -> bool:
    """Whether a "gone" answer for this connection means its client left (not that it is still opening)."""
    return now - parse_iso(connection.connected_at) > timedelta(seconds=OPENING_S)


def beyond_cap(newest_first: list[Connection], cap: int) -> list[Connection]:
    """The connections to close so that one more fits within `cap`: the oldest."""
    return newest_first[max(cap - 1, 0):]
