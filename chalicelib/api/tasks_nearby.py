"""The nearby open tasks route: a provider's map of posted needs."""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import NearbyPage, NearbyQuery, NearbyTaskOut
from chalicelib.domain.identity import Caller
from chalicelib.domain.nearest import Found
from chalicelib.domain.tasks import TaskPin
from chalicelib.services import tasks_nearby

tasks_nearby_bp = Blueprint(__name__)


@operation(
    tasks_nearby_bp, "GET", "/tasks/nearby", summary="Others' open tasks within a radius, nearest first",
    tag="tasks", query=NearbyQuery, response=NearbyPage, errors=(400, 422, 429), limit="nearby",
)
def nearby_tasks(caller: Caller, query: NearbyQuery) -> NearbyPage:
    page = tasks_nearby.nearby(caller, tasks_nearby.NearbyQuery(**query.model_dump()))
    return NearbyPage.of(page, task_out)


def task_out(found: Found[TaskPin]) -> NearbyTaskOut:
    pin = found.pin
    return NearbyTaskOut(
        task_id=pin.task_id, requester_id=pin.requester_id, title=pin.title, category=pin.category,
        budget_cents=pin.budget_cents, currency=pin.currency, lat=pin.lat, lon=pin.lon, expires_at=pin.expires_at,
        distance_m=found.distance_m,
    )
