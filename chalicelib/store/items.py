"""One item and its domain value: read it by its key, and build either from the other by field name.

The models' attributes carry the domain's field names, so a conversion copies every field of the same name
and spells out only what differs: a key, a number DynamoDB hands back as a float, a field one side lacks.
A field that neither exists on the other side nor is given fails loudly (AttributeError, ValueError).
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib.store import refusals, tables

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

M = TypeVar("M", bound=Model)
D = TypeVar("D", bound="DataclassInstance")


def read(model: type[M], hash_key: str, range_key: str | int | None = None) -> M | None:
    """The item with this key (a consistent read), or None if there is none."""
    tables.bind()
    try:
        return model.get(hash_key, range_key, consistent_read=True)
    except model.DoesNotExist:
        return None


def to_domain(item: Model, kind: type[D], **given: Any) -> D:
    """A `kind` (a domain dataclass) of the item's attributes named like its fields, but for those `given`."""
    copied = {field.name: getattr(item, field.name) for field in fields(kind) if field.name not in given}
    return kind(**copied, **given)


def to_item(value: DataclassInstance, model: type[M], leave_out: Collection[str] = (), **given: Any) -> M:
    """A `model` item of the value's fields under the same names, but for those left out or `given`."""
    copied = {
        field.name: getattr(value, field.name)
        for field in fields(value)
        if field.name not in given and field.name not in leave_out
    }
    return model(**copied, **given)


def update_if(model: type[Model], hash_key: str, actions: list[Any], condition: Any) -> bool:
    """Apply `actions` to the item if `condition` holds; False if it does not."""
    tables.bind()
    try:
        model(hash_key).update(actions=actions, condition=condition)
        return True
    except UpdateError as exc:
        if refusals.condition_failed(exc):
            return False
        raise
