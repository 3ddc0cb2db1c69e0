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

from pynamodb.exceptions import PynamoDBException, TransactWriteError

from chalicelib.domain.errors import Busy

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
ATTEMPTS = 6
BASE_DELAY_S = 0.02


def is_transient(exc: PynamoDBException) -> bool:
    if exc.cause_response_code in RETRYABLE_CODES:
        return True
    if isinstance(exc, TransactWriteError):
        return any(reason is not None and reason.code in RETRYABLE_CODES for reason in exc.cancellation_reasons)
    return False


def retrying(write: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run `write`, again after a jittered, growing pause while DynamoDB refuses it transiently."""
    for attempt in range(attempts):
        try:
            return write()
        except PynamoDBException as exc:
            if not is_transient(exc):
                raise
            if attempt < attempts - 1:
                time.sleep(random.uniform(0, BASE_DELAY_S * 2**attempt))
    raise Busy("the platform is busy with this item; try again in a moment")
