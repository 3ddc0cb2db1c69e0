"""Message sending is rate-limited per user, counted in DynamoDB (so it holds across Lambda instances)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.clock import now
from chalicelib.services import admission
from chalicelib.store.models import RateCounterModel
from tests.conftest import listing_body

WINDOW_S = 60


@pytest.fixture
def chat(client, make_user, monkeypatch):
    """Bob's listing and Alice's conversation about it; the chat's clock starts a second into a fresh window,
    so a test's sends share one window (the windows are fixed: real time could cross into the next one
    between two sends, however fast the machine is)."""
    monkeypatch.setenv("RATE_LIMITS", f"message=3/{WINDOW_S}")
    started = now()
    into_window = timedelta(seconds=started.timestamp() % WINDOW_S - 1)
    monkeypatch.setattr(admission, "now", lambda: now() - into_window)
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    conversation = client.post("/conversations", alice, {"listing_id": item["listing_id"]}).body
    return bob, alice, f"/conversations/{conversation['conversation_id']}/messages"


def test_a_user_over_the_limit_gets_429_and_the_message_is_not_stored(client, chat):
    _, alice, path = chat
    assert [client.post(path, alice, {"text": f"#{n}"}).status for n in range(3)] == [201, 201, 201]
    refused = client.post(path, alice, {"text": "one too many"})
    assert refused.status == 429
    assert refused.body["Code"] == "TooManyRequestsError"
    assert "try again in" in refused.body["Message"]
    assert [m["text"] for m in client.get(path, alice).body["items"]] == ["#0", "#1", "#2"]


def test_the_429_says_when_to_retry(chalice_client, client, chat):
    _, alice, path = chat
    for n in range(3):
        client.post(path, alice, {"text": f"#{n}"})
    response = chalice_client.http.post(path, headers=alice.headers, body=b'{"text": "again"}')
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_the_limit_is_per_user(client, chat):
    bob, alice, path = chat
    for n in range(3):
        client.post(path, alice, {"text": f"#{n}"})
    assert client.post(path, alice, {"text": "blocked"}).status == 429
    assert client.post(path, bob, {"text": "I can still answer"}).status == 201


def test_the_count_lives_in_dynamodb_with_an_expiry_for_ttl(client, chat):
    _, alice, path = chat
    client.post(path, alice, {"text": "hello"})
    counters = [c for c in RateCounterModel.scan() if c.name.startswith(f"rate#message#{alice.user_id}#")]
    assert len(counters) == 1
    assert counters[0].hits == 1
    assert counters[0].expires_at > now()


def test_sending_is_allowed_again_in_the_next_window(client, chat, monkeypatch):
    _, alice, path = chat
    for n in range(3):
        client.post(path, alice, {"text": f"#{n}"})
    assert client.post(path, alice, {"text": "blocked"}).status == 429
    later = now() + timedelta(seconds=61)
    monkeypatch.setattr(admission, "now", lambda: later)
    assert client.post(path, alice, {"text": "a minute later"}).status == 201


def test_refused_sends_count_too_so_probing_costs_the_prober(client, chat):
    """The limit bounds what a caller costs the platform, and a refused request costs reads as well."""
    _bob, alice, path = chat
    for _ in range(3):
        assert client.post("/conversations/01JZZZZZZZZZZZZZZZZZZZZZZZ/messages", alice, {"text": "hi"}).status == 404
    assert client.post(path, alice, {"text": "over the limit"}).status == 429
