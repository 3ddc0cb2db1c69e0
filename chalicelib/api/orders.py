"""Order routes: request a service, answer a request, pay into escrow, deliver, confirm, dispute, cancel.

Actions the escrow workflow carries out answer 200 with the order once it has, or 202 with the order
as it stands if the workflow is still at it (read the order again shortly).
"""
from __future__ import annotations

from functools import partial

from chalice.app import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import OrderCreate, OrderOut, OrderPage, OrdersQuery, PointOut, shown_as
from chalicelib.domain.identity import Caller
from chalicelib.domain.orders import Order
from chalicelib.services import escrow as escrow_service
from chalicelib.services import orders as order_service

orders_bp = Blueprint(__name__)


order_out = partial(shown_as, OrderOut)  # with no service_location: for callers who never see it (operators)


def orders_for(caller: Caller, seen: list[Order]) -> list[OrderOut]:
    """The orders as the caller sees them: with `service_location` where the caller is a funded order's buyer."""
    located = order_service.service_locations(caller, seen)
    shown = [order_out(order) for order in seen]
    for out in shown:
        if out.order_id in located:
            lat, lon = located[out.order_id]
            out.service_location = PointOut(lat=lat, lon=lon)
    return shown


def order_for(caller: Caller, order: Order) -> OrderOut:
    return orders_for(caller, [order])[0]


@operation(
    orders_bp, "POST", "/orders", summary="Request a listing's service (as its buyer)", tag="orders",
    body=OrderCreate, response=OrderOut, status=201, errors=(404, 409), idempotent=True, limit="order",
)
def create_order(caller: Caller, body: OrderCreate, operation_id: str) -> OrderOut:
    return order_for(caller, order_service.place(caller, operation_id, body.listing_id, body.price_cents, body.note))


@operation(
    orders_bp, "GET", "/orders", summary="My orders, newest first, by role and status", tag="orders",
    query=OrdersQuery, response=OrderPage,
)
def list_orders(caller: Caller, query: OrdersQuery) -> OrderPage:
    page = order_service.mine(caller, query.role, query.status, query.limit, query.cursor)
    return OrderPage(items=orders_for(caller, page.items), next_cursor=page.next_cursor)


@operation(
    orders_bp, "GET", "/orders/{order_id}", summary="An order (its buyer, its provider, operators)",
    tag="orders", response=OrderOut, errors=(404,),
)
def get_order(caller: Caller, order_id: str) -> OrderOut:
    return order_for(caller, order_service.get(caller, order_id))


@operation(
    orders_bp, "POST", "/orders/{order_id}/accept", summary="Accept a request at its price (provider)",
    tag="orders", response=OrderOut, errors=(403, 404, 409), limit="order_action",
)
def accept_order(caller: Caller, order_id: str) -> OrderOut:
    return order_for(caller, order_service.act(caller, order_id, "accept"))


@operation(
    orders_bp, "POST", "/orders/{order_id}/decline", summary="Decline a request (provider)",
    tag="orders", response=OrderOut, errors=(403, 404, 409), limit="order_action",
)
def decline_order(caller: Caller, order_id: str) -> OrderOut:
    return order_for(caller, order_service.act(caller, order_id, "decline"))


def settled_out(caller: Caller, result: tuple[Order, bool]) -> tuple[OrderOut, int]:
    order, settled = result
    return order_for(caller, order), 200 if settled else 202


@operation(
    orders_bp, "POST", "/orders/{order_id}/cancel",
    summary="Cancel (buyer): before funding nothing is paid; once funded the escrow refunds (a disputed order:"
    " only one the provider disputed while funded, after PROVIDER_DISPUTE_GRACE_S)",
    tag="orders", response=OrderOut, other_status=202, errors=(403, 404, 409, 429), limit="order_action",
)
def cancel_order(caller: Caller, order_id: str) -> tuple[OrderOut, int]:
    return settled_out(caller, escrow_service.cancel(caller, order_id))


@operation(
    orders_bp, "POST", "/orders/{order_id}/pay",
    summary="Pay (buyer): the escrow holds the price from your wallet → funded, or payment_failed",
    tag="orders", response=OrderOut, status=202, errors=(403, 404, 409, 429), idempotent=True, limit="order_action",
)
def pay_order(caller: Caller, order_id: str, operation_id: str) -> tuple[OrderOut, int]:
    order, _ = escrow_service.pay(caller, order_id)
    return order_for(caller, order), 202


@operation(
    orders_bp, "POST", "/orders/{order_id}/deliver", summary="Say the job is done (provider)",
    tag="orders", response=OrderOut, other_status=202, errors=(403, 404, 409, 429), limit="order_action",
)
def deliver_order(caller: Caller, order_id: str) -> tuple[OrderOut, int]:
    return settled_out(caller, escrow_service.decide(caller, order_id, "deliver"))


@operation(
    orders_bp, "POST", "/orders/{order_id}/confirm", summary="Confirm the job: escrow pays the provider (buyer)",
    tag="orders", response=OrderOut, other_status=202, errors=(403, 404, 409, 429), limit="order_action",
)
def confirm_order(caller: Caller, order_id: str) -> tuple[OrderOut, int]:
    return settled_out(caller, escrow_service.decide(caller, order_id, "confirm"))


@operation(
    orders_bp, "POST", "/orders/{order_id}/dispute", summary="Dispute: the money stays held (buyer or provider)",
    tag="orders", response=OrderOut, other_status=202, errors=(403, 404, 409, 429), limit="order_action",
)
def dispute_order(caller: Caller, order_id: str) -> tuple[OrderOut, int]:
    return settled_out(caller, escrow_service.dispute(caller, order_id))
