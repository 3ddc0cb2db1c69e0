"""Use cases of posted needs: post, read, list, cancel, expire a task; offer on it, withdraw, and accept one offer,
which makes the order (store/tasks.py holds the transactions that keep the races right).

Cost ceilings: a post is 1 transaction of 2 items (+ the cell-count ADDs of the nearby index); an offer or a
withdrawal 2 consistent reads and 1 transaction of 2 items; an accept reads the task and at most
MAX_OFFERS_PER_TASK offers (one Query) and writes 1 transaction of at most MAX_OFFERS_PER_TASK + 3 items, tried at
most ATTEMPTS times; listing offers reads them and their providers' profiles (one BatchGetItem).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.domain import orders, regions, tasks
from chalicelib.domain.categories import check_category
from chalicelib.domain.clock import iso, now
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.ids import new_id
from chalicelib.domain.listings import EXACT
from chalicelib.domain.orders import Order
from chalicelib.domain.pages import Page
from chalicelib.domain.profiles import Profile
from chalicelib.domain.tasks import Offer, Task
from chalicelib.observability import logger
from chalicelib.services import sweeps
from chalicelib.services.paging import page_of
from chalicelib.services.profiles import ensure_profile
from chalicelib.settings import get_settings
from chalicelib.store import orders as order_store
from chalicelib.store import profiles as profile_store
from chalicelib.store import suspensions
from chalicelib.store import tasks as task_store
from chalicelib.store.tasks import Refused

ATTEMPTS = 3  # a cancel or an accept whose task changed meanwhile (an offer, a withdrawal) reads it again: in all


def post(caller: Caller, title: str, description: str, category: str, budget_cents: int, lat: float, lon: float,
         expires_in_s: int, location_precision: str = EXACT) -> Task:
    """Post a need at a point of an open region, in its currency; refused (409) beyond MAX_OPEN_TASKS open tasks."""
    check_category(category)
    settings = get_settings()
    region = regions.open_region_for(lat, lon, settings.open_regions)
    ensure_profile(caller)  # the count of open tasks is kept on the profile
    task = tasks.new_task(caller.user_id, title, description, category, budget_cents, region.currency, lat, lon,
                          expires_in_s, now(), location_precision)
    try:
        task_store.insert(task, settings.max_open_tasks)
    except Refused as exc:
        raise Conflict(f"you have {settings.max_open_tasks} open tasks, the most a requester may have "
                       "(MAX_OPEN_TASKS): cancel one, or wait until one is assigned or expires") from exc
    logger.info("task posted", task_id=task.task_id, category=category, budget_cents=budget_cents)
    return task


def get(caller: Caller, task_id: str) -> Task:
    return tasks.check_visible(task_store.get(task_id), caller.user_id, now())


def mine(caller: Caller, role: str, limit: int, cursor: str | None) -> Page[Task]:
    """The caller's tasks, newest first: those they posted, or those assigned to them."""
    moment = now()

    def read(start: Any) -> tuple[list[Task], Any]:
        found, position = task_store.page_for(caller.user_id, role, limit, start)
        shown = [task for task in found if task.is_visible_to(caller.user_id, moment)]  # (a takedown hides it)
        return [tasks.as_seen(task, moment) for task in shown], position

    return page_of(("tasks", caller.user_id, role), cursor, read)


def cancel(caller: Caller, task_id: str) -> Task:
    task = get(caller, task_id)
    tasks.check_requester(task, caller.user_id, "cancel")
    moment = now()
    tasks.check_open(task, moment, "cancelled")
    for _ in range(ATTEMPTS):
        try:
            return task_store.close(task, tasks.with_status(task, tasks.CANCELLED, moment), iso(moment))
        except Refused:
            task = get(caller, task_id)
            tasks.check_open(task, moment, "cancelled")  # else: offers moved its version; try again
    raise Conflict("offers on this task keep changing; try again")


def offer(caller: Caller, task_id: str, price_cents: int, message: str) -> Offer:
    """Offer a price on an open task (not one's own): one live offer per provider (again: 409)."""
    task = get(caller, task_id)
    moment = now()
    tasks.check_can_offer(task, caller.user_id, moment)
    previous = task_store.offer_of(task_id, caller.user_id)
    if previous is not None and previous.status != tasks.WITHDRAWN:
        raise Conflict(f"you already have an offer on this task ({previous.offer_id}, {previous.status}); "
                       "withdraw it to make another")
    ensure_profile(caller)  # the requester chooses by the offering provider's profile
    made = tasks.new_offer(task, caller.user_id, price_cents, message, moment)
    settings = get_settings()
    try:
        task_store.save_offer(task, made, previous, settings.max_offers_per_task)
    except Refused as exc:
        raise _offer_refusal(exc.reason, settings.max_offers_per_task) from exc
    logger.info("offer made", task_id=task_id, offer_id=made.offer_id, price_cents=price_cents)
    return made


def _offer_refusal(reason: str, max_offers: int) -> Conflict:
    if reason == task_store.TOO_MANY:
        return Conflict(f"this task has {max_offers} offers, the most it takes (MAX_OFFERS_PER_TASK)")
    if reason == task_store.OFFER_GONE:
        return Conflict("your offer on this task changed meanwhile; read it again")
    return Conflict("this task is no longer open")


def offers(caller: Caller, task_id: str) -> list[tuple[Offer, Profile | None]]:
    """The task's offers as the caller may see them (the requester all, a provider their own), each with its
    provider's profile (None for a user who never made one)."""
    task = get(caller, task_id)
    found = tasks.offers_seen_by(task, task_store.offers(task_id, get_settings().max_offers_per_task),
                                 caller.user_id)
    profiles = profile_store.get_many(offer.provider_id for offer in found)
    return [(one, profiles.get(one.provider_id)) for one in found]


def withdraw(caller: Caller, task_id: str, offer_id: str) -> Offer:
    """A provider withdraws their pending offer while the task is open."""
    task = get(caller, task_id)
    mine = task_store.offer_of(task_id, caller.user_id)
    if mine is None or mine.offer_id != offer_id:
        raise NotFound("offer not found")
    moment = now()
    if mine.status != tasks.PENDING:
        raise Conflict(f"this offer is {mine.status}: it can no longer be withdrawn")
    tasks.check_open(task, moment, "changed")
    withdrawn = replace(mine, status=tasks.WITHDRAWN, updated_at=iso(moment))
    try:
        return task_store.withdraw(task, mine, withdrawn)
    except Refused as exc:
        if exc.reason == task_store.OFFER_GONE:
            raise Conflict("this offer was accepted, declined or withdrawn meanwhile") from exc
        raise Conflict("this task is no longer open") from exc


def accept(caller: Caller, task_id: str, offer_id: str) -> Order:
    """The requester accepts one offer: the order is made `accepted` at the offer's price, the task assigned, the
    other offers declined, at once. Accepting the offer already accepted returns its order again (a retry)."""
    settings = get_settings()
    for _ in range(ATTEMPTS):
        task = get(caller, task_id)
        tasks.check_requester(task, caller.user_id, "accept offers on")
        already = _order_of_accepted(task, offer_id)
        if already is not None:
            return already
        moment = now()
        offers_now = task_store.offers(task_id, settings.max_offers_per_task)
        chosen = _acceptable(task, offers_now, offer_id, moment)
        order = orders.order_from_offer(
            order_id=new_id(), task_id=task.task_id, buyer_id=task.requester_id, provider_id=chosen.provider_id,
            price_cents=chosen.price_cents, currency=chosen.currency, note=task.title, fee_bps=settings.fee_bps,
            now=moment,
        )
        others = [one for one in offers_now if one.offer_id != offer_id]
        try:
            task_store.assign(task, tasks.assigned(task, chosen, order.order_id, moment), chosen, others, order)
        except Refused as exc:
            if exc.reason == task_store.OFFER_GONE:
                raise Conflict("this offer was withdrawn meanwhile") from exc
            continue  # offers moved, or no longer open: the next read says why (a retry's own accept, or 409)
        logger.info("offer accepted", task_id=task_id, offer_id=offer_id, order_id=order.order_id,
                    declined=sum(one.status == tasks.PENDING for one in others))
        return order
    raise Conflict("offers on this task keep changing; try again")


def _order_of_accepted(task: Task, offer_id: str) -> Order | None:
    """The order of the offer if this very offer was accepted already (a retried accept)."""
    if task.status == tasks.ASSIGNED and task.offer_id == offer_id and task.order_id is not None:
        return order_store.get(task.order_id)
    return None


def _acceptable(task: Task, offers_now: list[Offer], offer_id: str, moment: datetime) -> Offer:
    """The offer to accept, if it may be: the task open and not taken down, the offer pending, its provider not
    suspended (404 for an offer the task does not have, 409 otherwise)."""
    tasks.check_open(task, moment, "assigned")
    if task.hidden is not None:
        raise Conflict("an operator took this task down: it can no longer be assigned")
    chosen = next((one for one in offers_now if one.offer_id == offer_id), None)
    if chosen is None:
        raise NotFound("offer not found")
    if chosen.status != tasks.PENDING:
        raise Conflict(f"this offer is {chosen.status}: only a pending offer can be accepted")
    if suspensions.get(chosen.provider_id) is not None:
        raise Conflict("this offer's provider is suspended: choose another offer")
    return chosen


def expire_overdue_tasks(moment: datetime | None = None) -> int:
    """Write `expired` on every open task past its expiry (run on a schedule); returns how many."""
    at = moment or now()
    return sweeps.sweep(task_store.EXPIRY_SHARDS, lambda shard, limit: task_store.due_for_expiry(shard, iso(at), limit),
                        lambda task_id: _lapse(task_id, at))


def _lapse(task_id: str, moment: datetime) -> bool:
    task = task_store.get(task_id)
    if task is None or task.status != tasks.OPEN or task.status_at(moment) != tasks.EXPIRED:
        return False
    try:
        task_store.close(task, tasks.with_status(task, tasks.EXPIRED, moment), None)
        return True
    except Refused:
        return False  # assigned or cancelled first, or an offer moved it: the next sweep looks again
