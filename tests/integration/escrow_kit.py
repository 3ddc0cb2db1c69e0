"""What the escrow tests do again and again: place and accept an order, pay it, wait for the workflow."""
from __future__ import annotations

import os
import time
import uuid
from typing import Any

import boto3

from chalicelib.services.reconcile import reconcile
from chalicelib.store import escrow_waits

SETTLE_TIMEOUT_S = 120.0  # generous: a loaded 2-core machine is slow, and a passing test never waits this long


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


def deposit(client: Any, user: Any, amount_cents: int) -> None:
    answer = client.post("/wallet/deposits", user, {"amount_cents": amount_cents}, headers=key())
    assert answer.status == 201, answer.body


def accepted_order(client: Any, shop: dict[str, Any], listing: str = "listing") -> str:
    placed = client.post("/orders", shop["alice"], {"listing_id": shop[listing]["listing_id"]}, headers=key())
    assert placed.status == 201, placed.body
    order_id = placed.body["order_id"]
    accepted = client.post(f"/orders/{order_id}/accept", shop["bob"])
    assert accepted.status == 200, accepted.body
    return order_id


def pay(client: Any, shop: dict[str, Any], order_id: str, idempotency_key: str | None = None) -> Any:
    return client.post(
        f"/orders/{order_id}/pay", shop["alice"], headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
    )


def decide(client: Any, user: Any, order_id: str, action: str, body: dict[str, Any] | None = None,
           timeout_s: float = SETTLE_TIMEOUT_S) -> Any:
    """Take an escrow action by its route, as a client would: a 429 (the outcome not known yet, e.g. the
    workflow's wait not reached) is sent again after its Retry-After."""
    path = f"/admin/orders/{order_id}/resolve" if action == "resolve" else f"/orders/{order_id}/{action}"
    deadline = time.monotonic() + timeout_s
    while True:
        answer = client.post(path, user, body)
        if answer.status != 429 or time.monotonic() > deadline:
            return answer
        time.sleep(float(answer.headers.get("Retry-After", "1")))


def wait_for(client: Any, user: Any, order_id: str, status: str, timeout_s: float = SETTLE_TIMEOUT_S) -> dict:
    """The order once it has reached `status` (its timeline holds it: a short timer may already have moved it
    on, however slowly this machine polls); fails with the order as it is if it does not in time. A status the
    order was in before (a step that failed and returned to it) counts too: wait for the wait's token
    (`waiting`) when that matters."""
    deadline = time.monotonic() + timeout_s
    while True:
        order = client.get(f"/orders/{order_id}", user).body
        reached = status in [entry["status"] for entry in order["timeline"]]
        if reached or time.monotonic() > deadline:
            assert reached, order
            return order
        time.sleep(0.2)


def wait_until(client: Any, user: Any, order_id: str, condition: Any, timeout_s: float = SETTLE_TIMEOUT_S) -> dict:
    """The order once `condition(order)` holds; fails with the order as it is if it does not in time."""
    deadline = time.monotonic() + timeout_s
    while True:
        order = client.get(f"/orders/{order_id}", user).body
        if condition(order) or time.monotonic() > deadline:
            assert condition(order), order
            return order
        time.sleep(0.2)


def sweep() -> dict[str, int]:
    """Run the escrow sweep as its schedule would (through the app's handler); its counts by metric."""
    from app import app
    from scripts.local_triggers import scheduled_event

    counts: dict[str, int] = app.handler_map["sweep_escrow"](scheduled_event("everywhere-escrow-sweep_escrow",
                                                                             os.environ["AWS_REGION"]), None)
    return counts


def waiting(order_id: str, status: str, timeout_s: float = SETTLE_TIMEOUT_S) -> escrow_waits.EscrowWait:
    """The workflow's wait for `status` once it has stored its token on the order: decisions can reach it now."""
    deadline = time.monotonic() + timeout_s
    while True:
        order = escrow_waits.get_wait(order_id)
        if order is not None and order.task_token and order.token_status == status:
            return order
        assert time.monotonic() < deadline, f"no token for {status} on {order}"
        time.sleep(0.1)


def funded_order(client: Any, shop: dict[str, Any]) -> str:
    order_id = accepted_order(client, shop)
    answer = pay(client, shop, order_id)
    assert answer.status == 202, answer.body
    wait_for(client, shop["alice"], order_id, "funded")
    return order_id


def wallet(client: Any, user: Any) -> dict:
    return client.get("/wallet", user).body


def statuses(order: dict) -> list[str]:
    return [entry["status"] for entry in order["timeline"]]


def assert_books_clean() -> None:
    report = reconcile()
    assert report.problems == [], report.problems


Edge = tuple[str, str, str]  # (from state, how: next | error | timeout | retry, to state)


def workflow_edges(definition: dict[str, Any]) -> set[Edge]:
    """Every edge of the ASL: each Next, Choice branch and Default, and each Catch (timeout or error)."""
    edges: set[Edge] = set()
    for name, state in definition["States"].items():
        targets = [state.get("Next"), state.get("Default")] + [choice["Next"] for choice in state.get("Choices", [])]
        edges |= {(name, "next", target) for target in targets if target}
        for catcher in state.get("Catch", []):
            how = "timeout" if catcher["ErrorEquals"] == ["States.Timeout"] else "error"
            edges.add((name, how, catcher["Next"]))
    return edges


def taken_edges(events: list[dict[str, Any]]) -> set[Edge]:
    """The edges one execution's history shows it took, retries included."""
    edges: set[Edge] = set()
    current, how = None, "next"
    for event in events:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            if current is not None:
                edges.add((current, how, name))
            current, how = name, "next"
        elif kind == "TaskFailed":
            how = "error"
        elif kind == "TaskTimedOut":
            how = "timeout"
        elif kind == "TaskScheduled" and how == "error":
            edges.add((current, "retry", current))
            how = "next"
    return edges


def executions_edges(state_machine_arn: str) -> set[Edge]:
    """The edges taken by every execution of the state machine so far (finished or still waiting)."""
    sfn = boto3.client("stepfunctions")
    edges: set[Edge] = set()
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
        for execution in page["executions"]:
            events: list[dict[str, Any]] = []
            for history in sfn.get_paginator("get_execution_history").paginate(executionArn=execution["executionArn"]):
                events += history["events"]
            edges |= taken_edges(events)
    return edges


def execution_outcome(name: str, timeout_s: float = SETTLE_TIMEOUT_S) -> str:
    """How the escrow execution `name` ended (SUCCEEDED, FAILED, …), once it has."""
    sfn = boto3.client("stepfunctions")
    arn = os.environ["ESCROW_STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:") + f":{name}"
    deadline = time.monotonic() + timeout_s
    while True:
        status = sfn.describe_execution(executionArn=arn)["status"]
        if status != "RUNNING":
            return status
        assert time.monotonic() < deadline, f"execution {name} still running"
        time.sleep(0.2)
