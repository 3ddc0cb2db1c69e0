"""The cost models answer like DynamoDB as moto emulates it, Query by Query (moto reports no real capacity).

A sample of the listings goes into moto in-process: into the stage's tables through the store's own bulk
load (`store.listings.insert_many`, which also writes the cell counts), and into a dynamodb-geo table through
dynamodb-geo's own `put_Point`. Then:

- the scan: pages 1-3 of sample searches (any category, one, a keyword) run through the real service
  (`services.search.run`: the cell counts read back from moto, `store.search_index.read_wave`'s Queries) and
  through the model (bench/after.py over bench/scan_model.py). Every Query's answer is compared: the ids in
  order, the entries evaluated (ScannedCount) and where it stopped (LastEvaluatedKey); then the pages.
- 1 MB pages: every index partition holding more than 1 MB is read whole (a Limit far above its size)
  through the real `search_index._query`, page after page, and through the model: the items in order, and
  where each page ends. moto cuts a page at 1,000,000 bytes of the *table's* items (its own size rule);
  DynamoDB, and the model, at 1 MB (1,048,576 bytes) of the *index entries* read, so page boundaries may
  differ while the items, in order, must not.
- dynamodb-geo: its `queryRadius` on moto and on the model (bench/dynamodb_geo.py), searches up to 2 km:
  each Query's key condition and item count. (Wider ones page on moto, and dynamodb-geo 0.0.3 then sends
  the last page's ExclusiveStartKey with every later Query of the search: it reuses one parameter dict.)
"""
from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import boto3

from bench import dynamodb_geo
from bench.after import After
from bench.dataset import Search
from bench.dynamodb_geo import DynamoGeo
from bench.scan_model import Ledger, ScanIndexes
from bench.wire import read_key, request_key
from chalicelib.domain.listings import Listing
from chalicelib.domain.nearest import Position, Read, Reader, ReadResult

REGION = "us-east-1"
PAGES = 3
WHOLE = 10**6  # a Limit no partition reaches: only 1 MB stops the Query
GEO_MAX_RADIUS_M = 2000


@dataclass
class Report:
    listings: int = 0
    searches: int = 0
    scan_queries: int = 0  # Queries the real service sent to moto
    scan_differences: list[str] = field(default_factory=list)
    pages_compared: int = 0
    items_compared: int = 0
    big_partitions: list[str] = field(default_factory=list)
    pages_moto: list[list[int]] = field(default_factory=list)  # items per 1 MB page, per big partition
    pages_model: list[list[int]] = field(default_factory=list)
    whole_reads_equal: int = 0
    geo_queries: int = 0
    geo_differences: int = 0


def _answer_of(parsed: dict[str, Any]) -> tuple[list[str], int, tuple[str, str] | None]:
    last = parsed.get("LastEvaluatedKey")
    return ([item["id"]["S"] for item in parsed.get("Items", [])], int(parsed.get("ScannedCount", 0)),
            (last["gh"]["S"], last["id"]["S"]) if last else None)


@contextmanager
def _recording(client: Any, operation: str, key: Any) -> Iterator[dict[Any, list[Any]]]:
    """Every `operation` the client sends: key(params) -> the parsed answers (in the order they came)."""
    seen: dict[Any, list[Any]] = {}

    def before(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_key"] = key(params)

    def after(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        seen.setdefault(context.get("bench_key"), []).append(parsed)

    events = client.meta.events
    events.register(f"before-parameter-build.dynamodb.{operation}", before, unique_id=f"bench-before-{operation}")
    events.register(f"after-call.dynamodb.{operation}", after, unique_id=f"bench-after-{operation}")
    try:
        yield seen
    finally:
        events.unregister(f"before-parameter-build.dynamodb.{operation}", unique_id=f"bench-before-{operation}")
        events.unregister(f"after-call.dynamodb.{operation}", unique_id=f"bench-after-{operation}")


def _model_answers(after: After, search: Search, position: Position | None, keyword: str | None,
                   limit: int) -> tuple[Any, dict[str, list[tuple[list[str], int, tuple[str, str] | None]]]]:
    answers: dict[str, list[tuple[list[str], int, tuple[str, str] | None]]] = {}

    def recorded(read: Reader) -> Reader:
        def wave(reads: list[Read]) -> list[ReadResult]:
            results = read(reads)
            for one, result in zip(reads, results, strict=True):
                answers.setdefault(read_key(one, search.category, keyword), []).append(
                    ([pin.listing_id for pin in result.pins], result.evaluated, result.resume))
            return results
        return wave

    return after.page(search, position, limit, wrap=recorded).scan, answers


def _check_scan(report: Report, indexes: ScanIndexes, searches: list[Search], limit: int) -> None:
    from chalicelib.services import search as service
    from chalicelib.store import search_index

    after = After(indexes)
    client = search_index.dynamodb_client()
    for search in searches:
        keyword = search.q.casefold() if search.q else None
        query = service.SearchQuery(search.lat, search.lon, search.radius_m, search.category, search.q, limit, None)
        position_moto: Position | None = None
        position_model: Position | None = None
        for number in range(1, PAGES + 1):
            with _recording(client, "Query", request_key) as seen:
                on_moto = service.run(query, position_moto)
            on_model, expected = _model_answers(after, search, position_model, keyword, limit)
            report.scan_queries += sum(len(answers) for answers in seen.values())
            for key in seen.keys() | expected.keys():
                got = sorted(_answer_of(parsed) for parsed in seen.get(key, []))
                want = sorted(expected.get(key, []))
                if got != want:
                    report.scan_differences.append(f"{search} page {number}: Query {key}: moto {got} model {want}")
                report.items_compared += sum(len(ids) for ids, _, _ in got)
            if [f.pin.listing_id for f in on_moto.found] != [f.pin.listing_id for f in on_model.found] or (
                    on_moto.next != on_model.next):
                report.scan_differences.append(f"{search} page {number}: the pages differ")
            report.pages_compared += 1
            if on_moto.next is None or on_model.next is None:
                break
            position_moto, position_model = on_moto.next, on_model.next


def _check_whole_partitions(report: Report, indexes: ScanIndexes, sample: Read) -> None:
    """Every partition over 1 MB, read whole through the real Query and through the model, page by page.

    A keyword index is read without a filter (the model: with the empty keyword, which every entry holds).
    """
    from chalicelib.store import search_index

    kinds: dict[str, tuple[Any, bool, bool]] = {}  # index -> tier, by category, keyword index
    for tier in search_index.TIERS:
        kinds[search_index.index_for(tier, None, False).index_name] = (tier, False, False)
        kinds[search_index.index_for(tier, "any", False).index_name] = (tier, True, False)
        kinds[search_index.index_for(tier, None, True).index_name] = (tier, False, True)
    for (index_name, value), partition in indexes.partitions.items():
        if sum(row[0] for row in partition.rows) <= 1024 * 1024:
            continue
        tier, by_category, text = kinds[index_name]
        category, geohash = value.split("#") if by_category else (None, value)
        read = replace(sample, tier=tier, partition=geohash, low="0" * 12, high="z" * 12, start_after=None,
                       limit=WHOLE, parts=())
        choice = search_index.index_for(tier, category, text)
        sides: list[tuple[list[str], list[int]]] = []

        def on_moto(r: Read, c: Any = choice, k: str | None = category) -> ReadResult:
            return search_index._query(r, c, k, None)

        def on_model(r: Read, k: str | None = category, t: bool = text) -> ReadResult:
            return ScanIndexes.result(indexes.query(r, k, "" if t else None), Ledger())

        for answer in (on_moto, on_model):
            ids: list[str] = []
            pages: list[int] = []
            one = read
            while True:
                result = answer(one)
                ids.extend(pin.listing_id for pin in result.pins)
                pages.append(result.evaluated)
                if result.resume is None:
                    break
                one = replace(read, start_after=result.resume)
            sides.append((ids, pages))
        report.big_partitions.append(f"{index_name} {value}")
        report.pages_moto.append(sides[0][1])
        report.pages_model.append(sides[1][1])
        report.whole_reads_equal += sides[0][0] == sides[1][0]
        report.items_compared += len(sides[0][0])


def _check_geo(report: Report, listings: list[Listing], searches: list[Search]) -> None:
    import dynamodbgeo

    client = boto3.client("dynamodb", region_name=REGION)
    config = dynamodb_geo.configuration(client, "geo-modelcheck")
    util = dynamodbgeo.GeoTableUtil(config)
    util.create_table(util.getCreateTableRequest())
    manager = dynamodbgeo.GeoDataManager(config)
    for listing in listings:
        dynamodb_geo.put(manager, listing)
    model = DynamoGeo(listings)

    def key(params: dict[str, Any]) -> Any:
        values = params["ExpressionAttributeValues"]
        return tuple(sorted((k, next(iter(v.values()))) for k, v in values.items()))

    seen: Counter = Counter()
    expected: Counter = Counter()
    for search in {replace(s, category=None) for s in searches if s.radius_m <= GEO_MAX_RADIUS_M}:
        with _recording(client, "Query", key) as recorded:
            manager.queryRadius(dynamodb_geo.radius_request(search))
        for condition, answers in recorded.items():
            for parsed in answers:
                seen[(condition, parsed.get("Count"))] += 1
        model.run(search)
        for hash_key, low, high, items, _units, _pages in model.client.calls:
            condition = tuple(sorted({":geohashMax": str(high), ":geohashMin": str(low),
                                      ":hashKey": str(hash_key)}.items()))
            expected[(condition, items)] += 1
    report.geo_queries = sum(seen.values())
    report.geo_differences = sum(((seen - expected) + (expected - seen)).values())


def check(listings: list[Listing], searches: list[Search], limit: int = 20) -> Report:
    """Load `listings` into moto and compare moto with the models on `searches` (each also with a keyword)."""
    from moto import mock_aws

    from chalicelib.store import listings as listing_store
    from scripts import provision

    saved = dict(os.environ)
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION,
                      SEARCH_CACHE_S="0", CELL_COUNTS_CACHE_S="0")
    report = Report(listings=len(listings))
    indexes = ScanIndexes(listings)
    try:
        with mock_aws():
            stack = provision.deploy(boto3.Session(region_name=REGION), "modelcheck")
            os.environ.update(stack.environment())
            listing_store.insert_many(listings)
            variants = [*searches, *(replace(s, category=None, q="bilingual") for s in searches[::2])]
            report.searches = len(variants)
            _check_scan(report, indexes, variants, limit)
            sample = After(indexes).page(searches[0], None, limit).scan.reads[0]
            _check_whole_partitions(report, indexes, sample)
            _check_geo(report, listings, searches)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return report
