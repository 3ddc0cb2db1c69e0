"""A user's WebSocket connections as API Gateway hands them to the app's three functions: capped per user (a new
one beyond the cap closes the oldest), answered on a ping, forgotten on disconnect."""
from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.store import connections
from tests.integration.test_events import API_ID, REGION, connect, delivered


def socket_event(route_key: str, connection_id: str, body: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "requestContext": {
            "routeKey": route_key, "eventType": "MESSAGE" if route_key == "$default" else "DISCONNECT",
            "connectionId": connection_id, "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com",
            "stage": "local", "apiId": API_ID,
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    return event


@pytest.fixture
def bob(make_user: Any) -> Any:
    return make_user("Bob")


def test_a_ping_is_answered_with_a_pong_on_the_same_connection(chalice_client, bob):
    import app

    connect(chalice_client, bob, "ping-1")
    app.websocket_message(socket_event("$default", "ping-1", json.dumps({"action": "ping"})), None)
    [frame] = delivered("ping-1")
    assert json.loads(frame)["kind"] == "pong"


def test_anything_but_a_ping_gets_an_error_frame_naming_what_to_send(chalice_client, bob):
    import app

    connect(chalice_client, bob, "chatty-1")
    app.websocket_message(socket_event("$default", "chatty-1", "hello?"), None)
    [frame] = delivered("chatty-1")
    assert json.loads(frame)["Code"] == "BadRequestError" and "ping" in json.loads(frame)["Message"]


def test_a_disconnected_connection_is_forgotten(chalice_client, bob):
    import app

    connect(chalice_client, bob, "bye-1")
    assert connections.get("bye-1") is not None
    app.websocket_disconnect(socket_event("$disconnect", "bye-1"), None)
    assert connections.get("bye-1") is None


def test_a_connection_beyond_the_cap_closes_the_users_oldest(chalice_client, bob, monkeypatch):
    monkeypatch.setenv("MAX_CONNECTIONS_PER_USER", "3")
    for number in range(4):
        assert connect(chalice_client, bob, f"tab-{number}") == {"statusCode": 200}
    held = [c.connection_id for c in connections.of_user(bob.user_id, 10)]
    assert held == ["tab-3", "tab-2", "tab-1"]  # newest first; tab-0 was closed and forgotten


def test_connecting_too_often_is_refused_with_429(chalice_client, bob, monkeypatch):
    monkeypatch.setenv("RATE_LIMITS", "connect=2/3600")
    assert connect(chalice_client, bob, "again-1")["statusCode"] == 200
    assert connect(chalice_client, bob, "again-2")["statusCode"] == 200
    refused = connect(chalice_client, bob, "again-3")
    assert refused["statusCode"] == 429
    assert connections.get("again-3") is None
