"""A stage whose listings were written before the pin indexes becomes searchable after a reindex."""
from __future__ import annotations

import boto3

from chalicelib.domain import geo
from chalicelib.domain.clock import now_iso
from chalicelib.domain.listings import new_listing
from chalicelib.store import caches, reindex, search_counts, search_index, tables
from chalicelib.store.listings import stored_item
from chalicelib.store.models import ListingModel
from scripts.migrate_search import OLD_ATTRIBUTES
from tests.conftest import PEOPLES_SQUARE, REGION, listing_body, walk_pages


def put_in_old_layout(listings):
    """Items as the thin-geo-index code wrote them: old index attributes, none of the new, no cell counts."""
    client = boto3.client("dynamodb", region_name=REGION)
    for listing in listings:
        item = {name: value for name, value in stored_item(listing).items()
                if name not in search_index.SEARCH_ATTRIBUTES}
        item.update({"g5": {"S": listing.geohash[:5]}, "g4": {"S": listing.geohash[:4]},
                     "g5c": {"S": f"{listing.category}#{listing.geohash[:5]}"},
                     "g4c": {"S": f"{listing.category}#{listing.geohash[:4]}"}})
        client.put_item(TableName=ListingModel.Meta.table_name, Item=item)


def test_reindexed_listings_are_found_and_counted_and_old_attributes_go_when_asked(client, make_user):
    tables.bind()
    lat, lon = PEOPLES_SQUARE
    now = now_iso()
    old = [new_listing("p-old", f"Old {n}", "", "repair", 100, "CNY", lat + n * 0.001, lon, privileged=n % 2 == 0,
                       now=now)
           for n in range(6)]
    put_in_old_layout(old)
    alice, bob = make_user(), make_user()
    created = client.post("/listings", bob, listing_body()).body
    fresh = created["listing_id"]
    search = f"/search?lat={lat}&lon={lon}&radius_m=2000&limit=100"
    assert {item["listing_id"] for item in walk_pages(client, alice, search)} == {fresh}

    report = reindex.reindex_listings()

    assert report.listings == 7 and report.searchable == 7
    caches.forget_all()
    assert {item["listing_id"] for item in walk_pages(client, alice, search)} == {fresh} | {x.listing_id for x in old}
    counts = search_counts.cell_counts(search_index.ORDINARY, None, [old[1].geohash[:4]], fresh=True)
    ordinary = sum(not x.privileged for x in old) + (not created["privileged"])
    assert counts.estimate(geo.key_value(old[1].geohash[:4]) >> 40, 20) == ordinary
    raw = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=ListingModel.Meta.table_name, Key={"id": {"S": old[0].listing_id}})["Item"]
    assert set(OLD_ATTRIBUTES) <= set(raw)

    reindex.reindex_listings(drop=OLD_ATTRIBUTES)
    raw = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=ListingModel.Meta.table_name, Key={"id": {"S": old[0].listing_id}})["Item"]
    assert not set(OLD_ATTRIBUTES) & set(raw)
    assert len(walk_pages(client, alice, search)) == 7
