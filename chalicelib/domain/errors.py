"""Domain errors: what went wrong in the product's terms. The API layer maps each to an HTTP answer."""


class DomainError(Exception):
    """Base of every rule violation a client can cause."""


class InvalidInput(DomainError):
    """The request is well-formed but a value breaks a rule (HTTP 400)."""


class NotFound(DomainError):
    """Absent, or not visible to the caller: the same answer for both (HTTP 404)."""


class Forbidden(DomainError):
    """The caller may see the object but not do this to it (HTTP 403)."""


class Conflict(DomainError):
    """The object's state does not allow the action (HTTP 409)."""


class RegionNotOpen(DomainError):
    """The point lies outside every open region (HTTP 422)."""


class InsufficientFunds(DomainError):
    """A wallet holds less than the amount that would leave it (HTTP 422)."""


class Busy(DomainError):
    """The outcome is not known yet (a write kept meeting concurrent writes, or another decision on the
    same order is still in flight); nothing changed, and the client should retry (HTTP 429, Retry-After)."""

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimited(DomainError):
    """The caller did this too often in the current window (HTTP 429)."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
