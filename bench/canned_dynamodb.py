"""A stand-in DynamoDB endpoint in its own process that answers from canned responses, to time the handler.

The handler's CPU is measured with the real code end to end (Chalice, the search service, botocore building,
signing and sending each request over HTTP and parsing each answer) while the answers cost this process no
CPU. The benchmark loads the answers first (`load`, untimed): the Query bodies the cost model says DynamoDB
would send (bench/wire.py), and the cell counts items. Other calls a search makes are answered as DynamoDB
would answer them when they succeed: UpdateItem (the rate limit) with the counter; BatchGetItem from the
counts.
A Query with no canned answer is a 400, so the run stops if the real code reads anything the model did not.
"""
from __future__ import annotations

import http.client
import json
import multiprocessing
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.wire import request_key

LOAD = "Bench.Load"


def _serve(port_out: Any) -> None:
    answers: dict[str, bytes] = {}
    counts: dict[str, dict[str, Any]] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as botocore and DynamoDB use

        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            target = self.headers.get("X-Amz-Target", "")
            status, answer = 200, b"{}"
            if target == LOAD:
                loaded = json.loads(body)
                answers.update({key: text.encode() for key, text in loaded.get("answers", {}).items()})
                counts.update(loaded.get("counts", {}))
            elif target.endswith(".Query"):
                found = answers.get(request_key(json.loads(body)))
                status, answer = (200, found) if found is not None else (400, json.dumps({
                    "__type": "com.amazon.coral.validate#ValidationException", "message": "no canned answer"}).encode())
            elif target.endswith(".UpdateItem"):  # the rate limit's counter, counted (PynamoDB asks ALL_NEW)
                answer = json.dumps({"Attributes": {**json.loads(body)["Key"], "hits": {"N": "1"}}}).encode()
            elif target.endswith(".BatchGetItem"):
                request = json.loads(body)["RequestItems"]
                answer = json.dumps({"Responses": {
                    table: [counts[key["name"]["S"]] for key in wanted["Keys"] if key["name"]["S"] in counts]
                    for table, wanted in request.items()
                }, "UnprocessedKeys": {}}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(answer)))
            self.send_header("x-amz-crc32", str(zlib.crc32(answer)))
            self.send_header("x-amzn-RequestId", "bench")
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.send(server.server_address[1])
    server.serve_forever()


class Canned:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._connection = http.client.HTTPConnection("127.0.0.1", port)

    def load(self, answers: dict[str, bytes] | None = None, counts: dict[str, dict[str, Any]] | None = None) -> None:
        body = json.dumps({"answers": {k: v.decode() for k, v in (answers or {}).items()}, "counts": counts or {}})
        self._connection.request("POST", "/", body=body, headers={"X-Amz-Target": LOAD})
        self._connection.getresponse().read()


@contextmanager
def running() -> Iterator[Canned]:
    """The endpoint in a fresh process (spawned: it holds none of the benchmark's memory)."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(send,), daemon=True)
    process.start()
    try:
        yield Canned(receive.recv())
    finally:
        process.terminate()
        process.join()
