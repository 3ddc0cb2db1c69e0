"""Tasks stored for the nearby tests as the tasks store will store them (until it exists): the item with its
nearby index attributes (store/task_index.py), then its cell counts."""
from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.tasks import Task
from chalicelib.store import items, search_counts, tables, task_index
from chalicelib.store.models import TaskModel


def save(tasks: Iterable[Task]) -> None:
    tables.bind()
    changes: dict[str, dict[str, int]] = {}
    with TaskModel.batch_write() as batch:
        for task in tasks:
            batch.save(items.to_item(task, TaskModel, sk=task_index.TASK_SK,
                                     created_sk=f"{task.created_at}#{task.task_id}",
                                     **task_index.index_attributes(task)))
            search_counts.add_count_changes(changes, task_index.count_changes(None, task))
    task_index.apply_count_changes(changes)
