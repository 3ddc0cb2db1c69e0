"""One way to declare a route: it parses and checks input, resolves the caller, maps errors, serialises.

Every route of the API is declared with `operation(...)`, which also records it for the OpenAPI document
(api/openapi.py), so the document and the routes cannot drift apart. A handler receives typed values
(`caller`, path ids, `body`, `query`) and returns a pydantic model (or None for 204).
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Callable

from chalice import (
    BadRequestError,
    Blueprint,
    ChaliceViewError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TooManyRequestsError,
    Response,
    UnauthorizedError,
)
from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib.api.authorizer import cognito_jwt
from chalicelib.domain import errors as domain
from chalicelib.domain.identity import Caller

MAX_BODY_BYTES = 64 * 1024
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class RegionNotOpen(ChaliceViewError):
    STATUS_CODE = 422


class ServiceUnavailableError(ChaliceViewError):
    STATUS_CODE = 503


_HTTP_ERRORS: dict[type[domain.DomainError], type[ChaliceViewError]] = {
    domain.InvalidInput: BadRequestError,
    domain.NotFound: NotFoundError,
    domain.Forbidden: ForbiddenError,
    domain.Conflict: ConflictError,
    domain.RegionNotOpen: RegionNotOpen,
    domain.Busy: TooManyRequestsError,
}


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
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(
            Operation(method, path, handler.__name__, summary, tag, body, query, response, status, public, errors)
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
                result = handler(**args)
            except domain.DomainError as exc:
                raise _HTTP_ERRORS[type(exc)](str(exc)) from exc
            return _respond(result, status)

        view.__name__ = handler.__name__
        view.__doc__ = handler.__doc__
        bp.route(path, methods=[method], authorizer=None if public else cognito_jwt)(view)
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


def _parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise domain.InvalidInput("request body: larger than 64 KiB")
    if not raw.strip():
        raise domain.InvalidInput("request body: a JSON object is required")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise domain.InvalidInput(describe(exc, "request body")) from exc


def _reject_body(request: Request) -> None:
    """Routes without a body accept none, or an empty object, so no field can slip in unnoticed."""
    raw = (request.raw_body or b"").strip()
    if raw and raw != b"{}":
        raise domain.InvalidInput("request body: this route takes no fields")


def _parse_query(request: Request, model: type[BaseModel] | None) -> dict[str, Any]:
    params = request.query_params or {}
    if model is None:
        if params:
            raise domain.InvalidInput(f"query: unknown parameter {next(iter(params))!r}")
        return {}
    values: dict[str, str] = {}
    for name in params:
        given = params.getlist(name) if hasattr(params, "getlist") else [params[name]]
        if len(given) > 1:
            raise domain.InvalidInput(f"{name}: given more than once")
        values[name] = given[0]
    try:
        return {"query": model.model_validate(values)}
    except ValidationError as exc:
        raise domain.InvalidInput(describe(exc, "query")) from exc


def _respond(result: BaseModel | None, status: int) -> Response:
    if result is None:
        return Response(body="", status_code=status)
    return Response(body=result.model_dump(mode="json"), status_code=status, headers={"Content-Type": "application/json"})
