"""The escrow workflow from the app's side: start an execution for a payment, send it decisions.

The workflow itself is chalicelib/workflows/escrow.asl.json (deployed by infra/template.yaml). It moves
the money; the app computes every amount and account up front and passes them in the execution input,
so the ASL does no arithmetic. Task tokens travel workflow → token queue → escrow_tokens function →
the order item → this module; they never reach a client.
"""
from __future__ import annotations

import json
import os
import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.domain import ledger
from chalicelib.domain.errors import Busy
from chalicelib.domain.orders import Order, execution_name
from chalicelib.settings import Settings, get_settings
from chalicelib.store.ledger import account_key

_lock = threading.Lock()
_clients: dict[tuple[str, str], Any] = {}


def _client() -> Any:
    settings = get_settings()
    key = (settings.region, os.environ.get("AWS_ENDPOINT_URL", ""))
    with _lock:
        if key not in _clients:
            _clients[key] = boto3.client(
                "stepfunctions", region_name=settings.region, config=Config(retries={"mode": "standard"})
            )
        return _clients[key]


def entry_ids(order: Order) -> dict[str, str]:
    """The journal entry ids of this order's money steps: one hold per payment attempt, one settlement ever."""
    return {"hold": f"{order.order_id}#hold#{order.pay_attempt}", "settle": f"{order.order_id}#settle"}


def execution_input(order: Order, settings: Settings) -> dict[str, Any]:
    accounts = {
        "buyer": ledger.wallet(order.buyer_id),
        "provider": ledger.wallet(order.provider_id),
        "escrow": ledger.escrow(order.order_id),
        "fees": ledger.fees(order.order_id),
    }
    return {
        "order_id": order.order_id,
        "buyer_id": order.buyer_id,
        "provider_id": order.provider_id,
        "entries": entry_ids(order),
        "accounts": {**accounts, **{f"{name}_key": account_key(account) for name, account in accounts.items()}},
        "amounts": {  # DynamoDB numbers are strings
            "price": str(order.price_cents),
            "minus_price": str(-order.price_cents),
            "to_provider": str(order.price_cents - order.fee_cents),
            "fee": str(order.fee_cents),
        },
        "timers": {
            "auto_release_s": settings.auto_release_after_delivery_s,
            "service_deadline_s": settings.service_deadline_s,
            "dispute_timeout_s": settings.dispute_timeout_s,
        },
    }


def start(order: Order) -> None:
    """Start this payment attempt's execution; starting it again starts nothing (the name is taken)."""
    settings = get_settings()
    client = _client()
    try:
        client.start_execution(
            stateMachineArn=settings.escrow_state_machine_arn,
            name=execution_name(order),
            input=json.dumps(execution_input(order, settings)),
        )
    except client.exceptions.ExecutionAlreadyExists:
        pass


def send_decision(token: str, decision: dict[str, Any]) -> bool:
    """Hand the waiting execution a decision; False if that wait is over (the token was used or timed out).
    Raises Busy if Step Functions cannot be reached (after botocore's retries): nothing was decided."""
    client = _client()
    try:
        client.send_task_success(taskToken=token, output=json.dumps(decision))
        return True
    except (client.exceptions.InvalidToken, client.exceptions.TaskDoesNotExist, client.exceptions.TaskTimedOut):
        return False
    except (ClientError, BotoCoreError) as exc:
        raise Busy("the escrow cannot take decisions right now; nothing changed; try again in a moment") from exc
