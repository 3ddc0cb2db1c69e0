"""Structured logs: one JSON object a line on stdout, from every function (the API, the jobs, the token queue).

The rule for every line: it carries `request_id` (API Gateway's id for a route, else Lambda's
`aws_request_id`, else a fresh one), `function_request_id` (Lambda's, where there is a context) and, on a
signed-in caller's request, `user_id`. It says what happened with ids, statuses, amounts and counts, never
with content: no tokens (Authorization headers, JWTs, Step Functions task tokens), no message texts, no
request bodies, no query strings (cursors).

One aws-lambda-powertools Logger, service "everywhere", at LOG_LEVEL (default INFO), made when a function
first runs: importing powertools with the app cost the cold import ~20 ms of CPU (5 ms its own, the rest a
full garbage collection it tipped over), a seventh of the botocore floor. Chalice's `app.log` is the logger
of the same name, so Chalice's own lines are JSON too. botocore, urllib3 and pynamodb write through its
handler at their own level (WARNING): their lines are JSON, and a DEBUG LOG_LEVEL never prints botocore's
signed request headers. Keys are per thread (context variables), as `chalice local` serves requests on
threads; lines from a request's worker threads carry none.
"""
from __future__ import annotations

import functools
import logging
import os
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

SERVICE = "everywhere"
LIBRARIES = ("botocore", "urllib3", "pynamodb")


@functools.cache
def _powertools_logger() -> Logger:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

    made = Logger(service=SERVICE, level=os.environ.get("LOG_LEVEL") or "INFO", use_rfc3339=True)
    for name in LIBRARIES:  # registered now, so the copy below reaches them whether or not they are imported yet
        logging.getLogger(name).setLevel(logging.WARNING)  # chalice local sets the root logger to INFO
    copy_config_to_registered_loggers(source_logger=made, include=set(LIBRARIES), ignore_log_level=True)
    return made


class _FirstUse:
    """Stands for the Logger until something logs, then hands every call to it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_powertools_logger(), name)


logger = cast("Logger", _FirstUse())


def begin(lambda_context: Any, request_id: str | None = None, **keys: Any) -> None:
    """Start an invocation's log keys, forgetting the previous invocation's (a warm Lambda runs many).

    `lambda_context` may be None or Chalice's stand-in (`chalice local`, its test client, the local runner).
    """
    function_request_id = getattr(lambda_context, "aws_request_id", None)
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(
        request_id=request_id or function_request_id or str(uuid.uuid4()),
        function_request_id=function_request_id,
        **keys,
    )


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a time.perf_counter() reading)."""
    return round((time.perf_counter() - started) * 1000, 1)


def log_invocation(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware for the functions that are not routes: their log keys, and one line when they end
    (with the exception and its stack if they fail, which makes Lambda retry the event)."""
    context = getattr(event, "context", None)
    begin(context, function_name=getattr(context, "function_name", None))
    started = time.perf_counter()
    try:
        result = get_response(event)
    except Exception:
        logger.exception("invocation failed", duration_ms=elapsed_ms(started))
        raise
    logger.info("invocation finished", duration_ms=elapsed_ms(started))
    return result
