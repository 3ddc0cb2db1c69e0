"""An accept races another accept, a withdrawal, a cancellation, an expiry: at most one order, never from an offer
withdrawn or a task closed at the same moment, and the books of the task (statuses, counts) agree afterwards.

Run on the serialised moto server (in-process moto is not thread-safe), as `make run` runs it; each case fires
its requests from threads released by one barrier, many rounds over.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from chalicelib.domain.clock import iso, now
from chalicelib.domain.errors import DomainError
from chalicelib.domain.identity import Caller
from chalicelib.services import tasks as task_service
from chalicelib.store import tasks as task_store
from chalicelib.store.models import OrderModel, ProfileModel, TaskModel
from tests.conftest import PEOPLES_SQUARE

ROUNDS = 6


def _people() -> tuple[Caller, Caller, Caller]:
    return Caller(user_id=str(uuid.uuid4())), Caller(user_id=str(uuid.uuid4())), Caller(user_id=str(uuid.uuid4()))


def _task(requester: Caller, expires_in_s: int = 3600) -> str:
    lat, lon = PEOPLES_SQUARE
    return task_service.post(requester, "Walk the dog", "", "errands", 3000, lat, lon, expires_in_s).task_id


def _at_once(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions together; each one's result, or the domain error it raised."""
    barrier = threading.Barrier(len(actions))

    def run(action: Callable[[], Any]) -> Any:
        barrier.wait()
        try:
            return action()
        except DomainError as refused:
            return refused

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(run, actions))


def _orders_of(task_id: str) -> list[Any]:
    return [order for order in OrderModel.scan() if order.task_id == task_id]


def _open_tasks(user_id: str) -> int:
    return int(ProfileModel.get(user_id, consistent_read=True).open_tasks or 0)


def test_two_accepts_at_once_make_one_order(served_stack):
    for _ in range(ROUNDS):
        _two_accepts_at_once_make_one_order_once()


def _two_accepts_at_once_make_one_order_once() -> None:
    alice, bob, carol = _people()
    task_id = _task(alice)
    bobs = task_service.offer(bob, task_id, 3000, "")
    carols = task_service.offer(carol, task_id, 2800, "")
    outcomes = _at_once(lambda: task_service.accept(alice, task_id, bobs.offer_id),
                        lambda: task_service.accept(alice, task_id, carols.offer_id))
    orders = _orders_of(task_id)
    assert len(orders) == 1, outcomes
    task = task_store.get(task_id)
    assert task is not None and task.status == "assigned" and task.order_id == orders[0].order_id
    statuses = sorted(offer.status for offer in task_store.offers(task_id, 10))
    assert statuses == ["accepted", "declined"]
    assert _open_tasks(alice.user_id) == 0


def test_an_accept_racing_a_withdrawal_never_makes_an_order_from_the_withdrawn_offer(served_stack):
    for _ in range(ROUNDS):
        _an_accept_racing_a_withdrawal_never_makes_an_order_from_the_withdrawn_offer_once()


def _an_accept_racing_a_withdrawal_never_makes_an_order_from_the_withdrawn_offer_once() -> None:
    alice, bob, _ = _people()
    task_id = _task(alice)
    made = task_service.offer(bob, task_id, 3000, "")
    _at_once(lambda: task_service.accept(alice, task_id, made.offer_id),
             lambda: task_service.withdraw(bob, task_id, made.offer_id))
    [offer] = task_store.offers(task_id, 10)
    orders = _orders_of(task_id)
    task = task_store.get(task_id)
    assert task is not None
    if offer.status == "withdrawn":
        assert orders == [] and task.status == "open"
    else:
        assert offer.status == "accepted" and len(orders) == 1 and task.status == "assigned"


def test_an_accept_racing_a_cancellation_gives_an_order_or_a_cancelled_task_never_both(served_stack):
    for _ in range(ROUNDS):
        _an_accept_racing_a_cancellation_gives_an_order_or_a_cancelled_task_never_both_once()


def _an_accept_racing_a_cancellation_gives_an_order_or_a_cancelled_task_never_both_once() -> None:
    alice, bob, _ = _people()
    task_id = _task(alice)
    made = task_service.offer(bob, task_id, 3000, "")
    _at_once(lambda: task_service.accept(alice, task_id, made.offer_id),
             lambda: task_service.cancel(alice, task_id))
    task = task_store.get(task_id)
    orders = _orders_of(task_id)
    assert task is not None
    assert (task.status, len(orders)) in {("assigned", 1), ("cancelled", 0)}
    assert _open_tasks(alice.user_id) == 0


def test_an_accept_racing_the_expiry_sweep_gives_an_order_or_an_expired_task_never_both(served_stack):
    for _ in range(ROUNDS):
        _an_accept_racing_the_expiry_sweep_gives_an_order_or_an_expired_task_never_both_once()


def _an_accept_racing_the_expiry_sweep_gives_an_order_or_an_expired_task_never_both_once() -> None:
    alice, bob, _ = _people()
    task_id = _task(alice, expires_in_s=60)
    made = task_service.offer(bob, task_id, 3000, "")
    TaskModel(task_id, "task").update(actions=[TaskModel.expires_at.set(iso(now() + timedelta(seconds=1)))])
    _at_once(lambda: task_service.accept(alice, task_id, made.offer_id),
             lambda: task_service.expire_overdue_tasks(now() + timedelta(seconds=2)))
    task = task_store.get(task_id)
    orders = _orders_of(task_id)
    assert task is not None
    assert (task.status, len(orders)) in {("assigned", 1), ("expired", 0), ("open", 0)}, (task.status, orders)
    if task.status == "open":  # the accept saw the task expired (it is, to clients) before the sweep ran
        assert task_service.expire_overdue_tasks(now() + timedelta(seconds=2)) == 1
    assert _open_tasks(alice.user_id) == 0


def test_offers_racing_an_accept_are_all_declined_or_refused(served_stack):
    alice, bob, _ = _people()
    task_id = _task(alice)
    made = task_service.offer(bob, task_id, 3000, "")
    latecomers = [Caller(user_id=str(uuid.uuid4())) for _ in range(6)]
    _at_once(lambda: task_service.accept(alice, task_id, made.offer_id),
             *[lambda caller=caller: task_service.offer(caller, task_id, 2500, "") for caller in latecomers])
    task = task_store.get(task_id)
    assert task is not None and task.status == "assigned"
    assert [offer.status for offer in task_store.offers(task_id, 10) if offer.offer_id != made.offer_id] == [
        "declined"] * (len(task_store.offers(task_id, 10)) - 1)

