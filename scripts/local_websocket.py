"""The local stand-in for API Gateway's WebSocket API: `chalice local` serves no WebSockets (aws/chalice#1674) and
moto's management API accepts frames for any connection without delivering them.

- A WebSocket server (the `websockets` library) on 127.0.0.1:$WS_PORT: each client's upgrade request becomes an
  API-Gateway-shaped `$connect` event for the app's `websocket_connect` function, whose refusal (e.g. 401 for a bad
  token) refuses the upgrade with that status; each text frame a `$default` event for `websocket_message`; the
  close a `$disconnect` event for `websocket_disconnect`. The three are the Lambda entry points of app.py.
- A management API on another port, speaking API Gateway's `@connections` protocol (POST a frame, DELETE a
  connection, GET its info; 410 GoneException for a connection that is not open): the app posts frames to it
  with boto3, exactly as deployed (WEBSOCKET_ENDPOINT points the app here), and it writes them to the socket.
"""
from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import threading
import time
import traceback
import uuid
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

API_ID = "local"
SEND_TIMEOUT_S = 10
GONE = {"message": "the connection is not open", "__type": "GoneException"}


def websocket_event(route_key: str, connection_id: str, domain_name: str, stage: str, **extra: Any) -> dict[str, Any]:
    """What API Gateway hands a WebSocket route's Lambda function."""
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
    now = datetime.now(UTC)
    return {
        "requestContext": {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": str(uuid.uuid4()),
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": stage,
            "connectedAt": int(now.timestamp() * 1000),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {"sourceIp": "127.0.0.1"},
            "requestId": str(uuid.uuid4()),
            "domainName": domain_name,
            "connectionId": connection_id,
            "apiId": API_ID,
        },
        "isBase64Encoded": False,
        **extra,
    }


def _connection_id() -> str:
    """An id shaped like API Gateway's (12 random bytes, base64)."""
    return base64.b64encode(os.urandom(12)).decode()


class LocalWebSocketGateway:
    """The WebSocket endpoint and its management API, each on its own thread, calling the app's handlers."""

    def __init__(self, app_module: Any, port: int, stage: str, host: str = "127.0.0.1") -> None:
        self.app_module = app_module
        self.host = host
        self.port = port
        self.stage = stage
        self._open: dict[str, ServerConnection] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._ready = threading.Event()
        self._management = ThreadingHTTPServer((host, 0), type("ManagementApi", (ManagementApi,), {"gateway": self}))
        self._threads = [
            threading.Thread(target=self._run_loop, name="local-websocket", daemon=True),
            threading.Thread(target=self._management.serve_forever, name="local-ws-management", daemon=True),
        ]

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def management_url(self) -> str:
        """Where the app posts frames (its WEBSOCKET_ENDPOINT): the stage is the path, as on API Gateway."""
        return f"http://{self.host}:{self._management.server_address[1]}/{self.stage}"

    def start(self) -> None:
        for thread in self._threads:
            thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"the local WebSocket server did not start on {self.url}")

    def stop(self) -> None:
        """Close every connection (each gets its $disconnect, as when API Gateway closes one) and both servers."""
        self._management.shutdown()
        if self._server is not None:
            with contextlib.suppress(FutureTimeout):  # then the loop's end drops what is left
                asyncio.run_coroutine_threadsafe(self._close(self._server), self._loop).result(SEND_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)

    @staticmethod
    async def _close(server: Server) -> None:
        server.close()
        await server.wait_closed()

    # ---- the socket side -----------------------------------------------------------------------------------
    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(self._listen())
        self._ready.set()
        self._loop.run_forever()

    async def _listen(self) -> Server:
        return await serve(self._serve, self.host, self.port, process_request=self._connect, ping_interval=None)

    def _call(self, route_key: str, connection_id: str, **extra: Any) -> dict[str, Any]:
        handler = {
            "$connect": self.app_module.websocket_connect,
            "$disconnect": self.app_module.websocket_disconnect,
        }.get(route_key, self.app_module.websocket_message)
        event = websocket_event(route_key, connection_id, f"{self.host}:{self.port}", self.stage, **extra)
        answer: dict[str, Any] = handler(event, None)
        return answer

    async def _connect(self, connection: ServerConnection, request: Request) -> Response | None:
        """The upgrade request: the app's $connect decides (200 opens the socket, else its status refuses it)."""
        connection_id = _connection_id()
        query = dict(parse_qsl(urlsplit(request.path).query))
        headers = dict(request.headers.raw_items())
        answer = await asyncio.to_thread(
            self._call, "$connect", connection_id, headers=headers, queryStringParameters=query or None
        )
        status = int(answer.get("statusCode", 200))
        if status != HTTPStatus.OK:
            body = answer.get("body") or ""
            return Response(status, HTTPStatus(status).phrase, Headers({"Content-Type": "application/json"}),
                            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        connection.connection_id = connection_id  # type: ignore[attr-defined]
        with self._lock:
            self._open[connection_id] = connection
        return None

    async def _serve(self, connection: ServerConnection) -> None:
        connection_id: str = connection.connection_id  # type: ignore[attr-defined]
        try:
            async for frame in connection:
                text = frame if isinstance(frame, str) else frame.decode(errors="replace")
                try:
                    await asyncio.to_thread(self._call, "$default", connection_id, body=text)
                except Exception:  # noqa: BLE001 - as API Gateway: a failed invocation leaves the connection open
                    traceback.print_exc()
        finally:
            with self._lock:
                self._open.pop(connection_id, None)
            await asyncio.to_thread(self._call, "$disconnect", connection_id)

    def deliver(self, connection_id: str, text: str) -> bool:
        """Write one text frame to an open connection (from any thread); False if it is not open."""
        with self._lock:
            connection = self._open.get(connection_id)
        if connection is None:
            return False
        future = asyncio.run_coroutine_threadsafe(connection.send(text), self._loop)
        try:
            future.result(SEND_TIMEOUT_S)
        except (FutureTimeout, Exception):  # noqa: BLE001 - closed while sending: as API Gateway, it is gone
            future.cancel()  # answered "gone": the frame must not arrive later after all
            return False
        return True

    def is_open(self, connection_id: str) -> bool:
        with self._lock:
            return connection_id in self._open

    def close(self, connection_id: str) -> bool:
        with self._lock:
            connection = self._open.get(connection_id)
        if connection is None:
            return False
        closing = asyncio.run_coroutine_threadsafe(connection.close(), self._loop)
        with contextlib.suppress(FutureTimeout):  # a slow closing handshake: the connection is closing anyway
            closing.result(SEND_TIMEOUT_S)
        return True


class ManagementApi(BaseHTTPRequestHandler):
    """API Gateway's `@connections` routes under /<stage>/, for one gateway (set by the subclass it makes)."""

    gateway: LocalWebSocketGateway

    def _connection_id(self) -> str | None:
        parts = urlsplit(self.path).path.strip("/").split("/")  # split before unquoting: an id may hold a "/"
        if len(parts) == 3 and parts[0] == self.gateway.stage and unquote(parts[1]) == "@connections":
            return unquote(parts[2])
        return None

    def _answer(self, status: int, body: dict[str, Any] | None = None) -> None:
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if status == HTTPStatus.GONE:
            self.send_header("x-amzn-ErrorType", "GoneException")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        """post_to_connection: the body is the frame."""
        connection_id = self._connection_id()
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if connection_id is not None and self.gateway.deliver(connection_id, data.decode(errors="replace")):
            self._answer(HTTPStatus.OK)
        else:
            self._answer(HTTPStatus.GONE, GONE)

    def do_DELETE(self) -> None:
        """delete_connection."""
        connection_id = self._connection_id()
        if connection_id is not None and self.gateway.close(connection_id):
            self._answer(HTTPStatus.NO_CONTENT)
        else:
            self._answer(HTTPStatus.GONE, GONE)

    def do_GET(self) -> None:
        """get_connection."""
        connection_id = self._connection_id()
        if connection_id is not None and self.gateway.is_open(connection_id):
            now = time.time()
            info = {"connectedAt": now, "lastActiveAt": now, "identity": {"sourceIp": "127.0.0.1"}}
            self._answer(HTTPStatus.OK, info)
        else:
            self._answer(HTTPStatus.GONE, GONE)

    def log_message(self, format: str, *args: Any) -> None:
        """Frames carry what users said: never logged here."""
