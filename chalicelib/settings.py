"""Typed settings from the environment, validated once per environment.

Chalice sets a stage's `environment_variables` in the Lambda environment, so a Lambda instance validates them
once, at cold start (app.py), and fails there with a message naming the variable. `chalice local` and the test
client set them around each call, so `get_settings()` reads the variables it knows (a few dictionary look-ups)
and validates each distinct set once; it never reads the environment at import.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from chalicelib.domain import regions

DEFAULT_REGION = "us-east-1"
# Deposits and withdrawals just happen: only for the stages that ask for it by name.
SIMULATED_RAIL: Literal["simulated"] = "simulated"
# Deposits and withdrawals are refused: the default, so no stage gets play money by accident.
NO_RAIL: Literal["none"] = "none"

Count = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(gt=0)]
Seconds = Annotated[float, Field(ge=0)]
Required = Annotated[str, Field(min_length=1)]
Origin = Annotated[str, Field(pattern=r"^(https?://[^/\s]+)?$")]  # scheme://host[:port], or empty


class RateLimit(BaseModel):
    """At most `limit` requests of one kind per user in each fixed window of `window_s` seconds."""

    model_config = ConfigDict(frozen=True)

    limit: Count
    window_s: Positive


# The one table of per-user rate limits: a kind of request (what a route names in api/) → its default limit.
# RATE_LIMITS overrides entries by name, e.g. "search=60/60,report=5/3600" (limit/window in seconds).
RATE_LIMITS: dict[str, RateLimit] = {
    name: RateLimit(limit=limit, window_s=window_s)
    for name, (limit, window_s) in {
        "search": (120, 60),  # GET /search: a map being dragged, page after page
        "message": (30, 60),  # POST /conversations/{id}/messages
        "conversation": (20, 3600),  # POST /conversations: new strangers contacted per hour
        "listing": (60, 3600),  # POST, PATCH, DELETE /listings
        "order": (30, 3600),  # POST /orders (a note reaches the provider: a message channel of its own)
        "order_action": (120, 3600),  # POST /orders/{id}/accept, pay, deliver, confirm, dispute, cancel...
        "wallet": (20, 3600),  # POST /wallet/deposits, /wallet/withdrawals
        "profile": (30, 3600),  # PATCH /me
        "report": (10, 3600),  # POST /reports
        "operator": (600, 3600),  # POST /admin/...: an operator's decisions
        "events": (120, 60),  # GET /events: catching up after a reconnect or a gap, page after page
        "connect": (60, 3600),  # WebSocket connects (a client reconnects after API Gateway's 10 min idle, 2 h cap)
        "socket_message": (60, 60),  # frames a client sends on its WebSocket (pings)
        "task": (30, 3600),  # POST /tasks, POST /tasks/{id}/cancel, accepting an offer: posted needs change
        "offer": (60, 3600),  # POST /tasks/{id}/offers, withdrawing one: each offer reaches a requester
        "nearby": (120, 60),  # GET /tasks/nearby: a provider's map of needs, page after page, like search
        "alert": (30, 3600),  # PUT, DELETE /me/alerts: each rewrites the alert area's cell entries
        "review": (30, 3600),  # POST /orders/{id}/review: one per side of each settled order
    }.items()
}


class SettingsError(RuntimeError):
    """A setting is missing or out of range; the message names the variable."""


class Settings(BaseModel):
    """Every setting, under the name of its environment variable (the alias)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Required = Field(alias="STAGE")
    region: Required = Field(alias="AWS_REGION")
    listings_table: Required = Field(alias="LISTINGS_TABLE")
    profiles_table: Required = Field(alias="PROFILES_TABLE")
    system_table: Required = Field(alias="SYSTEM_TABLE")
    chat_table: Required = Field(alias="CHAT_TABLE")
    orders_table: Required = Field(alias="ORDERS_TABLE")
    idempotency_table: Required = Field(alias="IDEMPOTENCY_TABLE")
    ledger_table: Required = Field(alias="LEDGER_TABLE")
    reports_table: Required = Field(alias="REPORTS_TABLE")
    events_table: Required = Field(alias="EVENTS_TABLE")
    connections_table: Required = Field(alias="CONNECTIONS_TABLE")
    tasks_table: Required = Field(alias="TASKS_TABLE")
    alerts_table: Required = Field(alias="ALERTS_TABLE")
    reviews_table: Required = Field(alias="REVIEWS_TABLE")
    privileged_quota: Count = Field(10_000, alias="PRIVILEGED_QUOTA")
    max_active_listings: Positive = Field(50, alias="MAX_ACTIVE_LISTINGS")  # active listings one provider may have
    max_open_tasks: Positive = Field(20, alias="MAX_OPEN_TASKS")  # open tasks one requester may have
    # Live offers one task may hold: accepting one declines the others in the same transaction (100 items at most).
    max_offers_per_task: int = Field(50, ge=1, le=90, alias="MAX_OFFERS_PER_TASK")
    task_alerts_per_hour: Positive = Field(20, alias="TASK_ALERTS_PER_HOUR")  # task.nearby events per provider
    task_alert_fanout: Positive = Field(500, alias="TASK_ALERT_FANOUT")  # providers one new task is told to, at most
    # Recipients a stream function stores and pushes at once (a new task may tell hundreds); botocore's pool holds 10.
    stream_workers: int = Field(8, ge=1, le=10, alias="STREAM_WORKERS")
    open_regions: frozenset[str] | None = Field(None, alias="OPEN_REGIONS")  # None: every region in regions.json
    user_pool_id: Required = Field(alias="COGNITO_USER_POOL_ID")
    user_pool_client_id: Required = Field(alias="COGNITO_APP_CLIENT_ID")
    jwks_url: Required = Field(alias="COGNITO_JWKS_URL")
    cursor_secret: bytes = Field(b"", alias="CURSOR_SECRET")  # optional: else a key made once per stage (store/keys.py)
    rate_limits: dict[str, RateLimit] = Field(default_factory=lambda: dict(RATE_LIMITS), alias="RATE_LIMITS")
    search_cache_s: Seconds = Field(0, alias="SEARCH_CACHE_S")  # how long an instance keeps hot cells (0: off)
    cell_counts_cache_s: Seconds = Field(60, alias="CELL_COUNTS_CACHE_S")  # how long it keeps the cell counts
    alert_cells_cache_s: Seconds = Field(0, alias="ALERT_CELLS_CACHE_S")  # ... and alert cells (0: off; store/alerts)
    # How long after an order is released or resolved its parties may review it; a lone review publishes then.
    review_window_s: Positive = Field(14 * 86400, alias="REVIEW_WINDOW_S")
    request_expiry_s: Count = Field(48 * 3600, alias="REQUEST_EXPIRY_S")  # 0: a request lapses at once
    fee_bps: int = Field(0, ge=0, le=10_000, alias="FEE_BPS")  # the platform's fee, basis points of the price
    payment_rail: Literal["simulated", "none"] = Field(NO_RAIL, alias="PAYMENT_RAIL")
    escrow_state_machine_arn: Required = Field(alias="ESCROW_STATE_MACHINE_ARN")
    escrow_token_queue_url: Required = Field(alias="ESCROW_TOKEN_QUEUE_URL")
    auto_release_after_delivery_s: Positive = Field(7 * 86400, alias="AUTO_RELEASE_AFTER_DELIVERY_S")
    service_deadline_s: Positive = Field(14 * 86400, alias="SERVICE_DEADLINE_S")
    # A dispute nobody resolves in this time is escalated (escalated_at, an alarm) and keeps holding the money.
    dispute_timeout_s: Positive = Field(60 * 86400, alias="DISPUTE_TIMEOUT_S")
    # How long a provider's dispute of a funded order keeps the buyer from cancelling for a refund (README).
    provider_dispute_grace_s: Count = Field(24 * 3600, alias="PROVIDER_DISPUTE_GRACE_S")
    # How long the workflow waits before sending a token again when the token queue refused it.
    escrow_queue_retry_s: Positive = Field(900, alias="ESCROW_QUEUE_RETRY_S")
    # A payment still `paying` after this long is stuck (the hold takes seconds): the sweep reports it.
    stuck_paying_s: Positive = Field(900, alias="STUCK_PAYING_S")
    # How many orders of each watched status the escrow sweep reads per run, oldest first.
    escrow_sweep_limit: Positive = Field(500, alias="ESCROW_SWEEP_LIMIT")

    # How long a user's events stay readable with GET /events (their TTL).
    event_retention_s: Positive = Field(7 * 86400, alias="EVENT_RETENTION_S")
    # How many WebSocket connections one user may hold: a new one beyond this closes their oldest.
    max_connections_per_user: Positive = Field(5, le=20, alias="MAX_CONNECTIONS_PER_USER")
    # Where frames are posted (API Gateway's management API). Empty: the endpoint each connection came
    # through, https://<domain>/<stage>; the local runner sets its own (scripts/local_websocket.py).
    websocket_endpoint: str = Field("", alias="WEBSOCKET_ENDPOINT")
    # The web client's origin (scheme://host[:port]), the one origin the API allows cross-origin (CORS); empty: none.
    # `make run` sets its local web server's; `make deploy` the stage's CloudFront address (docs/OPERATIONS.md).
    web_origin: Origin = Field("", alias="WEB_ORIGIN")

    @field_validator("open_regions", mode="before")
    @classmethod
    def _id_list(cls, raw: object) -> object:
        if not isinstance(raw, str):
            return raw
        ids = frozenset(part.strip() for part in raw.split(",") if part.strip())
        return ids or None

    @field_validator("rate_limits", mode="before")
    @classmethod
    def _rate_table(cls, raw: object) -> object:
        """"name=limit/window_s,..." overrides those entries of the table; any other name is refused."""
        if not isinstance(raw, str):
            return raw
        table = {name: limit.model_dump() for name, limit in RATE_LIMITS.items()}
        for entry in filter(None, (part.strip() for part in raw.split(","))):
            name, _, value = entry.partition("=")
            limit, _, window_s = value.partition("/")
            if name.strip() not in table or not limit or not window_s:
                raise ValueError(
                    f"{entry!r}: write name=limit/window_s with a name among {', '.join(RATE_LIMITS)}"
                )
            table[name.strip()] = {"limit": limit.strip(), "window_s": window_s.strip()}
        return table

    @field_validator("cursor_secret", mode="before")
    @classmethod
    def _encoded(cls, raw: object) -> object:
        return raw.encode() if isinstance(raw, str) else raw

    @model_validator(mode="after")
    def _regions_exist_and_share_a_currency(self) -> Settings:
        try:
            regions.wallet_currency(regions.load_regions(self.open_regions))
        except ValueError as exc:
            raise ValueError(f"OPEN_REGIONS: {exc}") from None
        return self

    @property
    def token_issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"


NAMES = tuple(field.alias for field in Settings.model_fields.values() if field.alias)
# Read besides the settings' own names: they only shape defaults.
CONTEXT = ("AWS_DEFAULT_REGION", "TABLE_PREFIX", "AWS_ENDPOINT_URL")


def _with_defaults(given: Mapping[str, str]) -> dict[str, str]:
    """The variables set (blank ones count as unset), plus the defaults that derive from others."""
    env = {name: value if name == "CURSOR_SECRET" else value.strip() for name, value in given.items() if value.strip()}
    env.setdefault("STAGE", "local")
    env.setdefault("AWS_REGION", env.get("AWS_DEFAULT_REGION", DEFAULT_REGION))
    prefix = env.get("TABLE_PREFIX", f"everywhere-{env['STAGE']}")
    for table in (
        "LISTINGS", "PROFILES", "SYSTEM", "CHAT", "ORDERS", "IDEMPOTENCY", "LEDGER", "REPORTS", "EVENTS", "CONNECTIONS",
        "TASKS", "ALERTS", "REVIEWS",
    ):
        env.setdefault(f"{table}_TABLE", f"{prefix}-{table.lower()}")
    pool_id = env.get("COGNITO_USER_POOL_ID", "")
    endpoint = env.get("AWS_ENDPOINT_URL", "").rstrip("/")
    issuer_base = endpoint or f"https://cognito-idp.{env['AWS_REGION']}.amazonaws.com"
    env.setdefault("COGNITO_JWKS_URL", f"{issuer_base}/{pool_id}/.well-known/jwks.json")
    return {name: env[name] for name in NAMES if name in env}


def validate(environment: Mapping[str, str]) -> Settings:
    """The settings an environment gives, or SettingsError naming every variable that is missing or wrong."""
    try:
        return Settings.model_validate(_with_defaults(environment))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors())
        raise SettingsError(f"bad settings for stage {environment.get('STAGE', 'local')!r}: {problems}") from None


@lru_cache(maxsize=8)
def _validated(environment: tuple[tuple[str, str], ...]) -> Settings:
    return validate(dict(environment))


def get_settings() -> Settings:
    """The settings in force now: validated the first time this environment is seen, then cached."""
    return _validated(tuple((name, os.environ[name]) for name in NAMES + CONTEXT if name in os.environ))


def check_at_cold_start() -> None:
    """In Lambda (not under `chalice local` or the tests, which set the stage's variables per call), validate
    the settings as the instance starts: a bad one fails the cold start, and every call, naming the variable."""
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        get_settings()
