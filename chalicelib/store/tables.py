"""Point the PynamoDB models at the stage's tables, lazily, so nothing talks to AWS at import time."""
from __future__ import annotations

import os
import threading

from pynamodb.connection import Connection

from chalicelib.settings import Settings, get_settings
from chalicelib.store.models import (
    BalanceModel,
    EntryModel,
    LineModel,
    ConversationMemberModel,
    ConversationPairModel,
    CounterModel,
    IdempotencyModel,
    KeyModel,
    ListingModel,
    MessageModel,
    OrderModel,
    ProfileModel,
    RateCounterModel,
)

_lock = threading.Lock()
_bound_to: tuple[str, ...] | None = None
_connection: Connection | None = None


def bind(settings: Settings | None = None) -> Connection:
    """Bind every model to the tables named in `settings`; returns a connection for transactions.

    Cheap when nothing changed. Rebinds (dropping cached clients) when the tables, region or endpoint
    differ, which happens between tests and stages, never within one Lambda instance.
    """
    global _bound_to, _connection
    settings = settings or get_settings()
    key = (
        settings.region,
        settings.listings_table,
        settings.profiles_table,
        settings.system_table,
        settings.chat_table,
        settings.orders_table,
        settings.idempotency_table,
        settings.ledger_table,
        os.environ.get("AWS_ENDPOINT_URL", ""),
    )
    with _lock:
        if key != _bound_to or _connection is None:
            for model, table in (
                (ListingModel, settings.listings_table),
                (ProfileModel, settings.profiles_table),
                (CounterModel, settings.system_table),
                (KeyModel, settings.system_table),
                (RateCounterModel, settings.system_table),
                (ConversationMemberModel, settings.chat_table),
                (MessageModel, settings.chat_table),
                (ConversationPairModel, settings.chat_table),
                (OrderModel, settings.orders_table),
                (IdempotencyModel, settings.idempotency_table),
                (BalanceModel, settings.ledger_table),
                (LineModel, settings.ledger_table),
                (EntryModel, settings.ledger_table),
            ):
                model.Meta.table_name = table
                model.Meta.region = settings.region
                model._connection = None
            _connection = Connection(region=settings.region)
            _bound_to = key
        return _connection
