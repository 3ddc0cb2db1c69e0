"""The route table: every route is declared through api/routing.operation, so every one is documented,
validated, and — unless public — refuses an unverified caller."""
from __future__ import annotations

import re

import pytest

from app import app
from chalicelib.api.routing import OPERATIONS
from tests.conftest import listing_body

PUBLIC = {("GET", "/health"), ("GET", "/categories"), ("GET", "/regions"), ("GET", "/openapi.json")}


def app_routes() -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods}


def test_every_route_of_the_app_is_a_declared_operation_and_the_reverse():
    assert app_routes() == {(op.method, op.path) for op in OPERATIONS}


def test_exactly_the_contracts_public_routes_are_public():
    assert {(op.method, op.path) for op in OPERATIONS if op.public} == PUBLIC


@pytest.mark.parametrize("op", [op for op in OPERATIONS if not op.public], ids=lambda op: f"{op.method} {op.path}")
def test_every_other_route_refuses_a_token_it_cannot_verify(client, op):
    path = re.sub(r"{\w+}", "00000000-0000-4000-8000-000000000000", op.path)
    answer = client.call(op.method, path, headers={"Authorization": "Bearer x"}, body={} if op.body else None)
    assert answer.status == 401
    assert answer.body["Code"] == "UnauthorizedError"


def test_when_the_pools_keys_cannot_be_fetched_callers_get_503_not_a_crash(client, make_user, monkeypatch):
    alice = make_user()
    monkeypatch.setenv("COGNITO_JWKS_URL", "http://127.0.0.1:9/unreachable/jwks.json")
    answer = client.get("/me", alice)
    assert answer.status == 503
    assert answer.body["Code"] == "ServiceUnavailableError"


def test_a_page_that_ends_the_list_exactly_has_no_next_cursor(client, make_user):
    bob = make_user()
    for i in range(2):
        client.post("/listings", bob, listing_body(title=f"Service {i}"))
    page = client.get(f"/users/{bob.user_id}/listings?limit=2", bob).body
    assert len(page["items"]) == 2
    assert page["next_cursor"] is None


def test_the_routes_that_take_an_idempotency_key_document_it(client):
    document = client.get("/openapi.json").body
    for op in OPERATIONS:
        parameters = document["paths"][op.path][op.method.lower()].get("parameters", [])
        documented = any(p["in"] == "header" and p["name"] == "Idempotency-Key" and p["required"] for p in parameters)
        assert documented == op.idempotent, (op.method, op.path)
    assert {(op.method, op.path) for op in OPERATIONS if op.idempotent} == {
        ("POST", "/orders"), ("POST", "/orders/{order_id}/pay"), ("POST", "/wallet/deposits"),
        ("POST", "/wallet/withdrawals")
    }
