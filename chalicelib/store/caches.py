"""What one process (a Lambda instance) remembers about the tables between requests, and forgetting it.

Each cache is an estimate or a fact that only ever holds more firmly (search cell counts, hot cells of the
search indexes, "the privileged quota is full"), or a short-lived copy (alert cells). A stage deployed again, as
tests and `make run` do, starts from empty tables: the process must forget what it knew of the old ones.
"""
from __future__ import annotations

from chalicelib.store import alerts, listings, search_counts, search_index


def forget_all() -> None:
    search_counts.forget_cached()
    search_index.forget_hot_cells()
    listings.forget_quota_full()
    alerts.forget_cached()
