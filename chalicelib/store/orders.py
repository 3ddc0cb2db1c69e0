"""Orders in DynamoDB: create once, change status only from the status the change was decided on."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import Conflict
from chalicelib.domain.listings import ACTIVE
from chalicelib.domain.orders import HOLDING, REQUESTED, WATCHED, Order, TimelineEntry
from chalicelib.store import items, refusals, tables
from chalicelib.store.key_layouts import expiry_key, shard_of, status_key, watch_key
from chalicelib.store.models import ListingModel, OrderModel, TimelineEntryAttribute
from chalicelib.store.pages import Key, one_page

# Requests awaiting an answer are spread over this many index partitions, so the expiry sweep never
# meets a hot key however many orders are placed per second (each shard is one Query per sweep).
EXPIRY_SHARDS = 16


class StatusChanged(Exception):
    """The order was not in the expected status any more (another request changed it first)."""


def expiry_shard(order_id: str) -> str:
    return expiry_key(shard_of(order_id, EXPIRY_SHARDS))


def to_model(order: Order) -> OrderModel:
    model = items.to_item(
        order, OrderModel, leave_out=("pay_attempt", "redrive"),
        timeline=_timeline(order.timeline),
        buyer_status=status_key(order.buyer_id, order.status),
        provider_status=status_key(order.provider_id, order.status),
    )
    if order.status == REQUESTED:
        model.expiry_shard = expiry_shard(order.order_id)
    if order.status in WATCHED:
        model.watch, model.watch_since = watch_key(order.status), order.updated_at
    return model


def _timeline(entries: Iterable[TimelineEntry]) -> list[TimelineEntryAttribute]:
    return [TimelineEntryAttribute(status=entry.status, at=entry.at) for entry in entries]


def from_model(model: OrderModel) -> Order:
    return items.to_domain(
        model, Order, price_cents=int(model.price_cents), fee_cents=int(model.fee_cents), note=model.note or "",
        updated_at=_time(model.updated_at),
        timeline=tuple(TimelineEntry(status=e.status, at=_time(e.at)) for e in model.timeline or []),
        pay_attempt=int(model.pay_attempt or 0), redrive=int(model.redrive or 0),
        escalated_at=_time(model.escalated_at) if model.escalated_at else None,
    )


def _time(text: str) -> str:
    """Times the escrow workflow wrote ($$.State.EnteredTime) in the API's one format."""
    return iso(parse_iso(text))


def get(order_id: str) -> Order | None:
    model = items.read(OrderModel, order_id)
    return from_model(model) if model is not None else None


def insert(order: Order) -> Order:
    """Store a new order on condition that its listing is still active; returns the stored order.

    An order with the same id already stored is returned as it is: the id comes from the request's
    idempotency reservation, so that is a retry finding its own order. A listing paused or deleted since
    it was read refuses the order (409), in the same transaction.
    """
    connection = tables.bind()
    try:
        with TransactWrite(connection=connection) as tx:
            tx.condition_check(
                ListingModel, order.listing_id,
                condition=(ListingModel.status == ACTIVE) & ListingModel.hidden.does_not_exist(),
            )
            tx.save(to_model(order), condition=OrderModel.order_id.does_not_exist())
    except TransactWriteError as exc:
        # PynamoDB sends condition checks first, then puts: [listing check, order put].
        if refusals.condition_failed_at(exc, 1):
            stored = get(order.order_id)
            if stored is not None:
                return stored
        if refusals.condition_failed_at(exc, 0):
            raise Conflict("the listing was paused or deleted meanwhile: it takes no orders") from exc
        raise
    return order


def conditional_update(order_id: str, actions: list[Any], condition: Any) -> bool:
    """Apply `actions` if `condition` holds; False if it does not."""
    return items.update_if(OrderModel, order_id, actions, condition)


def change_status(before: Order, after: Order, unexpired_at: str | None = None) -> Order:
    """Write `after`'s status, only if the stored order is still in `before`'s status.

    `unexpired_at`: also require the request's expiry time to lie after this moment, so nothing acts on
    a request in the instant it lapses. Raises StatusChanged when the condition fails.
    """
    tables.bind()
    added = after.timeline[len(before.timeline):]
    actions: list[Any] = [
        OrderModel.status.set(after.status),
        OrderModel.updated_at.set(after.updated_at),
        OrderModel.buyer_status.set(status_key(after.buyer_id, after.status)),
        OrderModel.provider_status.set(status_key(after.provider_id, after.status)),
        OrderModel.timeline.set(OrderModel.timeline.append(_timeline(added))),
    ]
    if after.failure_reason != before.failure_reason:
        reason = OrderModel.failure_reason
        actions.append(reason.set(after.failure_reason) if after.failure_reason else reason.remove())
    if after.pay_attempt != before.pay_attempt:
        actions.append(OrderModel.pay_attempt.set(after.pay_attempt))
    if after.redrive != before.redrive:
        actions.append(OrderModel.redrive.set(after.redrive))
    if after.status in WATCHED:
        actions += [OrderModel.watch.set(watch_key(after.status)), OrderModel.watch_since.set(after.updated_at)]
    elif before.status in WATCHED:
        actions += [OrderModel.watch.remove(), OrderModel.watch_since.remove()]
    if before.status == REQUESTED and after.status != REQUESTED:
        actions.append(OrderModel.expiry_shard.remove())
    condition = OrderModel.status == before.status
    if unexpired_at is not None:
        condition &= OrderModel.expires_at > unexpired_at
    if not conditional_update(before.order_id, actions, condition):
        raise StatusChanged(before.order_id)
    return after


_ROLE_INDEXES: dict[tuple[str, bool], tuple[Any, str]] = {  # (role, by status?) -> (index, its partition attribute)
    ("buyer", False): (OrderModel.by_buyer, "buyer_id"),
    ("provider", False): (OrderModel.by_provider, "provider_id"),
    ("buyer", True): (OrderModel.by_buyer_status, "buyer_status"),
    ("provider", True): (OrderModel.by_provider_status, "provider_status"),
}


def page_for(
    user_id: str, role: str, status: str | None, limit: int, start_key: Key | None
) -> tuple[list[Order], Key | None]:
    """A page of the user's orders in one role (and status), newest first."""
    tables.bind()
    index, attribute = _ROLE_INDEXES[(role, status is not None)]
    partition = status_key(user_id, status) if status else user_id
    models, next_key = one_page(
        lambda count, start: index.query(
            partition, scan_index_forward=False, limit=count, page_size=count, last_evaluated_key=start
        ),
        limit,
        start_key,
        lambda last: {"order_id": {"S": last.order_id}, attribute: {"S": getattr(last, attribute)}},
    )
    return [from_model(model) for model in models], next_key


def due_for_expiry(shard: int, now: str, limit: int) -> list[str]:
    """Ids of requests in one shard whose expiry time has passed (at most `limit`)."""
    tables.bind()
    return [
        model.order_id
        for model in OrderModel.expiring.query(
            expiry_key(shard), OrderModel.expires_at <= now, limit=limit, page_size=min(limit, 1000)
        )
    ]


def _position(order: Order, role: str, status: str | None) -> Key:
    _, attribute = _ROLE_INDEXES[(role, status is not None)]
    value = status_key(getattr(order, f"{role}_id"), status) if status else getattr(order, f"{role}_id")
    return {"order_id": {"S": order.order_id}, attribute: {"S": value}}


def page_for_any_role(
    user_id: str, status: str | None, limit: int, start: dict[str, Any] | None
) -> tuple[list[Order], dict[str, Any] | None]:
    """A page of the user's orders as buyer or provider, newest first: both indexes read and merged.

    The position is one start key per role (None: not started; "end": exhausted). Ids are ULIDs, so
    newest first is descending id order in both; a user is never both sides of one order.
    """
    start = start or {}
    pages: dict[str, list[Order]] = {}
    after_page: dict[str, Any] = {}
    for role in ("buyer", "provider"):
        position = start.get(role)
        if position == "end":
            pages[role], after_page[role] = [], "end"
            continue
        pages[role], next_key = page_for(user_id, role, status, limit, position)
        after_page[role] = next_key or "end"
    merged = sorted(
        [(order, role) for role, orders in pages.items() for order in orders],
        key=lambda pair: pair[0].order_id,
        reverse=True,
    )
    taken = merged[:limit]
    if len(merged) <= limit and all(after_page[role] == "end" for role in after_page):
        return [order for order, _ in taken], None
    resume_at: dict[str, Any] = {}
    for role in ("buyer", "provider"):
        used = [order for order, r in taken if r == role]
        if len(used) == len(pages[role]):
            resume_at[role] = after_page[role]
        else:
            resume_at[role] = _position(used[-1], role, status) if used else start.get(role)
    return [order for order, _ in taken], resume_at


def watched(status: str, limit: int, start_key: Key | None = None,
            entered_before: str | None = None) -> tuple[list[Order], Key | None]:
    """A page of the orders in a watched status, oldest in it first (the escrow_watch index);
    `entered_before`: only those that entered it before that time."""
    tables.bind()
    condition = OrderModel.watch_since < entered_before if entered_before is not None else None
    models, next_key = one_page(
        lambda count, start: OrderModel.escrow_watch.query(
            watch_key(status), condition, limit=count, page_size=count, last_evaluated_key=start
        ),
        limit,
        start_key,
        lambda last: {"order_id": {"S": last.order_id}, "watch": {"S": last.watch or ""},
                      "watch_since": {"S": last.watch_since or ""}},
    )
    return [from_model(model) for model in models], next_key


def note_redrive(before: Order, after: Order) -> bool:
    """Count a re-drive of the order's escrow, only if its status and re-drive count are still `before`'s;
    False if another re-drive or a status change came first."""
    return conditional_update(
        before.order_id, [OrderModel.redrive.set(after.redrive)],
        (OrderModel.status == before.status)
        & (OrderModel.redrive.does_not_exist() | (OrderModel.redrive == before.redrive)),
    )


def holding() -> list[Order]:
    """Every order whose payment should sit in escrow (a Scan: for reconciliation, not for requests)."""
    tables.bind()
    return [from_model(model) for model in OrderModel.scan(OrderModel.status.is_in(*HOLDING), consistent_read=True)]
