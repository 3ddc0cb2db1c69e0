"""Operator routes: the dispute queue, and settling a dispute."""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.orders import order_out
from chalicelib.api.routing import operation
from chalicelib.api.schemas import AdminOrdersQuery, OrderOut, OrderPage, ResolveBody
from chalicelib.domain.identity import Caller
from chalicelib.services import disputes
from chalicelib.services import escrow as escrow_service

admin_bp = Blueprint(__name__)


@operation(
    admin_bp, "GET", "/admin/orders",
    summary="The dispute queue (operator): disputed orders, oldest dispute first", tag="admin",
    query=AdminOrdersQuery, response=OrderPage, errors=(403,),
)
def list_admin_orders(caller: Caller, query: AdminOrdersQuery) -> OrderPage:
    return OrderPage.of(disputes.queue(caller, query.status, query.limit, query.cursor), order_out)


@operation(
    admin_bp, "POST", "/admin/orders/{order_id}/resolve",
    summary="Settle a dispute (operator, not a party to it): release_cents to the provider, the rest to the buyer",
    tag="admin", body=ResolveBody, response=OrderOut, other_status=202, errors=(403, 404, 409, 429),
    limit="operator",
)
def resolve_order(caller: Caller, order_id: str, body: ResolveBody) -> tuple[OrderOut, int]:
    order, settled = escrow_service.resolve(caller, order_id, body.release_cents, body.note)
    return order_out(order), 200 if settled else 202
