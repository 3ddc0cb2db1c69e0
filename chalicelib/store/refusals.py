"""What DynamoDB's refusals mean, read in one place: a failed condition, a transaction's cancellation reasons,
a transient refusal that a retry will get past. The store's modules turn these into their named exceptions
(Conflict, NotFound, StatusChanged, AlreadyProvider...); nothing above the store sees a PynamoDB error."""
from __future__ import annotations

from pynamodb.exceptions import PynamoDBException, TransactWriteError

CONDITION_FAILED = "ConditionalCheckFailed"  # a cancellation reason
CONDITION_FAILED_ERROR = "ConditionalCheckFailedException"  # a single write's error code
TRANSIENT = frozenset({
    "TransactionConflict",
    "TransactionConflictException",
    "ThrottlingError",
    "ThrottlingException",
    "ProvisionedThroughputExceeded",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
})


def error_code(exc: PynamoDBException) -> str | None:
    """DynamoDB's error code, or None where there was no answer (connection errors carry response=None)."""
    response = getattr(exc.cause, "response", None) or {}
    code = response.get("Error", {}).get("Code")
    return str(code) if code is not None else None


def reasons(exc: PynamoDBException) -> list[str | None]:
    """A cancelled transaction's reason per item, in the order PynamoDB sent them (puts before updates)."""
    if not isinstance(exc, TransactWriteError):
        return []
    return [reason.code if reason is not None else None for reason in exc.cancellation_reasons or []]


def condition_failed(exc: PynamoDBException) -> bool:
    """A single conditional write found its condition false."""
    return error_code(exc) == CONDITION_FAILED_ERROR


def condition_failed_at(exc: PynamoDBException, index: int) -> bool:
    """A transaction was cancelled because the condition on its `index`th item was false."""
    cancelled = reasons(exc)
    return index < len(cancelled) and cancelled[index] == CONDITION_FAILED


def any_condition_failed(exc: PynamoDBException) -> bool:
    return CONDITION_FAILED in reasons(exc)


def is_transient(exc: PynamoDBException) -> bool:
    """Refused for now (a conflicting transaction, throttling): the same write may succeed in a moment."""
    return error_code(exc) in TRANSIENT or any(reason in TRANSIENT for reason in reasons(exc))


def describe(exc: PynamoDBException) -> str:
    """What DynamoDB said (a transaction's cancellation reasons), or how the connection failed: for logs."""
    cancelled = reasons(exc)
    if cancelled:
        return ",".join(str(reason) for reason in cancelled)
    return error_code(exc) or type(exc.cause).__name__
