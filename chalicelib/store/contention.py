"""Transient refusals from DynamoDB that a retry will get past: transaction conflicts and throttling.

Real DynamoDB cancels a transaction that overlaps another on the same item (TransactionConflict) and
botocore does not retry it; every first listing touches the one privileged-provider counter, so this
happens under load. Writes that can meet it run through `retrying`, which backs off with jitter and
finally reports the platform as busy (429) rather than failing with a 500.
"""
from __future__ import annotations

import random
import time
from typing import Callable, TypeVar

from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import PynamoDBException, TransactWriteError

from chalicelib.domain.errors import Busy
from chalicelib.observability import logger

T = TypeVar("T")
RETRYABLE_CODES = {
    "TransactionConflict",
    "TransactionConflictException",
    "ThrottlingError",
    "ThrottlingException",
    "ProvisionedThroughputExceeded",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
}
# The request may have been carried out: only a write that is a no-op the second time may be re-sent.
LOST_RESPONSES = (ConnectionClosedError, ReadTimeoutError, EndpointConnectionError)
ATTEMPTS = 6
BASE_DELAY_S = 0.02


def _error_code(exc: PynamoDBException) -> str | None:
    """DynamoDB's error code, or None where there was no answer (connection errors carry response=None)."""
    response = getattr(exc.cause, "response", None) or {}
    return response.get("Error", {}).get("Code")


def is_transient(exc: PynamoDBException) -> bool:
    if _error_code(exc) in RETRYABLE_CODES:
        return True
    if isinstance(exc, TransactWriteError):
        return any(reason is not None and reason.code in RETRYABLE_CODES for reason in exc.cancellation_reasons)
    return False


def _refusal(exc: PynamoDBException) -> str:
    """What DynamoDB said (the cancellation reasons of a transaction), or how the connection failed."""
    if isinstance(exc, TransactWriteError) and exc.cancellation_reasons:
        return ",".join(reason.code if reason is not None else "None" for reason in exc.cancellation_reasons)
    return _error_code(exc) or type(exc.cause).__name__


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
            if not (lost or is_transient(exc)):
                raise
            if attempt < attempts - 1:
                logger.warning("DynamoDB refused a write for now; retrying", attempt=attempt + 1, refusal=_refusal(exc))
                time.sleep(random.uniform(0, BASE_DELAY_S * 2**attempt))
    logger.warning("DynamoDB kept refusing a write; answering busy", attempts=attempts)
    raise Busy("the platform is busy with this item; try again in a moment")
