"""CloudWatch metrics the platform publishes itself (the escrow sweep's counts), under one namespace with the
stage as dimension, so infra/template.yaml's alarms name exactly these."""
from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.settings import get_settings

NAMESPACE = "Everywhere/Escrow"
_lock = threading.Lock()
_clients: dict[tuple[str, str], Any] = {}


def _client() -> Any:
    settings = get_settings()
    key = (settings.region, os.environ.get("AWS_ENDPOINT_URL", ""))
    with _lock:
        if key not in _clients:
            _clients[key] = boto3.client(
                "cloudwatch", region_name=settings.region, config=Config(retries={"mode": "standard"})
            )
        return _clients[key]


def publish(counts: dict[str, int]) -> None:
    """One data point per metric (a count), for this stage."""
    dimensions = [{"Name": "Stage", "Value": get_settings().stage}]
    _client().put_metric_data(Namespace=NAMESPACE, MetricData=[
        {"MetricName": name, "Dimensions": dimensions, "Value": float(value), "Unit": "Count"}
        for name, value in counts.items()
    ])
