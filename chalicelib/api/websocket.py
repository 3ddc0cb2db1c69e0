"""The WebSocket API: connect with `?token=<id token>`, receive every new event of yours as one JSON text frame.

API Gateway runs no authorizer on a Chalice `$connect` (aws/chalice#1457), so the connect handler verifies the
token itself, with the REST authorizer's verification (api/authorizer.py `verify_token`): a missing, bad or
expired token is refused with 401 before the connection opens. A client sends only `{"action": "ping"}` (API
Gateway closes a connection idle for 10 minutes); events are pushed by the functions that read the streams
(services/events.py). Logs carry connection ids, never the token.

app.py declares the three Lambda functions and calls these: Chalice names a WebSocket function's Lambda entry
point by its module attribute, which a blueprint would leave unwrapped (Lambda would call it with (event,
context)), so they are declared on the app itself, as Chalice's documentation does.
"""
from __future__ import annotations

from chalice.app import Response, WebsocketEvent

from chalicelib.api.authorizer import InvalidToken, KeysUnavailable, verify_token
from chalicelib.domain.errors import Busy, RateLimited
from chalicelib.domain.identity import Caller
from chalicelib.observability import logger
from chalicelib.services import sockets
from chalicelib.settings import get_settings


def _refused(status: int, reason: str, retry_after_s: int | None = None) -> Response:
    logger.info("connection refused", status=status, reason=reason)
    headers: dict[str, str | list[str]] = {"Retry-After": str(retry_after_s)} if retry_after_s else {}
    return Response(body={"Code": _CODES[status], "Message": reason}, status_code=status, headers=headers)


_CODES = {401: "UnauthorizedError", 429: "TooManyRequestsError", 503: "ServiceUnavailableError"}


def connect(event: WebsocketEvent) -> Response | None:
    token = (event.to_dict().get("queryStringParameters") or {}).get("token") or ""
    if not token:
        return _refused(401, "connect with ?token=<your id token>")
    try:
        claims = verify_token(token, get_settings())
    except InvalidToken as exc:
        return _refused(401, str(exc))
    except KeysUnavailable:
        return _refused(503, "sign-in is unavailable for a moment: connect again")
    caller = Caller(user_id=str(claims["sub"]))
    try:
        sockets.open_connection(caller, event.connection_id, event.domain_name, event.stage)
    except (RateLimited, Busy) as exc:
        return _refused(429, str(exc), exc.retry_after_s)
    logger.info("connected", connection_id=event.connection_id, user_id=caller.user_id)
    return None


def message(event: WebsocketEvent) -> None:
    sockets.answer(event.connection_id, event.body)


def disconnect(event: WebsocketEvent) -> None:
    sockets.close_connection(event.connection_id)
    logger.info("disconnected", connection_id=event.connection_id)

