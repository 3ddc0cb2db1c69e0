"""The web client's configuration, web/config.json: where its API, WebSocket and Cognito pool are, and which map
tiles it draws. The local runner serves it (scripts/local_web.py); `make deploy` writes it into the stage's web
bucket. Nothing in it is secret: a browser reads it."""
from __future__ import annotations

from typing import Any

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'


def web_config(*, api_url: str, ws_url: str, cognito_url: str, region: str, user_pool_id: str, client_id: str,
               stage: str, tile_url: str = OSM_TILES, tile_attribution: str = OSM_ATTRIBUTION) -> dict[str, Any]:
    """What web/app/config.js reads. An empty tile_url draws no tiles: the open regions' boundaries only (offline,
    and in the browser tests)."""
    return {
        "api_url": api_url.rstrip("/"),
        "ws_url": ws_url,
        "cognito_url": cognito_url,
        "region": region,
        "user_pool_id": user_pool_id,
        "client_id": client_id,
        "stage": stage,
        "tile_url": tile_url,
        "tile_attribution": tile_attribution if tile_url else "",
    }
