"""Reading a request's input: path ids, a JSON body, query parameters; any problem is an InvalidInput naming the
field (400), and an id no object can have is simply not found (404)."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from chalice.app import MultiDict, Request
from pydantic import BaseModel, ValidationError

from chalicelib.domain import errors as domain

JSON = "application/json"
MAX_BODY_BYTES = 64 * 1024
_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def checked_ids(path_params: dict[str, str]) -> dict[str, str]:
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


def parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
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


def reject_body(request: Request) -> None:
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


def parse_query(request: Request, model: type[BaseModel] | None) -> dict[str, Any]:
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
