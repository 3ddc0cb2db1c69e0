"""Point the PynamoDB models at the stage's tables, lazily, so nothing talks to AWS at import time."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.models import Model

from chalicelib.settings import Settings, get_settings
from chalicelib.store.models import (
    AlertAreaModel,
    AlertCellModel,
    BalanceModel,
    ConnectionModel,
    ConversationMemberModel,
    ConversationPairModel,
    CounterModel,
    EntryModel,
    EventHeadModel,
    EventModel,
    EventSeenModel,
    IdempotencyModel,
    KeyModel,
    LineModel,
    ListingModel,
    MessageModel,
    OfferModel,
    OrderModel,
    ProfileModel,
    RateCounterModel,
    ReportModel,
    ReviewModel,
    SuspensionModel,
    TaskModel,
)


@dataclass
class _Binding:
    """What this process bound the models to, and the connection for transactions it made then."""

    key: tuple[str, ...] | None = None
    connection: Connection | None = None


_lock = threading.Lock()
_binding = _Binding()


def _models_by_table(settings: Settings) -> list[tuple[str, tuple[type[Model], ...]]]:
    """Each table the stage names, with the models whose items it holds."""
    return [
        (settings.listings_table, (ListingModel,)),
        (settings.profiles_table, (ProfileModel,)),
        (settings.system_table, (CounterModel, KeyModel, RateCounterModel, SuspensionModel)),
        (settings.chat_table, (ConversationMemberModel, MessageModel, ConversationPairModel)),
        (settings.orders_table, (OrderModel,)),
        (settings.idempotency_table, (IdempotencyModel,)),
        (settings.ledger_table, (BalanceModel, LineModel, EntryModel)),
        (settings.reports_table, (ReportModel,)),
        (settings.events_table, (EventHeadModel, EventModel, EventSeenModel)),
        (settings.connections_table, (ConnectionModel,)),
        (settings.tasks_table, (TaskModel, OfferModel)),
        (settings.alerts_table, (AlertAreaModel, AlertCellModel)),
        (settings.reviews_table, (ReviewModel,)),
    ]


def bind(settings: Settings | None = None) -> Connection:
    """Bind every model to the tables named in `settings`; returns a connection for transactions.

    Cheap when nothing changed. Rebinds (dropping cached clients) when the tables, region or endpoint
    differ, which happens between tests and stages, never within one Lambda instance.
    """
    settings = settings or get_settings()
    tables = _models_by_table(settings)
    key = (settings.region, *(table for table, _ in tables), os.environ.get("AWS_ENDPOINT_URL", ""))
    with _lock:
        if key != _binding.key or _binding.connection is None:
            for table, models in tables:
                for model in models:
                    model.Meta.table_name = table
                    model.Meta.region = settings.region
                    model._connection = None
            _binding.connection = Connection(region=settings.region)
            _binding.key = key
        return _binding.connection
