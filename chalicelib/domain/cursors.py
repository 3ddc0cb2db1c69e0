"""Opaque page cursors, bound to the caller and the query that made them.

A cursor carries a position (JSON-able) and an HMAC over the position and the binding, so a cursor that
was edited, or is replayed by another caller or with another query, is rejected.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from chalicelib.domain.errors import InvalidInput

_MAC_BYTES = 16


def binding(*parts: object) -> bytes:
    """A digest of what a cursor is bound to (caller id, query parameters...)."""
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, payload: bytes, bound_to: bytes) -> bytes:
    if not secret:
        raise RuntimeError("CURSOR_SECRET is not configured")
    return hmac.new(secret, payload + b"\x00" + bound_to, hashlib.sha256).digest()[:_MAC_BYTES]


def encode(position: Any, bound_to: bytes, secret: bytes) -> str:
    payload = json.dumps(position, separators=(",", ":")).encode()
    return _b64(payload + _mac(secret, payload, bound_to))


def decode(cursor: str, bound_to: bytes, secret: bytes) -> Any:
    """The position inside a cursor made by `encode` with the same binding; InvalidInput otherwise."""
    try:
        raw = _unb64(cursor)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("cursor: not a valid cursor") from exc
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, _mac(secret, payload, bound_to)):
        raise InvalidInput("cursor: not a valid cursor for this caller and query")
    return json.loads(payload)
