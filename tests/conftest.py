"""Shared fixtures: fake AWS credentials, the stack deployed into in-process moto, users with real tokens."""
from __future__ import annotations

import copy
import functools
import itertools
import json
import os
import shutil
import tempfile
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest

from chalicelib.settings import RATE_LIMITS
from tests import iam_audit

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
PASSWORD = "Test-password-123"

# Before anything builds a client: moto intercepts AWS hostnames only, never a configured endpoint.
for _name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[_name]
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION=REGION,
    AWS_REGION=REGION,
    PAYMENT_RAIL="simulated",  # the stacks the tests deploy ask for play money by name, as the local stage does
    # botocore sends DynamoDB Streams calls to <account>.streams-ddb...: a hostname moto does not intercept
    AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
)


def _one_loader_per_data_path() -> Callable[..., botocore.loaders.Loader]:
    """botocore's create_loader, remembering each loader: every botocore session reads a service's model once.

    Each `mock_aws()` starts with a new default boto3 session, the fixtures deploy through new sessions, and
    PynamoDB makes its own, so without this every test parsed the same JSON models again (~0.5 s a test). The
    loader only reads the installed, unchanging model files; each session keeps its own clients and settings.
    """
    loaders: dict[str | None, botocore.loaders.Loader] = {}
    create = botocore.loaders.create_loader

    def create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = create(search_path_string)
        return loaders[search_path_string]

    return create_loader


botocore.session.create_loader = _one_loader_per_data_path()  # type: ignore[attr-defined]


def _parsed_once(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """`parse`, remembering its result per text (a deep copy each time, so no caller shares another's data)."""
    remembered = functools.lru_cache(maxsize=8)(parse)

    def parse_again(text: str) -> Any:
        return copy.deepcopy(remembered(text))

    return parse_again


def _parse_each_template_once() -> None:
    """Every stack fixture deploys the same infra template: parse its YAML (pure-Python PyYAML, ~0.2 s a time)
    once per text, in provision.load (twice a deploy) and in moto's CloudFormation (once a deploy)."""
    from moto.cloudformation.models import Stack as CloudFormationStack

    from scripts import provision

    provision.load = _parsed_once(provision.load)  # type: ignore[method-assign]
    CloudFormationStack.parse_template = staticmethod(  # type: ignore[method-assign]
        _parsed_once(CloudFormationStack.parse_template))


_parse_each_template_once()


def _import_moto_pool_key_once() -> None:
    """moto gives every user pool the same signing key, bundled with it, and imports it from its JWK at each
    create_user_pool (recovering the RSA primes: ~0.16 s); import each key once. (The key signs, never changes.)"""
    from joserfc import jwk
    from moto.cognitoidp import models as cognito_models

    imported: dict[str, Any] = {}

    def import_key(data: Any, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs or not isinstance(data, dict):
            return jwk.RSAKey.import_key(data, *args, **kwargs)
        name = json.dumps(data, sort_keys=True)
        if name not in imported:
            imported[name] = jwk.RSAKey.import_key(data)
        return imported[name]

    cognito_models.jwk = types.SimpleNamespace(RSAKey=types.SimpleNamespace(import_key=import_key))  # type: ignore


_import_moto_pool_key_once()


_AUDIT_DIR = pytest.StashKey[Path]()
_AUDIT_RESULT = pytest.StashKey[tuple[list[iam_audit.Use], list[str]]]()


def pytest_configure(config: pytest.Config) -> None:
    """Record the AWS permissions the app's functions use (tests/iam_audit.py); xdist workers inherit the directory."""
    if not hasattr(config, "workerinput"):
        os.environ[iam_audit.RECORD_DIR_ENV] = tempfile.mkdtemp(prefix="everywhere-iam-audit-")
        config.stash[_AUDIT_DIR] = Path(os.environ[iam_audit.RECORD_DIR_ENV])
    iam_audit.install(Path(os.environ[iam_audit.RECORD_DIR_ENV]))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run if a function used a permission its policy does not grant (checked once, after every worker)."""
    directory = session.config.stash.get(_AUDIT_DIR, None)
    if directory is None:
        return
    uses = iam_audit.recorded(directory)
    problems = iam_audit.violations(uses)
    session.config.stash[_AUDIT_RESULT] = (uses, problems)
    shutil.rmtree(directory, ignore_errors=True)
    if problems and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if _AUDIT_RESULT not in config.stash:
        return
    uses, problems = config.stash[_AUDIT_RESULT]
    if problems:
        terminalreporter.section("IAM policy audit: permissions the functions used but are not granted", red=True)
        for problem in problems:
            terminalreporter.write_line(f"  {problem}", red=True)
    terminalreporter.write_line(
        f"IAM policy audit ({len(problems)} problems): " + ("; ".join(iam_audit.summary(uses)) or "no AWS calls")
    )
    if config.option.verbose > 0:
        checked = {(u.function, u.permission.action, iam_audit.as_reference(u.permission.resource))
                   for u in uses if u.function != iam_audit.DIRECT}
        for use in sorted(checked):
            terminalreporter.write_line("  " + " ".join(use))


@dataclass(frozen=True)
class User:
    email: str
    user_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The infra template deployed into in-process moto, with the app's environment pointing at it. In-process moto
    is not thread-safe: the stream functions store one recipient at a time here (STREAM_WORKERS=1)."""
    from moto import mock_aws

    from scripts import provision

    with mock_aws():
        deployed = provision.deploy(boto3.Session(region_name=REGION), "test")
        for key, value in deployed.environment().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("STREAM_WORKERS", "1")
        yield deployed


@pytest.fixture
def make_user(stack: Any) -> Callable[..., User]:
    """Sign up a confirmed user through Cognito and sign them in; returns their id and token."""
    from scripts import provision

    cognito = boto3.client("cognito-idp", region_name=REGION)
    counter = itertools.count(1)

    def make(name: str | None = None, operator: bool = False) -> User:
        email = f"user{next(counter)}@example.com"
        user_id = provision.create_user(cognito, stack.user_pool_id, email, PASSWORD, name=name, operator=operator)
        token = provision.sign_in(cognito, stack.user_pool_client_id, email, PASSWORD)
        return User(email=email, user_id=user_id, token=token)

    return make


@pytest.fixture
def chalice_client(stack: Any) -> Any:
    """Chalice's test client for the app, stage `local`: .http for routes, .lambda_ and .events for the rest."""
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="local", project_dir=str(ROOT)) as client:
        yield client


@pytest.fixture
def api(chalice_client: Any) -> Any:
    """The Chalice app behind its local gateway (authorizer included), stage `local`."""
    return chalice_client.http


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class Api:
    """The app over its local gateway, speaking JSON as a client would."""

    def __init__(self, http: Any) -> None:
        self.http = http

    def call(self, method: str, path: str, user: User | None = None, body: Any = None, raw: bytes | None = None,
             headers: dict[str, str] | None = None) -> Answer:
        sent = {"Content-Type": "application/json", **(user.headers if user else {}), **(headers or {})}
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = getattr(self.http, method.lower())(path, headers=sent, body=payload)
        text = response.body.decode() if response.body else ""
        return Answer(response.status_code, json.loads(text) if text else None, dict(response.headers))

    def get(self, path: str, user: User | None = None, **kw: Any) -> Answer:
        return self.call("GET", path, user, **kw)

    def post(self, path: str, user: User | None = None, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, user, body, **kw)

    def patch(self, path: str, user: User | None = None, body: Any = None, **kw: Any) -> Answer:
        return self.call("PATCH", path, user, body, **kw)

    def delete(self, path: str, user: User | None = None, **kw: Any) -> Answer:
        return self.call("DELETE", path, user, **kw)


@pytest.fixture
def client(api: Any) -> Api:
    return Api(api)


PEOPLES_SQUARE = (31.2304, 121.4737)


# Every kind of request allowed a million times a minute: for tests about something other than rate limits.
NO_RATE_LIMITS = ",".join(f"{kind}=1000000/60" for kind in RATE_LIMITS)


def listing_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Bike repair",
        "description": "Flat tyres, brakes, chains.",
        "category": "repair",
        "price_cents": 5000,
        "lat": PEOPLES_SQUARE[0],
        "lon": PEOPLES_SQUARE[1],
    }
    body.update(overrides)
    return body


def walk_pages(client: Api, user: User, path: str) -> list[dict[str, Any]]:
    """Every item of a paged list, following next_cursor from `path` (which already has a query string)."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.get(path + (f"&cursor={cursor}" if cursor else ""), user)
        assert page.status == 200, page.body
        items += page.body["items"]
        cursor = page.body["next_cursor"]
        if not cursor:
            return items
