"""API Gateway's own ceiling on a deployed stage: requests per second (and burst) over all callers together.

The app limits each user (services/admission.py, settings.RATE_LIMITS); this caps the whole stage, so a flood
from many accounts at once is refused at the gateway (429, in the API's error shape: scripts/gateway_responses.py)
before it reaches Lambda and DynamoDB, and one stage cannot take the account's whole Lambda concurrency.
`make package` writes it into the template (the API's MethodSettings), `make deploy` puts it on the stage.
"""
from __future__ import annotations

from typing import Any, NamedTuple


class Throttle(NamedTuple):
    rate_per_s: int  # steady requests per second, the whole stage
    burst: int  # requests at once (the token bucket's size)


# Per stage; a stage not listed gets DEFAULT. Prod: ~10x the busiest hour we plan for in the first city, and
# below the account's default 10,000 requests/s across all APIs.
THROTTLES: dict[str, Throttle] = {"dev": Throttle(50, 100), "prod": Throttle(3000, 6000)}
DEFAULT = Throttle(50, 100)


def throttle(stage: str) -> Throttle:
    return THROTTLES.get(stage, DEFAULT)


def method_settings(stage: str) -> list[dict[str, Any]]:
    """The packaged API's MethodSettings: one entry for every resource and method of the stage."""
    limit = throttle(stage)
    return [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": limit.rate_per_s,
             "ThrottlingBurstLimit": limit.burst}]


def put_stage_throttling(apigateway: Any, rest_api_id: str, api_stage: str, stage: str) -> None:
    """Set the ceiling on a stage `chalice deploy` made."""
    limit = throttle(stage)
    apigateway.update_stage(restApiId=rest_api_id, stageName=api_stage, patchOperations=[
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(limit.rate_per_s)},
        {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(limit.burst)},
    ])
