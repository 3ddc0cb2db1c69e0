"""The moto server `make run` and the concurrency tests run: every request serialised, Step Functions executing.

moto's backends are not thread-safe (200 concurrent transactions against one wallet lost or duplicated money in
14 of 16 runs), so one first-come-first-served lock goes around its WSGI app; real DynamoDB gives the isolation
in production. tests/integration/conftest.py subclasses SerialisedMotoServer to inject AWS faults.
"""
from __future__ import annotations

import logging
import os
import pickle
import threading
import warnings
from collections import deque
from collections.abc import Iterable
from typing import Any

import requests
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server


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


# Resources moto's CloudFormation skips: the Cognito ones (the runner makes them through the cognito-idp API
# instead, scripts/provision.py), the escrow alarms (they matter deployed; locally the sweep's metrics and logs
# show the same, and cfn-lint checks them), and the web client's CloudFront distribution, its origin access control
# and the bucket policy that lets it read (locally the runner serves web/ itself, scripts/local_web.py).
SKIPPED_BY_MOTO = ("AWS::Cognito::", "AWS::CloudWatch::Alarm", "AWS::CloudFront::", "AWS::S3::BucketPolicy")


def quiet_libraries() -> None:
    """moto says, once per resource and deploy, that its CloudFormation skips SKIPPED_BY_MOTO: nothing a user can
    act on."""
    for skipped in SKIPPED_BY_MOTO:
        warnings.filterwarnings("ignore", message=f"Tried to parse {skipped}", category=UserWarning)
    logging.getLogger("moto").addFilter(
        lambda record: not record.getMessage().startswith(
            tuple(f"No Moto CloudFormation support for {skipped}" for skipped in SKIPPED_BY_MOTO))
    )


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
