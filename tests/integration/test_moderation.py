"""Reports and what operators decide: takedown hides a listing from everyone but its owner; a suspension blocks
a user's writes at once (even with a valid token), disables their account and hides their listings until lifted."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.settings import get_settings
from tests.conftest import PEOPLES_SQUARE, REGION, listing_body


@pytest.fixture
def cast(client, make_user):
    """Bob lists a service; Alice is a buyer; Olga is an operator."""
    bob, alice, olga = make_user("Bob"), make_user("Alice"), make_user("Olga", operator=True)
    listing = client.post("/listings", bob, listing_body(title="Window cleaning")).body
    return bob, alice, olga, listing


def report(client, user, subject, subject_id, reason="scam: asks for payment outside the app"):
    return client.post("/reports", user, {"subject": subject, "subject_id": subject_id, "reason": reason})


def search_ids(client, user):
    lat, lon = PEOPLES_SQUARE
    return {pin["listing_id"] for pin in client.get(f"/search?lat={lat}&lon={lon}&radius_m=5000", user).body["items"]}


def test_a_report_is_filed_open_and_queued_for_operators(client, cast):
    bob, alice, olga, listing = cast
    filed = report(client, alice, "listing", listing["listing_id"])
    assert filed.status == 201
    assert filed.body["status"] == "open" and filed.body["subject_owner"] == bob.user_id
    queue = client.get("/admin/reports?status=open", olga).body["items"]
    assert [item["report_id"] for item in queue] == [filed.body["report_id"]]


def test_the_queue_is_oldest_first_and_pages(client, cast, make_user):
    _bob, _alice, olga, listing = cast
    filed = [report(client, make_user(), "listing", listing["listing_id"]).body["report_id"] for _ in range(3)]
    first = client.get("/admin/reports?limit=2", olga).body
    second = client.get(f"/admin/reports?limit=2&cursor={first['next_cursor']}", olga).body
    assert [r["report_id"] for r in first["items"] + second["items"]] == filed
    assert second["next_cursor"] is None


def test_a_subject_the_reporter_cannot_see_is_not_found(client, cast, make_user):
    _bob, alice, _, listing = cast
    conversation = client.post("/conversations", alice, {"listing_id": listing["listing_id"]}).body
    outsider = make_user()
    assert report(client, outsider, "conversation", conversation["conversation_id"]).status == 404
    assert report(client, alice, "listing", "01JZZZZZZZZZZZZZZZZZZZZZZZ").status == 404
    assert report(client, alice, "task", "01JZZZZZZZZZZZZZZZZZZZZZZZ").status == 404
    assert report(client, alice, "user", "no-such-user").status == 404


def test_a_conversation_report_is_about_the_other_participant(client, cast):
    bob, alice, _, listing = cast
    conversation = client.post("/conversations", alice, {"listing_id": listing["listing_id"]}).body
    assert report(client, alice, "conversation", conversation["conversation_id"]).body["subject_owner"] == bob.user_id
    assert report(client, bob, "conversation", conversation["conversation_id"]).body["subject_owner"] == alice.user_id


def test_nobody_reports_themself(client, cast):
    bob, _, _, listing = cast
    assert report(client, bob, "listing", listing["listing_id"]).status == 400


def test_only_operators_see_and_decide_reports(client, cast):
    _, alice, _, listing = cast
    filed = report(client, alice, "listing", listing["listing_id"]).body
    assert client.get("/admin/reports", alice).status == 403
    answer = client.post(f"/admin/reports/{filed['report_id']}/close", alice, {"action": "takedown"})
    assert answer.status == 403


def test_a_takedown_hides_the_listing_from_everyone_but_its_owner(client, cast):
    bob, alice, olga, listing = cast
    listing_id = listing["listing_id"]
    assert listing_id in search_ids(client, alice)
    filed = report(client, alice, "listing", listing_id).body
    closed = client.post(f"/admin/reports/{filed['report_id']}/close", olga, {"action": "takedown", "note": "fraud"})
    assert closed.status == 200
    assert closed.body["status"] == "closed" and closed.body["closed_by"] == olga.user_id
    assert listing_id not in search_ids(client, alice)
    assert client.get(f"/listings/{listing_id}", alice).status == 404
    assert client.get(f"/users/{bob.user_id}/listings", alice).body["items"] == []
    assert client.post("/conversations", alice, {"listing_id": listing_id}).status == 404
    assert client.post("/orders", alice, {"listing_id": listing_id},
                       headers={"Idempotency-Key": "takedown-order"}).status == 404
    own = client.get(f"/listings/{listing_id}", bob)
    assert own.status == 200 and own.body["hidden"] == "takedown"
    assert [item["listing_id"] for item in client.get(f"/users/{bob.user_id}/listings", bob).body["items"]] == [
        listing_id
    ]
    assert client.get("/admin/reports", olga).body["items"] == []


def test_a_taken_down_listing_stays_down_when_its_owner_edits_or_resumes_it(client, cast):
    bob, alice, olga, listing = cast
    listing_id = listing["listing_id"]
    filed = report(client, alice, "listing", listing_id).body
    client.post(f"/admin/reports/{filed['report_id']}/close", olga, {"action": "takedown"})
    assert client.patch(f"/listings/{listing_id}", bob, {"status": "paused"}).status == 200
    assert client.patch(f"/listings/{listing_id}", bob, {"status": "active", "title": "Honest now"}).status == 200
    assert listing_id not in search_ids(client, alice)
    assert client.get(f"/listings/{listing_id}", alice).status == 404


def test_a_report_is_decided_once(client, cast):
    _, alice, olga, listing = cast
    filed = report(client, alice, "listing", listing["listing_id"]).body
    path = f"/admin/reports/{filed['report_id']}/close"
    assert client.post(path, olga, {"action": "none"}).status == 200
    assert client.post(path, olga, {"action": "takedown"}).status == 409
    assert listing["listing_id"] in search_ids(client, alice)


def test_a_takedown_fits_listings_and_tasks_only(client, cast):
    bob, alice, olga, _ = cast
    filed = report(client, alice, "user", bob.user_id).body
    answer = client.post(f"/admin/reports/{filed['report_id']}/close", olga, {"action": "takedown"})
    assert answer.status == 400 and "suspend" in answer.body["Message"]


def test_an_operator_does_not_decide_a_report_about_themself(client, cast, make_user):
    _, alice, olga, _ = cast
    client.get("/me", olga)
    filed = report(client, alice, "user", olga.user_id).body
    assert client.post(f"/admin/reports/{filed['report_id']}/close", olga, {"action": "none"}).status == 403
    colleague = make_user("Oscar", operator=True)
    assert client.post(f"/admin/reports/{filed['report_id']}/close", colleague, {"action": "none"}).status == 200


def _suspend_bob(client, cast):
    bob, alice, olga, _listing = cast
    client.get("/me", bob)
    filed = report(client, alice, "user", bob.user_id).body
    answer = client.post(f"/admin/reports/{filed['report_id']}/close", olga, {"action": "suspend", "note": "spam"})
    assert answer.status == 200
    return answer.body


def test_a_suspended_user_cannot_write_even_with_a_token_still_valid(client, cast):
    bob, _, _, listing = cast
    _suspend_bob(client, cast)
    refused = client.post("/listings", bob, listing_body())
    assert refused.status == 403 and "suspended" in refused.body["Message"]
    assert client.patch("/me", bob, {"bio": "back"}).status == 403
    assert client.delete(f"/listings/{listing['listing_id']}", bob).status == 403
    assert client.get("/me", bob).status == 200  # reading stays allowed


def test_a_suspension_hides_the_users_listings(client, cast):
    _bob, alice, _, listing = cast
    _suspend_bob(client, cast)
    assert listing["listing_id"] not in search_ids(client, alice)
    assert client.get(f"/listings/{listing['listing_id']}", alice).status == 404


def _account_enabled(user) -> bool:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    found = cognito.list_users(UserPoolId=get_settings().user_pool_id, Filter=f'sub = "{user.user_id}"')["Users"]
    return found[0]["Enabled"]


def test_a_suspension_disables_the_account_and_reinstating_enables_it(client, cast):
    bob, _, olga, _ = cast
    _suspend_bob(client, cast)
    assert _account_enabled(bob) is False
    assert client.post(f"/admin/users/{bob.user_id}/reinstate", olga).status == 200
    assert _account_enabled(bob) is True


def test_reinstating_lifts_the_block_and_shows_the_listings_again(client, cast):
    bob, alice, olga, listing = cast
    _suspend_bob(client, cast)
    lifted = client.post(f"/admin/users/{bob.user_id}/reinstate", olga)
    assert lifted.body == {"user_id": bob.user_id, "suspended": False, "listings_shown": 1}
    assert listing["listing_id"] in search_ids(client, alice)
    assert client.patch("/me", bob, {"bio": "back"}).status == 200
    assert client.post(f"/admin/users/{bob.user_id}/reinstate", olga).status == 409


def test_reinstating_does_not_undo_a_takedown(client, cast):
    bob, alice, olga, listing = cast
    filed = report(client, alice, "listing", listing["listing_id"]).body
    client.post(f"/admin/reports/{filed['report_id']}/close", olga, {"action": "takedown"})
    _suspend_bob(client, cast)
    client.post(f"/admin/users/{bob.user_id}/reinstate", olga)
    assert client.get(f"/listings/{listing['listing_id']}", alice).status == 404


def test_a_takedown_during_a_suspension_outlasts_the_reinstatement(client, cast):
    bob, alice, olga, listing = cast
    filed = report(client, alice, "listing", listing["listing_id"]).body
    _suspend_bob(client, cast)
    assert client.post(f"/admin/reports/{filed['report_id']}/close", olga, {"action": "takedown"}).status == 200
    lifted = client.post(f"/admin/users/{bob.user_id}/reinstate", olga).body
    assert lifted["listings_shown"] == 0  # the suspension had hidden it; the takedown keeps it down
    assert client.get(f"/listings/{listing['listing_id']}", alice).status == 404
    assert client.get(f"/listings/{listing['listing_id']}", bob).body["hidden"] == "takedown"


def test_only_an_operator_reinstates_and_never_themself(client, cast):
    bob, alice, olga, _ = cast
    _suspend_bob(client, cast)
    assert client.post(f"/admin/users/{bob.user_id}/reinstate", alice).status == 403
    assert client.post(f"/admin/users/{olga.user_id}/reinstate", olga).status == 403
