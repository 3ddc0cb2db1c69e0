"""Keys the platform generates for itself, once per stage, and keeps in the system table.

The cursor HMAC key is made on first use with a conditional put, so every Lambda instance converges on
the same key without a secret in configuration; each instance reads it once. `CURSOR_SECRET` in the
environment overrides it (e.g. to rotate, or to pin it in a test).
"""
from __future__ import annotations

import secrets
import threading

from pynamodb.exceptions import PutError

from chalicelib.settings import get_settings
from chalicelib.store import items, refusals
from chalicelib.store.models import KeyModel

CURSOR_KEY = "cursor_hmac_key"
_lock = threading.Lock()
_cache: dict[tuple[str, str], bytes] = {}


def cursor_key() -> bytes:
    settings = get_settings()
    if settings.cursor_secret:
        return settings.cursor_secret
    where = (settings.system_table, settings.region)
    with _lock:
        if where not in _cache:
            _cache[where] = _load_or_create(CURSOR_KEY).encode()
        return _cache[where]


def _load_or_create(name: str) -> str:
    stored = items.read(KeyModel, name)
    if stored is not None:
        return stored.secret
    candidate = KeyModel(name=name, secret=secrets.token_urlsafe(32))
    try:
        candidate.save(condition=KeyModel.name.does_not_exist())
        return candidate.secret
    except PutError as exc:
        if not refusals.condition_failed(exc):
            raise
    return KeyModel.get(name, consistent_read=True).secret
