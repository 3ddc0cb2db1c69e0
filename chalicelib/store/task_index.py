"""The nearby tasks' geo indexes as the nearest-first scan reads them: one tier, the Queries, task pins, counts.

Key layout (store/models.py): while a task is listed (open and not hidden, `Task.is_listed`) its item carries
`n4` = geohash[:4] and `n4c` = category#geohash[:4], the partition keys of `tasks4` and `tasks4_cat`, both
sorted by its 12-character geohash `gh` and projecting what a nearby pin shows (TASK_PIN_PROJECTION). An
assigned, cancelled, expired or hidden task carries neither, so it is in no index. The task item's primary key
is (`id`, `sk` = "task"): a Query resumes after an entry with both, the index's keys beside them.

Every task write goes through the lead store (store/tasks.py), which must:
- put `index_attributes(task)` on the item it writes (a whole-item put of a task that is not listed then drops
  them), or, for an UpdateItem, add `index_actions(task)` (which REMOVE them when it is not listed);
- after the write succeeded, `apply_count_changes(count_changes(before, after))` (best effort, as for
  listings: a count is an estimate that sizes reads, never decides results).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from pynamodb.expressions.update import Action

from chalicelib.domain.cell_counts import CellCounts
from chalicelib.domain.nearest import Read, ReadResult, Tier
from chalicelib.domain.tasks import Task, TaskPin
from chalicelib.store import geo_index, search_counts
from chalicelib.store.geo_index import Item
from chalicelib.store.models import TaskModel

TASKS = Tier(rank=0, name="tasks", partition_chars=4)
TIERS = (TASKS,)
INDEX, INDEX_BY_CATEGORY = "tasks4", "tasks4_cat"
PARTITION, PARTITION_BY_CATEGORY = "n4", "n4c"
INDEX_ATTRIBUTES = (PARTITION, PARTITION_BY_CATEGORY)  # present only while the task is listed
TASK_SK = "task"  # the sort key of a task item (the same table holds its offers)
_PIN_FIELDS = "id, gh, la, lo, requester_id, title, category, budget_cents, currency, expires_at"

apply_count_changes = search_counts.apply_count_changes  # the same ADDs to the same system table as listings'


def index_attributes(task: Task) -> dict[str, str]:
    """The nearby index attributes of a task: none unless it is listed (open and not hidden)."""
    if not task.is_listed:
        return {}
    partition = task.geohash[: TASKS.partition_chars]
    return {PARTITION: partition, PARTITION_BY_CATEGORY: f"{task.category}#{partition}"}


def index_actions(task: Task) -> list[Action]:
    """UpdateItem actions that put a task in the nearby indexes, or take it out of them (REMOVE)."""
    wanted = index_attributes(task)
    attributes = {PARTITION: TaskModel.n4, PARTITION_BY_CATEGORY: TaskModel.n4c}
    return [attribute.set(wanted[name]) if name in wanted else attribute.remove()
            for name, attribute in attributes.items()]


# --- reads -------------------------------------------------------------------------------------------


def _task_pin(item: Item) -> TaskPin:
    return TaskPin(
        task_id=item["id"]["S"],
        requester_id=item["requester_id"]["S"],
        title=item["title"]["S"],
        category=item["category"]["S"],
        budget_cents=int(item["budget_cents"]["N"]),
        currency=item["currency"]["S"],
        lat=float(item["la"]["N"]),
        lon=float(item["lo"]["N"]),
        geohash=item["gh"]["S"],
        expires_at=item["expires_at"]["S"],
    )


def _query(read: Read, category: str | None) -> ReadResult[TaskPin]:
    partition_value = f"{category}#{read.partition}" if category else read.partition
    return geo_index.query(read, geo_index.GeoQuery(
        table=TaskModel.Meta.table_name, index_name=INDEX_BY_CATEGORY if category else INDEX,
        partition_attribute=PARTITION_BY_CATEGORY if category else PARTITION, partition_value=partition_value,
        projection=_PIN_FIELDS, parse=_task_pin, fixed_key={"sk": TASK_SK},
    ))


def read_wave(reads: list[Read], category: str | None) -> list[ReadResult[TaskPin]]:
    """Answer one wave of the scan: every Query at once (no hot-cell cache: tasks come and go by the minute)."""
    if not reads:
        return []
    calls: dict[int, Callable[[], ReadResult[TaskPin]]] = {
        i: partial(_query, read, category) for i, read in enumerate(reads)
    }
    answers = geo_index.all_at_once(calls)
    return [answers[i] for i in range(len(reads))]


# --- cell counts -------------------------------------------------------------------------------------


def _memberships(task: Task | None) -> set[tuple[str, str]]:
    if task is None or not task.is_listed:
        return set()
    return search_counts.memberships(INDEX, INDEX_BY_CATEGORY, TASKS.partition_chars, task.geohash, task.category)


def count_changes(before: Task | None, after: Task | None) -> dict[str, dict[str, int]]:
    """The ADDs that move a task's cell counts from `before` to `after` (None: absent): for apply_count_changes."""
    return search_counts.changes_between(_memberships(before), _memberships(after))


def cell_counts(category: str | None, partitions: Iterable[str]) -> CellCounts:
    """The counts of the plain or category index in these partitions (cached per instance, as the search's)."""
    return search_counts.index_counts(INDEX_BY_CATEGORY if category else INDEX, category, partitions)
