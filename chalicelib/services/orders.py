"""Use cases for orders up to "accepted": request, answer (accept/decline), cancel, read, list, expire."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain import orders, privacy
from chalicelib.domain.clock import iso, now
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.identity import Caller
from chalicelib.domain.orders import Order
from chalicelib.domain.pages import Page
from chalicelib.observability import logger
from chalicelib.services import sweeps
from chalicelib.services.paging import page_of
from chalicelib.settings import get_settings
from chalicelib.store import listings as listing_store
from chalicelib.store import orders as order_store
from chalicelib.store import tasks as task_store


def place(caller: Caller, order_id: str, listing_id: str, price_cents: int | None, note: str) -> Order:
    """Request a listing's service as its buyer.

    The price is the one the buyer names, else the listing's: a chat offer never sets it (the buyer accepts an
    offer by naming its price, and the provider agrees to the order's price by accepting it). `order_id` comes
    from the request's idempotency reservation: a retry of a request that already stored its order gets that
    order back.
    """
    already = order_store.get(order_id)
    if already is not None and already.buyer_id == caller.user_id:
        return already
    listing = listing_store.get(listing_id)
    if listing is None:
        raise NotFound("listing not found")
    orders.check_orderable(listing, caller.user_id)
    # (The order is written on condition that the listing is still active: see order_store.insert.)
    if price_cents is None:
        price_cents = listing.price_cents
    settings = get_settings()
    order = orders.new_order(
        order_id=order_id,
        listing_id=listing.listing_id,
        buyer_id=caller.user_id,
        provider_id=listing.provider_id,
        price_cents=price_cents,
        currency=listing.currency,
        note=note,
        fee_bps=settings.fee_bps,
        expiry_s=settings.request_expiry_s,
        now=now(),
    )
    stored = order_store.insert(order)
    logger.info("order requested", order_id=stored.order_id, listing_id=stored.listing_id,
                price_cents=stored.price_cents)
    return stored


def service_locations(caller: Caller, seen: list[Order]) -> dict[str, tuple[float, float]]:
    """Where each order's service is, for the orders whose precise location the caller may see (domain/privacy.py:
    who travels there, once funded), by order id. One read of the listings and one of the tasks, for those only."""
    shown = [order for order in seen if privacy.sees_service_location(order, caller.user_id)]
    if not shown:
        return {}
    listings = listing_store.get_many(order.listing_id for order in shown if order.listing_id is not None)
    tasks = task_store.get_many(order.task_id for order in shown if order.task_id is not None)
    points = {**{key: listing.precise_point for key, listing in listings.items()},
              **{key: task.precise_point for key, task in tasks.items()}}
    return {order.order_id: points[place] for order in shown
            if (place := order.task_id or order.listing_id) is not None and place in points}


def get(caller: Caller, order_id: str) -> Order:
    """An order its participants and operators may see."""
    return orders.as_seen(orders.check_visible(order_store.get(order_id), caller), now())


def act(caller: Caller, order_id: str, action: str) -> Order:
    """Take `action` (accept, decline, cancel) as the caller; conditional on the status it was decided on."""
    order = orders.check_visible(order_store.get(order_id), caller)
    moment = now()
    try:
        transition = orders.check_action(order, action, caller, moment)
    except Conflict:
        if orders.is_overdue(order, moment):
            _lapse(order)
        raise
    unexpired_at = iso(moment) if order.status == orders.REQUESTED else None
    try:
        changed = order_store.change_status(order, orders.after(order, transition.target, moment), unexpired_at)
    except order_store.StatusChanged as exc:
        current = order_store.get(order_id)
        status = orders.as_seen(current, now()).status if current else "gone"
        raise Conflict(
            f"the order changed meanwhile and is now {status}; it cannot be {orders.past_tense(action)}"
        ) from exc
    logger.info("order status changed", order_id=order_id, action=action, from_status=order.status,
                to_status=changed.status)
    return changed


def mine(caller: Caller, role: str | None, status: str | None, limit: int, cursor: str | None) -> Page[Order]:
    """A page of the caller's orders, newest first: as buyer, as provider, or both (role None)."""

    def read(start: Any) -> tuple[list[Order], Any]:
        if role is None:
            items, position = order_store.page_for_any_role(caller.user_id, status, limit, start)
        else:
            items, position = order_store.page_for(caller.user_id, role, status, limit, start)
        moment = now()
        seen = [orders.as_seen(order, moment) for order in items]
        # A request past its expiry is expired to clients at once, but sits under "requested" in the index
        # until the sweep (at most a minute) writes it: it is left out of ?status=requested meanwhile.
        return [order for order in seen if status is None or order.status == status], position or None

    return page_of(("orders", caller.user_id, role or "any", status or ""), cursor, read)


def _lapse(order: Order) -> bool:
    """Write an overdue request's expiry; False if something else changed it first."""
    if order.status not in orders.TRANSITIONS["expire"].sources:
        return False
    try:
        order_store.change_status(order, orders.lapsed(order))
        return True
    except order_store.StatusChanged:
        return False


def expire_overdue_requests(moment: datetime | None = None) -> int:
    """Expire every request whose expiry time has passed (run on a schedule); returns how many."""
    at = moment or now()

    def lapse(order_id: str) -> bool:
        order = order_store.get(order_id)
        return order is not None and orders.is_overdue(order, at) and _lapse(order)

    return sweeps.sweep(order_store.EXPIRY_SHARDS,
                        lambda shard, limit: order_store.due_for_expiry(shard, iso(at), limit), lapse)
