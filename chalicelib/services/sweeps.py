"""The one way the schedule lapses what is overdue (order requests, open tasks): shard by shard of a sparse index
of due times, in batches, the shards side by side.

Cost ceiling of a run: per shard, one Query per batch of SWEEP_BATCH due ids, then one read and at most one
conditional write per id; a batch in which nothing could be lapsed (each changed meanwhile) ends the shard's run,
so a run never loops on items it cannot move (the next run looks again).
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

SWEEP_BATCH = 500
SWEEP_WORKERS = 4


def sweep(shards: int, due: Callable[[int, int], list[str]], lapse: Callable[[str], bool]) -> int:
    """Lapse every id `due(shard, limit)` lists in each of `shards` shards; `lapse(id)` says whether it did.
    Returns how many were lapsed."""
    with ThreadPoolExecutor(max_workers=SWEEP_WORKERS, thread_name_prefix="sweep") as pool:
        return sum(pool.map(lambda shard: _sweep_shard(shard, due, lapse), range(shards)))


def _sweep_shard(shard: int, due: Callable[[int, int], list[str]], lapse: Callable[[str], bool]) -> int:
    lapsed = 0
    while True:
        ids = due(shard, SWEEP_BATCH)
        before = lapsed
        lapsed += sum(lapse(one) for one in ids)
        if len(ids) < SWEEP_BATCH or lapsed == before:
            return lapsed
