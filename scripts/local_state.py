"""The running local stack, as the helper commands (`make status`, `make token`, `make reconcile`) find it.

`make run` writes its coordinates to $STATE_DIR/stack.json (default .local/) once everything answers, and
removes the file when it stops. A helper that finds no file, or a file whose API does not answer (a stack
killed without its clean stop), says "start `make run` first" instead of failing with a traceback.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS_SHOWN = 3  # demo providers named in the banner


class NotRunning(SystemExit):
    """No local stack answers here: the message says how to start one."""


def stack_file() -> Path:
    return Path(os.environ.get("STATE_DIR", ROOT / ".local")) / "stack.json"


def running() -> dict[str, Any]:
    """The coordinates of the local stack, once its API has answered; NotRunning otherwise."""
    path = stack_file()
    if not path.exists():
        raise NotRunning(f"no local stack is running ({path} not found): start it with `make run` first")
    stack: dict[str, Any] = json.loads(path.read_text())
    try:
        requests.get(f"{stack['api_url']}/health", timeout=5).raise_for_status()
    except requests.RequestException:
        raise NotRunning(
            f"the local stack of {path} does not answer at {stack['api_url']}: start it with `make run` first"
        ) from None
    return stack


def banner(stack: dict[str, Any]) -> str:
    """What `make run` prints once everything is up (and `make status` again)."""
    api, demo = stack["api_url"], stack["demo"]
    providers = stack["demo_providers"]
    more = ", …" if len(providers) > PROVIDERS_SHOWN else ""
    shown = ", ".join(p["key"] for p in providers[:PROVIDERS_SHOWN]) + more
    return f"""
Everywhere is running locally ({stack["started_in_s"]:.1f} s to start).
  web client      {stack["web_url"]}   (open it in a browser: the map of Shanghai; sign in as a demo user)
  API             {api}   (try: curl {api}/regions)
  WebSocket       {stack["ws_url"]}/?token=<id token>   (watch: make events AS=alice)
  AWS (moto)      {stack["aws_endpoint"]}   region {stack["region"]}
  user pool       {stack["user_pool_id"]}   app client {stack["user_pool_client_id"]}
  demo data       {demo["listings"]} listings by {demo["providers"]} providers, {demo["privileged"]} privileged
  demo users      {", ".join(u["email"] for u in stack["demo_users"])}
                  (olga is an operator)
  demo providers  {shown} ({len(providers)}: provider-N@everywhere.local; each listing's text names its provider)
  password        {stack["demo_password"]} (every demo account)
  a token         make token AS=alice   make token AS=provider-3   a new user: make token NEW="Your Name"
  schedules       {", ".join(stack["schedules"])} every {stack["schedule_period_s"]:g} s (deployed: on their rate)
  queues          escrow tokens -> escrow_tokens (as Lambda's event source mapping would)
  streams         orders -> order_events, chat -> chat_events, tasks -> task_events (as Lambda's would)
  coordinates     {stack_file()}   (again: make status)
Ctrl-C stops everything."""
