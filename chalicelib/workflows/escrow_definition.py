"""The escrow workflow's definition (Amazon States Language), built from the store's key layouts and entry shape.

`python -m scripts.escrow_asl` writes it to escrow.asl.json beside this module, which is committed and deployed
(infra/template.yaml inlines it; `${LedgerTable}`, `${OrdersTable}` and `${TokenQueueUrl}` are its Fn::Sub
variables). Each money step (hold, release, refund, split) is one DynamoDB transaction that posts a journal
entry exactly as store/ledger.py does — the items come from store/entry_shape.py, their keys from
store/key_layouts.py — and moves the order's status, conditional on the statuses it may come from.

Key functions are called with references (`ref("$.order_id")`) in place of their arguments; a string holding
references becomes a `States.Format` of them. The execution input (workflows/escrow.py `execution_input`)
carries the account ids, entry ids and every amount, so the workflow does no arithmetic.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import ledger
from chalicelib.domain.orders import (
    DELIVERED,
    DISPUTED,
    FUNDED,
    PAYING,
    PAYMENT_FAILED,
    REFUNDED,
    RELEASED,
    RESOLVED,
    WATCHED,
)
from chalicelib.store import entry_shape
from chalicelib.store.key_layouts import status_key, watch_key
from chalicelib.workflows.escrow import ACCOUNTS

Json = dict[str, Any]
LEDGER, ORDERS, TOKEN_QUEUE = "${LedgerTable}", "${OrdersTable}", "${TokenQueueUrl}"
NOW = "$$.State.EnteredTime"
_REF = re.compile("\x1e([^\x1f]*)\x1f")


def ref(path: str) -> str:
    """A reference to `path` that passes through key functions as if it were the value found there."""
    return f"\x1e{path}\x1f"


def string(text: str) -> Json:
    """The DynamoDB string value `text`, its references filled in when the state runs."""
    parts = _REF.split(text)
    literals, paths = parts[0::2], parts[1::2]
    if not paths:
        return {"S": text}
    if literals == ["", ""]:
        return {"S.$": paths[0]}
    template = "{}".join(re.sub(r"([\\'{}])", r"\\\1", literal) for literal in literals)
    return {"S.$": f"States.Format('{template}', {', '.join(paths)})"}


@dataclass(frozen=True)
class Amount:
    """An amount in the execution input (a string: DynamoDB numbers are), and where its negation is."""

    path: str
    negated: str | None = None
    negative: bool = False

    def __neg__(self) -> Amount:
        if self.negated is None:
            raise ValueError(f"the execution input has no negation of {self.path}")
        return Amount(self.negated, self.path, not self.negative)

    def __lt__(self, other: int) -> bool:
        if other != 0:
            raise TypeError("an amount of the execution input is only compared with zero")
        return self.negative

    @property
    def placeholder(self) -> str:
        return ":" + re.sub(r"\W", "_", self.path.removeprefix("$."))

    @property
    def value(self) -> Json:
        return {"N.$": self.path}


PRICE = Amount("$.amounts.price", "$.amounts.minus_price")
TO_PROVIDER, FEE = Amount("$.amounts.to_provider"), Amount("$.amounts.fee")
DECIDED_TO_PROVIDER, DECIDED_FEE = Amount("$.decision.to_provider"), Amount("$.decision.fee")
DECIDED_TO_BUYER = Amount("$.decision.to_buyer")


def account(role: str) -> str:
    return ref(f"$.accounts.{role}")


# Whether each account may go below zero, by the domain's rule on the account as the execution input forms it.
_MAY_GO_NEGATIVE = {
    account(role): ledger.may_go_negative(kind(ref(f"$.{owner}"))) for role, (kind, owner) in ACCOUNTS.items()
}


@dataclass(frozen=True)
class MoneyStep:
    """One money step: post an entry and move the order from one of `sources` to `target`, in one transaction."""

    name: str
    kind: str  # the entry's kind (domain/ledger.py)
    entry: str  # its id in the execution input's `entries`
    postings: tuple[tuple[str, Amount], ...]  # (role, amount)
    held: tuple[tuple[str, Amount], ...]  # (role of a wallet, change of its held money)
    sources: tuple[str, ...]
    target: str
    done: str  # the next state; also where a step posted before goes
    failed: str  # where a refusal goes that is neither a duplicate nor a conflict
    # Refusals with their own way out: the order was not in a source status; a balance could not cover the step.
    not_in_source: str | None = None
    short_of_money: str | None = None
    # Order attributes the step writes with the status: attribute -> the execution state's path of the value.
    records: tuple[tuple[str, str], ...] = ()


HOLD = MoneyStep(
    "Hold", ledger.HOLD, "hold", (("buyer", -PRICE), ("escrow", PRICE)), (("buyer", PRICE),),
    (PAYING,), FUNDED, done="AwaitFunded", failed="PaymentError",
    not_in_source="NotPaying", short_of_money="NotEnoughMoney",
)


def _settlement(
    name: str, kind: str, postings: tuple[tuple[str, Amount], ...], sources: tuple[str, ...], target: str,
    records: tuple[tuple[str, str], ...] = (),
) -> MoneyStep:
    """Empty the escrow (its postings) and release the buyer's held money, once per order."""
    return MoneyStep(
        name, kind, "settle", postings, (("buyer", -PRICE),), sources, target, done="Settled",
        failed="SettlementFailed", records=records,
    )


RELEASE = _settlement(
    "Release", ledger.RELEASE, (("escrow", -PRICE), ("provider", TO_PROVIDER), ("fees", FEE)), (FUNDED, DELIVERED),
    RELEASED,
)
REFUND = _settlement("Refund", ledger.REFUND, (("escrow", -PRICE), ("buyer", PRICE)), (FUNDED, DISPUTED), REFUNDED)
SPLIT = _settlement(
    "Split", ledger.SPLIT,
    (("escrow", -PRICE), ("provider", DECIDED_TO_PROVIDER), ("fees", DECIDED_FEE), ("buyer", DECIDED_TO_BUYER)),
    (DISPUTED,), RESOLVED, records=(("resolved_by", "$.decision.by"), ("resolution_note", "$.decision.note")),
)

DYNAMODB_TRANSIENT = [
    *(f"DynamoDb.{error}" for error in (
        "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceededException",
        "InternalServerErrorException", "TransactionInProgressException",
    )),
    *(f"DynamoDB.{error}" for error in (
        "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceededException",
        "InternalServerErrorException",
    )),
]
_BACKOFF = {"IntervalSeconds": 1, "MaxAttempts": 5, "BackoffRate": 2, "JitterStrategy": "FULL"}


def _key(key: entry_shape.Key) -> Json:
    return {"pk": string(key[0]), "sk": string(key[1])}


def _status_change(
    target: str, sources: Sequence[str], why: str | None = None, records: Sequence[tuple[str, str]] = ()
) -> Json:
    """UpdateItem parameters that move the order to `target` from one of `sources` and end the wait's token;
    the escrow watch index's attributes set (a watched target) or removed with the status, and `records`
    (attribute, path of its value) written with it."""
    values: Json = {
        ":to": {"S": target},
        ":bs": string(status_key(ref("$.buyer_id"), target)),
        ":ps": string(status_key(ref("$.provider_id"), target)),
        ":at": string(ref(NOW)),
        ":entry": {"L": [{"M": {"status": {"S": target}, "at": string(ref(NOW))}}]},
        **{f":from{i}": {"S": source} for i, source in enumerate(sources)},
    }
    sets = ["#status = :to", "buyer_status = :bs", "provider_status = :ps", "updated_at = :at",
            "timeline = list_append(timeline, :entry)"]
    removes = ["task_token", "token_status"]
    if why is not None:
        values[":why"] = string(ref(why))
        sets.append("failure_reason = :why")
    if target in WATCHED:
        values[":watch"] = {"S": watch_key(target)}
        sets += ["watch = :watch", "watch_since = :at"]
    else:
        removes += ["watch", "watch_since"]
    for attribute, path in records:
        values[f":{attribute}"] = string(ref(path))
        sets.append(f"{attribute} = :{attribute}")
    return {
        "TableName": ORDERS,
        "Key": {"order_id": string(ref("$.order_id"))},
        "UpdateExpression": f"SET {', '.join(sets)} REMOVE {', '.join(removes)}",
        "ConditionExpression": f"#status IN ({', '.join(f':from{i}' for i in range(len(sources)))})",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values,
    }


def _balance_update(update: entry_shape.BalanceUpdate[Amount]) -> Json:
    adds = [
        (name, amount) for name, amount in (("balance", update.add_balance), ("held", update.add_held))
        if amount is not None
    ]
    floors = [
        (name, amount) for name, amount in (("balance", update.balance_at_least), ("held", update.held_at_least))
        if amount is not None
    ]
    parameters: Json = {
        "TableName": LEDGER,
        "Key": _key(update.key),
        "UpdateExpression": "ADD " + ", ".join(f"{name} {amount.placeholder}" for name, amount in adds),
        "ExpressionAttributeValues": {amount.placeholder: amount.value for _, amount in adds + floors},
    }
    if floors:
        parameters["ConditionExpression"] = " AND ".join(f"{name} >= {amount.placeholder}" for name, amount in floors)
    return {"Update": parameters}


def _transaction(step: MoneyStep) -> tuple[list[Json], list[int]]:
    """The step's TransactItems, and the indexes of the balance updates that carry a condition.

    Order matters: the Refused choice tells the refusals apart by their index in the cancellation reasons.
    """
    entry_id, at = ref(f"$.entries.{step.entry}"), ref(NOW)
    postings = [(account(role), amount) for role, amount in step.postings]
    shape = entry_shape.of(
        entry_id, at, postings, [(account(role), amount) for role, amount in step.held], _MAY_GO_NEGATIVE.__getitem__
    )
    about = {"entry_id": string(entry_id), "kind": {"S": step.kind}}
    when = {"order_id": string(ref("$.order_id")), "at": string(at)}
    guard = {
        "TableName": LEDGER,
        "ConditionExpression": "attribute_not_exists(pk)",
        "Item": {
            **_key(shape.guard), **about, **when,
            "postings": {"L": [{"M": {"account": string(a), "amount_cents": amount.value}} for a, amount in postings]},
        },
    }
    lines = [
        {"Put": {"TableName": LEDGER, "Item": {**_key(line.key), **about, "amount_cents": line.amount.value, **when}}}
        for line in shape.lines
    ]
    items = [{"Put": guard}, {"Update": _status_change(step.target, step.sources, records=step.records)}]
    floored = [len(items) + i for i, update in enumerate(shape.balances) if update.balance_at_least is not None]
    items += [_balance_update(update) for update in shape.balances]
    return items + lines, floored


def _refused_at(index: int, then: str) -> Json:
    """The choice of a transaction refused by the condition of its item `index` (Step Functions names the
    cancellation reasons in the error's cause, in item order)."""
    reasons = "None, " * index
    return {"Variable": "$.error.Cause", "StringMatches": f"*specific reasons [{reasons}ConditionalCheckFailed*",
            "Next": then}


def _task(resource: str, parameters: Json, then: str, on_error: str, comment: str | None = None) -> Json:
    """A DynamoDB task: transient refusals retried with backoff, anything else to `on_error` (in $.error)."""
    return {
        "Type": "Task",
        "Resource": resource,
        **({"Comment": comment} if comment else {}),
        "Parameters": parameters,
        "ResultPath": None,
        "Retry": [{"ErrorEquals": DYNAMODB_TRANSIENT, **_BACKOFF}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": on_error}],
        "Next": then,
    }


def money_states(step: MoneyStep) -> dict[str, Json]:
    """The step's transaction, the choice that reads its refusal, and the pause before retrying a conflict."""
    items, floored = _transaction(step)
    refused = [_refused_at(0, step.done)]  # the entry was posted before: this step is done
    if step.not_in_source:
        refused.append(_refused_at(1, step.not_in_source))
    if step.short_of_money:
        refused += [_refused_at(index, step.short_of_money) for index in floored]
    conflict = {"Variable": "$.error.Cause", "StringMatches": "*TransactionConflict*", "Next": f"{step.name}Conflict"}
    return {
        step.name: _task(
            "arn:aws:states:::aws-sdk:dynamodb:transactWriteItems", {"TransactItems": items}, step.done,
            f"{step.name}Refused",
        ),
        f"{step.name}Refused": {
            "Type": "Choice",
            "Comment": f"Which condition refused the {step.kind} (cancellation reasons, in item order)?",
            "Choices": [*refused, conflict],
            "Default": step.failed,
        },
        f"{step.name}Conflict": {"Type": "Wait", "Seconds": 1, "Next": step.name},
    }


def mark(
    target: str, sources: Sequence[str], then: str, on_error: str, why: str | None = None,
    records: Sequence[tuple[str, str]] = (),
) -> Json:
    """Move the order's status (outside any money step)."""
    return _task("arn:aws:states:::dynamodb:updateItem", _status_change(target, sources, why, records), then, on_error)


def escalate(then: str) -> Json:
    """Note on the disputed order that nobody resolved it in time (`escalated_at`), and nothing else: the money
    stays held and the workflow waits for an operator again. A failed write waits again all the same."""
    return _task("arn:aws:states:::dynamodb:updateItem", {
        "TableName": ORDERS,
        "Key": {"order_id": string(ref("$.order_id"))},
        "UpdateExpression": "SET escalated_at = :at, updated_at = :at",
        "ConditionExpression": "#status = :disputed",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":at": string(ref(NOW)), ":disputed": {"S": DISPUTED}},
    }, then, then, comment="Escalate: the dispute outlived DISPUTE_TIMEOUT_S; keep holding, wait for an operator.")


def await_decision(name: str, status: str, timer: str, on_timeout: str, then: str) -> dict[str, Json]:
    """Send the task token to the token queue (escrow_tokens stores it on the order) and wait for a decision.

    Only the timer's own expiry (States.Timeout) takes `on_timeout`. Any other error (the queue refusing the
    token, after the retries) leaves nobody able to decide, so it must not settle anything: the workflow waits
    QUEUE_RETRY_S and sends a token again, with the timer started afresh — the order's window only ever grows.
    """
    return {
        name: {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Comment": f"Wait for a decision on the {status} order; the token goes to the order via the token queue.",
            "Parameters": {
                "QueueUrl": TOKEN_QUEUE,
                "MessageBody": {"order_id.$": "$.order_id", "status": status, "task_token.$": "$$.Task.Token"},
            },
            "TimeoutSecondsPath": f"$.timers.{timer}",
            "ResultPath": "$.decision",
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], **_BACKOFF, "MaxDelaySeconds": 4}],
            "Catch": [
                {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.timed_out", "Next": on_timeout},
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": f"{name}Again"},
            ],
            "Next": then,
        },
        f"{name}Again": {
            "Type": "Wait", "SecondsPath": "$.timers.queue_retry_s", "Next": name,
            "Comment": "The token could not be sent: nobody can decide, so no timer may settle. Wait, then send again.",
        },
    }


def choose(
    variable: str, nexts: dict[str, str], default: str, comment: str | None = None, extra: Sequence[Json] = ()
) -> Json:
    return {
        "Type": "Choice",
        **({"Comment": comment} if comment else {}),
        "Choices": [
            *extra, *({"Variable": variable, "StringEquals": value, "Next": then} for value, then in nexts.items()),
        ],
        "Default": default,
    }


# A refund decision on a disputed order is taken only for a dispute the provider opened on a funded order (the
# API lets the buyer send it once PROVIDER_DISPUTE_GRACE_S has passed: domain/orders.py `dispute_refund_from`).
_PROVIDERS_DISPUTE_OF_FUNDED_REFUNDED = {
    "And": [
        {"Variable": "$.decision.action", "StringEquals": "refund"},
        {"Variable": "$.dispute.by", "StringEqualsPath": "$.provider_id"},
        {"Variable": "$.dispute.from", "StringEquals": FUNDED},
    ],
    "Next": "Refund",
}


def failure_reason(reason: str) -> Json:
    return {"Type": "Pass", "Result": reason, "ResultPath": "$.failure_reason", "Next": "MarkPaymentFailed"}


def definition() -> Json:
    """The whole state machine."""
    return {
        "Comment": "Everywhere escrow: hold the price from the buyer's wallet, wait for the decision (or a timer), "
        "then release, refund or split. Every money step is one DynamoDB transaction with its journal entry, "
        "guarded by its deterministic entry id.",
        "StartAt": "Resume",
        "States": {
            "Resume": choose(
                "$.resume_at", {FUNDED: "AwaitFunded", DELIVERED: "AwaitDelivered", DISPUTED: "AwaitResolution"},
                HOLD.name,
                comment="A payment starts at the hold; an operator's re-drive (`make redrive`) at the order's status.",
            ),
            **money_states(HOLD),
            "NotEnoughMoney": failure_reason("InsufficientFunds"),
            "PaymentError": failure_reason("PaymentError"),
            "MarkPaymentFailed": mark(PAYMENT_FAILED, [PAYING], "PaymentFailed", "NotPaying", why="$.failure_reason"),
            "PaymentFailed": {"Type": "Succeed", "Comment": "Nothing moved; the buyer may pay again."},
            "NotPaying": {
                "Type": "Fail", "Error": "OrderNotPaying", "Cause": "The order was not paying: nothing moved.",
            },
            **await_decision("AwaitFunded", FUNDED, "service_deadline_s", REFUND.name, "FundedDecision"),
            "FundedDecision": choose(
                "$.decision.action",
                {"deliver": "MarkDelivered", "confirm": RELEASE.name, "refund": REFUND.name, "dispute": "MarkDisputed"},
                "AwaitFunded",
            ),
            "MarkDelivered": mark(DELIVERED, [FUNDED], "AwaitDelivered", "AwaitFunded"),
            **await_decision("AwaitDelivered", DELIVERED, "auto_release_s", RELEASE.name, "DeliveredDecision"),
            "DeliveredDecision": choose(
                "$.decision.action", {"confirm": RELEASE.name, "dispute": "MarkDisputed"}, "AwaitDelivered"
            ),
            "MarkDisputed": mark(
                DISPUTED, [FUNDED, DELIVERED], "NoteDispute", "DisputeNotMarked",
                records=(("disputed_by", "$.decision.by"), ("disputed_from", "$.decision.from")),
            ),
            "NoteDispute": {
                "Type": "Pass", "Comment": "Keep who disputed and from which status (each wait replaces $.decision).",
                "Parameters": {"by.$": "$.decision.by", "from.$": "$.decision.from"}, "ResultPath": "$.dispute",
                "Next": "AwaitResolution",
            },
            "DisputeNotMarked": choose(
                "$.decision.from", {DELIVERED: "AwaitDelivered"}, "AwaitFunded",
                comment="The dispute could not be written: wait again for a decision on the order as it still is.",
            ),
            **await_decision("AwaitResolution", DISPUTED, "dispute_timeout_s", "Escalate", "ResolutionDecision"),
            "Escalate": escalate("AwaitResolution"),
            "ResolutionDecision": choose(
                "$.decision.action", {"resolve": SPLIT.name}, "AwaitResolution",
                extra=[_PROVIDERS_DISPUTE_OF_FUNDED_REFUNDED],
            ),
            **money_states(RELEASE),
            **money_states(REFUND),
            **money_states(SPLIT),
            "Settled": {"Type": "Succeed"},
            "SettlementFailed": {
                "Type": "Fail", "Error": "SettlementFailed",
                "Cause": "The escrow still holds the money; an operator must look.",
            },
        },
    }
