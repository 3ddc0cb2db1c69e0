"""The key layouts of the ledger and orders tables: one function per layout.

The store (store/ledger.py, store/orders.py) builds its keys with these functions, and so does the escrow
workflow: workflows/escrow_definition.py calls them with placeholders to get its `States.Format` templates.
So a layout changed here changes both, and tests/unit/test_escrow_definition.py fails until the committed
ASL is regenerated. Keep them plain f-strings of their arguments: the builder can only follow formatting,
not arithmetic or lookups (a key computed from its arguments otherwise must be passed in the execution input).

| table   | item or index     | partition                     | sort                          |
|---------|-------------------|-------------------------------|-------------------------------|
| ledger  | balance           | `account_key(account)`        | `BALANCE_SORT_KEY`            |
| ledger  | journal line      | `account_key(account)`        | `line_sort_key(at, entry_id)` |
| ledger  | journal entry     | `entry_key(entry_id)`         | `ENTRY_SORT_KEY`              |
| orders  | by_*_status index | `status_key(user_id, status)` | order_id                      |
| orders  | expiring index    | `expiry_key(shard)`           | expires_at                    |
| orders  | escrow_watch index| `watch_key(status)`           | watch_since                   |

The escrow_watch index is sparse: only orders in a status the escrow should be running for (domain/orders.py
WATCHED: paying, funded, delivered, disputed) carry `watch` and `watch_since` (when they entered it); every status
change sets or removes both in the same write, the workflow's too. Its `disputed` partition is the operators'
dispute queue, oldest first; the others are what the escrow sweep reads to find stuck orders.
"""
from __future__ import annotations

import zlib

ACCOUNT_PREFIX = "acct#"
LINE_PREFIX = "line#"
BALANCE_SORT_KEY = "balance"
ENTRY_SORT_KEY = "entry"


def account_key(account: str) -> str:
    """The partition of an account's balance and journal lines."""
    return f"{ACCOUNT_PREFIX}{account}"


def account_of(key: str) -> str:
    """The account whose partition `key` is (the inverse of account_key)."""
    return key.removeprefix(ACCOUNT_PREFIX)


def line_sort_key(at: str, entry_id: str) -> str:
    """A journal line's sort key: an account's lines sort by time."""
    return f"{LINE_PREFIX}{at}#{entry_id}"


def entry_key(entry_id: str) -> str:
    """The partition of a journal entry: put only if absent, it is the entry's duplicate guard."""
    return f"tx#{entry_id}"


def status_key(user_id: str, status: str) -> str:
    """A user's orders in one status (the by_buyer_status and by_provider_status indexes)."""
    return f"{user_id}#{status}"


def shard_of(item_id: str, shards: int) -> int:
    """Which of `shards` partitions of a sweep's index an item's entry goes to: spread evenly, the same every time
    (request expiry, open tasks, sealed reviews: the sweep reads each partition, none a hot key)."""
    return zlib.crc32(item_id.encode()) % shards


def shard_key(prefix: str, shard: int) -> str:
    """One partition of a sweep's index: `<prefix>#<shard>`."""
    return f"{prefix}#{shard}"


def expiry_key(shard: int) -> str:
    """One partition of the requests awaiting an answer (the expiring index)."""
    return shard_key("requested", shard)


def watch_key(status: str) -> str:
    """The orders in one watched status (the escrow_watch index), by when they entered it."""
    return f"escrow#{status}"
