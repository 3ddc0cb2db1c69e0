"""Typed settings, read from the environment when asked for.

Chalice sets a stage's `environment_variables` in the Lambda environment; `chalice local` and the test
client set them around each call. So settings are read lazily, at request time, never at import.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_REGION = "us-east-1"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"setting {name} must be an integer, got {raw!r}") from exc


def _ids(name: str) -> frozenset[str] | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    listings_table: str
    profiles_table: str
    system_table: str
    chat_table: str
    orders_table: str
    idempotency_table: str
    ledger_table: str
    privileged_quota: int
    open_regions: frozenset[str] | None
    user_pool_id: str
    user_pool_client_id: str
    jwks_url: str
    cursor_secret: bytes  # optional override; otherwise a key generated once per stage (store/keys.py)
    message_rate_limit: int  # messages one user may send per window
    message_rate_window_s: int
    search_rate_limit: int  # searches one user may make per window
    search_rate_window_s: int
    search_cache_s: float  # how long an instance keeps hot cells of the search indexes (0: off)
    cell_counts_cache_s: float  # how long an instance keeps the search indexes' cell counts
    request_expiry_s: int  # an order request nobody accepts lapses after this long
    fee_bps: int  # the platform's fee, basis points of the price
    payment_rail: str  # "simulated" (deposits and withdrawals just happen) or "none" (refused)
    escrow_state_machine_arn: str
    escrow_token_queue_url: str
    auto_release_after_delivery_s: int
    service_deadline_s: int
    dispute_timeout_s: int

    @property
    def token_issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


def get_settings() -> Settings:
    """The settings in force now (cheap: a handful of environment look-ups)."""
    stage = os.environ.get("STAGE", "local")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    prefix = os.environ.get("TABLE_PREFIX", f"everywhere-{stage}")
    pool_id = os.environ.get("COGNITO_USER_POOL_ID", "")
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    default_jwks = (
        f"{endpoint}/{pool_id}/.well-known/jwks.json"
        if endpoint
        else f"https://cognito-idp.{region}.amazonaws.com/{pool_id}/.well-known/jwks.json"
    )
    return Settings(
        stage=stage,
        region=region,
        listings_table=os.environ.get("LISTINGS_TABLE", f"{prefix}-listings"),
        profiles_table=os.environ.get("PROFILES_TABLE", f"{prefix}-profiles"),
        system_table=os.environ.get("SYSTEM_TABLE", f"{prefix}-system"),
        chat_table=os.environ.get("CHAT_TABLE", f"{prefix}-chat"),
        orders_table=os.environ.get("ORDERS_TABLE", f"{prefix}-orders"),
        idempotency_table=os.environ.get("IDEMPOTENCY_TABLE", f"{prefix}-idempotency"),
        ledger_table=os.environ.get("LEDGER_TABLE", f"{prefix}-ledger"),
        privileged_quota=_int("PRIVILEGED_QUOTA", 10_000),
        open_regions=_ids("OPEN_REGIONS"),
        user_pool_id=pool_id,
        user_pool_client_id=os.environ.get("COGNITO_APP_CLIENT_ID", ""),
        jwks_url=os.environ.get("COGNITO_JWKS_URL", default_jwks),
        cursor_secret=os.environ.get("CURSOR_SECRET", "").encode(),
        message_rate_limit=_int("MESSAGE_RATE_LIMIT", 30),
        message_rate_window_s=max(1, _int("MESSAGE_RATE_WINDOW_S", 60)),
        search_rate_limit=_int("SEARCH_RATE_LIMIT", 120),
        search_rate_window_s=max(1, _int("SEARCH_RATE_WINDOW_S", 60)),
        search_cache_s=max(0, _int("SEARCH_CACHE_S", 0)),
        cell_counts_cache_s=max(0, _int("CELL_COUNTS_CACHE_S", 60)),
        request_expiry_s=_int("REQUEST_EXPIRY_S", 48 * 3600),
        fee_bps=_int("FEE_BPS", 0),
        payment_rail=os.environ.get("PAYMENT_RAIL", "none" if stage == "prod" else "simulated"),
        escrow_state_machine_arn=os.environ.get("ESCROW_STATE_MACHINE_ARN", ""),
        escrow_token_queue_url=os.environ.get("ESCROW_TOKEN_QUEUE_URL", ""),
        auto_release_after_delivery_s=_int("AUTO_RELEASE_AFTER_DELIVERY_S", 7 * 86400),
        service_deadline_s=_int("SERVICE_DEADLINE_S", 14 * 86400),
        dispute_timeout_s=_int("DISPUTE_TIMEOUT_S", 60 * 86400),
    )
