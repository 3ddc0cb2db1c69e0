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
from tests.conftest import REGION, listing_body


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


@pytest.fixture
def escrow_stack(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh stack on the serialised moto server with Step Functions really executing the escrow ASL, and
    the token queue relayed to the app's `escrow_tokens` function as Lambda's event source mapping would.

    moto's executor calls DynamoDB and SQS at localhost:$MOTO_PORT, so MOTO_PORT names this server.
    """
    from app import app
    from scripts.local_triggers import LocalQueueRelay

    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    requests.post(
        f"{moto_server}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=10
    ).raise_for_status()
    monkeypatch.setenv("MOTO_PORT", moto_server.rsplit(":", 1)[1])
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    deployed = provision.deploy(boto3.Session(region_name=REGION), "escrow")
    for key, value in deployed.environment().items():
        monkeypatch.setenv(key, value)
    relay = LocalQueueRelay(app, "escrow_tokens", deployed.outputs["EscrowTokenQueueUrl"], REGION)
    relay.start()
    yield deployed
    relay.stop()
    relay.join(timeout=5)


@pytest.fixture
def shop(client: Any, make_user: Any) -> dict[str, Any]:
    """Bob offers a job at 60 yuan, Alice has 100 yuan in her wallet, Olga is an operator.

    Escrow test modules override `stack` with `escrow_stack`, so all of it lives on the executing moto.
    """
    from tests.integration.escrow_kit import deposit

    bob, alice, olga = make_user("Bob"), make_user("Alice"), make_user("Olga", operator=True)
    listing = client.post("/listings", bob, listing_body(price_cents=6_000))
    assert listing.status == 201, listing.body
    deposit(client, alice, 10_000)
    return {"bob": bob, "alice": alice, "olga": olga, "listing": listing.body}
