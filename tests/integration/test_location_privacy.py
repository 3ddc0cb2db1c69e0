"""An approximate listing (someone's home) is shown, stored and searched at the centre of its geohash-7 cell:
no pin, distance, ordering, index entry or GET tells anyone but its provider where it really is (issue 14)."""
from __future__ import annotations

import json

import boto3
import geohash2
import pytest

from chalicelib.domain import geo
from chalicelib.settings import get_settings
from tests.conftest import listing_body

HOME = (31.2299512, 121.4731437)  # a flat off People's Square
NEIGHBOUR = (31.2290871, 121.4741230)  # another flat in the same ~150 m cell
SEARCH_FROM = (31.2270, 121.4700)


def cell_centre(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the point's geohash-7 cell, by geohash2 (independent of the app's own geometry)."""
    centre_lat, centre_lon, _, _ = geohash2.decode_exactly(geohash2.encode(lat, lon, 7))
    return round(centre_lat, 7), round(centre_lon, 7)


def search(client, user, q: str | None = None) -> list[dict]:
    path = f"/search?lat={SEARCH_FROM[0]}&lon={SEARCH_FROM[1]}&radius_m=2000&limit=100" + (f"&q={q}" if q else "")
    answer = client.get(path, user)
    assert answer.status == 200, answer.body
    return answer.body["items"]


def publish(client, user, point, **fields) -> dict:
    answer = client.post("/listings", user, listing_body(lat=point[0], lon=point[1], **fields))
    assert answer.status == 201, answer.body
    return answer.body


def test_the_issue_14_finding_an_exact_home_pin_is_public_to_the_centimetre_unless_approximate(client, make_user):
    """The failing-first scenario: Bob lists from home; Alice's search and GET must not give her his flat."""
    bob, alice = make_user("Bob Li"), make_user()
    home = publish(client, bob, HOME, title="Piano lessons at home", location_precision="approximate")
    centre = cell_centre(*HOME)
    pin = next(item for item in search(client, alice) if item["listing_id"] == home["listing_id"])
    assert (pin["lat"], pin["lon"]) == centre != HOME
    seen = client.get(f"/listings/{home['listing_id']}", alice).body
    assert (seen["lat"], seen["lon"], seen["location_precision"], seen["service_location"]) == (
        *centre, "approximate", None
    )
    listed = client.get(f"/users/{bob.user_id}/listings", alice).body["items"]
    assert [(item["lat"], item["lon"], item["service_location"]) for item in listed] == [(*centre, None)]


def test_a_pins_distance_and_rank_are_those_of_its_cells_centre(client, make_user):
    bob, carol, alice = make_user(), make_user(), make_user()
    home = publish(client, bob, HOME, location_precision="approximate")
    at_centre = publish(client, carol, cell_centre(*HOME))  # an exact listing at the centre: the twin it must match
    pins = {item["listing_id"]: item for item in search(client, alice)}
    mine, twin = pins[home["listing_id"]], pins[at_centre["listing_id"]]
    assert (mine["lat"], mine["lon"], mine["distance_m"]) == (twin["lat"], twin["lon"], twin["distance_m"])
    assert mine["distance_m"] != round(geo.haversine_m(*SEARCH_FROM, *HOME))
    by_keyword = {item["listing_id"]: item for item in search(client, alice, q="bike")}
    assert (by_keyword[home["listing_id"]]["lat"], by_keyword[home["listing_id"]]["lon"]) == cell_centre(*HOME)


def test_two_homes_in_one_cell_are_shown_at_the_same_point(client, make_user):
    bob, dan, alice = make_user(), make_user(), make_user()
    first = publish(client, bob, HOME, location_precision="approximate")
    second = publish(client, dan, NEIGHBOUR, location_precision="approximate")
    shown = {(item["lat"], item["lon"]) for item in search(client, alice)
             if item["listing_id"] in (first["listing_id"], second["listing_id"])}
    assert shown == {cell_centre(*HOME)} == {cell_centre(*NEIGHBOUR)}


def test_its_provider_sees_the_precise_point_in_every_answer(client, make_user):
    bob = make_user()
    created = publish(client, bob, HOME, location_precision="approximate")
    assert (created["lat"], created["lon"]) == cell_centre(*HOME)
    assert created["service_location"] == {"lat": HOME[0], "lon": HOME[1]}
    path = f"/listings/{created['listing_id']}"
    assert client.get(path, bob).body["service_location"] == {"lat": HOME[0], "lon": HOME[1]}
    renamed = client.patch(path, bob, {"title": "Piano lessons"}).body
    assert (renamed["lat"], renamed["lon"], renamed["service_location"]) == (
        *cell_centre(*HOME), {"lat": HOME[0], "lon": HOME[1]}
    )
    assert client.get(f"/users/{bob.user_id}/listings", bob).body["items"][0]["service_location"] == {
        "lat": HOME[0], "lon": HOME[1]
    }


def test_a_listing_is_exact_unless_its_provider_says_otherwise(client, make_user):
    bob, alice = make_user(), make_user()
    shop = publish(client, bob, HOME)
    assert (shop["lat"], shop["lon"], shop["location_precision"]) == (*HOME, "exact")
    assert client.get(f"/listings/{shop['listing_id']}", alice).body["service_location"] is None


def test_changing_precision_or_moving_recomputes_the_shown_point(client, make_user):
    bob, alice = make_user(), make_user()
    listing = publish(client, bob, HOME)
    path = f"/listings/{listing['listing_id']}"
    hidden = client.patch(path, bob, {"location_precision": "approximate"})
    assert hidden.status == 200, hidden.body
    assert (hidden.body["lat"], hidden.body["lon"]) == cell_centre(*HOME)
    assert hidden.body["service_location"] == {"lat": HOME[0], "lon": HOME[1]}
    far = (31.2400, 121.4800)
    moved = client.patch(path, bob, {"lat": far[0], "lon": far[1]}).body
    assert (moved["lat"], moved["lon"]) == cell_centre(*far)
    assert moved["service_location"] == {"lat": far[0], "lon": far[1]}
    north = client.patch(path, bob, {"lat": 31.2405}).body  # one coordinate: the other stays the precise one
    assert north["service_location"] == {"lat": 31.2405, "lon": far[1]}
    assert (north["lat"], north["lon"]) == cell_centre(31.2405, far[1])
    pins = [item for item in search(client, alice) if item["listing_id"] == listing["listing_id"]]
    assert [(pin["lat"], pin["lon"]) for pin in pins] == [cell_centre(31.2405, far[1])]
    shown = client.patch(path, bob, {"location_precision": "exact"}).body
    assert (shown["lat"], shown["lon"], shown["location_precision"]) == (31.2405, far[1], "exact")


def test_no_search_index_entry_holds_the_precise_point(client, make_user):
    bob = make_user()
    home = publish(client, bob, HOME, location_precision="approximate")
    dynamodb = boto3.client("dynamodb")
    table = get_settings().listings_table
    described = dynamodb.describe_table(TableName=table)["Table"]
    search_indexes = [index["IndexName"] for index in described["GlobalSecondaryIndexes"]
                      if index["IndexName"] != "by_provider"]
    assert search_indexes
    for index in search_indexes:
        entries = dynamodb.scan(TableName=table, IndexName=index)["Items"]
        ours = [entry for entry in entries if entry["id"]["S"] == home["listing_id"]]
        assert len(ours) <= 1
        for entry in ours:
            assert (float(entry["la"]["N"]), float(entry["lo"]["N"])) == cell_centre(*HOME), index
            assert entry["gh"]["S"][:7] == geohash2.encode(*HOME, 7)
            assert str(HOME[0]) not in json.dumps(entry) and str(HOME[1]) not in json.dumps(entry), index


@pytest.mark.parametrize("precision", ["Approximate", "fuzzy", "", None, 1])
def test_an_unknown_precision_is_refused(client, make_user, precision):
    answer = client.post("/listings", make_user(), listing_body(location_precision=precision))
    assert answer.status == 400, answer.body
    assert "location_precision" in answer.body["Message"]
