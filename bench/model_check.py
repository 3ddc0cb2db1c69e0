"""Proof that the cost model answers like DynamoDB (as moto emulates it), Query by Query.

A sample of the listings goes into moto in-process twice: into the stage's tables through the store's
own writes, and into a dynamodb-geo table through dynamodb-geo's own put_Point. The same searches then
run through the real code on moto (store.listings.read_cover; GeoDataManager.queryRadius) and through
the model. Every Query's key condition and item count are recorded on both sides and must be equal.
"""
from __future__ import annotations

import os
from collections import Counter
from typing import Any

import boto3

from bench.contenders import DynamoGeo, Ours, dynamodbgeo_item
from bench.dataset import Search
from chalicelib.domain.listings import Listing

REGION = "us-east-1"


def _recorder(events: Any, seen: Counter) -> None:
    def before(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        values = params.get("ExpressionAttributeValues", {})
        context["bench_key"] = tuple(sorted((k, str(next(iter(v.values())))) for k, v in values.items()))

    def after(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        seen[(context.get("bench_key"), parsed.get("Count"))] += 1

    events.register("before-parameter-build.dynamodb.Query", before)
    events.register("after-call.dynamodb.Query", after)


def _model_keys(values: dict[str, str], count: int) -> tuple[Any, int]:
    return tuple(sorted(values.items())), count


def check(listings: list[Listing], searches: list[Search]) -> dict[str, Any]:
    """Compare moto and the model on `searches` over `listings`; returns counts of Queries and mismatches."""
    from moto import mock_aws

    import dynamodbgeo
    from chalicelib.services.search import plan
    from chalicelib.store import listings as listing_store
    from chalicelib.store.listings import plan_queries
    from chalicelib.store.models import ListingModel
    from scripts import provision

    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION)
    ours_model, geo_model = Ours(listings), DynamoGeo(listings)
    with mock_aws():
        stack = provision.deploy(boto3.Session(region_name=REGION), "modelcheck")
        os.environ.update(stack.environment())
        listing_store.insert_many(listings)
        ours_moto: Counter = Counter()
        _recorder(ListingModel._get_connection().connection.client.meta.events, ours_moto)

        client = boto3.client("dynamodb", region_name=REGION)
        config = dynamodbgeo.GeoDataManagerConfiguration(client, "geo-modelcheck")
        config.hashKeyLength = DynamoGeo.hash_key_length
        util = dynamodbgeo.GeoTableUtil(config)
        util.create_table(util.getCreateTableRequest())
        geo_manager = dynamodbgeo.GeoDataManager(config)
        for listing in listings:
            geo_manager.put_Point(dynamodbgeo.PutPointInput(
                dynamodbgeo.GeoPoint(listing.lat, listing.lon), listing.listing_id, {"Item": dynamodbgeo_item(listing)}
            ))
        geo_moto: Counter = Counter()
        _recorder(client.meta.events, geo_moto)

        ours_expected: Counter = Counter()
        geo_expected: Counter = Counter()
        for search in searches:
            listing_store.read_cover(plan(search.lat, search.lon, search.radius_m), search.category)
            for query in plan_queries(plan(search.lat, search.lon, search.radius_m), search.category):
                answer = ours_model.indexes[query.index_name].query(query.partition, query.low, query.high)
                ours_expected[_model_keys({":0": query.partition, ":1": query.low, ":2": query.high},
                                          len(answer.items))] += 1
            geo_manager.queryRadius(dynamodbgeo.QueryRadiusRequest(
                dynamodbgeo.GeoPoint(search.lat, search.lon), search.radius_m, {}, sort=True))
            geo_model.run(search)
            for hash_key, low, high, items, _units, _pages in geo_model.client.calls:
                values = {":geohashMax": str(high), ":geohashMin": str(low), ":hashKey": str(hash_key)}
                geo_expected[_model_keys(values, items)] += 1
    return {
        "listings": len(listings),
        "searches": len(searches),
        "ours_queries": sum(ours_moto.values()),
        "ours_mismatches": sum(((ours_moto - ours_expected) + (ours_expected - ours_moto)).values()),
        "geo_queries": sum(geo_moto.values()),
        "geo_mismatches": sum(((geo_moto - geo_expected) + (geo_expected - geo_moto)).values()),
        "items_compared": sum(count * n for (_, count), n in ours_moto.items())
        + sum(count * n for (_, count), n in geo_moto.items()),
    }
