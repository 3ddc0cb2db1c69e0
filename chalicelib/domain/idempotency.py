"""Idempotency keys: a client's promise that two requests with the same key are the same request.

The first request with a key runs; a repeat with the same body gets the first answer again and changes
nothing; the same key with another body is a client error (409). Keys are scoped to the caller.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from chalicelib.domain.errors import InvalidInput

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces: UUIDs, ULIDs, anything sane


def check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise InvalidInput(f"{HEADER}: required on this route (a unique value per intended action, e.g. a UUID)")
    if not _KEY.match(key):
        raise InvalidInput(f"{HEADER}: 1 to 255 printable ASCII characters without spaces")
    return key


def fingerprint(method: str, path: str, body: Any) -> str:
    """What makes two requests 'the same': the route and the parsed body (not its spacing or key order)."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
