"""The API on this machine: what `chalice local --stage local --no-autoreload` serves, with two differences.

- A path that no route matches, or a method its route does not have, answers 404 `NotFoundError` in the API's
  error shape, as the deployed API does (its gateway response for MISSING_AUTHENTICATION_TOKEN,
  scripts/gateway_responses.py). `chalice local` answers 403 (and, when the request had an Authorization header, quotes
  the whole header back), or 405 for an unknown method.
- Each request is logged once, by the app (one JSON line); http.server's access line is not printed, and
  library chatter stays below WARNING.

Started by scripts.local_stack: `python -m scripts.local_api --port 8000 --parent-pid <its pid>`, with the
stage's environment; it ends itself when that parent dies without stopping it.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from chalice.cli.factory import CLIFactory
from chalice.deploy.validate import validate_routes
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
    RouteMatcher,
)

from scripts.gateway_responses import NO_ROUTE

ROOT = Path(__file__).resolve().parent.parent
STAGE = "local"
PR_SET_PDEATHSIG = 1


class RouteNotFound(LocalGatewayException):
    CODE = 404


class Gateway(LocalGateway):
    """Chalice's local API Gateway, answering an unrouted path as the deployed one does."""

    def __init__(self, app_object: Any, config: Any) -> None:
        super().__init__(app_object, config)
        self._routes = RouteMatcher(list(app_object.routes))
        self._methods = {path: set(methods) for path, methods in app_object.routes.items()}

    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            route = self._routes.match_route(path).route
        except ValueError:
            route = None
        known = route is not None and (method in self._methods[route] or method == "OPTIONS")  # OPTIONS: CORS
        if not known:
            raise RouteNotFound({"Content-Type": "application/json"}, json.dumps(NO_ROUTE).encode())
        return super().handle_request(method, path, headers, body)


class RequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        self.local_gateway = Gateway(app_object, config)
        super(ChaliceRequestHandler, self).__init__(request, client_address, server)

    def log_message(self, format: str, *args: Any) -> None:
        """The app logs each request as one JSON line; http.server's own line would say it again."""


def server(host: str, port: int) -> LocalDevServer:
    """The server `chalice local` would make (chalice.local.create_local_server): the stage's environment
    variables set in this process, and the app made a LocalChalice, whose current request is per thread (the
    server answers each request on its own thread; a plain Chalice app would share one current request)."""
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"  # as Chalice's CLI sets it
    config = CLIFactory(project_dir=str(ROOT), environ=os.environ).create_config_obj(chalice_stage_name=STAGE)
    app = config.chalice_app
    validate_routes(app.routes)  # as `chalice local` does: what deploy would refuse fails here too
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=RequestHandler)


def die_with_parent(parent_pid: int) -> None:
    """Have Linux send this process SIGTERM when the runner dies without cleaning up (e.g. SIGKILL); if it
    died already, before this was set, end now. Elsewhere: nothing (stop the API yourself)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        return
    if os.getppid() != parent_pid:
        raise SystemExit("the local stack runner that started this API is gone")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--parent-pid", type=int, help="end when this process (the runner) dies")
    args = parser.parse_args(argv)
    if args.parent_pid is not None:
        die_with_parent(args.parent_pid)
    logging.basicConfig(stream=sys.stdout, level=logging.WARNING, format="%(message)s")
    server(args.host, args.port).server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
