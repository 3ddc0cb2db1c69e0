"""Domain errors as HTTP answers: each DomainError's status and Chalice's error shape {"Code", "Message"}."""
from __future__ import annotations

from chalice.app import (
    BadRequestError,
    ChaliceViewError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TooManyRequestsError,
)

from chalicelib.domain import errors as domain

# Chalice's answer to an unhandled error
INTERNAL_ERROR = {"Code": "InternalServerError", "Message": "An internal server error occurred."}


class RegionNotOpen(ChaliceViewError):
    STATUS_CODE = 422


class InsufficientFunds(ChaliceViewError):
    STATUS_CODE = 422


class ServiceUnavailableError(ChaliceViewError):
    STATUS_CODE = 503


_HTTP_ERRORS: dict[type[domain.DomainError], type[ChaliceViewError]] = {
    domain.InvalidInput: BadRequestError,
    domain.NotFound: NotFoundError,
    domain.Forbidden: ForbiddenError,
    domain.Conflict: ConflictError,
    domain.RegionNotOpen: RegionNotOpen,
    domain.InsufficientFunds: InsufficientFunds,
    domain.Busy: TooManyRequestsError,
    domain.RateLimited: TooManyRequestsError,
}


def error_answer(exc: domain.DomainError) -> tuple[int, dict[str, str], dict[str, str]]:
    """Chalice's error shape {"Code", "Message"} for a domain error, with its status and headers."""
    error = _HTTP_ERRORS[type(exc)]
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, (domain.Busy, domain.RateLimited)) else {}
    return error.STATUS_CODE, {"Code": error.__name__, "Message": str(exc)}, headers


