"""The map search through the API on moto, after listings change: paused, deleted, moved, recategorised; and
a search outside every open region. Each test on a fresh stack (test_search.py shares one city, and only reads)."""
from __future__ import annotations

from urllib.parse import urlencode

from tests.conftest import PEOPLES_SQUARE, listing_body, walk_pages


def walk(client, user, limit: int, **params) -> list[dict]:
    """Every page of a search, following next_cursor."""
    return walk_pages(client, user, f"/search?{urlencode({**params, 'limit': limit})}")


def test_paused_deleted_and_moved_listings_are_found_only_where_and_when_they_should(client, make_user):
    bob, alice = make_user(), make_user()
    lat, lon = PEOPLES_SQUARE
    paused = client.post("/listings", bob, listing_body(title="Paused")).body["listing_id"]
    deleted = client.post("/listings", bob, listing_body(title="Deleted")).body["listing_id"]
    moved = client.post("/listings", bob, listing_body(title="Moved")).body["listing_id"]
    kept = client.post("/listings", bob, listing_body(title="Kept")).body["listing_id"]
    client.patch(f"/listings/{paused}", bob, {"status": "paused"})
    client.delete(f"/listings/{deleted}", bob)
    lujiazui = (31.2397, 121.4998)
    client.patch(f"/listings/{moved}", bob, {"lat": lujiazui[0], "lon": lujiazui[1]})

    here = {item["listing_id"] for item in walk(client, alice, 100, lat=lat, lon=lon, radius_m=500)}
    there = {item["listing_id"] for item in walk(client, alice, 100, lat=lujiazui[0], lon=lujiazui[1], radius_m=500)}
    assert here == {kept}
    assert there == {moved}

    client.patch(f"/listings/{paused}", bob, {"status": "active"})
    assert paused in {item["listing_id"] for item in walk(client, alice, 100, lat=lat, lon=lon, radius_m=500)}


def test_a_category_change_moves_the_listing_between_category_searches(client, make_user):
    bob, alice = make_user(), make_user()
    lat, lon = PEOPLES_SQUARE
    listing = client.post("/listings", bob, listing_body(category="repair")).body["listing_id"]
    client.patch(f"/listings/{listing}", bob, {"category": "tech"})
    assert walk(client, alice, 100, lat=lat, lon=lon, radius_m=200, category="repair") == []
    tech = walk(client, alice, 100, lat=lat, lon=lon, radius_m=200, category="tech")
    assert [i["listing_id"] for i in tech] == [listing]


def test_a_search_centred_outside_every_open_region_is_refused(client, make_user):
    answer = client.get("/search?lat=39.9042&lon=116.4074&radius_m=1000", make_user())
    assert answer.status == 422
    assert answer.body["Code"] == "RegionNotOpen"
