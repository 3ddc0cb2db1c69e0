"""Open WebSocket connections in DynamoDB (store/models.py ConnectionModel), and frames posted to them through
API Gateway's management API (`post_to_connection`), whose GoneException means the client left."""
from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws_clients
from chalicelib.domain.clock import iso, now
from chalicelib.domain.connections import MAX_LIFETIME_S, Connection
from chalicelib.store import items, tables
from chalicelib.store.models import ConnectionModel


class Gone(Exception):
    """The connection is closed: API Gateway will never deliver to it again."""


class Undelivered(Exception):
    """The frame was not posted this time (throttled, the management API unreachable): it may work later."""


def add(connection_id: str, user_id: str, endpoint: str) -> Connection:
    """Record a new connection; it expires (TTL) at API Gateway's limit on a connection's life."""
    tables.bind()
    moment = now()
    model = ConnectionModel(
        connection_id=connection_id, user_id=user_id, connected_at=f"{iso(moment)}#{connection_id}",
        endpoint=endpoint, expires_at=moment + timedelta(seconds=MAX_LIFETIME_S),
    )
    model.save()
    return _connection(model)


def remove(connection_id: str) -> None:
    tables.bind()
    ConnectionModel(connection_id=connection_id).delete()


def get(connection_id: str) -> Connection | None:
    model = items.read(ConnectionModel, connection_id)
    return _connection(model) if model is not None else None


def of_user(user_id: str, limit: int) -> list[Connection]:
    """The user's newest `limit` connections, newest first (the index is eventually consistent: a connection
    made a moment ago may be missing; its client catches up with GET /events)."""
    tables.bind()
    models = ConnectionModel.by_user.query(user_id, scan_index_forward=False, limit=limit, page_size=limit)
    return [_connection(model) for model in models]


def send(connection: Connection, text: str) -> None:
    """Post one text frame to the connection; Gone if its client left."""
    client = _management_api(connection.endpoint)
    try:
        client.post_to_connection(ConnectionId=connection.connection_id, Data=text.encode())
    except client.exceptions.GoneException as exc:
        raise Gone(connection.connection_id) from exc
    except (ClientError, BotoCoreError) as exc:
        raise Undelivered(type(exc).__name__) from exc


def close(connection: Connection) -> None:
    """Have API Gateway close the connection; gone already, or not closable now, is fine: the caller forgets it,
    and a connection nobody pushes to closes within 10 idle minutes."""
    with contextlib.suppress(ClientError, BotoCoreError):
        _management_api(connection.endpoint).delete_connection(ConnectionId=connection.connection_id)


def _management_api(endpoint: str) -> Any:
    return aws_clients.client("apigatewaymanagementapi", endpoint_url=endpoint)


def _connection(model: ConnectionModel) -> Connection:
    return Connection(
        connection_id=model.connection_id, user_id=model.user_id,
        connected_at=model.connected_at.partition("#")[0], endpoint=model.endpoint,
    )
