"""A task is in the nearby indexes exactly while it is listed (open, not hidden), and counted there."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from pynamodb.expressions.update import RemoveAction, SetAction

from chalicelib.domain.tasks import ASSIGNED, CANCELLED, EXPIRED, new_task, with_status
from chalicelib.store import task_index

AT = datetime(2026, 12, 1, tzinfo=UTC)
OPEN = new_task("alice", "Move a sofa", "", "repair", 5000, "CNY", 31.2304, 121.4737, 3600, AT)


def test_an_open_task_is_in_both_indexes_by_its_geohash_4():
    partition = OPEN.geohash[:4]
    assert task_index.index_attributes(OPEN) == {"n4": partition, "n4c": f"repair#{partition}"}


def test_a_task_that_is_not_listed_has_no_index_attributes_and_updates_remove_them():
    for gone in (with_status(OPEN, CANCELLED, AT), with_status(OPEN, ASSIGNED, AT), with_status(OPEN, EXPIRED, AT),
                 replace(OPEN, hidden="takedown")):
        assert task_index.index_attributes(gone) == {}
        actions = task_index.index_actions(gone)
        assert [(type(action), str(action)) for action in actions] == [(RemoveAction, "n4"), (RemoveAction, "n4c")]


def test_updating_an_open_task_sets_its_index_attributes():
    assert [(type(action), str(action)) for action in task_index.index_actions(OPEN)] == [
        (SetAction, f"n4 = {{'S': '{OPEN.geohash[:4]}'}}"), (SetAction, f"n4c = {{'S': 'repair#{OPEN.geohash[:4]}'}}")]


def test_counts_follow_the_task_in_and_out_of_the_indexes():
    cell = "c" + OPEN.geohash[4:6]
    plain, by_category = f"cells#tasks4#{OPEN.geohash[:4]}", f"cells#tasks4_cat#repair#{OPEN.geohash[:4]}"
    assert task_index.count_changes(None, OPEN) == {plain: {cell: 1}, by_category: {cell: 1}}
    cancelled = with_status(OPEN, CANCELLED, AT)
    assert task_index.count_changes(OPEN, cancelled) == {plain: {cell: -1}, by_category: {cell: -1}}
    assert task_index.count_changes(OPEN, replace(OPEN, title="Move two sofas")) == {}
