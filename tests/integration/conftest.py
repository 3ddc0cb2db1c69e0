"""Fixtures of the integration tests.

- For concurrency and the escrow: the moto *server* with requests serialised, as `make run` runs it (in-process
  moto is not thread-safe; real DynamoDB gives the isolation in production), able to inject AWS faults.
- For table-driven modules: one stack shared by all of a module's cases (`shared_app`), on which each module
  builds its own `world`.
"""
from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import requests

from scripts import provision
from scripts.moto_server import SerialisedMotoServer
from tests.conftest import PASSWORD, REGION, ROOT, Api, User, listing_body


@dataclass
class Fault:
    """Refuse the next `times` AWS calls of `operation` whose body contains `marker`, as AWS would."""

    operation: str  # the end of the X-Amz-Target header, e.g. "TransactWriteItems", "SendMessage"
    marker: str
    code: str  # e.g. "ThrottlingException", "InternalServerError", "TransactionCanceledException"
    status: int = 400
    times: int = 1
    message: str = ""
    after_commit: bool = False  # carry the call out, then lose its answer (the caller sees the fault)
    hits: int = 0


class FaultyMotoServer(SerialisedMotoServer):
    """The serialised moto server, able to refuse chosen calls — whoever makes them: the app, or the Step
    Functions executor, which calls DynamoDB and SQS back on this server."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.faults: list[Fault] = []
        self._faults_lock = threading.Lock()

    def inject(self, fault: Fault) -> Fault:
        with self._faults_lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._faults_lock:
            self.faults.clear()

    def serve(self, app: Any, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target and self.faults:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            fault = self._matching(target, body.decode("utf-8", "replace"))
            if fault is not None:
                if fault.after_commit:
                    super().serve(app, environ, lambda *_args, **_kwargs: None)
                message = fault.message or f"injected {fault.code}"
                payload = json.dumps({"__type": fault.code, "message": message}).encode()
                start_response(f"{fault.status} Injected", [
                    ("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(payload))),
                    ("x-amzn-RequestId", "injected"), ("x-amzn-query-error", f"{fault.code};Sender"),
                ])
                return [payload]
        return super().serve(app, environ, start_response)

    def _matching(self, target: str, body: str) -> Fault | None:
        with self._faults_lock:
            for fault in self.faults:
                if fault.hits < fault.times and target.endswith("." + fault.operation) and fault.marker in body:
                    fault.hits += 1
                    return fault
        return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The escrow ASL retries a failed task after 1, 2, 4, 4, 4 s (jittered): production's backoff, which the tests
# of faults sat through in full (a queue down for 8 sends: ~10 s a test). Served moto's executor sleeps each
# interval times this: every retry still happens, in the same order and number, only sooner.
RETRY_INTERVAL_SCALE = 0.1


@pytest.fixture(scope="module")
def faulty_moto() -> Iterator[FaultyMotoServer]:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    server = FaultyMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(retrier_decl, "time", SimpleNamespace(
            sleep=lambda seconds: time.sleep(seconds * RETRY_INTERVAL_SCALE)))
        yield server
    server.stop()


@pytest.fixture(scope="module")
def moto_server(faulty_moto: FaultyMotoServer) -> str:
    host, port = faulty_moto.get_host_and_port()
    return f"http://{host}:{port}"


@pytest.fixture
def faults(faulty_moto: FaultyMotoServer) -> Iterator[FaultyMotoServer]:
    """Inject AWS faults into the served moto for one test; cleared afterwards."""
    faulty_moto.clear()
    yield faulty_moto
    faulty_moto.clear()


@pytest.fixture
def served_stack(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh stack deployed into the serialised moto server, with the app's environment pointing at it."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    deployed = provision.deploy(boto3.Session(region_name=REGION), "race")
    for key, value in deployed.environment().items():
        monkeypatch.setenv(key, value)
    return deployed


@contextmanager
def escrow_deployment(moto_server: str, env: pytest.MonkeyPatch) -> Iterator[Any]:
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
    env.setenv("MOTO_PORT", moto_server.rsplit(":", 1)[1])
    env.setenv("AWS_ENDPOINT_URL", moto_server)
    deployed = provision.deploy(boto3.Session(region_name=REGION), "escrow")
    for key, value in deployed.environment().items():
        env.setenv(key, value)
    relay = LocalQueueRelay(app, "escrow_tokens", deployed.outputs["EscrowTokenQueueUrl"], REGION)
    relay.start()
    try:
        yield deployed
    finally:
        relay.stop()
        relay.join(timeout=5)


@pytest.fixture
def escrow_stack(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The escrow deployment, fresh for one test."""
    with escrow_deployment(moto_server, monkeypatch) as deployed:
        yield deployed


@pytest.fixture(scope="module")
def shared_stack() -> Iterator[Any]:
    """The stack in in-process moto, shared by all of a module's cases, with the app's environment pointing at
    it. A module whose cases need the escrow really executing overrides it with `escrow_shared_stack`."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as env, mock_aws():
        deployed = provision.deploy(boto3.Session(region_name=REGION), "test")
        for key, value in deployed.environment().items():
            env.setenv(key, value)
        env.setenv("STREAM_WORKERS", "1")  # in-process moto is not thread-safe
        yield deployed


@pytest.fixture(scope="module")
def escrow_shared_stack(moto_server: str) -> Iterator[Any]:
    """The escrow deployment (`escrow_deployment`), shared by all of a module's cases."""
    with pytest.MonkeyPatch.context() as env, escrow_deployment(moto_server, env) as deployed:
        yield deployed


@dataclass
class SharedApp:
    """The app behind its local gateway on a module's shared stack, and a way to sign users up on it."""

    client: Api
    stack: Any
    cognito: Any

    def user(self, email: str, name: str | None = None, operator: bool = False) -> User:
        """A confirmed Cognito user, signed in: their id and a real token."""
        user_id = provision.create_user(self.cognito, self.stack.user_pool_id, email, PASSWORD, name=name,
                                        operator=operator)
        token = provision.sign_in(self.cognito, self.stack.user_pool_client_id, email, PASSWORD)
        return User(email, user_id, token)


@pytest.fixture(scope="module")
def shared_app(shared_stack: Any) -> Iterator[SharedApp]:
    """The Chalice test client (stage `local`) on `shared_stack`, for a whole module."""
    from chalice.test import Client

    from app import app

    cognito = boto3.client("cognito-idp", region_name=REGION)
    with Client(app, stage_name="local", project_dir=str(ROOT)) as chalice_client:
        yield SharedApp(Api(chalice_client.http), shared_stack, cognito)


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


STREAMS = {"order_events": "OrdersStreamArn", "chat_events": "ChatStreamArn", "task_events": "TasksStreamArn"}


def stream_relays(stack: Any, *functions: str) -> Callable[[], int]:
    """`drain()`: hand everything the named functions' streams hold to them, as Lambda would (the relay the local
    stack runs, scripts/local_triggers.py); call it after each action under test. Returns how many records."""
    from app import app
    from scripts.local_triggers import LocalStreamRelay

    relays = [LocalStreamRelay(app, function, stack.outputs[STREAMS[function]], REGION) for function in functions]
    return lambda: sum(relay.drain() for relay in relays)
