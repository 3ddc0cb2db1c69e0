"""The event log: changes of chats and orders become events of the right users, once each, in order, whatever
the stream hands over; GET /events catches a client up; a push that fails loses nothing.

The tables' streams are read from moto by the same relay the local stack runs (scripts/local_triggers.py), which
hands their records to the app's `order_events` and `chat_events` handlers as Lambda would.
"""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from scripts.local_triggers import dynamodb_event
from tests.conftest import REGION, listing_body
from tests.integration.conftest import stream_relays


@pytest.fixture
def streams(stack: Any) -> Any:
    """Hand everything both streams hold to their functions: `streams()` after each action under test."""
    return stream_relays(stack, "order_events", "chat_events")


@pytest.fixture
def deal(client: Any, make_user: Any, streams: Any) -> dict[str, Any]:
    """Bob offers a repair; Alice opened a conversation about it; nothing is in anyone's log yet but that."""
    bob, alice, carol = make_user("Bob"), make_user("Alice"), make_user("Carol")
    listing = client.post("/listings", bob, listing_body(price_cents=6_000)).body
    conversation = client.post("/conversations", alice, {"listing_id": listing["listing_id"]}).body
    streams()
    return {"bob": bob, "alice": alice, "carol": carol, "listing": listing, "conversation": conversation}


def events_of(client: Any, user: Any, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    answer = client.get(f"/events?after={after}&limit={limit}", user)
    assert answer.status == 200, answer.body
    return answer.body["items"]


def send(client: Any, deal: dict[str, Any], sender: str, text: str) -> dict[str, Any]:
    path = f"/conversations/{deal['conversation']['conversation_id']}/messages"
    answer = client.post(path, deal[sender], {"text": text})
    assert answer.status == 201, answer.body
    return answer.body


def test_a_message_is_an_event_of_its_recipient_only(client, deal, streams):
    message = send(client, deal, "alice", "Can you come today?")
    streams()
    [event] = events_of(client, deal["bob"])
    assert event["kind"] == "message.created"
    assert event["event_id"] == 1
    assert event["data"]["message_id"] == message["message_id"]
    assert event["data"]["conversation_id"] == deal["conversation"]["conversation_id"]
    assert event["data"]["sender_id"] == deal["alice"].user_id
    assert event["data"]["text"] == "Can you come today?"
    assert events_of(client, deal["alice"]) == []
    assert events_of(client, deal["carol"]) == []


def test_events_keep_coming_after_a_transaction_on_the_same_table_is_refused(client, deal, streams):
    """moto answers a refused transaction by putting back a copy of the table, stream included: the relay must
    keep reading the table's stream as it is now (DynamoDB keeps one stream whatever is refused)."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    refused = {"TableName": deal_table("chat"), "Key": {"pk": {"S": "nothing"}, "sk": {"S": "here"}},
               "ConditionExpression": "attribute_exists(pk)"}
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[{"ConditionCheck": refused}])
    send(client, deal, "alice", "still there?")
    streams()
    assert [e["data"]["text"] for e in events_of(client, deal["bob"])] == ["still there?"]


def test_every_status_of_an_order_is_an_event_of_both_parties_in_order(client, deal, streams):
    order = client.post(
        "/orders", deal["alice"], {"listing_id": deal["listing"]["listing_id"]}, headers={"Idempotency-Key": "o-1"}
    ).body
    streams()
    assert client.post(f"/orders/{order['order_id']}/accept", deal["bob"]).status == 200
    streams()
    assert client.post(f"/orders/{order['order_id']}/cancel", deal["alice"]).status == 200
    streams()
    for party in ("alice", "bob"):
        events = events_of(client, deal[party])
        assert [e["kind"] for e in events] == ["order.updated"] * 3
        assert [e["data"]["status"] for e in events] == ["requested", "accepted", "cancelled"]
        assert [e["data"]["previous_status"] for e in events] == [None, "requested", "accepted"]
        assert [e["event_id"] for e in events] == [1, 2, 3]
        assert {e["data"]["order_id"] for e in events} == {order["order_id"]}
    assert events_of(client, deal["carol"]) == []


def test_a_change_that_is_not_a_status_change_is_no_event(client, deal, streams):
    order = client.post(
        "/orders", deal["alice"], {"listing_id": deal["listing"]["listing_id"]}, headers={"Idempotency-Key": "o-2"}
    ).body
    streams()
    boto3.client("dynamodb", region_name=REGION).update_item(
        TableName=deal_table("orders"), Key={"order_id": {"S": order["order_id"]}},
        UpdateExpression="SET note = :n", ExpressionAttributeValues={":n": {"S": "by the back door"}},
    )
    assert streams() == 1  # the stream had the change...
    assert len(events_of(client, deal["bob"])) == 1  # ...and it told nobody anything


def stream_records(stream_arn: str) -> list[dict[str, Any]]:
    """Every record the stream holds now (its one shard, from the start), as Lambda would be handed them."""
    streams_client = boto3.client("dynamodbstreams", region_name=REGION)
    shard = streams_client.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams_client.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records: list[dict[str, Any]] = streams_client.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return records


def deal_table(name: str) -> str:
    import os

    return os.environ[f"{name.upper()}_TABLE"]


def test_a_stream_batch_handed_over_again_adds_no_event(client, deal, stack):
    from app import app

    send(client, deal, "alice", "first")
    send(client, deal, "bob", "second")
    stream = stack.outputs["ChatStreamArn"]
    records = stream_records(stream)
    batch = dynamodb_event(records, stream, REGION)
    first = app.handler_map["chat_events"](batch, None)
    again = app.handler_map["chat_events"](batch, None)
    assert first == {"events": 2} and again == {"events": 0}
    assert [e["event_id"] for e in events_of(client, deal["bob"])] == [1]
    assert [e["event_id"] for e in events_of(client, deal["alice"])] == [1]


def test_a_batch_handed_over_again_pushes_its_events_again_with_the_same_ids(client, deal, stack, chalice_client):
    """The first attempt may have failed after storing and before pushing: the retry pushes; the client drops
    ids it has seen."""
    from app import app

    connect(chalice_client, deal["bob"], "bob-3")
    send(client, deal, "alice", "once")
    stream = stack.outputs["ChatStreamArn"]
    batch = dynamodb_event(stream_records(stream), stream, REGION)
    app.handler_map["chat_events"](batch, None)
    app.handler_map["chat_events"](batch, None)
    frames = [json.loads(frame) for frame in delivered("bob-3")[0].replace("}{", "}\n{").splitlines()]
    assert [(f["event_id"], f["data"]["text"]) for f in frames] == [(1, "once"), (1, "once")]


def test_a_record_no_retry_can_read_is_skipped_and_the_rest_of_its_batch_is_told(client, deal, stack):
    """A poison record must not hold its shard back for the stream's 24 hours."""
    from app import app

    send(client, deal, "alice", "after the odd one")
    stream = stack.outputs["ChatStreamArn"]
    records = stream_records(stream)
    odd = {**records[0], "eventID": "odd-one", "dynamodb": {
        **records[0]["dynamodb"], "NewImage": {"pk": {"S": "c#x"}, "sk": {"S": "m#y"}, "text": {"N": "1"}}}}
    assert app.handler_map["chat_events"](dynamodb_event([odd, *records], stream, REGION), None) == {"events": 1}
    assert [e["data"]["text"] for e in events_of(client, deal["bob"])] == ["after the odd one"]


def test_a_client_catches_up_after_the_last_event_it_saw_with_no_gap_or_double(client, deal, streams):
    for n in range(5):
        send(client, deal, "alice", f"message {n}")
    streams()
    first = client.get("/events?after=0&limit=2", deal["bob"]).body
    assert [e["event_id"] for e in first["items"]] == [1, 2] and first["next_cursor"] == "2"
    rest = client.get(f"/events?after={first['next_cursor']}&limit=10", deal["bob"]).body
    assert [e["event_id"] for e in rest["items"]] == [3, 4, 5] and rest["next_cursor"] is None
    texts = [e["data"]["text"] for e in first["items"] + rest["items"]]
    assert texts == [f"message {n}" for n in range(5)]
    assert client.get("/events?after=5", deal["bob"]).body == {"items": [], "next_cursor": None}


def test_reading_events_in_a_loop_meets_429_with_retry_after(client, deal, monkeypatch):
    monkeypatch.setenv("RATE_LIMITS", "events=3/60")
    answers = [client.get("/events", deal["bob"]) for _ in range(4)]
    assert [a.status for a in answers] == [200, 200, 200, 429]
    assert answers[-1].body["Code"] == "TooManyRequestsError" and int(answers[-1].headers["Retry-After"]) >= 1
    assert client.get("/events", deal["alice"]).status == 200  # another user is not held back


def test_events_need_a_signed_in_caller(client):
    assert client.get("/events").status == 401


# ---- the push ----------------------------------------------------------------------------------------------

API_ID = "abc123"
ENDPOINT = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com/local"


def connect(chalice_client: Any, user: Any, connection_id: str, token: str | None = None) -> dict[str, Any]:
    """What API Gateway hands the $connect function for a client connecting with ?token=."""
    event = {
        "requestContext": {
            "routeKey": "$connect", "eventType": "CONNECT", "connectionId": connection_id,
            "domainName": f"{API_ID}.execute-api.{REGION}.amazonaws.com", "stage": "local", "apiId": API_ID,
        },
        "queryStringParameters": {"token": user.token if token is None else token},
        "isBase64Encoded": False,
    }
    import app

    return app.websocket_connect(event, None)  # the Lambda entry point, as API Gateway invokes it


def delivered(connection_id: str) -> list[str]:
    """What moto's management API took for the connection (it accepts any id and keeps the data)."""
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    backend = apigatewaymanagementapi_backends["123456789012"][REGION]
    connection = backend.connections.get(connection_id)
    return [connection.data.decode()] if connection is not None and connection.data else []


def test_a_connected_user_is_pushed_each_new_event(client, deal, streams, chalice_client):
    assert connect(chalice_client, deal["bob"], "bob-1") == {"statusCode": 200}
    send(client, deal, "alice", "hello")
    streams()
    [frame] = delivered("bob-1")
    assert '"kind":"message.created"' in frame and '"event_id":1' in frame


@pytest.mark.parametrize("token", ["", "not-a-token"])
def test_a_connection_without_a_valid_token_is_refused(chalice_client, deal, token):
    answer = connect(chalice_client, deal["bob"], "nobody", token=token)
    assert answer["statusCode"] == 401


def _answer_with(status: int, code: str, attempts: list[str]) -> Any:
    """A management API that refuses every frame with this error, noting each attempt's URL."""
    def answer(request: Any, **_: Any) -> AWSResponse:
        attempts.append(request.url)
        body = json.dumps({"message": code}).encode()
        return AWSResponse(request.url, status, {"x-amzn-ErrorType": code}, _Raw(body))

    return answer


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


@pytest.mark.parametrize("status, code, age_s, kept", [
    (410, "GoneException", 60, False),  # the client left: the connection is forgotten
    (410, "GoneException", 2, True),  # still opening ($connect not done): kept, its client catches up
    (429, "LimitExceededException", 60, True),  # throttled: kept, the next event may get through
])
def test_a_push_that_fails_leaves_the_event_in_the_log(client, deal, streams, chalice_client, status, code, age_s,
                                                        kept, monkeypatch):
    from datetime import timedelta

    from chalicelib import aws_clients
    from chalicelib.domain.clock import now
    from chalicelib.services import events as event_service
    from chalicelib.store import connections

    monkeypatch.setattr(event_service, "now", lambda: now() + timedelta(seconds=age_s))  # the push, age_s later
    connect(chalice_client, deal["bob"], "bob-2")
    management = aws_clients.client("apigatewaymanagementapi", endpoint_url=ENDPOINT)
    attempts: list[str] = []
    failing = _answer_with(status, code, attempts)
    management.meta.events.register_first("before-send.apigatewaymanagementapi.PostToConnection", failing)
    try:
        send(client, deal, "alice", "are you there?")
        streams()
    finally:
        management.meta.events.unregister("before-send.apigatewaymanagementapi.PostToConnection", failing)
    [event] = events_of(client, deal["bob"])
    assert event["data"]["text"] == "are you there?"
    assert set(attempts) == {f"{ENDPOINT}/@connections/bob-2"}  # pushed (a throttled push retried by botocore)
    assert (connections.get("bob-2") is not None) is kept
