"""One page of a Query, and whether another follows."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

M = TypeVar("M")
Key = dict[str, Any]


def one_page(
    query: Callable[[int, Key | None], Iterable[M]], limit: int, start_key: Key | None, key_of: Callable[[M], Key]
) -> tuple[list[M], Key | None]:
    """Run `query(count, start_key)` for one item more than asked, which tells whether there is a next page
    (DynamoDB's LastEvaluatedKey alone would promise one whenever a page is exactly full)."""
    models = list(query(limit + 1, start_key))
    page = models[:limit]
    return page, (key_of(page[-1]) if len(models) > limit else None)
