"""A user's WebSocket connections: opened once their token is verified (api/websocket.py), capped per user,
forgotten when they close; and the one thing a client may say on its socket, a ping.

Cost: a connect counts one rate-limit hit (1 write), reads the user's newest connections (1 index Query of at
most MAX_CONNECTIONS_PER_USER small items) and writes one item; beyond the cap it closes the oldest (one
management API call and one delete each). A ping: 1 read and 1 hit.
"""
from __future__ import annotations

import json

from chalicelib.domain.clock import now_iso
from chalicelib.domain.connections import Connection, beyond_cap, endpoint_for
from chalicelib.domain.errors import InvalidInput, RateLimited
from chalicelib.domain.identity import Caller
from chalicelib.observability import logger
from chalicelib.services import admission
from chalicelib.settings import get_settings
from chalicelib.store import connections

PING = "ping"


def open_connection(caller: Caller, connection_id: str, domain_name: str, stage: str) -> Connection:
    """Record the caller's new connection, closing their oldest beyond the cap; 429 over the connect rate."""
    admission.admit(caller, "connect", writes=False)
    settings = get_settings()
    existing = connections.of_user(caller.user_id, settings.max_connections_per_user)
    for old in beyond_cap(existing, settings.max_connections_per_user):
        connections.close(old)
        connections.remove(old.connection_id)
        logger.info("oldest connection closed: over the cap", connection_id=old.connection_id)
    endpoint = endpoint_for(domain_name, stage, settings.websocket_endpoint)
    return connections.add(connection_id, caller.user_id, endpoint)


def close_connection(connection_id: str) -> None:
    connections.remove(connection_id)


def answer(connection_id: str, body: str) -> None:
    """Answer what a client sent on its socket: `{"action": "ping"}` gets `{"kind": "pong", "at": ...}`; anything
    else an error frame in the API's shape. A connection not (or no longer) recorded gets nothing."""
    connection = connections.get(connection_id)
    if connection is None:
        return
    try:
        admission.admit(Caller(connection.user_id), "socket_message", writes=False)
    except RateLimited:
        logger.info("socket message over the rate: not answered", connection_id=connection_id)
        return
    try:
        _check_ping(body)
        reply = {"kind": "pong", "at": now_iso()}
    except InvalidInput as exc:
        reply = {"Code": "BadRequestError", "Message": str(exc)}
    try:
        connections.send(connection, json.dumps(reply))
    except (connections.Gone, connections.Undelivered):
        logger.info("answer not delivered", connection_id=connection_id)


def _check_ping(body: str) -> None:
    try:
        message = json.loads(body)
    except ValueError:
        message = None
    if not isinstance(message, dict) or message.get("action") != PING:
        raise InvalidInput('send {"action": "ping"} to keep the connection alive; events come by themselves')
