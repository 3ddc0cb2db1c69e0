"""What the functions log: one JSON object a line, each with its request id (and the caller's id on a signed-in
request), saying what happened without any token, message text or request body."""
from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.observability import logger
from chalicelib.services import listings as listing_service
from chalicelib.store import tables
from tests.conftest import listing_body
from tests.integration.test_contention import CONFLICT, refusing

TOKEN_QUEUE = "everywhere-local-escrow-tokens"


class Logs:
    """Everything the app's logger writes, read back line by line."""

    def __init__(self, buffer: io.StringIO) -> None:
        self.buffer = buffer
        self.read_up_to = 0

    @property
    def text(self) -> str:
        return self.buffer.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]

    def new(self) -> list[dict[str, Any]]:
        """The lines written since the last call."""
        lines = self.lines()
        fresh, self.read_up_to = lines[self.read_up_to:], len(lines)
        return fresh


@pytest.fixture
def logs(chalice_client: Any) -> Iterator[Logs]:
    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)
    yield Logs(buffer)
    logger.registered_handler.setStream(previous)


def order(client, buyer, listing_id):
    placed = client.post("/orders", buyer, {"listing_id": listing_id}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert placed.status == 201, placed.body
    return placed.body


def request_line(lines: list[dict[str, Any]]) -> dict[str, Any]:
    (line,) = [line for line in lines if "status" in line]
    return line


def sweep(chalice_client) -> Any:
    event = chalice_client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/everywhere-local-expire_requests"],
    )
    return chalice_client.lambda_.invoke("expire_requests", event).payload


def deliver_token(chalice_client, order_id: str, status: str, token: str) -> None:
    body = json.dumps({"order_id": order_id, "status": status, "task_token": token})
    chalice_client.lambda_.invoke("escrow_tokens", chalice_client.events.generate_sqs_event(
        message_bodies=[body], queue_name=TOKEN_QUEUE))


def test_every_line_of_a_signed_in_request_names_the_caller_and_the_request(client, make_user, logs):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    placed = order(client, alice, item["listing_id"])
    logs.new()
    calls = [  # (caller, request, how many lines it writes: its events, then its request line)
        (alice, lambda: order(client, alice, item["listing_id"]), 2),
        (bob, lambda: client.post(f"/orders/{placed['order_id']}/accept", bob), 2),
        (alice, lambda: client.get("/orders", alice), 1),
    ]
    for user, call, count in calls:
        call()
        lines = logs.new()
        assert len(lines) == count
        assert {line["user_id"] for line in lines} == {user.user_id}
        assert len({line["request_id"] for line in lines}) == 1 and lines[0]["request_id"]


def test_each_request_ends_with_one_line_of_method_route_status_and_duration(client, make_user, logs):
    bob = make_user()
    item = client.post("/listings", bob, listing_body()).body
    line = request_line(logs.new())
    assert (line["level"], line["message"]) == ("INFO", "POST /listings 201")
    assert (line["method"], line["route"], line["status"]) == ("POST", "/listings", 201)
    assert line["duration_ms"] >= 0
    assert item["listing_id"] not in json.dumps(line)  # the route template, not the path


def test_a_public_request_is_logged_without_a_user(client, make_user, logs):
    client.get("/categories", make_user())
    line = request_line(logs.new())
    assert line["route"] == "/categories" and line["request_id"]
    assert "user_id" not in line


def test_a_client_error_is_logged_with_its_code(client, make_user, logs):
    answer = client.post("/orders", make_user(), {"listing_id": "01JZZZZZZZZZZZZZZZZZZZZZZZ"},
                         headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status == 404
    line = request_line(logs.new())
    assert (line["level"], line["status"], line["error"]) == ("INFO", 404, "NotFoundError")


def test_a_refused_sign_in_is_logged_with_the_reason_and_no_user(client, logs):
    answer = client.get("/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert answer.status == 401
    line = request_line(logs.new())
    assert (line["error"], line["sign_in"]) == ("UnauthorizedError", "invalid token: Not enough segments")
    assert "user_id" not in line


def test_a_server_error_is_logged_with_its_stack_and_the_client_gets_the_generic_500(client, make_user, logs,
                                                                                   monkeypatch):
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the listings table melted")

    monkeypatch.setattr(listing_service, "publish", broken)
    bob = make_user()
    answer = client.post("/listings", bob, listing_body())
    assert (answer.status, answer.body) == (
        500, {"Code": "InternalServerError", "Message": "An internal server error occurred."}
    )
    (line,) = logs.new()
    assert (line["level"], line["status"], line["route"], line["user_id"]) == ("ERROR", 500, "/listings", bob.user_id)
    assert line["exception_name"] == "RuntimeError"
    assert "the listings table melted" in line["exception"] and "broken" in line["exception"]


def test_an_answer_that_fails_its_own_model_is_logged_without_the_values_it_held(client, make_user, logs,
                                                                               monkeypatch):
    from pydantic import BaseModel

    class Strict(BaseModel):
        title: int

    content = "Alice's secret errand"  # a user's words, which the failing answer carried

    def broken(*_args: Any, **_kwargs: Any) -> None:
        Strict(title=content)

    monkeypatch.setattr(listing_service, "publish", broken)
    answer = client.post("/listings", make_user(), listing_body())
    assert answer.status == 500
    (line,) = logs.new()
    assert "title" in line["exception"] and "failed validation" in line["exception"]
    assert "secret errand" not in logs.text


def test_order_status_changes_are_logged(client, make_user, logs):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    placed = order(client, alice, item["listing_id"])
    client.post(f"/orders/{placed['order_id']}/accept", bob)
    events = [line for line in logs.lines() if line.get("order_id") == placed["order_id"]]
    assert [line["message"] for line in events] == ["order requested", "order status changed"]
    changed = events[1]
    assert (changed["from_status"], changed["to_status"], changed["user_id"]) == ("requested", "accepted", bob.user_id)


def test_a_write_refused_for_contention_is_logged_as_a_warning_per_retry(client, make_user, logs):
    bob = make_user()
    client.get("/me", bob)
    logs.new()
    with refusing(tables.bind().client, "TransactWriteItems", CONFLICT, times=2):
        assert client.post("/listings", bob, listing_body()).status == 201
    warnings = [line for line in logs.new() if line["level"] == "WARNING"]
    assert [(line["attempt"], line["refusal"]) for line in warnings] == [
        (1, "None,TransactionConflict,None"), (2, "None,TransactionConflict,None")]
    assert {line["user_id"] for line in warnings} == {bob.user_id}


def test_the_scheduled_sweep_logs_how_many_requests_expired_under_its_request_id(chalice_client, logs):
    result = sweep(chalice_client)
    lines = logs.new()
    assert [line["message"] for line in lines] == ["overdue requests expired", "invocation finished"]
    assert lines[0]["expired"] == result["expired"]
    assert lines[0]["reviews_published"] == result["reviews_published"] == 0
    assert len({line["request_id"] for line in lines}) == 1
    assert all(line["function_request_id"] == line["request_id"] for line in lines)
    assert {line["function_name"] for line in lines} == {"expire_requests"}


def test_the_token_function_logs_a_stored_and_a_refused_token_by_order(chalice_client, client, make_user, logs):
    bob, alice = make_user(), make_user()
    placed = order(client, alice, client.post("/listings", bob, listing_body()).body["listing_id"])
    logs.new()
    deliver_token(chalice_client, placed["order_id"], "requested", "task-token-kept")
    deliver_token(chalice_client, placed["order_id"], "funded", "task-token-refused")
    events = [line for line in logs.new() if line.get("order_id") == placed["order_id"]]
    assert [(line["message"].split(":")[0], line["token_status"]) for line in events] == [
        ("escrow token stored", "requested"), ("escrow token refused", "funded")]
    assert all(line["request_id"] and line["function_name"] == "escrow_tokens" for line in events)


def test_no_token_message_text_or_request_body_reaches_the_logs(chalice_client, client, make_user, logs):
    bob, alice = make_user(), make_user()
    body = listing_body(title="Zither tuning by Qwertyuiop", description="Bring the zither to gate 9 of Xanadu park")
    item = client.post("/listings", bob, body).body
    conversation = client.post("/conversations", alice, {"listing_id": item["listing_id"]}).body
    text = "My door code is 4417-PLOVER, come after six"
    sent = client.post(f"/conversations/{conversation['conversation_id']}/messages", alice, {"text": text})
    assert sent.status == 201, sent.body
    placed = order(client, alice, item["listing_id"])
    client.get("/me", headers={"Authorization": f"Bearer {bob.token}x"})
    deliver_token(chalice_client, placed["order_id"], "requested", "AQCEAAAAKgAAAAMAAAAA-task-token-secret")
    sweep(chalice_client)
    assert len(logs.lines()) >= 8
    for secret in [bob.token, alice.token, bob.token.split(".")[2], text, "4417-PLOVER", body["title"],
                   body["description"], "Xanadu", "AQCEAAAAKgAAAAMAAAAA-task-token-secret"]:
        assert secret not in logs.text
