"""Run a request at most once per (caller, Idempotency-Key), at the edge: repeats get the first answer again.

The first request with a key reserves it with a fresh `operation_id` — the id of whatever the request
creates (an order, a deposit...). The run writes that object conditionally on its id not existing, then the
answer is recorded. So:
- a repeat after the answer is recorded gets it back, and nothing runs again;
- a repeat while the first still runs waits for its answer (up to WAIT_S, then 409 — retry later);
- if a run dies before recording (a Lambda timeout), its lock lapses after LOCK_S and the next repeat
  runs again with the *same* operation_id, so it finds the object the dead run may have written;
- the same key with another body is refused (409);
- a key is remembered for KEEP_S (24 h, like Stripe's); after that it is a new key.
Answers to client errors (4xx) are recorded like successes. A run refused as busy (429) or failing
unexpectedly unlocks the key without forgetting its operation id: the next repeat runs at once, with the
same id, so whatever the failed run may have written is found, never written twice.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.clock import now
from chalicelib.domain.errors import Conflict
from chalicelib.domain.ids import new_id
from chalicelib.store import idempotency as record_store

# Twice the API function's timeout (lambda_timeout 30 in .chalice/config.json): a run still holding it is dead.
LOCK_S = 60
KEEP_S = 24 * 3600
WAIT_S = 10.0


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool


def run_once(user_id: str, key: str, fingerprint: str, run: Callable[[str], tuple[int, Any]]) -> Answer:
    """`run(operation_id) -> (status, JSON body)`, once for this caller and key."""
    record_key = record_store.record_key(user_id, key)
    deadline = time.monotonic() + WAIT_S
    pause = 0.02
    while True:
        operation_id = new_id()
        existing = record_store.reserve(record_key, fingerprint, operation_id, now(), LOCK_S, KEEP_S)
        if existing is None:
            break
        if existing.fingerprint != fingerprint:
            raise Conflict("Idempotency-Key: already used for a different request; use a new key for a new request")
        if existing.state == record_store.DONE:
            return Answer(int(existing.status_code or 200), json.loads(existing.response or "null"), replayed=True)
        if existing.locked_until < now().timestamp() and record_store.take_over(
            record_key, existing.operation_id, now(), LOCK_S
        ):
            operation_id = existing.operation_id
            break
        if time.monotonic() + pause > deadline:
            raise Conflict("Idempotency-Key: a request with this key is still being processed; retry shortly")
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    try:
        status, body = run(operation_id)
    except BaseException:
        record_store.unlock(record_key, operation_id)
        raise
    record_store.complete(record_key, operation_id, status, json.dumps(body, separators=(",", ":")))
    return Answer(status, body, replayed=False)
