"""The local stand-in for API Gateway's WebSocket API (scripts/local_websocket.py), with a stand-in app: frames
the app posts through the management API reach the socket; a closed or unknown connection is GoneException."""
from __future__ import annotations

import json
import socket
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.config import Config
from websockets.sync.client import connect

from scripts import local_websocket


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Any:
    calls: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        calls.append(event)
        return {"statusCode": 200}

    app = SimpleNamespace(websocket_connect=handler, websocket_message=handler, websocket_disconnect=handler)
    monkeypatch.setattr(local_websocket, "_connection_id", lambda: "L0SM/9cO+FvHcCIhw=")  # API Gateway's alphabet
    started = local_websocket.LocalWebSocketGateway(app, _free_port(), "local")
    started.start()
    started.calls = calls
    yield started
    started.stop()


def management(gateway: Any) -> Any:
    return boto3.client("apigatewaymanagementapi", endpoint_url=gateway.management_url, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local",
                        config=Config(retries={"max_attempts": 1}))


def test_a_frame_posted_for_an_open_connection_reaches_its_socket_whatever_its_id(gateway):
    with connect(gateway.url + "/?token=t") as client:
        management(gateway).post_to_connection(ConnectionId="L0SM/9cO+FvHcCIhw=", Data=b'{"event_id": 1}')
        assert json.loads(client.recv(timeout=5)) == {"event_id": 1}
    connect_event = gateway.calls[0]
    assert connect_event["requestContext"]["routeKey"] == "$connect"
    assert connect_event["requestContext"]["connectionId"] == "L0SM/9cO+FvHcCIhw="
    assert connect_event["queryStringParameters"] == {"token": "t"}


def test_a_frame_for_a_connection_that_is_not_open_is_gone(gateway):
    client = management(gateway)
    with pytest.raises(client.exceptions.GoneException):
        client.post_to_connection(ConnectionId="nobody", Data=b"{}")


def test_a_refused_connect_refuses_the_upgrade_with_its_status(gateway):
    from websockets.exceptions import InvalidStatus

    gateway.app_module.websocket_connect = lambda event, context: {"statusCode": 401, "body": '{"Code": "x"}'}
    with pytest.raises(InvalidStatus) as refused:
        connect(gateway.url + "/")
    assert refused.value.response.status_code == 401
