"""The operators' dispute queue: disputed orders, oldest dispute first, a page at a time.

Read from the `disputed` partition of the sparse escrow_watch index (store/key_layouts.py `watch_key`): a page
costs what it returns, however many orders the table holds.
"""
from __future__ import annotations

from typing import Any

from chalicelib.domain import orders
from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.identity import Caller
from chalicelib.domain.orders import Order
from chalicelib.domain.pages import Page
from chalicelib.services.paging import page_of
from chalicelib.store import orders as order_store


def queue(caller: Caller, status: str, limit: int, cursor: str | None) -> Page[Order]:
    """A page of the orders in `status` (disputed) for an operator, oldest in it first."""
    if not caller.is_operator:
        raise Forbidden("only operators may list orders they are not a party to")
    if status != orders.DISPUTED:
        raise InvalidInput(f"status: the operators' queue lists disputed orders, not {status}")

    def read(start: Any) -> tuple[list[Order], Any]:
        return order_store.watched(status, limit, start)

    return page_of(("admin-orders", caller.user_id, status), cursor, read)
