"""Many tasks at once for the nearby tests, written by the tasks store's own bulk load (store/tasks.insert_many):
the items as every task write stores them, then their cell counts."""
from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.tasks import Task
from chalicelib.store import task_index
from chalicelib.store import tasks as task_store


def save(tasks: Iterable[Task]) -> None:
    task_index.apply_count_changes(task_store.insert_many(tasks))
