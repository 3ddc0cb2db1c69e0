"""Tasks and their offers in DynamoDB (layout: store/models.py, "posted needs").

Every change of a task is one transaction whose conditions make the races come out right:

- **post**: put the task (new id) and add 1 to the requester's open tasks, on condition that they have fewer
  than MAX_OPEN_TASKS; each later exit from `open` (assigned, cancelled, expired) subtracts 1 in its own
  transaction, on condition that the task was still open.
- **offer / withdraw**: write the offer and move the task's `offers_version`, on condition that the task is open
  and unexpired (and, for a provider's first offer, that fewer than MAX_OFFERS_PER_TASK providers offered).
- **accept**: put the task `assigned`, on condition that it is open, unexpired and its `offers_version` is the
  one read with its offers; the accepted offer `accepted` (on condition it is still that pending offer); every
  other pending offer `declined`; the order put (new id); the requester's count down. Two accepts at once: one
  transaction wins, the other finds the task assigned. An offer made or withdrawn meanwhile moves the version:
  the accept is refused and read again, so no pending offer is left behind and no withdrawn one is accepted.
- **cancel / expire**: put the task `cancelled`/`expired` on condition that it is open (and, to cancel, unexpired).

A task is written whole (a put), so the nearby and expiry index attributes of a task that is no longer open are
gone with the same write; the nearby indexes' cell counts follow each write that moves a task in or out of them
(store/task_index.py: an estimate that sizes the scan's reads, best effort as for listings).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import Conflict
from chalicelib.domain.listings import EXACT
from chalicelib.domain.orders import Order
from chalicelib.domain.tasks import ACCEPTED, DECLINED, MAX_EXPIRES_IN_S, OPEN, PENDING, WITHDRAWN, Offer, Task
from chalicelib.store import items, refusals, search_counts, tables, task_index
from chalicelib.store import orders as order_store
from chalicelib.store.contention import retried
from chalicelib.store.key_layouts import shard_key, shard_of
from chalicelib.store.models import OfferModel, OrderModel, ProfileModel, TaskModel
from chalicelib.store.pages import Key, one_page

TASK_SK = "task"
OFFER_PREFIX = "offer#"
OPEN_SHARD = "open"  # the open_expiring index's partitions: open#<shard>
# Open tasks are spread over this many partitions of the expiry index, so the sweep never meets a hot key.
EXPIRY_SHARDS = 16


class Refused(Exception):
    """A task's write was refused because what it was conditioned on changed: `reason` says what."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


NOT_OPEN = "not_open"
OFFERS_CHANGED = "offers_changed"
OFFER_GONE = "offer_gone"
TOO_MANY = "too_many"


def offer_sk(provider_id: str) -> str:
    return f"{OFFER_PREFIX}{provider_id}"


def expiry_shard(task_id: str) -> str:
    return shard_key(OPEN_SHARD, shard_of(task_id, EXPIRY_SHARDS))


def _to_model(task: Task) -> TaskModel:
    model = items.to_item(task, TaskModel, sk=TASK_SK, created_sk=f"{task.created_at}#{task.task_id}")
    for attribute, value in task_index.index_attributes(task).items():
        setattr(model, attribute, value)
    if task.status == OPEN:
        model.expiry_shard = expiry_shard(task.task_id)
    if task.provider_id is not None:
        model.assignee = task.provider_id
    return model


def task_from_model(model: TaskModel) -> Task:
    return items.to_domain(
        model, Task, budget_cents=int(model.budget_cents), lat=float(model.lat), lon=float(model.lon),
        offer_count=int(model.offer_count or 0), offers_version=int(model.offers_version or 0),
        description=model.description or "", location_precision=model.location_precision or EXACT,
        precise_lat=float(model.precise_lat) if model.precise_lat is not None else None,
        precise_lon=float(model.precise_lon) if model.precise_lon is not None else None,
    )


def _offer_model(offer: Offer, requester_id: str) -> OfferModel:
    return items.to_item(offer, OfferModel, sk=offer_sk(offer.provider_id), requester_id=requester_id)


def offer_from_model(model: OfferModel) -> Offer:
    return items.to_domain(model, Offer, price_cents=int(model.price_cents), message=model.message or "")


def get(task_id: str) -> Task | None:
    model = items.read(TaskModel, task_id, TASK_SK)
    return task_from_model(model) if model is not None else None


def offers(task_id: str, limit: int) -> list[Offer]:
    """The task's offers, one per provider who offered (at most `limit`: MAX_OFFERS_PER_TASK bounds them)."""
    tables.bind()
    found = OfferModel.query(task_id, OfferModel.sk.startswith(OFFER_PREFIX), consistent_read=True, limit=limit,
                             page_size=limit)
    return sorted((offer_from_model(model) for model in found), key=lambda offer: offer.offer_id)


def get_many(task_ids: Iterable[str]) -> dict[str, Task]:
    """The tasks with these ids that exist, by id (BatchGetItem, eventually consistent)."""
    wanted = set(task_ids)
    if not wanted:
        return {}
    tables.bind()
    return {model.task_id: task_from_model(model) for model in TaskModel.batch_get([(i, TASK_SK) for i in wanted])}


def offer_of(task_id: str, provider_id: str) -> Offer | None:
    model = items.read(OfferModel, task_id, offer_sk(provider_id))
    return offer_from_model(model) if model is not None else None


def _hidden_as(task: Task) -> Condition:
    """The stored task is hidden (or not) as `task` was read: a whole-task put never undoes an operator's decision
    that landed after the read."""
    hidden: Condition = (TaskModel.hidden.does_not_exist() if task.hidden is None
                         else TaskModel.hidden == task.hidden)
    return hidden


def _open_before(moment: str) -> Condition:
    """The task item is open and not expired at `moment`."""
    condition: Condition = (TaskModel.status == OPEN) & (TaskModel.expires_at > moment)
    return condition


def _count(tx: TransactWrite, user_id: str, change: int, max_open: int | None = None) -> None:
    condition = ProfileModel.user_id.exists()
    if max_open is not None:
        condition &= ProfileModel.open_tasks.does_not_exist() | (ProfileModel.open_tasks < max_open)
    tx.update(ProfileModel(user_id=user_id), actions=[ProfileModel.open_tasks.add(change)], condition=condition)


@retried()
def insert(task: Task, max_open: int) -> Task:
    """Store a new task, if its requester (who has a profile) has fewer than `max_open` open tasks."""
    try:
        with TransactWrite(connection=tables.bind()) as tx:
            tx.save(_to_model(task), condition=TaskModel.task_id.does_not_exist())
            _count(tx, task.requester_id, 1, max_open)
    except TransactWriteError as exc:  # [task put, profile update]
        if refusals.condition_failed_at(exc, 1):
            raise Refused(TOO_MANY) from exc
        raise
    _counted(None, task)
    return task


def insert_many(tasks: Iterable[Task]) -> dict[str, dict[str, int]]:
    """Bulk-load new tasks (tests, benchmarks): BatchWriteItem, no conditions, no counters on profiles. Returns the
    cell-count changes they make, for the caller to apply (or to replace the counts with)."""
    tables.bind()
    changes: dict[str, dict[str, int]] = {}
    with TaskModel.batch_write() as batch:
        for task in tasks:
            batch.save(_to_model(task))
            search_counts.add_count_changes(changes, task_index.count_changes(None, task))
    return changes


def _counted(before: Task | None, after: Task) -> None:
    task_index.apply_count_changes(task_index.count_changes(before, after))


@retried()
def close(before: Task, after: Task, unexpired_at: str | None) -> Task:
    """Write an open task's exit to `after.status` (cancelled, expired), on condition it is still open (and, given
    `unexpired_at`, not expired then); Refused(NOT_OPEN) otherwise."""
    condition: Condition = TaskModel.status == OPEN
    if unexpired_at is not None:
        condition = _open_before(unexpired_at)
    condition &= (TaskModel.offers_version == before.offers_version) & _hidden_as(before)
    try:
        with TransactWrite(connection=tables.bind()) as tx:
            tx.save(_to_model(after), condition=condition)
            _count(tx, after.requester_id, -1)
    except TransactWriteError as exc:  # [task put, profile update]
        if refusals.condition_failed_at(exc, 0):
            raise Refused(NOT_OPEN) from exc
        raise
    _counted(before, after)
    return after


@retried()
def save_offer(task: Task, offer: Offer, replaces: Offer | None, max_offers: int) -> Offer:
    """Store a provider's offer on an open task: their first, or a new one in place of their withdrawn one."""
    moment = offer.created_at
    task_condition = _open_before(moment) & TaskModel.hidden.does_not_exist()
    actions: list[Action] = [TaskModel.offers_version.add(1), TaskModel.updated_at.set(offer.created_at)]
    if replaces is None:
        task_condition &= TaskModel.offer_count.does_not_exist() | (TaskModel.offer_count < max_offers)
        actions.append(TaskModel.offer_count.add(1))
        offer_condition = OfferModel.sk.does_not_exist()
    else:
        offer_condition = (OfferModel.offer_id == replaces.offer_id) & (OfferModel.status == replaces.status)
    try:
        with TransactWrite(connection=tables.bind()) as tx:
            tx.save(_offer_model(offer, task.requester_id), condition=offer_condition)
            tx.update(TaskModel(task.task_id, TASK_SK), actions=actions, condition=task_condition)
    except TransactWriteError as exc:  # [offer put, task update]
        if refusals.condition_failed_at(exc, 1):
            stored = get(task.task_id)
            if stored is None or not stored.is_open_at(parse_iso(moment)):
                raise Refused(NOT_OPEN) from exc
            raise Refused(TOO_MANY) from exc
        if refusals.condition_failed_at(exc, 0):
            raise Refused(OFFER_GONE) from exc
        raise
    return offer


@retried()
def withdraw(task: Task, offer: Offer, withdrawn: Offer) -> Offer:
    """Withdraw a pending offer while its task is open."""
    try:
        with TransactWrite(connection=tables.bind()) as tx:
            tx.update(
                OfferModel(task.task_id, offer_sk(offer.provider_id)),
                actions=[OfferModel.status.set(WITHDRAWN), OfferModel.updated_at.set(withdrawn.updated_at)],
                condition=(OfferModel.offer_id == offer.offer_id) & (OfferModel.status == PENDING),
            )
            tx.update(TaskModel(task.task_id, TASK_SK),
                      actions=[TaskModel.offers_version.add(1), TaskModel.updated_at.set(withdrawn.updated_at)],
                      condition=_open_before(withdrawn.updated_at))
    except TransactWriteError as exc:  # [offer update, task update]
        if refusals.condition_failed_at(exc, 0):
            raise Refused(OFFER_GONE) from exc
        if refusals.condition_failed_at(exc, 1):
            raise Refused(NOT_OPEN) from exc
        raise
    return withdrawn


@retried()
def assign(before: Task, after: Task, accepted: Offer, others: Iterable[Offer], order: Order) -> None:
    """Accept one offer: the task assigned, that offer accepted, the other pending ones declined and the order
    stored, in one transaction (module docstring). Refused(NOT_OPEN / OFFERS_CHANGED / OFFER_GONE) says why not."""
    moment = after.updated_at
    declined = [offer for offer in others if offer.status == PENDING]
    try:
        with TransactWrite(connection=tables.bind()) as tx:
            tx.save(_to_model(after), condition=_open_before(moment) & TaskModel.hidden.does_not_exist()
                    & (TaskModel.offers_version == before.offers_version))
            tx.save(order_store.to_model(order), condition=OrderModel.order_id.does_not_exist())
            tx.update(
                OfferModel(before.task_id, offer_sk(accepted.provider_id)),
                actions=[OfferModel.status.set(ACCEPTED), OfferModel.updated_at.set(moment)],
                condition=(OfferModel.offer_id == accepted.offer_id) & (OfferModel.status == PENDING),
            )
            for offer in declined:
                tx.update(OfferModel(before.task_id, offer_sk(offer.provider_id)),
                          actions=[OfferModel.status.set(DECLINED), OfferModel.updated_at.set(moment)])
            _count(tx, after.requester_id, -1)
    except TransactWriteError as exc:  # [task put, order put, accepted offer, declined offers..., profile]
        if refusals.condition_failed_at(exc, 0):
            stored = get(before.task_id)
            if stored is not None and stored.is_open_at(parse_iso(moment)):
                raise Refused(OFFERS_CHANGED) from exc
            raise Refused(NOT_OPEN) from exc
        if refusals.condition_failed_at(exc, 2):
            raise Refused(OFFER_GONE) from exc
        if refusals.any_condition_failed(exc):
            raise Conflict("the order could not be stored; try again") from exc
        raise
    _counted(before, after)


@retried()
def hide(task: Task, hidden: str | None) -> bool:
    """Hide a task from everyone but its requester (or show it again, `hidden` None): out of (or back into) the
    nearby indexes too. False if it changed meanwhile (read it again)."""
    after = replace(task, hidden=hidden)
    try:
        with TransactWrite(connection=tables.bind()) as tx:
            tx.save(_to_model(after),
                    condition=(TaskModel.status == task.status) & (TaskModel.offers_version == task.offers_version))
    except TransactWriteError as exc:
        if refusals.condition_failed_at(exc, 0):
            return False
        raise
    _counted(task, after)
    return True


_ROLE_INDEXES = {"requester": (TaskModel.by_requester, "requester_id"), "provider": (TaskModel.by_assignee, "assignee")}


def page_for(user_id: str, role: str, limit: int, start_key: Key | None) -> tuple[list[Task], Key | None]:
    """A page of the user's tasks in one role (posted by them, or assigned to them), newest first."""
    tables.bind()
    index, attribute = _ROLE_INDEXES[role]
    models, next_key = one_page(
        lambda count, start: index.query(
            user_id, scan_index_forward=False, limit=count, page_size=count, last_evaluated_key=start
        ),
        limit,
        start_key,
        lambda last: {"id": {"S": last.task_id}, "sk": {"S": TASK_SK}, attribute: {"S": getattr(last, attribute)},
                      "created_sk": {"S": last.created_sk}},
    )
    return [task_from_model(model) for model in models], next_key


def open_of(user_id: str, moment: datetime) -> list[Task]:
    """The user's open tasks (hidden ones included). Only tasks posted within the longest expiry can be open, so
    this reads those: at most the `task` rate limit's posts of MAX_EXPIRES_IN_S (a suspension's one-off read)."""
    tables.bind()
    since = iso(moment - timedelta(seconds=MAX_EXPIRES_IN_S))
    found = TaskModel.by_requester.query(user_id, TaskModel.created_sk >= since,
                                         filter_condition=TaskModel.status == OPEN)
    return [task_from_model(model) for model in found]


def due_for_expiry(shard: int, moment: str, limit: int) -> list[str]:
    """Ids of open tasks in one shard whose expiry time has passed (at most `limit`)."""
    tables.bind()
    return [
        model.task_id
        for model in TaskModel.open_expiring.query(
            shard_key(OPEN_SHARD, shard), TaskModel.expires_at <= moment, limit=limit, page_size=min(limit, 1000)
        )
    ]


