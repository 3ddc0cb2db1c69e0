"""The web client under `make run`: web/ served as static files on 127.0.0.1:$WEB_PORT (default 8002), and its
configuration, /config.json, written from the running stack's coordinates (deployed, `make deploy` writes the
same file into the stage's web bucket: scripts/web_config.py)."""
from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WEB_ROOT = Path(__file__).resolve().parent.parent / "web"
VENDOR = ("node_modules/leaflet/dist", "node_modules/leaflet.markercluster/dist")  # what index.html loads


class _WebHandler(SimpleHTTPRequestHandler):
    config: bytes = b"{}"

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == "/config.json":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(self.config)))
            self.end_headers()  # with Cache-Control: no-store, as every answer here
            self.wfile.write(self.config)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a page edited under `make run` is seen at once
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the API logs the requests that matter."""


class LocalWebServer:
    """web/ on a port of its own, in a thread of the runner."""

    def __init__(self, port: int, config: dict[str, Any]) -> None:
        missing = [path for path in VENDOR if not (WEB_ROOT / path).is_dir()]
        if missing:
            raise RuntimeError(f"the web client's dependencies are missing ({', '.join(missing)}): run `make run`, "
                               "which installs them (npm ci in web/)")
        handler = type("ConfiguredHandler", (_WebHandler,), {"config": json.dumps(config).encode()})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(WEB_ROOT)))
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="local-web", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
