"""One way to declare a route: it parses and checks input, resolves the caller, maps errors, serialises.

Every route of the API is declared with `operation(...)`, which also records it for the OpenAPI document
(api/openapi.py), so the document and the routes cannot drift apart. A handler receives typed values
(`caller`, path ids, `body`, `query`) and returns a pydantic model (or None for 204), or a (model, status)
pair when the status varies. An `idempotent` route requires an Idempotency-Key header and its handler also
receives `operation_id`, the id of what it creates, the same on every retry (api/idempotency.py).
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalice.app import (
    BadRequestError,
    Blueprint,
    ChaliceViewError,
    ConflictError,
    ForbiddenError,
    MultiDict,
    NotFoundError,
    Request,
    Response,
    TooManyRequestsError,
    UnauthorizedError,
)
from pydantic import BaseModel, ValidationError

from chalicelib.api import access_log
from chalicelib.api import idempotency as idempotency_runs
from chalicelib.api.authorizer import cognito_jwt
from chalicelib.domain import errors as domain
from chalicelib.domain import idempotency
from chalicelib.domain.identity import Caller

JSON = "application/json"
MAX_BODY_BYTES = 64 * 1024
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


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
REPLAYED_HEADER = "Idempotent-Replayed"
# Chalice's answer to an unhandled error
INTERNAL_ERROR = {"Code": "InternalServerError", "Message": "An internal server error occurred."}


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
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(
            Operation(
                method, path, handler.__name__, summary, tag, body, query, response, status, public,
                tuple(sorted(set(errors) | ({409} if idempotent else set()))), idempotent, other_status,
            )
        )

        def view(**path_params: str) -> Response:
            request = bp.current_request
            try:
                args: dict[str, Any] = {}
                if not public:
                    args["caller"] = _caller(request)
                args.update(_checked_ids(path_params))
                if body is not None:
                    args["body"] = _parse_body(request, body)
                else:
                    _reject_body(request)
                args.update(_parse_query(request, query))
                if idempotent:
                    return _run_idempotently(request, path, args, lambda **a: _answer(handler(**a), status))
                return _respond(*_answer(handler(**args), status))
            except domain.DomainError as exc:
                return _error_response(exc)
            except ChaliceViewError:
                raise
            except Exception as exc:  # noqa: BLE001 - the edge: any other failure is logged and answered 500
                access_log.record_failure(exc)
                return _respond(500, INTERNAL_ERROR)

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        # Any Content-Type reaches the view, which answers a body that is not JSON with 400 (Chalice would
        # answer 415, which the contract does not list).
        bp.route(path, methods=[method], authorizer=None if public else cognito_jwt, content_types=["*/*"])(view)
        return handler

    return decorate


def _caller(request: Request) -> Caller:
    context = (request.context or {}).get("authorizer") or {}
    if context.get("verified") == "unavailable":
        raise ServiceUnavailableError("sign-in cannot be verified right now; try again shortly")
    if context.get("verified") != "yes":
        raise UnauthorizedError(context.get("reason") or "sign in first: send 'Authorization: Bearer <token>'")
    if int(context.get("exp", 0)) <= time.time():
        raise UnauthorizedError("token expired")
    groups = frozenset(group for group in str(context.get("groups", "")).split(",") if group)
    return Caller(user_id=str(context["principalId"]), groups=groups, name=context.get("name") or None)


def _checked_ids(path_params: dict[str, str]) -> dict[str, str]:
    """Ids are opaque, but a value no id can have is simply not found."""
    for name, value in path_params.items():
        if not _ID_PATTERN.match(value):
            raise domain.NotFound(f"{name.removesuffix('_id')} not found")
    return path_params


def describe(error: ValidationError, where: str) -> str:
    """One sentence naming the first problem's field."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or where
    if first["type"] == "extra_forbidden":
        message = f"{field}: unknown {'query parameter' if where == 'query' else 'field'}"
    elif first["type"] == "missing":
        message = f"{field}: required"
    elif first["type"] == "json_invalid":
        message = f"{where}: invalid JSON"
    else:
        message = f"{field}: {first['msg']}"
    more = len(error.errors()) - 1
    return message + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")


def _require_json(request: Request) -> None:
    """A body is JSON: one that says it is something else (curl -d without -H sends a form) is refused by
    name. No Content-Type at all counts as JSON, as Chalice and API Gateway take it."""
    headers: Mapping[str, str] = request.headers or {}
    content_type = headers.get("content-type", JSON)
    if content_type.split(";")[0].strip().lower() != JSON:
        raise domain.InvalidInput(
            f"Content-Type: send the body as JSON with 'Content-Type: {JSON}' (got {content_type or 'none'!r})"
        )


def _parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise domain.InvalidInput("request body: larger than 64 KiB")
    if not raw.strip():
        raise domain.InvalidInput("request body: a JSON object is required")
    _require_json(request)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise domain.InvalidInput(describe(exc, "request body")) from exc


def _reject_body(request: Request) -> None:
    """Routes without a body accept none, or an empty object, so no field can slip in unnoticed."""
    raw = (request.raw_body or b"").strip()
    if not raw or raw == b"{}":
        return
    _require_json(request)
    try:
        fields = json.loads(raw)
    except ValueError:
        fields = None
    if isinstance(fields, dict) and fields:
        raise domain.InvalidInput(f"{next(iter(fields))}: unknown field (this route takes no fields)")
    raise domain.InvalidInput("request body: this route takes no fields")


def _parse_query(request: Request, model: type[BaseModel] | None) -> dict[str, Any]:
    params: Mapping[str, str] = request.query_params or {}
    if model is None:
        if params:
            raise domain.InvalidInput(f"query: unknown parameter {next(iter(params))!r}")
        return {}
    values: dict[str, str] = {}
    for name in params:
        given = params.getlist(name) if isinstance(params, MultiDict) else [params[name]]
        if len(given) > 1:
            raise domain.InvalidInput(f"{name}: given more than once")
        values[name] = given[0]
    try:
        return {"query": model.model_validate(values)}
    except ValidationError as exc:
        raise domain.InvalidInput(describe(exc, "query")) from exc


def _answer(result: BaseModel | tuple[BaseModel, int] | None, status: int) -> tuple[int, Any]:
    """(status, JSON body) of a handler's result."""
    if isinstance(result, tuple):
        result, status = result
    return status, (result.model_dump(mode="json") if result is not None else None)


def _respond(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    answer_headers: dict[str, str | list[str]] = {**(headers or {})}
    if body is None:
        return Response(body="", status_code=status, headers=answer_headers)
    return Response(body=body, status_code=status, headers={"Content-Type": JSON, **answer_headers})


def _error_answer(exc: domain.DomainError) -> tuple[int, dict[str, str], dict[str, str]]:
    """Chalice's error shape {"Code", "Message"} for a domain error, with its status and headers."""
    error = _HTTP_ERRORS[type(exc)]
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, (domain.Busy, domain.RateLimited)) else {}
    return error.STATUS_CODE, {"Code": error.__name__, "Message": str(exc)}, headers


def _error_response(exc: domain.DomainError) -> Response:
    return _respond(*_error_answer(exc))


def _run_idempotently(
    request: Request, path: str, args: dict[str, Any], run: Callable[..., tuple[int, Any]]
) -> Response:
    """Run once per (caller, Idempotency-Key); a repeat with the same body gets the first answer again."""
    headers: Mapping[str, str] = request.headers or {}
    key = idempotency.check_key(headers.get(idempotency.HEADER))
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
            status, error_body, _ = _error_answer(exc)
            return status, error_body

    answer = idempotency_runs.run_once(args["caller"].user_id, key, fingerprint, once)
    return _respond(answer.status, answer.body, {REPLAYED_HEADER: "true"} if answer.replayed else None)

