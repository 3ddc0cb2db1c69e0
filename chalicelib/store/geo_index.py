"""One Query of a geo index, as the nearest-first scan's Reads ask for it (domain/nearest.py), and a wave of them.

The geo indexes are laid out alike: a partition attribute (a geohash prefix, maybe behind a category) and the
12-character geohash (`gh`) as sort key, so a cell is one `BETWEEN` range of a partition. The map search's
(store/search_index.py) and the nearby tasks' (store/task_index.py) differ only in their table, index names,
what their entries project, and the rest of their table's primary key. Reads go through the raw DynamoDB client:
an entry is parsed straight from the wire form (PynamoDB's model instances cost ~3 x the CPU per entry, and a
page reads hundreds of entries).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic

from chalicelib.domain.nearest import E, Read, ReadResult
from chalicelib.store import tables
from chalicelib.store.models import ListingModel

_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="geo-read")  # botocore's pool holds 10

Item = dict[str, Any]  # an item in DynamoDB's wire form


@dataclass(frozen=True)
class GeoQuery(Generic[E]):
    """How to Query one geo index partition and read its entries.

    `fixed_key`: the primary key attributes besides `id` that every entry of the index has the same value of
    (a task item's `sk`); DynamoDB wants the whole primary key, the index's keys and these in an
    ExclusiveStartKey.
    """

    table: str
    index_name: str
    partition_attribute: str
    partition_value: str
    projection: str  # a ProjectionExpression
    parse: Callable[[Item], E]
    fixed_key: Mapping[str, str] = field(default_factory=dict)
    filter_expression: str | None = None
    filter_values: Mapping[str, Any] = field(default_factory=dict)


def query(read: Read, spec: GeoQuery[E]) -> ReadResult[E]:
    """One Query: the read's key range of the partition, after its resume point, at most `read.limit` entries
    evaluated (a filter may return fewer)."""
    params: dict[str, Any] = {
        "TableName": spec.table,
        "IndexName": spec.index_name,
        "KeyConditionExpression": "#p = :p AND gh BETWEEN :low AND :high",
        "ProjectionExpression": spec.projection,
        "ExpressionAttributeNames": {"#p": spec.partition_attribute},
        "ExpressionAttributeValues": {
            ":p": {"S": spec.partition_value}, ":low": {"S": read.low}, ":high": {"S": read.high}, **spec.filter_values,
        },
        "Limit": read.limit,
    }
    if spec.filter_expression is not None:
        params["FilterExpression"] = spec.filter_expression
    if read.start_after is not None:
        params["ExclusiveStartKey"] = {
            "id": {"S": read.start_after[1]},
            "gh": {"S": read.start_after[0]},
            spec.partition_attribute: {"S": spec.partition_value},
            **{name: {"S": value} for name, value in spec.fixed_key.items()},
        }
    answer = dynamodb_client().query(**params)
    last = answer.get("LastEvaluatedKey")
    return ReadResult(
        pins=[spec.parse(item) for item in answer.get("Items", [])],
        resume=(last["gh"]["S"], last["id"]["S"]) if last else None,
        evaluated=int(answer.get("ScannedCount", 0)),
    )


def all_at_once(calls: Mapping[int, Callable[[], ReadResult[E]]]) -> dict[int, ReadResult[E]]:
    """Run a wave's Queries concurrently (at most 10 in flight, as botocore's connection pool holds)."""
    dynamodb_client()  # create the shared client before fanning out
    futures = {key: _pool.submit(call) for key, call in calls.items()}
    return {key: future.result() for key, future in futures.items()}


def dynamodb_client() -> Any:
    """The raw DynamoDB client the models share, bound to the stage's tables."""
    tables.bind()
    return ListingModel._get_connection().connection.client
