"""Fixtures for concurrency tests: the moto *server* with requests serialised, as `make run` runs it.

In-process moto is not thread-safe; real DynamoDB gives the isolation in production.
"""
from __future__ import annotations

import socket
from typing import Any, Iterator

import boto3
import pytest
import requests

from scripts import provision
from scripts.local_stack import SerialisedMotoServer
from tests.conftest import REGION


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    port = _free_port()
    server = SerialisedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def served_stack(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh stack deployed into the serialised moto server, with the app's environment pointing at it."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    deployed = provision.deploy(boto3.Session(region_name=REGION), "race")
    for key, value in deployed.environment().items():
        monkeypatch.setenv(key, value)
    return deployed
