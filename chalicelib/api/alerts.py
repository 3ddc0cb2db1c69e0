"""Alert areas: where, and in which categories, a provider wants to hear of new tasks (task.nearby events)."""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import AlertIn, AlertOut, shown_as
from chalicelib.domain.identity import Caller
from chalicelib.services import alerts

alerts_bp = Blueprint(__name__)


@operation(
    alerts_bp, "PUT", "/me/alerts", summary="Set my alert area (replaces the one I had)", tag="tasks",
    body=AlertIn, response=AlertOut, errors=(400, 409, 422), limit="alert",
)
def put_alerts(caller: Caller, body: AlertIn) -> AlertOut:
    """Cost: 1 read and one transaction of at most 65 items (store/alerts.py)."""
    return shown_as(AlertOut, alerts.set_area(caller, body.lat, body.lon, body.radius_m, body.categories))


@operation(
    alerts_bp, "GET", "/me/alerts", summary="My alert area", tag="tasks", response=AlertOut, errors=(404,),
)
def get_alerts(caller: Caller) -> AlertOut:
    return shown_as(AlertOut, alerts.get(caller))


@operation(
    alerts_bp, "DELETE", "/me/alerts", summary="Clear my alert area (none set: done too)", tag="tasks",
    status=204, errors=(409,), limit="alert",
)
def delete_alerts(caller: Caller) -> None:
    """Cost: 1 read and one transaction of at most 33 deletes (store/alerts.py)."""
    alerts.clear(caller)
