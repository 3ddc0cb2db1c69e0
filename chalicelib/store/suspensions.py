"""Suspended users in the system table: written by an operator, read (consistently) on every write a user tries."""
from __future__ import annotations

from chalicelib.domain.moderation import Suspension
from chalicelib.store import items, tables
from chalicelib.store.models import SuspensionModel


def _name(user_id: str) -> str:
    return f"suspended#{user_id}"


def get(user_id: str) -> Suspension | None:
    """The user's suspension, read strongly consistent: a suspension blocks the very next write."""
    model = items.read(SuspensionModel, _name(user_id))
    if model is None:
        return None
    return items.to_domain(model, Suspension, hidden_listings=tuple(model.hidden_listings or ()),
                           hidden_tasks=tuple(model.hidden_tasks or ()))


def put(suspension: Suspension) -> None:
    """Record (or replace) a suspension."""
    tables.bind()
    items.to_item(
        suspension, SuspensionModel, name=_name(suspension.user_id), hidden_listings=list(suspension.hidden_listings),
        hidden_tasks=list(suspension.hidden_tasks),
    ).save()


def delete(user_id: str) -> None:
    tables.bind()
    SuspensionModel(name=_name(user_id)).delete()
