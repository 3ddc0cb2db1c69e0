"""Handler CPU per request, response parsing included, on this machine's core and at the configured Lambda memory.

Two measurements of the same pages (the pages the cost model computes, walked through their cursors):

- the whole handler: the Lambda entry point (`app.app`, Chalice) called with an API Gateway event for
  GET /search, signed in; the real code end to end: query validation, the rate-limit UpdateItem, the cell
  counts (the instance cache warm, as in a warm Lambda), `read_wave`'s Queries through botocore over HTTP
  (request building, signing, response parsing, CRC check), the scan, the cursor, the response JSON. DynamoDB is
  a stand-in process that answers with the bytes the cost model says DynamoDB would send
  (bench/canned_dynamodb.py), so the process CPU time of this process is the handler's alone. The
  hot-cell cache is off (every request reads). The handler must return the model's page, or the run stops.
- scan + parse: `nearest.scan_page` with a reader that, for each Read, parses the prepared answer bytes as the
  handler would after botocore (json.loads and `search_index._pin` per item): the search's own CPU.

Each request is timed three times (process CPU time) and the median kept (so the first call, which
imports what the route needs, is not what is kept). Lambda gives a function CPU in
proportion to its memory, one vCPU at 1,769 MB: a request takes ms x 1769 / memory_MB there (assuming
this machine's core is as fast as Lambda's).
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.after import After, keyword_of
from bench.canned_dynamodb import Canned, running
from bench.dataset import Search
from bench.scan_model import ScanIndexes
from bench.wire import answer_body, parse_answer, read_key
from chalicelib.domain import nearest
from chalicelib.domain.nearest import Position, Read, Reader, ReadResult
from chalicelib.services.search import BUDGET, KEYWORD_BUDGET
from chalicelib.store import search_index

ROOT = Path(__file__).resolve().parent.parent
FULL_VCPU_MB = 1769
REPEATS = 3
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1", "STAGE": "bench", "CURSOR_SECRET": "bench-cursor-secret", "SEARCH_CACHE_S": "0",
    "RATE_LIMITS": "search=1000000000/60", "OPEN_REGIONS": "shanghai", "LOG_LEVEL": "INFO",
    # required settings a search never uses
    "COGNITO_USER_POOL_ID": "bench", "COGNITO_APP_CLIENT_ID": "bench", "ESCROW_STATE_MACHINE_ARN": "bench",
    "ESCROW_TOKEN_QUEUE_URL": "bench",
}


def configured_memory_mb(stage: str = "prod") -> int | None:
    """api_handler's lambda_memory_size in .chalice/config.json (None: Chalice's default, 128 MB)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    function = config.get("stages", {}).get(stage, {}).get("lambda_functions", {}).get("api_handler", {})
    return function.get("lambda_memory_size") or config.get("stages", {}).get(stage, {}).get("lambda_memory_size")


def at_memory(cpu_ms: float, memory_mb: int) -> float:
    return cpu_ms * FULL_VCPU_MB / min(memory_mb, FULL_VCPU_MB)


@dataclass(frozen=True)
class Timing:
    search: Search
    limit: int
    page: int
    handler_ms: float
    scan_parse_ms: float
    reads: int


@contextmanager
def _stdout_discarded() -> Iterator[None]:
    """The handler logs a JSON line a request to stdout (as on Lambda): keep it out of the benchmark's output."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


@contextmanager
def _stage(canned: Canned) -> Iterator[Any]:
    """The app's environment pointed at the stand-in endpoint; yields the Lambda handler."""
    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    os.environ.update(ENVIRONMENT, AWS_ENDPOINT_URL=canned.url)
    from app import app
    from chalicelib.store import caches

    caches.forget_all()
    try:
        yield app
    finally:
        caches.forget_all()
        os.environ.clear()
        os.environ.update(saved)


class _Context:
    aws_request_id = "bench"
    function_name = "api_handler"


def _event(search: Search, limit: int, cursor: str | None) -> dict[str, Any]:
    query = {"lat": repr(search.lat), "lon": repr(search.lon), "radius_m": str(search.radius_m), "limit": str(limit)}
    if search.category:
        query["category"] = search.category
    if search.q:
        query["q"] = search.q
    if cursor:
        query["cursor"] = cursor
    return {
        "resource": "/search", "path": "/search", "httpMethod": "GET",
        "headers": {"Accept": "application/json"}, "multiValueHeaders": {"Accept": ["application/json"]},
        "queryStringParameters": query, "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
        "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": "/search", "httpMethod": "GET", "path": "/api/search", "stage": "api",
            "requestId": "bench", "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"principalId": "bench-user", "verified": "yes", "exp": str(int(time.time()) + 86400),
                           "groups": ""},
        },
    }


def _median_cpu_ms(work: Any) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(REPEATS):
        started = time.process_time()
        result = work()
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times), result


class HandlerCpu:
    def __init__(self, after: After, indexes: ScanIndexes) -> None:
        self.after, self.indexes = after, indexes

    def _model_pages(self, search: Search, limit: int, pages: int) -> list[tuple[nearest.ScanPage, dict[str, bytes]]]:
        """Up to `pages` pages from the model, with the answer bytes of every Query each page sends."""
        keyword = keyword_of(search)
        out: list[tuple[nearest.ScanPage, dict[str, bytes]]] = []
        after: Position | None = None
        for _ in range(pages):
            answers: dict[str, bytes] = {}

            def recorded(read: Reader, answers: dict[str, bytes] = answers) -> Reader:
                def wave(reads: list[Read]) -> list[ReadResult]:
                    results = read(reads)
                    for one, result in zip(reads, results, strict=True):
                        answers[read_key(one, search.category, keyword)] = answer_body(
                            one, result, search.category, keyword)
                    return results
                return wave

            page = self.after.page(search, after, limit, wrap=recorded)
            out.append((page.scan, answers))
            if page.next is None or page.next == after:
                break
            after = page.next
        return out

    def _scan_parse(self, search: Search, after: Position | None, limit: int, answers: dict[str, bytes]) -> float:
        keyword = keyword_of(search)
        estimate = self.indexes.estimate(search.category)

        def read(reads: list[Read]) -> list[ReadResult]:
            return [parse_answer(one, answers[read_key(one, search.category, keyword)]) for one in reads]

        cpu_ms, _ = _median_cpu_ms(lambda: nearest.scan_page(
            search.lat, search.lon, search.radius_m, search_index.TIERS, after, limit,
            KEYWORD_BUDGET if keyword else BUDGET, read, estimate, keyword=keyword is not None))
        return cpu_ms

    def measure(self, variants: list[tuple[Search, int]], timed_pages: set[int], progress: Any = None) -> list[Timing]:
        """Pages 1..max(timed_pages) of each (search, limit) through the handler (walked through its cursors);
        those in `timed_pages` timed, through the handler and through scan + parse."""
        pages = max(timed_pages)
        timings: list[Timing] = []
        with running() as canned, _stdout_discarded(), _stage(canned) as app:
            canned.load(counts=self.indexes.count_items())
            for number, (search, limit) in enumerate(variants):
                if progress and number % 50 == 0:
                    progress(f"handler CPU: {number}/{len(variants)} searches")
                walked = self._model_pages(search, limit, pages)
                for _, answers in walked:
                    canned.load(answers=answers)
                cursor: str | None = None
                after: Position | None = None
                for index, (scan, answers) in enumerate(walked):
                    event = _event(search, limit, cursor)
                    timed = index + 1 in timed_pages
                    if timed:
                        handler_ms, response = _median_cpu_ms(lambda event=event: app(event, _Context()))
                    else:
                        response = app(event, _Context())
                    body = json.loads(response["body"])
                    if response["statusCode"] != 200 or [item["listing_id"] for item in body["items"]] != [
                            found.pin.listing_id for found in scan.found]:
                        raise AssertionError(f"the handler's page differs from the model's: {search} page {index + 1}: "
                                             f"{response['statusCode']} {str(body)[:300]}")
                    if timed:
                        timings.append(Timing(search, limit, index + 1, handler_ms,
                                              self._scan_parse(search, after, limit, answers), len(scan.reads)))
                    cursor, after = body.get("next_cursor"), scan.next
        return timings
