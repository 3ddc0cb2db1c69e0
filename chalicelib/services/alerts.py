"""Use cases for alert areas: a provider sets, reads or clears theirs; a new task finds whom to tell (task.nearby).

The stream handler of new tasks calls `nearby_notices(task, source)`: it finds the areas over the task's point by
key (store/alerts.areas_over: 4 Queries), keeps those whose exact circle holds the point and whose categories
include the task's, nearest centre first, at most TASK_ALERT_FANOUT of them, and skips a provider who already had
TASK_ALERTS_PER_HOUR task.nearby events this hour (one counter update each).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from chalicelib.domain import alerts, clock, events, regions
from chalicelib.domain.alerts import AlertArea
from chalicelib.domain.errors import NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.tasks import Task
from chalicelib.services import rate_limits
from chalicelib.settings import get_settings
from chalicelib.store import alerts as alert_store

ALERT_SLOT = "task_alert"  # the rate-limit counter of task.nearby events a provider received
ALERT_WINDOW_S = 3600


def set_area(caller: Caller, lat: float, lon: float, radius_m: int, categories: list[str]) -> AlertArea:
    """Replace the caller's alert area (422 RegionNotOpen when its centre is outside every open region)."""
    area = alerts.new_area(caller.user_id, lat, lon, radius_m, categories, clock.now_iso())
    regions.open_region_for(area.lat, area.lon, get_settings().open_regions)
    return alert_store.put(area)


def get(caller: Caller) -> AlertArea:
    area = alert_store.get(caller.user_id)
    if area is None:
        raise NotFound("you have no alert area")
    return area


def clear(caller: Caller) -> None:
    """Remove the caller's alert area; having none is fine (idempotent)."""
    alert_store.delete(caller.user_id)


def recipients(task: Task) -> list[tuple[str, int]]:
    """(provider_id, metres from their area's centre to the task) of every provider whose area holds the task's
    point and includes its category, its requester excluded: nearest first, at most TASK_ALERT_FANOUT (beyond
    that the farthest are not told). A hidden or no longer open task tells nobody."""
    if not task.is_listed:
        return []
    found = [
        (area.user_id, alerts.distance_m(area, task.lat, task.lon))
        for area in alert_store.areas_over(task.lat, task.lon)
        if area.user_id != task.requester_id and alerts.matches(area, task.lat, task.lon, task.category)
    ]
    found.sort(key=lambda match: (match[1], match[0]))
    return [(provider_id, round(distance)) for provider_id, distance in found[: get_settings().task_alert_fanout]]


def take_alert_slot(provider_id: str, now: datetime) -> bool:
    """Count one task.nearby for the provider this hour; False (tell them nothing) once they had
    TASK_ALERTS_PER_HOUR. A retried stream batch may count a task twice: the provider then hears of fewer."""
    return rate_limits.take(provider_id, ALERT_SLOT, get_settings().task_alerts_per_hour, ALERT_WINDOW_S, now)


def nearby_notices(task: Task, source: str) -> list[events.Notice]:
    """The task.nearby notices of a new task: one per recipient with an alert slot left this hour.
    Cost: 4 Queries (store/alerts.areas_over) and one counter update per recipient (<= TASK_ALERT_FANOUT),
    STREAM_WORKERS at a time (a task at a city centre may have hundreds of recipients)."""
    now = clock.now()
    found = recipients(task)
    with ThreadPoolExecutor(max_workers=get_settings().stream_workers, thread_name_prefix="alert-slots") as pool:
        slots = list(pool.map(lambda match: take_alert_slot(match[0], now), found))
    return [events.task_nearby(task, provider_id, distance_m, source)
            for (provider_id, distance_m), slot in zip(found, slots, strict=True) if slot]
