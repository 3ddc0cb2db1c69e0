"""Posted-need routes: post a task, read and list tasks, cancel; offers on a task, withdraw one, accept one.

GET /tasks/nearby (providers' map of open tasks) is in api/tasks_nearby.py; alert areas in api/alerts.py.
"""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.orders import order_for
from chalicelib.api.routing import operation
from chalicelib.api.schemas import (
    OfferCreate,
    OfferOut,
    OfferPage,
    OfferProviderOut,
    OrderOut,
    PointOut,
    TaskCreate,
    TaskOut,
    TaskPage,
    TasksQuery,
    shown_as,
)
from chalicelib.domain.identity import Caller
from chalicelib.domain.privacy import sees_task_point
from chalicelib.domain.profiles import Profile
from chalicelib.domain.tasks import Offer, Task
from chalicelib.services import tasks as task_service

tasks_bp = Blueprint(__name__)


def task_out(task: Task, caller: Caller) -> TaskOut:
    """The task as the caller sees it: its precise point (`service_location`) only if it is theirs."""
    shown = shown_as(TaskOut, task)
    shown.provider_id = task.provider_id
    if sees_task_point(task, caller.user_id):
        lat, lon = task.precise_point
        shown.service_location = PointOut(lat=lat, lon=lon)
    return shown


def offer_out(offer: Offer, provider: Profile | None = None) -> OfferOut:
    shown = shown_as(OfferOut, offer)
    if provider is not None:
        shown.provider = shown_as(OfferProviderOut, provider)
    return shown


@operation(
    tasks_bp, "POST", "/tasks", summary="Post a need for nearby providers to claim", tag="tasks",
    body=TaskCreate, response=TaskOut, status=201, errors=(400, 409, 422), limit="task",
)
def post_task(caller: Caller, body: TaskCreate) -> TaskOut:
    return task_out(task_service.post(caller, **body.model_dump()), caller)


@operation(
    tasks_bp, "GET", "/tasks", summary="My tasks: posted by me, or assigned to me (newest first)", tag="tasks",
    query=TasksQuery, response=TaskPage, errors=(400,),
)
def my_tasks(caller: Caller, query: TasksQuery) -> TaskPage:
    page = task_service.mine(caller, query.role, query.limit, query.cursor)
    return TaskPage(items=[task_out(task, caller) for task in page.items], next_cursor=page.next_cursor)


@operation(
    tasks_bp, "GET", "/tasks/{task_id}", summary="A task: its requester's, anyone's while open, its provider's",
    tag="tasks", response=TaskOut, errors=(404,),
)
def get_task(caller: Caller, task_id: str) -> TaskOut:
    return task_out(task_service.get(caller, task_id), caller)


@operation(
    tasks_bp, "POST", "/tasks/{task_id}/cancel", summary="Cancel my open task", tag="tasks",
    response=TaskOut, errors=(403, 404, 409), limit="task",
)
def cancel_task(caller: Caller, task_id: str) -> TaskOut:
    return task_out(task_service.cancel(caller, task_id), caller)


@operation(
    tasks_bp, "POST", "/tasks/{task_id}/offers", summary="Offer a price on an open task (one live offer each)",
    tag="tasks", body=OfferCreate, response=OfferOut, status=201, errors=(400, 404, 409), limit="offer",
)
def make_offer(caller: Caller, task_id: str, body: OfferCreate) -> OfferOut:
    return offer_out(task_service.offer(caller, task_id, body.price_cents, body.message))


@operation(
    tasks_bp, "GET", "/tasks/{task_id}/offers",
    summary="A task's offers with their providers' profiles: all for its requester, a provider's own otherwise",
    tag="tasks", response=OfferPage, errors=(404,),
)
def list_offers(caller: Caller, task_id: str) -> OfferPage:
    return OfferPage(items=[offer_out(offer, provider) for offer, provider in task_service.offers(caller, task_id)],
                     next_cursor=None)


@operation(
    tasks_bp, "POST", "/tasks/{task_id}/offers/{offer_id}/withdraw", summary="Withdraw my pending offer",
    tag="tasks", response=OfferOut, errors=(404, 409), limit="offer",
)
def withdraw_offer(caller: Caller, task_id: str, offer_id: str) -> OfferOut:
    return offer_out(task_service.withdraw(caller, task_id, offer_id))


@operation(
    tasks_bp, "POST", "/tasks/{task_id}/offers/{offer_id}/accept",
    summary="Accept an offer on my task: the order is made, accepted, at its price; the other offers declined",
    tag="tasks", response=OrderOut, errors=(403, 404, 409), limit="task",
)
def accept_offer(caller: Caller, task_id: str, offer_id: str) -> OrderOut:
    return order_for(caller, task_service.accept(caller, task_id, offer_id))
