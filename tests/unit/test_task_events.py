"""Which task change tells whom, and what: the rules of domain/events.py for posted needs."""
from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain import events, tasks

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _assigned() -> tuple[tasks.Task, tasks.Task]:
    task = tasks.new_task("alice", "Walk the dog", "", "errands", 3000, "CNY", 31.23, 121.47, 3600, AT)
    return task, tasks.assigned(task, tasks.new_offer(task, "bob", 3000, "", AT), "order-1", AT)


def test_a_losing_offerer_hears_the_task_is_assigned_but_not_to_whom_nor_the_order():
    before, after = _assigned()
    told = {notice.recipient_id: notice.data for notice in events.task_updated(before, after, ["bob", "carol"], "s")}
    assert told["carol"]["status"] == "assigned"
    assert "provider_id" not in told["carol"] and "order_id" not in told["carol"]
    for party in ("alice", "bob"):
        assert (told[party]["provider_id"], told[party]["order_id"]) == ("bob", "order-1")


def test_a_change_that_keeps_the_status_tells_nobody():
    before, _ = _assigned()
    assert events.task_updated(before, before, ["bob"], "s") == []


def test_an_offer_accepted_or_declined_is_not_a_task_offer_event():
    task, _ = _assigned()
    offer = tasks.new_offer(task, "bob", 3000, "", AT)
    for status in (tasks.ACCEPTED, tasks.DECLINED):
        moved = tasks.Offer(**{**offer.__dict__, "status": status})
        assert events.task_offer(offer, moved, "alice", "s") == []
    assert [n.recipient_id for n in events.task_offer(None, offer, "alice", "s")] == ["alice"]
