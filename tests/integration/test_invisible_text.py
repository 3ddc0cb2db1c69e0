"""Text that shows nothing is refused wherever a person writes text (issue 14: names made of U+3164 passed)."""
from __future__ import annotations

import uuid

import pytest

from tests.conftest import listing_body

# Each shows nothing: a Hangul filler, a braille blank, the other Hangul fillers, a zero-width space among spaces.
INVISIBLE = ["\u3164", "\u2800\u2800", "\u115f\u1160\uffa0", " \u200b "]


@pytest.mark.parametrize("text", INVISIBLE)
def test_a_listing_titled_with_invisible_characters_is_refused(client, make_user, text):
    bob = make_user()
    answer = client.post("/listings", bob, listing_body(title=text))
    assert answer.status == 400, answer.body
    assert "title" in answer.body["Message"]
    assert client.get(f"/users/{bob.user_id}/listings", bob).body["items"] == []


@pytest.mark.parametrize("text", INVISIBLE)
def test_an_invisible_display_name_is_refused_and_the_old_one_kept(client, make_user, text):
    alice = make_user("Alice")
    answer = client.patch("/me", alice, {"display_name": text})
    assert answer.status == 400, answer.body
    assert "display_name" in answer.body["Message"]
    assert client.get("/me", alice).body["display_name"] == "Alice"


def test_an_invisible_chat_message_is_refused(client, make_user):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body
    conversation = client.post("/conversations", alice, {"listing_id": item["listing_id"]}).body
    path = f"/conversations/{conversation['conversation_id']}/messages"
    answer = client.post(path, alice, {"text": "\u3164\n\u2800"})
    assert answer.status == 400, answer.body
    assert "text" in answer.body["Message"]
    assert client.get(path, bob).body["items"] == []


def test_an_order_note_of_only_invisible_characters_is_refused_but_no_note_is_fine(client, make_user):
    bob, alice = make_user(), make_user()
    item = client.post("/listings", bob, listing_body()).body

    def order(**fields):
        return client.post("/orders", alice, {"listing_id": item["listing_id"], **fields},
                           headers={"Idempotency-Key": str(uuid.uuid4())})

    refused = order(note="\u2800\u3164")
    assert refused.status == 400, refused.body
    assert "note" in refused.body["Message"]
    assert client.get("/orders", alice).body["items"] == []
    assert order().status == 201


def test_a_search_for_an_invisible_keyword_is_refused(client, make_user):
    alice = make_user()
    answer = client.get("/search?lat=31.2304&lon=121.4737&q=%E3%85%A4", alice)
    assert answer.status == 400, answer.body
    assert "q" in answer.body["Message"]


def test_text_with_something_visible_among_fillers_is_kept_as_written(client, make_user):
    bob = make_user()
    created = client.post("/listings", bob, listing_body(title="\u3164修车\u3164", description="\u2800 ok"))
    assert created.status == 201, created.body
    assert (created.body["title"], created.body["description"]) == ("\u3164修车\u3164", "\u2800 ok")
