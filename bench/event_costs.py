"""What one event costs: the AWS calls the stream functions make for it, counted on in-process moto.

The app runs as deployed, minus AWS: the infra template in moto (scripts/provision.py), changes made through the
API (Chalice's test client, the REST authorizer included), the tables' streams read by the local relay
(scripts/local_triggers.LocalStreamRelay, Lambda's event source mapping) and handed to `chat_events` and
`order_events`. botocore's `BaseClient._make_api_call` is wrapped (as tests/iam_audit.py does), and only the calls
made inside a stream function are kept: the relay's own stream reads are Lambda's, and free (DynamoDB does not
charge the GetRecords calls of Lambda triggers).

Capacity by DynamoDB's published rules (moto reports none):
- a transactional write costs 2 write units per item per started KB of that item (each item on its own);
  an update is charged the larger of the item before and after: the after image is read once the function ends;
- a strongly consistent GetItem 1 read unit per started 4 KB, at least 1 (an absent item costs 1 too);
- a Query on a global secondary index (eventually consistent) half a unit per started 4 KB of what it returns,
  at least half a unit (bench/dynamo_model.py).
"""
from __future__ import annotations

import contextlib
import math
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.client import BaseClient

from bench.dynamo_model import item_size, read_units

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
WRITE_KB = 1024
TRANSACTION_FACTOR = 2
CHAT = "chat message"
LONG_CHAT = "chat message of 2,000 Chinese characters"
ORDER = "order status change"
LONG_TEXT = "请问周六下午可以来修自行车吗" * 142 + "谢谢您了\uff0c周六下午见\uff01\uff01"
# (2,000 characters, 6,000 bytes in UTF-8: the longest message, in the language of the open region)
ENDPOINT = f"https://bench01.execute-api.{REGION}.amazonaws.com/local"  # the management API the app posts to


@dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    response: dict[str, Any] | None
    error: str | None


@dataclass
class Recorder:
    """Keeps the AWS calls made on threads while `active` (inside a stream function)."""

    calls: list[Call] = field(default_factory=list)
    _active: threading.local = field(default_factory=threading.local)
    _original: Any = None

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        self._active.on = True
        try:
            yield
        finally:
            self._active.on = False

    def install(self) -> None:
        original = BaseClient._make_api_call
        self._original = original
        recorder = self

        def recording(client: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            if not getattr(recorder._active, "on", False):
                return original(client, operation_name, api_params)
            service = client.meta.service_model.service_name
            try:
                answer = original(client, operation_name, api_params)
            except Exception as exc:
                recorder.calls.append(Call(service, operation_name, api_params, None, type(exc).__name__))
                raise
            recorder.calls.append(Call(service, operation_name, api_params, answer, None))
            return answer

        BaseClient._make_api_call = recording  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if self._original is not None:
            BaseClient._make_api_call = self._original  # type: ignore[method-assign]

    def take(self) -> list[Call]:
        taken, self.calls = self.calls, []
        return taken


@dataclass
class Cost:
    """The AWS work of some stream function invocations."""

    invocations: int = 0
    records: int = 0
    events: int = 0
    write_units: float = 0.0
    read_units: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)  # "dynamodb.GetItem" -> count
    written_bytes: dict[str, list[int]] = field(default_factory=dict)  # "event", "seen mark", "head" -> sizes
    failed_transactions: int = 0

    def add_call(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1


def _write_units(size: int) -> float:
    return float(max(1, math.ceil(size / WRITE_KB)) * TRANSACTION_FACTOR)


def _strong_read_units(size: int) -> float:
    return float(max(1, math.ceil(size / 4096)))


def _part(table: str, key: dict[str, Any]) -> str:
    owner = next(iter(key.values())).get("S", "")
    if table.endswith("connections"):
        return "connection"
    if owner.startswith("seen#"):
        return "seen mark"
    return "event"


def _price_transaction(call: Call, cost: Cost, after_image: Callable[[str, dict[str, Any]], int]) -> None:
    if call.error is not None:
        cost.failed_transactions += 1
    for entry in call.params["TransactItems"]:
        if "Put" in entry:
            put = entry["Put"]
            size = item_size(put["Item"])
            cost.written_bytes.setdefault(_part(put["TableName"], put["Item"]), []).append(size)
        elif "Update" in entry:
            update = entry["Update"]
            size = after_image(update["TableName"], update["Key"])
            cost.written_bytes.setdefault("head", []).append(size)
        else:
            raise ValueError(f"no rule for {sorted(entry)}")
        cost.write_units += _write_units(size)  # a cancelled transaction is charged too


def _read_units(call: Call) -> float:
    answer = call.response or {}
    items = [answer["Item"]] if answer.get("Item") else answer.get("Items", [])
    size = sum(item_size(item) for item in items)
    return _strong_read_units(size) if call.params.get("ConsistentRead") else read_units(size)


def price_calls(calls: list[Call], cost: Cost, after_image: Callable[[str, dict[str, Any]], int]) -> None:
    """Add what these calls cost to `cost` (after_image: the size of an updated item now)."""
    for call in calls:
        cost.add_call(f"{call.service}.{call.operation}")
        if call.service != "dynamodb":
            continue
        if call.operation == "TransactWriteItems":
            _price_transaction(call, cost, after_image)
        elif call.operation in ("GetItem", "Query"):
            cost.read_units += _read_units(call)
        elif call.operation in ("PutItem", "DeleteItem", "UpdateItem"):
            item = call.params.get("Item") or call.params.get("Key") or {}
            cost.write_units += max(1, math.ceil(item_size(item) / WRITE_KB))
        else:
            raise ValueError(f"no capacity rule for dynamodb.{call.operation}")


# ---- driving the app on in-process moto ----------------------------------------------------------------------

@dataclass(frozen=True)
class Scenario:
    kind: str  # CHAT, LONG_CHAT or ORDER
    recipients: int
    connections: int  # open connections of each recipient
    batch: int  # changes handed to one invocation


@dataclass
class Measured:
    scenario: Scenario
    changes: int
    cost: Cost
    frame_bytes: list[int]

    def per_change(self, value: float) -> float:
        return value / self.changes


class _Recorded:
    """Stands for the Chalice app in the relay: each handler call is one Lambda invocation, recorded."""

    def __init__(self, app: Any, recorder: Recorder, tally: Cost) -> None:
        self.handler_map = {name: self._wrap(app.handler_map[name], recorder, tally)
                            for name in ("chat_events", "order_events")}

    @staticmethod
    def _wrap(handler: Any, recorder: Recorder, tally: Cost) -> Callable[[Any, Any], Any]:
        def invoke(event: dict[str, Any], context: Any) -> Any:
            with recorder.active():
                answer = handler(event, context)
            tally.invocations += 1
            tally.records += len(event["Records"])
            tally.events += int(answer.get("events", 0))
            return answer

        return invoke


class World:
    """The app on in-process moto: a buyer, a provider, their conversation, and the two stream relays."""

    def __init__(self) -> None:
        from chalice.test import Client
        from moto import mock_aws

        import app as app_module
        from scripts import provision
        from scripts.local_stack import stage_environment
        from scripts.local_triggers import LocalStreamRelay
        from scripts.moto_server import quiet_libraries

        quiet_libraries()

        for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
            del os.environ[name]
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_SESSION_TOKEN="bench",
            AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION, AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
            LOG_LEVEL="WARNING",
        )
        os.environ.update(stage_environment("local"))
        os.environ["RATE_LIMITS"] = "message=1000000/60,order=1000000/3600,order_action=1000000/3600"
        self._mock = mock_aws()
        self._mock.start()
        import boto3

        self.boto3 = boto3
        self.stack = provision.deploy(boto3.Session(region_name=REGION), "test")
        os.environ.update(self.stack.environment())
        self.app = app_module.app
        self._client = Client(self.app, stage_name="local", project_dir=str(ROOT))
        self.http = self._client.http
        cognito = boto3.client("cognito-idp", region_name=REGION)
        self.tokens: dict[str, str] = {}
        self.ids: dict[str, str] = {}
        for who in ("alice", "bob"):
            email, password = f"{who}@bench.local", "Bench-password-123"
            self.ids[who] = provision.create_user(cognito, self.stack.user_pool_id, email, password, name=who)
            self.tokens[who] = provision.sign_in(cognito, self.stack.user_pool_client_id, email, password)
        self.recorder = Recorder()
        self.recorder.install()
        self.tally = Cost()
        recorded = _Recorded(self.app, self.recorder, self.tally)
        self.relays = [
            LocalStreamRelay(recorded, "order_events", self.stack.outputs["OrdersStreamArn"], REGION),
            LocalStreamRelay(recorded, "chat_events", self.stack.outputs["ChatStreamArn"], REGION),
        ]
        self.listing = self.call("POST", "/listings", "bob", {
            "title": "Bike repair", "description": "Flat tyres, brakes, chains.", "category": "repair",
            "price_cents": 4000, "lat": 31.2304, "lon": 121.4737})
        self.conversation = self.call("POST", "/conversations", "alice", {"listing_id": self.listing["listing_id"]})
        self.drain()
        self.reset()

    def close(self) -> None:
        self.recorder.uninstall()
        self._client.__exit__(None, None, None)
        self._mock.stop()

    def call(self, method: str, path: str, who: str, body: Any = None, **headers: str) -> Any:
        import json

        sent = {"Content-Type": "application/json", "Authorization": f"Bearer {self.tokens[who]}", **headers}
        answer = getattr(self.http, method.lower())(path, headers=sent, body=json.dumps(body).encode() if body else b"")
        if answer.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.body[:300]!r}")
        return json.loads(answer.body) if answer.body else None

    def drain(self, batch: int = 100) -> None:
        for relay in self.relays:
            relay.batch = batch
            relay.drain()

    def reset(self) -> None:
        self.recorder.take()
        self.tally = Cost()
        recorded = _Recorded(self.app, self.recorder, self.tally)
        for relay in self.relays:
            relay.app = recorded

    def connect(self, who: str, count: int) -> list[str]:
        from chalicelib.store import connections

        made = [f"bench-{who}-{uuid.uuid4().hex[:8]}" for _ in range(count)]
        for connection_id in made:
            connections.add(connection_id, self.ids[who], ENDPOINT)
        return made

    def disconnect(self, connection_ids: list[str]) -> None:
        from chalicelib.store import connections

        for connection_id in connection_ids:
            connections.remove(connection_id)

    def after_image(self, table: str, key: dict[str, Any]) -> int:
        item = self.boto3.client("dynamodb", region_name=REGION).get_item(
            TableName=table, Key=key, ConsistentRead=True).get("Item")
        return item_size(item) if item else 0

    # ---- the changes ----
    def chat_message(self, number: int, long: bool = False) -> None:
        path = f"/conversations/{self.conversation['conversation_id']}/messages"
        text = LONG_TEXT if long else f"Could you come on Saturday at {number % 12 + 1} pm?"
        self.call("POST", path, "alice", {"text": text})

    def order_status_change(self) -> None:
        """An order requested (not counted: drained first), then accepted: the status change that is counted."""
        order = self.call("POST", "/orders", "alice", {"listing_id": self.listing["listing_id"]},
                          **{"Idempotency-Key": str(uuid.uuid4())})
        self.drain()
        self.reset()
        self.call("POST", f"/orders/{order['order_id']}/accept", "bob")


def _frames(calls: list[Call]) -> list[int]:
    return [len(call.params["Data"]) for call in calls if call.operation == "PostToConnection"]


def measure(world: World, scenario: Scenario, changes: int) -> Measured:
    """Make `changes` changes of the scenario's kind, hand them over `scenario.batch` at a time, and price it."""
    recipients = ["bob"] if scenario.recipients == 1 else ["alice", "bob"]
    opened = [c for who in recipients for c in world.connect(who, scenario.connections)]
    cost = Cost()
    frames: list[int] = []
    made = 0
    try:
        while made < changes:
            world.reset()
            group = min(scenario.batch, changes - made)
            if scenario.kind in (CHAT, LONG_CHAT):
                for n in range(group):
                    world.chat_message(made + n, long=scenario.kind == LONG_CHAT)
            else:
                if group != 1:
                    raise ValueError("order changes are measured one per batch")
                world.order_status_change()
            world.drain(batch=scenario.batch)
            calls = world.recorder.take()
            frames += _frames(calls)
            price_calls(calls, world.tally, world.after_image)
            _merge(cost, world.tally)
            made += group
    finally:
        world.disconnect(opened)
        world.reset()
    return Measured(scenario, made, cost, frames)


def _merge(into: Cost, more: Cost) -> None:
    into.invocations += more.invocations
    into.records += more.records
    into.events += more.events
    into.write_units += more.write_units
    into.read_units += more.read_units
    into.failed_transactions += more.failed_transactions
    for name, count in more.calls.items():
        into.calls[name] = into.calls.get(name, 0) + count
    for part, sizes in more.written_bytes.items():
        into.written_bytes.setdefault(part, []).extend(sizes)


SCENARIOS = [
    *(Scenario(CHAT, 1, n, 1) for n in (0, 1, 3)),
    *(Scenario(ORDER, 2, n, 1) for n in (0, 1, 3)),
    Scenario(LONG_CHAT, 1, 1, 1),
    Scenario(CHAT, 1, 1, 100),
]


def run(repeats: int, say: Callable[[str], None]) -> list[Measured]:
    """Every scenario, `repeats` changes each (the batched one: one batch of 100)."""
    world = World()
    try:
        results = []
        for scenario in SCENARIOS:
            changes = 100 if scenario.batch > 1 else repeats
            results.append(measure(world, scenario, changes))
            say(f"costs: {scenario.kind}, {scenario.connections} connection(s), batch {scenario.batch}: done")
        return results
    finally:
        world.close()
