"""One way to declare a route: it parses and checks input, resolves the caller, maps errors, serialises.

Every route of the API is declared with `operation(...)`, which also records it for the OpenAPI document
(api/openapi.py), so the document and the routes cannot drift apart. A handler receives typed values
(`caller`, path ids, `body`, `query`) and returns a pydantic model (or None for 204), or a (model, status)
pair when the status varies. An `idempotent` route requires an Idempotency-Key header and its handler also
receives `operation_id`, the id of what it creates, the same on every retry (api/idempotency.py).

Every write route, and reads that cost more than a key lookup (search), name their `limit`: a kind of request in
the table of rate limits (settings.RATE_LIMITS). Before its handler runs, a request is admitted
(services/admission.py): a suspended caller's write is refused (403), a caller over the kind's rate gets 429.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalice.app import (
    Blueprint,
    ChaliceViewError,
    Request,
    Response,
    UnauthorizedError,
)
from pydantic import BaseModel

from chalicelib.api import access_log, inputs
from chalicelib.api import errors as http_errors
from chalicelib.api import idempotency as idempotency_runs
from chalicelib.api.authorizer import cognito_jwt
from chalicelib.domain import errors as domain
from chalicelib.domain import idempotency
from chalicelib.domain.identity import Caller
from chalicelib.services import admission
from chalicelib.settings import RATE_LIMITS

REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class Operation:
    """A route as the OpenAPI document describes it."""

    method: str
    path: str
    name: str
    summary: str
    tag: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    public: bool
    errors: tuple[int, ...]
    idempotent: bool
    other_status: int | None
    limit: str | None


OPERATIONS: list[Operation] = []


def operation(
    bp: Blueprint,
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    response: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    status: int = 200,
    public: bool = False,
    errors: tuple[int, ...] = (),
    idempotent: bool = False,
    other_status: int | None = None,
    limit: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    writes = method != "GET"
    implied = _implied_errors(method, path, public, idempotent, limit)

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(
            Operation(
                method, path, handler.__name__, summary, tag, body, query, response, status, public,
                tuple(sorted(set(errors) | implied)), idempotent, other_status, limit,
            )
        )

        def view(**path_params: str) -> Response:
            request = bp.current_request
            try:
                args: dict[str, Any] = {}
                if not public:
                    args["caller"] = _caller(request)
                args.update(inputs.checked_ids(path_params))
                if body is not None:
                    args["body"] = inputs.parse_body(request, body)
                else:
                    inputs.reject_body(request)
                args.update(inputs.parse_query(request, query))
                key = _idempotency_key(request) if idempotent else None  # a missing key is a 400 before a 429
                if limit is not None:
                    admission.admit(args["caller"], limit, writes)
                if key is not None:
                    return _run_idempotently(request, path, args, key, lambda **a: _answer(handler(**a), status))
                return _respond(*_answer(handler(**args), status))
            except domain.DomainError as exc:
                return _respond(*http_errors.error_answer(exc))
            except ChaliceViewError:
                raise
            except Exception as exc:  # noqa: BLE001 - the edge: any other failure is logged and answered 500
                access_log.record_failure(exc)
                return _respond(500, http_errors.INTERNAL_ERROR)

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        # Any Content-Type reaches the view, which answers a body that is not JSON with 400 (Chalice would
        # answer 415, which the contract does not list).
        bp.route(path, methods=[method], authorizer=None if public else cognito_jwt, content_types=["*/*"])(view)
        return handler

    return decorate


def _implied_errors(method: str, path: str, public: bool, idempotent: bool, limit: str | None) -> set[int]:
    """The answers a route gives by how it is declared; refuses a write route without a rate limit."""
    writes = method != "GET"
    if writes and (public or limit is None):
        raise ValueError(f"{method} {path}: a write route is signed in and names its rate limit")
    if limit is not None and limit not in RATE_LIMITS:
        raise ValueError(f"{method} {path}: no rate limit {limit!r} in settings.RATE_LIMITS")
    return ({409} if idempotent else set()) | ({429} if limit else set()) | ({403} if writes else set())


def _caller(request: Request) -> Caller:
    context = (request.context or {}).get("authorizer") or {}
    if context.get("verified") == "unavailable":
        raise http_errors.ServiceUnavailableError("sign-in cannot be verified right now; try again shortly")
    if context.get("verified") != "yes":
        raise UnauthorizedError(context.get("reason") or "sign in first: send 'Authorization: Bearer <token>'")
    if int(context.get("exp", 0)) <= time.time():
        raise UnauthorizedError("token expired")
    groups = frozenset(group for group in str(context.get("groups", "")).split(",") if group)
    return Caller(user_id=str(context["principalId"]), groups=groups, name=context.get("name") or None)


def _answer(result: BaseModel | tuple[BaseModel, int] | None, status: int) -> tuple[int, Any]:
    """(status, JSON body) of a handler's result."""
    if isinstance(result, tuple):
        result, status = result
    return status, (result.model_dump(mode="json") if result is not None else None)


def _respond(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    answer_headers: dict[str, str | list[str]] = {**(headers or {})}
    if body is None:
        return Response(body="", status_code=status, headers=answer_headers)
    return Response(body=body, status_code=status, headers={"Content-Type": inputs.JSON, **answer_headers})


def _idempotency_key(request: Request) -> str:
    headers: Mapping[str, str] = request.headers or {}
    return idempotency.check_key(headers.get(idempotency.HEADER))


def _run_idempotently(
    request: Request, path: str, args: dict[str, Any], key: str, run: Callable[..., tuple[int, Any]]
) -> Response:
    """Run once per (caller, Idempotency-Key); a repeat with the same body gets the first answer again."""
    body = args.get("body")
    fingerprint = idempotency.fingerprint(
        request.method,
        path.format(**{name: args[name] for name in re.findall(r"{(\w+)}", path)}),
        body.model_dump(mode="json") if body is not None else None,
    )

    def once(operation_id: str) -> tuple[int, Any]:
        try:
            return run(**args, operation_id=operation_id)
        except (domain.Busy, domain.RateLimited):
            raise  # nothing happened: the key is released and a retry runs afresh
        except domain.DomainError as exc:
            status, error_body, _ = http_errors.error_answer(exc)
            return status, error_body

    answer = idempotency_runs.run_once(args["caller"].user_id, key, fingerprint, once)
    return _respond(answer.status, answer.body, {REPLAYED_HEADER: "true"} if answer.replayed else None)

