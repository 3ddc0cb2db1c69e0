"""Operator routes: settle a dispute."""
from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.api.orders import order_out
from chalicelib.api.routing import operation
from chalicelib.api.schemas import OrderOut, ResolveBody
from chalicelib.domain.identity import Caller
from chalicelib.services import escrow as escrow_service

admin_bp = Blueprint(__name__)


@operation(
    admin_bp, "POST", "/admin/orders/{order_id}/resolve",
    summary="Settle a dispute (operator): release_cents to the provider, the rest to the buyer",
    tag="admin", body=ResolveBody, response=OrderOut, other_status=202, errors=(403, 404, 409, 429), limit="operator",
)
def resolve_order(caller: Caller, order_id: str, body: ResolveBody) -> tuple[OrderOut, int]:
    order, settled = escrow_service.resolve(caller, order_id, body.release_cents)
    return order_out(order), 200 if settled else 202
