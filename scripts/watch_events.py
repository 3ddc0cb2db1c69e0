"""Watch a user's events arrive on the running local stack: the reference client of the WebSocket.

    python -m scripts.watch_events alice      # `make events AS=alice`; Ctrl-C to stop

It signs the demo user in, catches up with GET /events, connects to the WebSocket with ?token=, prints each
event (one JSON line) as it is pushed, pings every PING_S (API Gateway closes a connection idle for 10 minutes),
and after any disconnect reconnects and fills the gap with GET /events?after=<last seen> — nothing is missed
or printed twice (events carry increasing ids). Reads .local/stack.json (STATE_DIR to change).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import requests
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from scripts import local_state, token

PING_S = 300
RECONNECT_S = 1


class Watcher:
    """Prints events in id order, each once, whether they come pushed or caught up."""

    def __init__(self, api_url: str, ws_url: str, sign_in: Callable[[], str]) -> None:
        self.api_url = api_url
        self.ws_url = ws_url
        self.sign_in = sign_in  # a fresh id token (they expire after an hour)
        self.token = sign_in()
        self.last = 0
        self._refused: int | None = None  # the status of the last refused connect, until one succeeds

    def show(self, event: dict[str, Any]) -> None:
        if event["event_id"] > self.last:
            self.last = event["event_id"]
            print(json.dumps(event, ensure_ascii=False), flush=True)

    def catch_up(self) -> None:
        """Everything after the last event shown, page by page (also fills a gap between pushed events)."""
        while True:
            answer = requests.get(f"{self.api_url}/events", params={"after": self.last, "limit": 100},
                                  headers={"Authorization": f"Bearer {self.token}"}, timeout=10)
            if answer.status_code == HTTPStatus.UNAUTHORIZED:  # the token expired: sign in again
                self.token = self.sign_in()
                continue
            if answer.status_code == HTTPStatus.TOO_MANY_REQUESTS:
                time.sleep(float(answer.headers.get("Retry-After", "1")))
                continue
            answer.raise_for_status()
            for event in answer.json()["items"]:
                self.show(event)
            if not answer.json()["next_cursor"]:
                return

    async def watch(self) -> None:
        while True:
            try:
                async with connect(f"{self.ws_url}/?token={self.token}") as socket:
                    self._refused = None
                    await asyncio.to_thread(self.catch_up)  # after connecting: what happened while away
                    await self._receive(socket)
            except InvalidStatus as exc:
                status = exc.response.status_code
                print(f"# refused: {status} {exc.response.body.decode()}", file=sys.stderr)
                if status == HTTPStatus.UNAUTHORIZED:
                    self.token = self.sign_in()  # expired, most likely: once more with a fresh one, then stop
                    if self._refused == status:
                        return
                    self._refused = status
                else:  # 429 (connecting too often) or 503: wait and connect again
                    await asyncio.sleep(float(exc.response.headers.get("Retry-After", "5")))
                continue
            except (ConnectionClosed, OSError) as exc:
                print(f"# disconnected ({exc}); reconnecting", file=sys.stderr)
            await asyncio.sleep(RECONNECT_S)

    async def _receive(self, socket: Any) -> None:
        while True:
            try:
                frame = await asyncio.wait_for(socket.recv(), PING_S)
            except TimeoutError:
                await socket.send(json.dumps({"action": "ping"}))
                continue
            event = json.loads(frame)
            if "event_id" not in event:
                continue  # a pong or an error frame
            if event["event_id"] > self.last + 1:
                await asyncio.to_thread(self.catch_up)  # pushes of two streams can cross: the log has them in order
            self.show(event)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("user", nargs="?", default="alice", help="alice, bob, olga or provider-N")
    user = parser.parse_args(argv).user
    stack = local_state.running()
    watcher = Watcher(stack["api_url"], stack["ws_url"], lambda: token.id_token(stack, user))
    print(f"# watching {user}'s events at {stack['ws_url']} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        asyncio.run(watcher.watch())
    except KeyboardInterrupt:
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
