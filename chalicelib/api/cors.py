"""Which web origin may call the API from a browser (CORS): the web client's, and no other.

Chalice writes a route's CORS configuration into the packaged API (its OPTIONS answers) and adds it to every
answer of the route at run time, so it is read once, as the app is imported, from WEB_ORIGIN (the setting
`web_origin`). With none set, no answer carries CORS headers and browsers refuse cross-origin calls.
"""
from __future__ import annotations

import os

from chalice.app import CORSConfig
from pydantic import TypeAdapter

from chalicelib.settings import Origin

# What the client sends beyond the simple headers, and what it must read: Retry-After on a 429.
ALLOWED_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]
EXPOSED_HEADERS = ["Retry-After"]
PREFLIGHT_CACHE_S = 600


def web_cors() -> CORSConfig | bool:
    """The API's CORS configuration for the web client's origin; False (Chalice's "none") when WEB_ORIGIN is empty."""
    origin = TypeAdapter(Origin).validate_python(os.environ.get("WEB_ORIGIN", ""))
    if not origin:
        return False
    return CORSConfig(allow_origin=origin, allow_headers=ALLOWED_HEADERS, expose_headers=EXPOSED_HEADERS,
                      max_age=PREFLIGHT_CACHE_S)
