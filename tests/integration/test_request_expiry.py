"""An order request nobody accepts expires after REQUEST_EXPIRY_S: the scheduled sweep writes it, and the
API already treats an overdue request as expired before the sweep comes by."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest

from chalicelib.domain.clock import now, parse_iso
from chalicelib.services import orders as order_service
from chalicelib.services import tasks as task_service
from tests.conftest import PEOPLES_SQUARE, listing_body

EXPIRY_S = 1


@pytest.fixture
def short_expiry(monkeypatch):
    monkeypatch.setenv("REQUEST_EXPIRY_S", str(EXPIRY_S))


def place(client, buyer, listing_id):
    answer = client.post("/orders", buyer, {"listing_id": listing_id}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert answer.status == 201, answer.body
    return answer.body


def sweep(chalice_client) -> dict:
    event = chalice_client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=["arn:aws:events:us-east-1:123456789012:rule/everywhere-local-expire_requests"],
    )
    return chalice_client.lambda_.invoke("expire_requests", event).payload


@pytest.fixture
def overdue(client, make_user, short_expiry):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    placed = place(client, alice, item["listing_id"])
    time.sleep(EXPIRY_S + 0.1)
    return bob, alice, placed


def test_a_request_says_when_it_expires(client, make_user):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    placed = place(client, alice, item["listing_id"])
    assert placed["expires_at"] > placed["created_at"]


def test_the_scheduled_sweep_expires_an_unanswered_request(chalice_client, client, overdue):
    _, alice, placed = overdue
    assert sweep(chalice_client) == {"expired": 1, "tasks_expired": 0, "reviews_published": 0}
    stored = client.get(f"/orders/{placed['order_id']}", alice).body
    assert stored["status"] == "expired"
    assert [e["status"] for e in stored["timeline"]] == ["requested", "expired"]
    assert stored["timeline"][-1]["at"] == placed["expires_at"]
    assert [o["order_id"] for o in client.get("/orders?status=expired", alice).body["items"]] == [placed["order_id"]]
    assert client.get("/orders?status=requested", alice).body["items"] == []
    assert sweep(chalice_client) == {"expired": 0, "tasks_expired": 0, "reviews_published": 0}


def test_an_overdue_request_reads_as_expired_before_the_sweep(client, overdue):
    bob, _, placed = overdue
    assert client.get(f"/orders/{placed['order_id']}", bob).body["status"] == "expired"


def test_the_provider_cannot_accept_an_expired_request(chalice_client, client, overdue):
    bob, alice, placed = overdue
    answer = client.post(f"/orders/{placed['order_id']}/accept", bob)
    assert answer.status == 409
    assert "expired" in answer.body["Message"]
    assert client.get(f"/orders/{placed['order_id']}", alice).body["status"] == "expired"
    # the refused accept wrote the expiry itself
    assert sweep(chalice_client) == {"expired": 0, "tasks_expired": 0, "reviews_published": 0}


def test_the_buyer_cannot_cancel_an_expired_request(client, overdue):
    _, alice, placed = overdue
    assert client.post(f"/orders/{placed['order_id']}/cancel", alice).status == 409


def test_requests_not_yet_due_and_answered_requests_are_left_alone(chalice_client, client, make_user, short_expiry,
                                                                   monkeypatch):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    accepted = place(client, alice, item["listing_id"])
    declined = place(client, alice, item["listing_id"])
    for order, action in ((accepted, "accept"), (declined, "decline")):
        with monkeypatch.context() as answered_at_once:  # however slow this machine is, each answer came in time
            answered_at_once.setattr(order_service, "now", lambda order=order: parse_iso(order["created_at"]))
            assert client.post(f"/orders/{order['order_id']}/{action}", bob).status == 200
    time.sleep(EXPIRY_S + 0.1)
    monkeypatch.setenv("REQUEST_EXPIRY_S", "3600")
    fresh = place(client, alice, item["listing_id"])
    assert sweep(chalice_client) == {"expired": 0, "tasks_expired": 0, "reviews_published": 0}
    statuses = {o["order_id"]: o["status"] for o in client.get("/orders", alice).body["items"]}
    assert statuses == {
        accepted["order_id"]: "accepted", declined["order_id"]: "declined", fresh["order_id"]: "requested",
    }


def test_the_sweep_expires_many_requests_across_shards(chalice_client, client, make_user, short_expiry):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    placed = [place(client, alice, item["listing_id"])["order_id"] for _ in range(20)]
    time.sleep(EXPIRY_S + 0.1)
    assert sweep(chalice_client) == {"expired": 20, "tasks_expired": 0, "reviews_published": 0}
    assert {o["order_id"] for o in client.get("/orders?status=expired&limit=100", alice).body["items"]} == set(placed)


def test_an_overdue_request_is_not_listed_as_requested_before_the_sweep(client, overdue):
    _, alice, _ = overdue
    assert client.get("/orders?status=requested", alice).body["items"] == []
    assert [o["status"] for o in client.get("/orders", alice).body["items"]] == ["expired"]


def test_the_scheduled_sweep_expires_an_open_task_past_its_expiry(chalice_client, client, make_user, monkeypatch):
    """Through the scheduled function, so the IAM audit sees what expiring a task needs of its role."""
    alice = make_user()
    body = {"title": "Carry a sofa upstairs", "description": "Third floor, no lift.", "category": "errands",
            "budget_cents": 8000, "lat": PEOPLES_SQUARE[0], "lon": PEOPLES_SQUARE[1], "expires_in_s": 60}
    task = client.post("/tasks", alice, body).body
    later = now() + timedelta(seconds=61)
    monkeypatch.setattr(task_service, "now", lambda: later)
    assert sweep(chalice_client) == {"expired": 0, "tasks_expired": 1, "reviews_published": 0}
    assert client.get(f"/tasks/{task['task_id']}", alice).body["status"] == "expired"
