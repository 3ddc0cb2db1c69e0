"""The one paging ritual: a cursor bound to the caller and the query carries where the next page starts.

`read(position)` returns a page of items and the position after them (None: no more); positions are whatever
the store or the scan needs (a DynamoDB key, a message id, a scan's state) and reach clients only inside a
signed cursor, so a cursor edited, or replayed by another caller or with another query, is refused (400).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib.domain import cursors
from chalicelib.domain.pages import Page
from chalicelib.store import keys

Item = TypeVar("Item")


def page_of(
    bound_to: tuple[object, ...], cursor: str | None, read: Callable[[Any], tuple[list[Item], Any]]
) -> Page[Item]:
    """One page: `read` from the cursor's position (None for the first page), and a cursor to what follows."""
    secret = keys.cursor_key()
    binding = cursors.binding(*bound_to)
    position = cursors.decode(cursor, binding, secret) if cursor else None
    items, next_position = read(position)
    next_cursor = cursors.encode(next_position, binding, secret) if next_position is not None else None
    return Page(items=items, next_cursor=next_cursor)
