"""Who may see where a listing's service or a task's job really is (its precise point; domain/listings.py,
domain/tasks.py).

A listing's: its provider always; an order's buyer once that order is funded (funded, or any status reached only
through funding): they have paid into escrow for a service at that place. A task's: its requester always; the
provider of the order born from it once that order is funded. Nobody else, operators included: an approximate
listing or task is shown to them at its cell's centre, and an exact one where it is anyway.
"""
from __future__ import annotations

from chalicelib.domain.listings import Listing
from chalicelib.domain.orders import DELIVERED, DISPUTED, FUNDED, REFUNDED, RELEASED, RESOLVED, Order
from chalicelib.domain.tasks import Task

FUNDED_OR_LATER = frozenset({FUNDED, DELIVERED, RELEASED, DISPUTED, RESOLVED, REFUNDED})


def sees_precise_point(listing: Listing, viewer_id: str) -> bool:
    return viewer_id == listing.provider_id


def sees_service_location(order: Order, viewer_id: str) -> bool:
    """Whoever travels to the service, once the order is funded: a listing order's buyer (to the provider's place),
    a task order's provider (to the requester's)."""
    traveller = order.provider_id if order.task_id is not None else order.buyer_id
    return viewer_id == traveller and order.status in FUNDED_OR_LATER


def sees_task_point(task: Task, viewer_id: str) -> bool:
    """A task's precise point: its requester's (others find it on the funded order, above)."""
    return viewer_id == task.requester_id
