"""The answers API Gateway gives by itself, in the API's error shape.

API Gateway answers some requests before any function runs (no Authorization header: 401; a path or method no
route has: MISSING_AUTHENTICATION_TOKEN, 403 by default; throttled: 429). Its own body is {"message": ...};
these give those answers the API's error shape, {"Code", "Message"} (API.md), and an unknown route the 404 it
is (the API authorises with a token, never with IAM signatures, so that response type means exactly "no such
route"). `make deploy` puts them on the deployed API, `make package` writes them into the template, and the
local API (scripts/local_api.py) answers an unknown route with the same NO_ROUTE body.

Each carries Access-Control-Allow-Origin for the stage's web client (WEB_ORIGIN), as the app's own answers do
(chalicelib/api/cors.py): without it a browser hides the answer from the page, which then cannot tell an
expired token (401) from a network failure.
"""
from __future__ import annotations

import json
from typing import Any

NO_ROUTE = {"Code": "NotFoundError", "Message": "no such route: the API's routes are listed at GET /openapi.json"}
_GATEWAY_ERROR = '{"Code": "$context.error.responseType", "Message": $context.error.messageString}'
# response type -> (status code, or None to keep API Gateway's, body template)
GATEWAY_RESPONSES: dict[str, tuple[str | None, str]] = {
    "UNAUTHORIZED": (None, '{"Code": "UnauthorizedError", "Message": "Missing or invalid token"}'),
    "MISSING_AUTHENTICATION_TOKEN": ("404", json.dumps(NO_ROUTE)),
    "THROTTLED": ("429", '{"Code": "TooManyRequestsError", "Message": "too many requests to this API right now; '
                  'try again in a moment"}'),
    "DEFAULT_4XX": (None, _GATEWAY_ERROR),
    "DEFAULT_5XX": (None, _GATEWAY_ERROR),
}


ALLOW_ORIGIN = "gatewayresponse.header.Access-Control-Allow-Origin"


def gateway_response(status: str | None, body: str, origin: str = "") -> dict[str, Any]:
    """One gateway response as API Gateway's API and an OpenAPI extension both take it; with an origin, the
    header that lets a page of that origin read it."""
    return {"responseTemplates": {"application/json": body}, **({"statusCode": status} if status else {}),
            **({"responseParameters": {ALLOW_ORIGIN: f"'{origin}'"}} if origin else {})}


def gateway_responses(origin: str = "") -> dict[str, dict[str, Any]]:
    """Every response by its type, readable by pages of `origin` (none if empty): also the
    `x-amazon-apigateway-gateway-responses` of a packaged API."""
    return {response_type: gateway_response(*answer, origin) for response_type, answer in GATEWAY_RESPONSES.items()}


def put_gateway_responses(apigateway: Any, rest_api_id: str, stage_name: str, origin: str = "") -> None:
    """Give the deployed API's own answers the error shape and the web client's origin (`origin`, the stage's
    WEB_ORIGIN), and redeploy its stage so they take effect."""
    for response_type, response in gateway_responses(origin).items():
        apigateway.put_gateway_response(restApiId=rest_api_id, responseType=response_type, **response)
    apigateway.create_deployment(restApiId=rest_api_id, stageName=stage_name)
