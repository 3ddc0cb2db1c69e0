"""boto3 clients of the AWS services the app calls besides DynamoDB (PynamoDB has its own), built lazily once per
service, region and endpoint (tests and `make run` point at moto), with botocore's standard retries."""
from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.settings import get_settings

_lock = threading.Lock()
_clients: dict[tuple[str, str, str], Any] = {}


def client(service: str, endpoint_url: str | None = None) -> Any:
    """The client of `service` ("stepfunctions", "cognito-idp", "cloudwatch"...) for the settings in force;
    `endpoint_url` for a service that has one per API (API Gateway's management API: one per WebSocket API)."""
    region = get_settings().region
    key = (service, region, endpoint_url or os.environ.get("AWS_ENDPOINT_URL", ""))
    with _lock:
        if key not in _clients:
            _clients[key] = boto3.client(
                service, region_name=region, endpoint_url=endpoint_url, config=Config(retries={"mode": "standard"})
            )
        return _clients[key]
