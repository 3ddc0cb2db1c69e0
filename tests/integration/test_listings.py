"""Listings: publish, read, edit, pause, delete, and a provider's page — through the API on moto."""
from __future__ import annotations

from tests.conftest import PEOPLES_SQUARE, listing_body, walk_pages

LUJIAZUI = (31.2397, 121.4998)


def test_a_provider_publishes_a_listing_and_anyone_signed_in_can_read_it(client, make_user):
    bob, alice = make_user(), make_user()
    created = client.post("/listings", bob, listing_body(title="  Bike repair  "))
    assert created.status == 201
    listing = created.body
    assert listing["provider_id"] == bob.user_id
    assert listing["title"] == "Bike repair"
    assert listing["status"] == "active"
    assert listing["currency"] == "CNY"
    assert listing["created_at"].endswith("Z")
    assert set(listing) >= {
        "listing_id", "provider_id", "title", "description", "category", "price_cents", "currency",
        "lat", "lon", "status", "privileged", "created_at", "updated_at",
    }
    assert listing["service_location"] == {"lat": listing["lat"], "lon": listing["lon"]}  # its provider sees it
    read = client.get(f"/listings/{listing['listing_id']}", alice)
    assert read.status == 200
    assert read.body == {**listing, "service_location": None}  # issue 14: only its provider is told where it is


def test_a_listing_outside_every_open_region_is_refused(client, make_user):
    bob = make_user()
    beijing = client.post("/listings", bob, listing_body(lat=39.9042, lon=116.4074))
    assert beijing.status == 422
    assert beijing.body["Code"] == "RegionNotOpen"
    assert client.get(f"/users/{bob.user_id}/listings", bob).body["items"] == []


def test_a_listing_priced_in_another_currency_than_its_region_is_refused(client, make_user):
    answer = client.post("/listings", make_user(), listing_body(currency="USD"))
    assert answer.status == 400
    assert "currency" in answer.body["Message"]


def test_the_owner_edits_title_and_price(client, make_user):
    bob = make_user()
    listing = client.post("/listings", bob, listing_body()).body
    edited = client.patch(f"/listings/{listing['listing_id']}", bob,
                          {"title": "Bike and scooter repair", "price_cents": 6000})
    assert edited.status == 200
    assert edited.body["title"] == "Bike and scooter repair"
    assert edited.body["price_cents"] == 6000
    assert edited.body["updated_at"] >= listing["updated_at"]
    assert client.get(f"/listings/{listing['listing_id']}", bob).body == edited.body


def test_another_user_cannot_edit_a_listing(client, make_user):
    bob, mallory = make_user(), make_user()
    listing = client.post("/listings", bob, listing_body()).body
    answer = client.patch(f"/listings/{listing['listing_id']}", mallory, {"price_cents": 1})
    assert answer.status in (403, 404)
    assert client.get(f"/listings/{listing['listing_id']}", bob).body["price_cents"] == 5000


def test_another_user_cannot_delete_a_listing(client, make_user):
    bob, mallory = make_user(), make_user()
    listing = client.post("/listings", bob, listing_body()).body
    answer = client.delete(f"/listings/{listing['listing_id']}", mallory)
    assert answer.status in (403, 404)
    assert client.get(f"/listings/{listing['listing_id']}", bob).status == 200


def test_an_operator_cannot_edit_someone_elses_listing_either(client, make_user):
    bob, olga = make_user(), make_user(operator=True)
    listing = client.post("/listings", bob, listing_body()).body
    assert client.patch(f"/listings/{listing['listing_id']}", olga, {"title": "x"}).status in (403, 404)


def test_a_deleted_listing_is_gone_for_everyone(client, make_user):
    bob, alice = make_user(), make_user()
    listing = client.post("/listings", bob, listing_body()).body
    assert client.delete(f"/listings/{listing['listing_id']}", bob).status == 204
    for user in (bob, alice):
        assert client.get(f"/listings/{listing['listing_id']}", user).status == 404
    assert client.patch(f"/listings/{listing['listing_id']}", bob, {"title": "back"}).status == 404
    assert client.delete(f"/listings/{listing['listing_id']}", bob).status == 404


def test_a_paused_listing_can_be_resumed(client, make_user):
    bob = make_user()
    listing = client.post("/listings", bob, listing_body()).body
    paused = client.patch(f"/listings/{listing['listing_id']}", bob, {"status": "paused"})
    assert paused.body["status"] == "paused"
    resumed = client.patch(f"/listings/{listing['listing_id']}", bob, {"status": "active"})
    assert resumed.body["status"] == "active"


def test_the_owner_cannot_set_a_server_owned_status(client, make_user):
    bob = make_user()
    listing = client.post("/listings", bob, listing_body()).body
    answer = client.patch(f"/listings/{listing['listing_id']}", bob, {"status": "deleted"})
    assert answer.status == 400
    assert "status" in answer.body["Message"]


def test_a_listing_cannot_move_out_of_the_open_regions(client, make_user):
    bob = make_user()
    listing = client.post("/listings", bob, listing_body()).body
    answer = client.patch(f"/listings/{listing['listing_id']}", bob, {"lat": 30.2431, "lon": 120.1509})
    assert answer.status == 422
    assert answer.body["Code"] == "RegionNotOpen"
    assert client.get(f"/listings/{listing['listing_id']}", bob).body["lat"] == PEOPLES_SQUARE[0]


def test_a_users_listings_page_shows_only_active_ones_newest_first(client, make_user):
    bob, alice = make_user(), make_user()
    ids = [client.post("/listings", bob, listing_body(title=f"Service {i}")).body["listing_id"] for i in range(5)]
    client.patch(f"/listings/{ids[1]}", bob, {"status": "paused"})
    client.delete(f"/listings/{ids[2]}", bob)
    seen = [item["listing_id"] for item in walk_pages(client, alice, f"/users/{bob.user_id}/listings?limit=2")]
    assert seen == [ids[4], ids[3], ids[0]]


def test_a_users_listing_cursor_is_bound_to_its_caller(client, make_user):
    bob, alice = make_user(), make_user()
    for i in range(3):
        client.post("/listings", bob, listing_body(title=f"Service {i}"))
    cursor = client.get(f"/users/{bob.user_id}/listings?limit=1", alice).body["next_cursor"]
    assert cursor
    answer = client.get(f"/users/{bob.user_id}/listings?limit=1&cursor={cursor}", bob)
    assert answer.status == 400
    assert answer.body["Code"] == "BadRequestError"


def test_a_public_profile_shows_no_private_fields(client, make_user):
    bob, alice = make_user(name="Bob"), make_user()
    client.get("/me", bob)
    public = client.get(f"/users/{bob.user_id}", alice)
    assert public.status == 200
    assert set(public.body) == {
        "user_id", "display_name", "bio", "privileged", "provider_since", "rating_avg", "rating_score",
        "rating_count"
    }
    assert client.get("/users/00000000-0000-4000-8000-000000000000", alice).status == 404


def test_a_user_edits_their_name_and_bio(client, make_user):
    alice = make_user()
    answer = client.patch("/me", alice, {"display_name": "Mei", "bio": "Fixes bikes\nin Jing'an"})
    assert answer.status == 200
    assert (answer.body["display_name"], answer.body["bio"]) == ("Mei", "Fixes bikes\nin Jing'an")
    assert client.get("/me", alice).body["display_name"] == "Mei"


def test_the_first_listing_makes_its_provider_a_provider_for_good(client, make_user):
    bob = make_user()
    first = client.post("/listings", bob, listing_body()).body
    profile = client.get("/me", bob).body
    assert profile["provider_since"] is not None
    assert profile["privileged"] is first["privileged"] is True
    second = client.post("/listings", bob, listing_body(title="Second")).body
    assert second["privileged"] is True
    assert client.get("/me", bob).body["provider_since"] == profile["provider_since"]
