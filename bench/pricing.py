"""DynamoDB on-demand prices the benchmark states its dollars in (us-east-1, as of the November 2024 price cut).

A read request unit reads 4 KB strongly consistent, or twice that eventually consistent: the "RCU" the
benchmark counts (half a unit per 4 KB, eventually consistent) are read request units. A search also makes
one rate-limit write (an UpdateItem of a small item: one write request unit), priced separately.
"""
from __future__ import annotations

READ_PER_MILLION_UNITS = 0.125  # USD per million read request units
WRITE_PER_MILLION_UNITS = 0.625  # USD per million write request units
RATE_LIMIT_WRITE_UNITS = 1.0
SOURCE = ("us-east-1 on-demand, after the 2024-11 price cut: $0.125 per million read and $0.625 per million write "
          "request units")


def reads_per_million(read_units_per_search: float) -> float:
    """USD per million searches that each read this many units."""
    return read_units_per_search * READ_PER_MILLION_UNITS


RATE_LIMIT_PER_MILLION = RATE_LIMIT_WRITE_UNITS * WRITE_PER_MILLION_UNITS

# ---- the events benchmark (bench/events.py): what pushing an event costs besides DynamoDB ----
LAMBDA_PER_MILLION_REQUESTS = 0.20  # USD, us-east-1
LAMBDA_PER_GB_SECOND = 0.0000166667  # USD, us-east-1, x86
WEBSOCKET_PER_MILLION_MESSAGES = 1.00  # USD, API Gateway WebSocket, first billion a month, per 32 KB
WEBSOCKET_PER_MILLION_CONNECTION_MINUTES = 0.25  # USD
EVENTS_SOURCE = ("us-east-1 list prices: DynamoDB on-demand $0.625 per million write and $0.125 per million read "
                 "request units; Lambda $0.20 per million requests and $0.0000166667 per GB-second (x86); API "
                 "Gateway WebSocket $1.00 per million messages (each 32 KB) and $0.25 per million connection minutes")
