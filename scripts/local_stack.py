"""`make run`: the whole product on this machine.

1. moto server on 127.0.0.1:$MOTO_PORT (default 5000), every request serialised (moto is not thread-safe),
   Step Functions execution switched on (scripts/moto_server.py);
2. infra/template.yaml deployed into moto's CloudFormation, and the Cognito pool it describes (scripts/provision.py);
3. demo users (alice, bob, olga), demo providers who can sign in (provider-1 … provider-N), their listings
   (scripts/demo_data.py);
4. the API (`chalice local --stage local`, scripts/local_api.py) on 127.0.0.1:$API_PORT (default 8000), on moto;
5. the app's scheduled functions (e.g. expiring unanswered order requests), run every LOCAL_SCHEDULE_S,
   the escrow token queue relayed to the `escrow_tokens` function, and the orders, chat and tasks tables'
   streams to `order_events`, `chat_events` and `task_events`, as Lambda would (scripts/local_triggers.py);
   the WebSocket API on 127.0.0.1:$WS_PORT (default 8001), calling the app's three WebSocket functions and
   delivering the frames the app posts (scripts/local_websocket.py);
6. the web client (web/) on 127.0.0.1:$WEB_PORT (default 8002), with its config.json, the API allowing that
   origin only (CORS; scripts/local_web.py);
7. the coordinates written to .local/stack.json (removed again on stop), and the banner printed last
   (`make status` prints it again; scripts/local_state.py). Ctrl-C stops everything this started.

Settings (environment): MOTO_PORT, API_PORT, WS_PORT, WEB_PORT, WEB_TILE_URL (the web map's tiles, e.g.
scripts/web_config.OSM_TILES; default none: the open regions' boundaries only), STATE_DIR (default .local),
DEMO_LISTINGS (default 2400), DEMO_PROVIDERS (default 400), LOCAL_SCHEDULE_S (default 10), LOCAL_JOBS_LOG_LEVEL
(default WARNING: what the schedules and the queue relay log here; the API logs every request at LOG_LEVEL,
default INFO), and any app setting (e.g. REQUEST_EXPIRY_S).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

from scripts import demo_data, local_state, provision
from scripts.local_triggers import LocalQueueRelay, LocalScheduler, LocalStreamRelay
from scripts.local_web import LocalWebServer
from scripts.local_websocket import LocalWebSocketGateway
from scripts.moto_server import SerialisedMotoServer, quiet_libraries, start_moto
from scripts.web_config import web_config

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
STAGE = "local"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def aws_environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }


def stage_environment(stage: str = STAGE) -> dict[str, str]:
    """The environment variables .chalice/config.json gives the stage (so the seeder sees what the API sees)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


def start_api(port: int, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    """`chalice local` for the stage (scripts/local_api.py: the same server, with the deployed API's 404).
    The child ends itself when this process dies without stopping it (local_api.die_with_parent)."""
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.local_api", "--host", "127.0.0.1", "--port", str(port),
         "--parent-pid", str(os.getpid())],
        cwd=ROOT,
        env={**os.environ, **environment},
    )


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"chalice local exited with code {process.returncode}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the API did not answer at {url}/health within {timeout_s:.0f} s")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@dataclass
class LocalStack:
    """What the runner started, so that it can stop all of it (in the reverse order)."""

    moto: SerialisedMotoServer
    api: subprocess.Popen[bytes] | None = None
    scheduler: LocalScheduler | None = None
    relay: LocalQueueRelay | None = None
    streams: tuple[LocalStreamRelay, ...] = ()
    websocket: LocalWebSocketGateway | None = None
    web: LocalWebServer | None = None

    def stop(self) -> None:
        if self.web is not None:
            self.web.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.relay is not None:
            self.relay.stop()
        for stream in self.streams:
            stream.stop()
        for stream in self.streams:  # a batch in hand is finished first, while moto still answers
            if stream.is_alive():
                stream.join(timeout=30)
        if self.websocket is not None:
            self.websocket.stop()
        if self.api is not None and self.api.poll() is None:
            self.api.terminate()
            try:
                self.api.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.api.kill()
        self.moto.stop()


def provision_and_seed(endpoint: str) -> tuple[provision.Stack, dict[str, Any]]:
    """The infra and user pool on moto, and the demo accounts and listings; returns the stack and what the
    coordinates say about the demo data."""
    os.environ.update(aws_environment(endpoint))
    os.environ.update(stage_environment())
    session = boto3.Session(region_name=REGION)
    stack = provision.deploy(session, STAGE)
    os.environ.update(stack.environment())
    providers = demo_data.create_accounts(
        session.client("cognito-idp"), stack.user_pool_id, max(1, int(os.environ.get("DEMO_PROVIDERS", "400")))
    )
    seeded = demo_data.seed(listings=int(os.environ.get("DEMO_LISTINGS", "2400")), providers=providers)
    return stack, {
        "demo_password": demo_data.DEMO_PASSWORD,
        "demo_users": [{"key": u["key"], "email": u["email"], "operator": u["operator"]} for u in demo_data.DEMO_USERS],
        "demo_providers": [{"key": p.key, "email": p.email, "user_id": p.user_id} for p in providers],
        "demo": {"listings": seeded.listings, "providers": seeded.providers, "privileged": seeded.privileged},
    }


def start_functions(running: LocalStack, stack: provision.Stack, endpoint: str, ports: dict[str, int],
                    api_log_level: str) -> dict[str, Any]:
    """The WebSocket API, the stream relays, the API, the schedules, the token queue relay and the web client;
    returns their coordinates. The streams are read before the API serves, so no change is missed."""
    import app as app_module
    from chalicelib.jobs.event_streams import TASK_BATCH

    chalice_app = app_module.app
    running.websocket = LocalWebSocketGateway(app_module, ports["ws"], STAGE)
    os.environ["WEBSOCKET_ENDPOINT"] = running.websocket.management_url  # where the app posts frames
    running.websocket.start()
    running.streams = (
        LocalStreamRelay(chalice_app, "order_events", stack.outputs["OrdersStreamArn"], REGION),
        LocalStreamRelay(chalice_app, "chat_events", stack.outputs["ChatStreamArn"], REGION),
        LocalStreamRelay(chalice_app, "task_events", stack.outputs["TasksStreamArn"], REGION, batch=TASK_BATCH),
    )
    for stream in running.streams:
        stream.start()
    api_url = f"http://127.0.0.1:{ports['api']}"
    web_url = f"http://127.0.0.1:{ports['web']}"
    api_environment = {**aws_environment(endpoint), **stack.environment(), "LOG_LEVEL": api_log_level,
                       "WEBSOCKET_ENDPOINT": running.websocket.management_url, "WEB_ORIGIN": web_url}
    running.api = start_api(ports["api"], api_environment)
    wait_healthy(api_url, running.api)
    running.scheduler = LocalScheduler(chalice_app, REGION, float(os.environ.get("LOCAL_SCHEDULE_S", "10")))
    running.scheduler.start()
    running.relay = LocalQueueRelay(chalice_app, "escrow_tokens", stack.outputs["EscrowTokenQueueUrl"], REGION)
    running.relay.start()
    running.web = LocalWebServer(ports["web"], web_config(
        api_url=api_url, ws_url=running.websocket.url, cognito_url=endpoint, region=REGION,
        user_pool_id=stack.user_pool_id, client_id=stack.user_pool_client_id, stage=STAGE,
        tile_url=os.environ.get("WEB_TILE_URL", "")))
    running.web.start()
    return {
        "api_url": api_url,
        "ws_url": running.websocket.url,
        "web_url": running.web.url,
        "aws_endpoint": endpoint,
        "region": REGION,
        "stage": STAGE,
        "user_pool_id": stack.user_pool_id,
        "user_pool_client_id": stack.user_pool_client_id,
        "environment": {**stage_environment(), **stack.environment(),  # the app's, for helpers that load it
                        "WEBSOCKET_ENDPOINT": running.websocket.management_url},
        "schedules": running.scheduler.jobs,
        "schedule_period_s": running.scheduler.period_s,
    }


def main() -> int:
    moto_port = int(os.environ.get("MOTO_PORT", "5000"))
    ports = {name: int(os.environ.get(f"{name.upper()}_PORT", default))
             for name, default in (("api", "8000"), ("ws", "8001"), ("web", "8002"))}
    for port in (moto_port, *ports.values()):
        if not _port_free(port):
            print(f"port {port} is in use: stop whatever uses it (another `make run`?) or set MOTO_PORT/API_PORT/"
                  "WS_PORT/WEB_PORT")
            return 2

    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGINT may arrive ignored (e.g. `make run &`)
        signal.signal(stop_signal, _interrupt)
    started = time.monotonic()
    quiet_libraries()
    api_log_level = os.environ.get("LOG_LEVEL") or "INFO"
    os.environ["LOG_LEVEL"] = os.environ.get("LOCAL_JOBS_LOG_LEVEL") or "WARNING"  # this process: seeding, jobs
    moto, endpoint = start_moto(moto_port)
    running = LocalStack(moto)
    state = local_state.stack_file()
    try:
        stack, demo = provision_and_seed(endpoint)
        coordinates = {**start_functions(running, stack, endpoint, ports, api_log_level), **demo}
        coordinates["started_in_s"] = round(time.monotonic() - started, 1)
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps(coordinates, indent=2) + "\n")
        print(local_state.banner(coordinates), flush=True)
        while running.api is not None and running.api.poll() is None:
            time.sleep(0.5)
        print(f"the API exited with code {running.api.returncode if running.api else None}")
        return 1
    except KeyboardInterrupt:
        print("\nstopping...")
        return 0
    finally:
        state.unlink(missing_ok=True)
        running.stop()


if __name__ == "__main__":
    sys.exit(main())
