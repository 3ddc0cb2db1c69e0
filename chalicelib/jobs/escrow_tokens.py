"""The `escrow_tokens` function: the escrow workflow's task tokens, from its queue onto the orders.

The queue's name is fixed when the app is packaged (event source mappings are deployment-time): it is
ESCROW_TOKEN_QUEUE in the packaging environment, `everywhere-local-escrow-tokens` by default. Locally the
stack runner polls the queue and calls this same handler with SQS-shaped events.
"""
from __future__ import annotations

import json
import os
from typing import Any

from chalice.app import Blueprint

from chalicelib.services import escrow as escrow_service

escrow_tokens_bp = Blueprint(__name__)
QUEUE = os.environ.get("ESCROW_TOKEN_QUEUE", "everywhere-local-escrow-tokens")


@escrow_tokens_bp.on_sqs_message(queue=QUEUE, batch_size=10, name="escrow_tokens")
def escrow_tokens(event: Any) -> None:
    """Store each token on its order, if the order is still in the status the token was issued for."""
    for record in event:
        message = json.loads(record.body)
        escrow_service.keep_token(message["order_id"], message["status"], message["task_token"])
