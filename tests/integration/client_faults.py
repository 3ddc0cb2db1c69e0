"""Faults injected on the client side: a botocore hook on the very client the store uses, where DynamoDB's answer
arrives. moto serialises everything, so a transaction conflict, a throttle or a lost response never happens by
itself; the served moto's `Fault` (conftest.py) does the same for calls made by Step Functions."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def failing(client: Any, event: str, fault: Callable[[], Exception], times: int) -> Iterator[list[int]]:
    """Raise `fault()` from the botocore `event` hook (e.g. "before-send.dynamodb.UpdateItem") the first `times`
    calls; yields the count of calls seen so far."""
    seen = [0]

    def hook(**_kwargs: Any) -> None:
        seen[0] += 1
        if seen[0] <= times:
            raise fault()

    client.meta.events.register_first(event, hook)
    try:
        yield seen
    finally:
        client.meta.events.unregister(event, hook)
