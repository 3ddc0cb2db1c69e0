"""The OpenAPI 3.1 document, generated from the route table (api/routing.OPERATIONS) and the pydantic models."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, RootModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.schemas import ErrorOut, GatewayErrorOut

TITLE = "Everywhere API"
VERSION = "1.0.0"
_REF = "#/components/schemas/{model}"
_ERROR_TEXT = {
    400: "Malformed or invalid input; the message names the field",
    401: "Invalid or expired token. No Authorization header at all is refused by the gateway itself, in its own "
    "shape: `{\"message\": \"Unauthorized\"}`",
    403: "Signed in, but not allowed to do this",
    404: "Absent, or not visible to the caller",
    409: "The object's state does not allow this",
    422: "A domain rule (RegionNotOpen, InsufficientFunds, ...)",
    429: "Too many requests, or too much contention on one item: retry",
    503: "Sign-in cannot be verified right now",
}
_OTHER_SUCCESS_TEXT = {
    200: "Success (it already existed)",
    202: "Accepted: the escrow workflow is still at it; read the order again shortly",
}


_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "A unique value per intended action (e.g. a UUID). Repeating a request with the same key and "
    "body returns the first answer again (with `Idempotent-Replayed: true`) and changes nothing; the same key "
    "with another body is refused (409). Keys are kept 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
}


class Document(RootModel[dict[str, Any]]):
    """Any JSON object (the document itself)."""


def _json(schema_ref: dict[str, Any] | None) -> dict[str, Any]:
    return {"application/json": {"schema": schema_ref or {"type": "object"}}}


def _query_parameters(model: type[BaseModel], schema: dict[str, Any]) -> list[dict[str, Any]]:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in props.items()
    ]


@lru_cache(maxsize=1)
def build() -> dict[str, Any]:
    """The whole document (built once per process: the routes are fixed at import)."""
    from chalicelib.api.routing import OPERATIONS

    models: set[type[BaseModel]] = {ErrorOut, GatewayErrorOut}
    for op in OPERATIONS:
        models.update(m for m in (op.body, op.response) if m is not None)
    keyed, defs = models_json_schema(
        [(model, "validation") for model in sorted(models, key=lambda m: m.__name__)], ref_template=_REF
    )
    refs = {model: keyed[(model, "validation")] for model in models}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        response = refs[op.response] if op.response is not None else None
        responses: dict[str, Any] = {
            str(op.status): {"description": "Success"}
            if op.status == 204
            else {"description": "Success", "content": _json(response)}
        }
        if op.other_status is not None:
            responses[str(op.other_status)] = {
                "description": _OTHER_SUCCESS_TEXT[op.other_status], "content": _json(response)
            }
        # Every route refuses unknown query parameters and bodies it does not take (400), and answers 404 for a
        # path id no object can have (inputs.checked_ids).
        error_codes = set(op.errors) | {400} | ({401, 503} if not op.public else set())
        if "{" in op.path:
            error_codes.add(404)
        for code in sorted(error_codes):
            error = refs[ErrorOut] if code != 401 else {"anyOf": [refs[ErrorOut], refs[GatewayErrorOut]]}
            responses[str(code)] = {"description": _ERROR_TEXT[code], "content": _json(error)}
        entry: dict[str, Any] = {
            "operationId": op.name, "summary": op.summary, "tags": [op.tag], "responses": responses
        }
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", op.path)
        ]
        if op.query is not None:
            parameters += _query_parameters(op.query, op.query.model_json_schema(ref_template=_REF))
        if op.idempotent:
            parameters.append(_IDEMPOTENCY_KEY)
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": _json(refs[op.body])}
        entry["security"] = [] if op.public else [{"cognito": []}]
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (Cognito user pool)"}
            },
        },
    }
