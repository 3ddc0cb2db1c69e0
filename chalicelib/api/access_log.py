"""One log line per API request, written when it ends (the rules for every line: chalicelib/observability.py).

The line names the method, the route template (never the query string), the status, the duration, the
caller and the request; a 4xx adds its error Code, a sign-in refusal the authorizer's reason, a 5xx the
exception with its stack. Chalice turns a view's exception into a response before middleware sees it,
so the routes (api/routing.py) hand an unexpected exception over with `record_failure`.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from chalice.app import Request, Response
from pydantic import ValidationError

from chalicelib.observability import begin, elapsed_ms, logger

_failure: ContextVar[BaseException | None] = ContextVar("request_failure", default=None)


def record_failure(exc: BaseException) -> None:
    """Keep the exception behind this request's 500 for its log line. A pydantic ValidationError (an answer
    that failed its own model) is kept without the values it quotes, which may be a user's content."""
    if isinstance(exc, ValidationError):
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
        exc = RuntimeError(f"{exc.title} failed validation: {where}").with_traceback(exc.__traceback__)
    _failure.set(exc)


def log_request(request: Request | None, get_response: Callable[[Any], Response]) -> Response:
    """Chalice HTTP middleware: the request's log keys, then its line."""
    context = (request.context if request is not None else None) or {}
    verdict = context.get("authorizer") or {}
    signed_in = verdict.get("verified") == "yes"
    begin(
        request.lambda_context if request is not None else None,
        request_id=context.get("requestId"),
        user_id=str(verdict["principalId"]) if signed_in else None,
    )
    _failure.set(None)
    started = time.perf_counter()
    response = get_response(request)
    method, route, status = context.get("httpMethod"), context.get("resourcePath"), response.status_code
    fields: dict[str, Any] = {"method": method, "route": route, "status": status, "duration_ms": elapsed_ms(started)}
    if status >= 400:
        fields["error"] = response.body.get("Code") if isinstance(response.body, dict) else None
    if verdict and not signed_in:
        fields["sign_in"] = verdict.get("reason") or verdict.get("verified")
    message = f"{method} {route} {status}"
    if status >= 500:
        logger.error(message, exc_info=_failure.get(), **fields)
    else:
        logger.info(message, **fields)
    return response
