"""Chat: a buyer and a listing's provider talk about the listing; nobody else sees it."""
from __future__ import annotations

from tests.conftest import listing_body, walk_pages


def open_chat(client, provider, buyer, **listing):
    item = client.post("/listings", provider, listing_body(**listing)).body
    opened = client.post("/conversations", buyer, {"listing_id": item["listing_id"]})
    assert opened.status == 201, opened.body
    return item, opened.body


def test_a_buyer_opens_a_conversation_about_a_listing_with_its_provider(client, make_user):
    bob, alice = make_user(), make_user()
    item, conversation = open_chat(client, bob, alice)
    assert conversation["listing_id"] == item["listing_id"]
    assert conversation["buyer_id"] == alice.user_id
    assert conversation["provider_id"] == bob.user_id
    assert conversation["last_message_at"] is None
    assert set(conversation) >= {
        "conversation_id", "listing_id", "buyer_id", "provider_id", "created_at", "last_message_at",
    }


def test_reopening_returns_the_same_conversation_with_200(client, make_user):
    bob, alice = make_user(), make_user()
    item, conversation = open_chat(client, bob, alice)
    again = client.post("/conversations", alice, {"listing_id": item["listing_id"]})
    assert again.status == 200
    assert again.body == conversation
    assert len(client.get("/conversations", alice).body["items"]) == 1


def test_the_provider_cannot_open_a_conversation_with_themself(client, make_user):
    bob = make_user()
    item = client.post("/listings", bob, listing_body()).body
    answer = client.post("/conversations", bob, {"listing_id": item["listing_id"]})
    assert answer.status == 400
    assert client.get("/conversations", bob).body["items"] == []


def test_a_conversation_about_a_missing_or_deleted_listing_is_not_found(client, make_user):
    bob, alice = make_user(), make_user()
    assert client.post("/conversations", alice, {"listing_id": "01JZZZZZZZZZZZZZZZZZZZZZZZ"}).status == 404
    item = client.post("/listings", bob, listing_body()).body
    client.delete(f"/listings/{item['listing_id']}", bob)
    assert client.post("/conversations", alice, {"listing_id": item["listing_id"]}).status == 404


def test_both_participants_exchange_messages_and_read_them_oldest_first(client, make_user):
    bob, alice = make_user(), make_user()
    _, conversation = open_chat(client, bob, alice)
    path = f"/conversations/{conversation['conversation_id']}/messages"
    sent = [
        client.post(path, alice, {"text": "Hi, can you fix a flat tyre today?"}),
        client.post(path, bob, {"text": "Yes, after 5 pm.\nWhere are you?"}),
        client.post(path, alice, {"text": "People's Square 👨‍👩‍👧"}),
    ]
    assert [m.status for m in sent] == [201, 201, 201]
    first = sent[0].body
    assert first["sender_id"] == alice.user_id
    assert first["conversation_id"] == conversation["conversation_id"]
    assert set(first) >= {"message_id", "conversation_id", "sender_id", "text", "sent_at"}
    for reader in (alice, bob):
        items = client.get(path, reader).body["items"]
        assert [m["message_id"] for m in items] == [m.body["message_id"] for m in sent]
    after_first = client.get(f"{path}?after={first['message_id']}", bob).body["items"]
    assert [m["text"] for m in after_first] == ["Yes, after 5 pm.\nWhere are you?", "People's Square 👨‍👩‍👧"]


def test_messages_are_paged_with_a_cursor(client, make_user):
    bob, alice = make_user(), make_user()
    _, conversation = open_chat(client, bob, alice)
    path = f"/conversations/{conversation['conversation_id']}/messages"
    texts = [f"message {n}" for n in range(7)]
    for text in texts:
        assert client.post(path, alice, {"text": text}).status == 201
    assert [m["text"] for m in walk_pages(client, bob, f"{path}?limit=3")] == texts
    page = client.get(f"{path}?limit=3", bob).body
    assert client.get(f"{path}?limit=3&cursor={page['next_cursor']}", alice).status == 400


def test_my_conversations_are_listed_by_latest_activity(client, make_user):
    bob, carol, alice = make_user(), make_user(), make_user()
    _, with_bob = open_chat(client, bob, alice)
    _, with_carol = open_chat(client, carol, alice)
    ids = [c["conversation_id"] for c in client.get("/conversations", alice).body["items"]]
    assert ids == [with_carol["conversation_id"], with_bob["conversation_id"]]
    client.post(f"/conversations/{with_bob['conversation_id']}/messages", bob, {"text": "Still need help?"})
    listed = client.get("/conversations", alice).body["items"]
    assert [c["conversation_id"] for c in listed] == [with_bob["conversation_id"], with_carol["conversation_id"]]
    assert listed[0]["last_message_at"] is not None
    assert [c["conversation_id"] for c in walk_pages(client, alice, "/conversations?limit=1")] == [
        with_bob["conversation_id"], with_carol["conversation_id"]
    ]
    bobs = client.get("/conversations", bob).body["items"]
    assert [c["conversation_id"] for c in bobs] == [with_bob["conversation_id"]]


def test_a_message_must_say_something_within_2000_characters(client, make_user):
    bob, alice = make_user(), make_user()
    _, conversation = open_chat(client, bob, alice)
    path = f"/conversations/{conversation['conversation_id']}/messages"
    for text in ("", "   ", "x" * 2001, "bell\x07", "nul\x00", "rtl\u202eoverride"):
        answer = client.post(path, alice, {"text": text})
        assert answer.status == 400, text
        assert "text" in answer.body["Message"]
    assert client.post(path, alice, {"text": "x" * 2000}).status == 201
    assert len(client.get(path, alice).body["items"]) == 1


def test_a_message_never_sorts_before_one_already_stored(client, make_user, monkeypatch):
    """A sender whose clock is behind still gets an id after the latest message, so readers polling with
    `after` never miss it."""
    from datetime import timedelta

    from chalicelib.domain.clock import now
    from chalicelib.services import conversations as chat_service

    bob, alice = make_user(), make_user()
    _, conversation = open_chat(client, bob, alice)
    path = f"/conversations/{conversation['conversation_id']}/messages"
    first = client.post(path, alice, {"text": "first"}).body
    behind = now() - timedelta(minutes=5)
    monkeypatch.setattr(chat_service, "now", lambda: behind)
    second = client.post(path, bob, {"text": "second, from a slow clock"})
    assert second.status == 201, second.body
    assert second.body["message_id"] > first["message_id"]
    assert second.body["sent_at"] >= first["sent_at"]
    assert [m["text"] for m in client.get(f"{path}?after={first['message_id']}", alice).body["items"]] == [
        "second, from a slow clock"
    ]


def test_a_message_whose_response_was_lost_is_stored_once(client, make_user):
    from botocore.exceptions import ConnectionClosedError

    from chalicelib.store import tables

    bob, alice = make_user(), make_user()
    _, conversation = open_chat(client, bob, alice)
    path = f"/conversations/{conversation['conversation_id']}/messages"
    dynamodb = tables.bind().client
    calls = [0]

    def lose_first_response(**_kwargs):
        calls[0] += 1
        if calls[0] == 1:
            raise ConnectionClosedError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    dynamodb.meta.events.register_first("after-call.dynamodb.TransactWriteItems", lose_first_response)
    try:
        sent = client.post(path, alice, {"text": "only once"})
    finally:
        dynamodb.meta.events.unregister("after-call.dynamodb.TransactWriteItems", lose_first_response)
    assert sent.status == 201, sent.body
    assert [m["text"] for m in client.get(path, bob).body["items"]] == ["only once"]


def test_text_may_hold_emoji_joined_sequences(client, make_user):
    bob, alice = make_user(), make_user()
    _, conversation = open_chat(client, bob, alice)
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    sent = client.post(f"/conversations/{conversation['conversation_id']}/messages", alice, {"text": family})
    assert sent.status == 201
    assert sent.body["text"] == family
