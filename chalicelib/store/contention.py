"""Retrying the writes that DynamoDB refuses for now: transaction conflicts and throttling.

Real DynamoDB cancels a transaction that overlaps another on the same item (TransactionConflict) and
botocore does not retry it; every first listing touches the one privileged-provider counter, so this
happens under load. The store's writes that can meet it are `@retried`: they back off with jitter and
finally report the platform as busy (429) rather than failing with a 500.
"""
from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import PynamoDBException

from chalicelib.domain.errors import Busy
from chalicelib.observability import logger
from chalicelib.store import refusals

T = TypeVar("T")
P = ParamSpec("P")
# The request may have been carried out: only a write that is a no-op the second time may be re-sent.
LOST_RESPONSES = (ConnectionClosedError, ReadTimeoutError, EndpointConnectionError)
ATTEMPTS = 6
BASE_DELAY_S = 0.02


def retrying(write: Callable[[], T], attempts: int = ATTEMPTS, idempotent: bool = False) -> T:
    """Run `write`, again after a jittered, growing pause while DynamoDB refuses it transiently.

    `idempotent`: the write is guarded so that repeating it changes nothing (a ledger entry put only if
    absent); then a response lost in transit is retried too — the repeat finds the write done.
    """
    for attempt in range(attempts):
        try:
            return write()
        except PynamoDBException as exc:
            lost = idempotent and isinstance(exc.cause, LOST_RESPONSES)
            if not (lost or refusals.is_transient(exc)):
                raise
            if attempt < attempts - 1:
                logger.warning("DynamoDB refused a write for now; retrying", attempt=attempt + 1,
                               refusal=refusals.describe(exc))
                time.sleep(random.uniform(0, BASE_DELAY_S * 2**attempt))
    logger.warning("DynamoDB kept refusing a write; answering busy", attempts=attempts)
    raise Busy("the platform is busy with this item; try again in a moment")


def retried(idempotent: bool = False) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """A store write that retries itself (`retrying`) whenever it is called."""

    def decorate(write: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(write)
        def retried_write(*args: P.args, **kwargs: P.kwargs) -> T:
            return retrying(lambda: write(*args, **kwargs), idempotent=idempotent)

        return retried_write

    return decorate
