"""`make run`: the whole product on this machine.

1. moto server on 127.0.0.1:$MOTO_PORT (default 5000), every request serialised (moto is not thread-safe),
   Step Functions execution switched on;
2. infra/template.yaml deployed into moto's CloudFormation, and the Cognito pool it describes;
3. demo users (alice, bob, olga), demo providers who can sign in (provider-1 … provider-N), their listings;
4. the API (`chalice local --stage local`, scripts/local_api.py) on 127.0.0.1:$API_PORT (default 8000), on moto;
5. the app's scheduled functions (e.g. expiring unanswered order requests), run every LOCAL_SCHEDULE_S,
   and the escrow token queue relayed to the `escrow_tokens` function, as Lambda would;
6. the coordinates written to .local/stack.json (removed again on stop), and the banner printed last
   (`make status` prints it again). Ctrl-C stops everything this started.

Settings (environment): MOTO_PORT, API_PORT, STATE_DIR (default .local), DEMO_LISTINGS (default 2400),
DEMO_PROVIDERS (default 400), LOCAL_SCHEDULE_S (default 10), LOCAL_JOBS_LOG_LEVEL (default WARNING: what the
schedules and the queue relay log here; the API logs every request at LOG_LEVEL, default INFO), and any app
setting (e.g. REQUEST_EXPIRY_S).
"""
from __future__ import annotations

import ctypes
import json
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable

import boto3
import requests
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
STAGE = "local"
PR_SET_PDEATHSIG = 1
DEMO_PASSWORD = "Everywhere-demo-1"
DEMO_USERS = (
    {"key": "alice", "email": "alice@everywhere.local", "name": "Alice (buyer)", "operator": False},
    {"key": "bob", "email": "bob@everywhere.local", "name": "Bob (provider)", "operator": False},
    {"key": "olga", "email": "olga@everywhere.local", "name": "Olga (operator)", "operator": True},
)


class _QuietHandler(MotoRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per AWS call would drown the API's own log."""


class FifoLock:
    """A lock that serves waiters in arrival order. threading.Lock does not: under a burst of requests
    one of them can wait for ever while later ones get the lock, and its client times out."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._busy = False
        self._waiters: deque[threading.Event] = deque()

    def __enter__(self) -> None:
        with self._guard:
            if not self._busy:
                self._busy = True
                return
            turn = threading.Event()
            self._waiters.append(turn)
        turn.wait()  # the releasing thread hands the lock over: _busy stays True

    def __exit__(self, *_: object) -> None:
        with self._guard:
            if self._waiters:
                self._waiters.popleft().set()
            else:
                self._busy = False


def parse_each_workflow_once() -> None:
    """moto parses a state machine's definition again for every execution: about 0.25 s of CPU for the
    escrow ASL, and a burst of payments then starves the serialised server of the GIL. Parse each
    definition once and give every execution its own copy of the program (unpickled: about 2 ms)."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    if getattr(ExecutionWorker, "_everywhere_parses_once", False):
        return
    parsed: dict[str, bytes] = {}
    guard = threading.Lock()

    def evaluation_entrypoint(worker: Any) -> Any:
        definition = worker._evaluation_details.state_machine_details.definition
        with guard:
            program = parsed.get(definition)
        if program is None:
            program = pickle.dumps(AmazonStateLanguageParser.parse(definition)[0])
            with guard:
                parsed[definition] = program
        return pickle.loads(program)

    ExecutionWorker._get_evaluation_entrypoint = evaluation_entrypoint
    ExecutionWorker._everywhere_parses_once = True


class SerialisedMotoServer(ThreadedMotoServer):
    """moto's threaded server with one lock around its WSGI app: moto's backends are not thread-safe."""

    _error: OSError | None = None

    def serve(self, app: Any, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """Answer one request (under the lock). Tests override this to inject AWS faults."""
        return list(app(environ, start_response))

    def _server_entry(self) -> None:
        parse_each_workflow_once()
        app = DomainDispatcherApplication(create_backend_app)
        lock = FifoLock()

        def serialised(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with lock:
                return self.serve(app, environ, start_response)

        try:
            self._server = make_server(self._ip_address, self._port, serialised, True, request_handler=_QuietHandler)
        except OSError as exc:  # e.g. the port was taken meanwhile: report it instead of hanging start()
            self._error = exc
            self._server_ready_event.set()
            return
        self._server_ready_event.set()
        self._server.serve_forever()

    def start(self) -> None:
        super().start()
        if self._error is not None:
            raise SystemExit(f"moto could not listen on {self._ip_address}:{self._port}: {self._error}")


def quiet_libraries() -> None:
    """moto says, once per resource and deploy, that its CloudFormation skips the Cognito resources (the runner
    makes them through the cognito-idp API instead, scripts/provision.py): nothing a user can act on."""
    warnings.filterwarnings("ignore", message="Tried to parse AWS::Cognito", category=UserWarning)
    logging.getLogger("moto").addFilter(
        lambda record: not record.getMessage().startswith("No Moto CloudFormation support for AWS::Cognito::")
    )


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start_moto(port: int) -> tuple[SerialisedMotoServer, str]:
    """A serialised moto server with Step Functions execution on; returns it and its endpoint URL."""
    os.environ["MOTO_PORT"] = str(port)  # moto's Step Functions executor calls back on this port
    server = SerialisedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    requests.post(
        f"{endpoint}/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}}, timeout=10
    ).raise_for_status()
    return server, endpoint


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


def _die_with_parent() -> None:
    """In the child: have Linux send SIGTERM if the runner dies without cleaning up (e.g. SIGKILL)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def start_api(port: int, environment: dict[str, str]) -> subprocess.Popen[bytes]:
    """`chalice local` for the stage (scripts/local_api.py: the same server, with the deployed API's 404)."""
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.local_api", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **environment},
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
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


def main() -> int:
    from scripts import demo_data, local_state, provision
    from scripts.local_triggers import LocalQueueRelay, LocalScheduler

    moto_port = int(os.environ.get("MOTO_PORT", "5000"))
    api_port = int(os.environ.get("API_PORT", "8000"))
    for port in (moto_port, api_port):
        if not _port_free(port):
            print(f"port {port} is in use: stop whatever uses it (another `make run`?) or set MOTO_PORT/API_PORT")
            return 2

    for stop_signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGINT may arrive ignored (e.g. `make run &`)
        signal.signal(stop_signal, _interrupt)
    started = time.monotonic()
    quiet_libraries()
    api_log_level = os.environ.get("LOG_LEVEL") or "INFO"
    os.environ["LOG_LEVEL"] = os.environ.get("LOCAL_JOBS_LOG_LEVEL") or "WARNING"  # this process: seeding, jobs
    moto, endpoint = start_moto(moto_port)
    api: subprocess.Popen[bytes] | None = None
    scheduler: LocalScheduler | None = None
    relay: LocalQueueRelay | None = None
    state = local_state.stack_file()
    try:
        os.environ.update(aws_environment(endpoint))
        os.environ.update(stage_environment())
        session = boto3.Session(region_name=REGION)
        stack = provision.deploy(session, STAGE)
        os.environ.update(stack.environment())
        cognito = session.client("cognito-idp")
        for user in DEMO_USERS:
            provision.create_user(
                cognito, stack.user_pool_id, user["email"], DEMO_PASSWORD, name=user["name"], operator=user["operator"]
            )
        providers = [
            replace(p, user_id=provision.create_user(cognito, stack.user_pool_id, p.email, DEMO_PASSWORD, name=p.name))
            for p in demo_data.demo_providers(max(1, int(os.environ.get("DEMO_PROVIDERS", "400"))))
        ]
        seeded = demo_data.seed(listings=int(os.environ.get("DEMO_LISTINGS", "2400")), providers=providers)

        api_url = f"http://127.0.0.1:{api_port}"
        api = start_api(api_port, {**aws_environment(endpoint), **stack.environment(), "LOG_LEVEL": api_log_level})
        wait_healthy(api_url, api)
        from app import app as chalice_app

        scheduler = LocalScheduler(chalice_app, REGION, float(os.environ.get("LOCAL_SCHEDULE_S", "10")))
        scheduler.start()
        relay = LocalQueueRelay(chalice_app, "escrow_tokens", stack.outputs["EscrowTokenQueueUrl"], REGION)
        relay.start()
        coordinates = {
            "api_url": api_url,
            "aws_endpoint": endpoint,
            "region": REGION,
            "stage": STAGE,
            "user_pool_id": stack.user_pool_id,
            "user_pool_client_id": stack.user_pool_client_id,
            "tables": {k: v for k, v in stack.outputs.items() if k.endswith("Table")},
            "demo_password": DEMO_PASSWORD,
            "demo_users": [{"key": u["key"], "email": u["email"], "operator": u["operator"]} for u in DEMO_USERS],
            "demo_providers": [{"key": p.key, "email": p.email, "user_id": p.user_id} for p in providers],
            "demo": {"listings": seeded.listings, "providers": seeded.providers, "privileged": seeded.privileged},
            "schedules": scheduler.jobs,
            "schedule_period_s": scheduler.period_s,
            "started_in_s": round(time.monotonic() - started, 1),
        }
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps(coordinates, indent=2) + "\n")
        print(local_state.banner(coordinates), flush=True)
        while api.poll() is None:
            time.sleep(0.5)
        print(f"the API exited with code {api.returncode}")
        return 1
    except KeyboardInterrupt:
        print("\nstopping...")
        return 0
    finally:
        state.unlink(missing_ok=True)
        if scheduler is not None:
            scheduler.stop()
        if relay is not None:
            relay.stop()
        if api is not None and api.poll() is None:
            api.terminate()
            try:
                api.wait(timeout=10)
            except subprocess.TimeoutExpired:
                api.kill()
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
