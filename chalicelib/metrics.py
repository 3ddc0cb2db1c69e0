"""CloudWatch metrics the platform publishes itself (the escrow sweep's counts), under one namespace with the
stage as dimension, so infra/template.yaml's alarms name exactly these."""
from __future__ import annotations

from typing import Any

from chalicelib import aws_clients
from chalicelib.settings import get_settings

NAMESPACE = "Everywhere/Escrow"
def _client() -> Any:
    return aws_clients.client("cloudwatch")


def publish(counts: dict[str, int]) -> None:
    """One data point per metric (a count), for this stage."""
    dimensions = [{"Name": "Stage", "Value": get_settings().stage}]
    _client().put_metric_data(Namespace=NAMESPACE, MetricData=[
        {"MetricName": name, "Dimensions": dimensions, "Value": float(value), "Unit": "Count"}
        for name, value in counts.items()
    ])
