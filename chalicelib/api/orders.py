"""Order routes up to "accepted": request a service, answer a request, cancel, read and list orders."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.routing import operation
from chalicelib.api.schemas import OrderCreate, OrderOut, OrderPage, OrdersQuery
from chalicelib.domain.identity import Caller
from chalicelib.domain.orders import Order
from chalicelib.services import orders as order_service

orders_bp = Blueprint(__name__)


def order_out(order: Order) -> OrderOut:
    return OrderOut.model_validate(order, from_attributes=True)


@operation(
    orders_bp, "POST", "/orders", summary="Request a listing's service (as its buyer)", tag="orders",
    body=OrderCreate, response=OrderOut, status=201, errors=(404, 409), idempotent=True,
)
def create_order(caller: Caller, body: OrderCreate, operation_id: str) -> OrderOut:
    return order_out(order_service.place(caller, operation_id, body.listing_id, body.price_cents, body.note))


@operation(
    orders_bp, "GET", "/orders", summary="My orders, newest first, by role and status", tag="orders",
    query=OrdersQuery, response=OrderPage,
)
def list_orders(caller: Caller, query: OrdersQuery) -> OrderPage:
    page = order_service.mine(caller, query.role, query.status, query.limit, query.cursor)
    return OrderPage(items=[order_out(o) for o in page.items], next_cursor=page.next_cursor)


@operation(
    orders_bp, "GET", "/orders/{order_id}", summary="An order (its buyer, its provider, operators)",
    tag="orders", response=OrderOut, errors=(404,),
)
def get_order(caller: Caller, order_id: str) -> OrderOut:
    return order_out(order_service.get(caller, order_id))


@operation(
    orders_bp, "POST", "/orders/{order_id}/accept", summary="Accept a request at its price (provider)",
    tag="orders", response=OrderOut, errors=(403, 404, 409),
)
def accept_order(caller: Caller, order_id: str) -> OrderOut:
    return order_out(order_service.act(caller, order_id, "accept"))


@operation(
    orders_bp, "POST", "/orders/{order_id}/decline", summary="Decline a request (provider)",
    tag="orders", response=OrderOut, errors=(403, 404, 409),
)
def decline_order(caller: Caller, order_id: str) -> OrderOut:
    return order_out(order_service.act(caller, order_id, "decline"))


@operation(
    orders_bp, "POST", "/orders/{order_id}/cancel", summary="Cancel an order before paying (buyer)",
    tag="orders", response=OrderOut, errors=(403, 404, 409),
)
def cancel_order(caller: Caller, order_id: str) -> OrderOut:
    return order_out(order_service.act(caller, order_id, "cancel"))
