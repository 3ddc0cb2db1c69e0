"""DynamoDB's wire form of the scan's Queries: the request's identity and the JSON answer DynamoDB would send.

A Read of the scan becomes a Query (store/search_index._query); `query_key` names it the same way from the
Read (in the benchmark) and from the request body botocore sends (in bench/canned_dynamodb.py), and
`answer_body` is the response body DynamoDB returns for it: the projected attributes of each item, Count,
ScannedCount, LastEvaluatedKey. `parse_answer` is what the handler does with those bytes after botocore's
JSON parsing (json.loads here): a Pin per item (search_index._pin) and where the Query stopped.
"""
from __future__ import annotations

import json
from typing import Any

from chalicelib.domain.nearest import Pin, Read, ReadResult
from chalicelib.store import search_index

PIN_FIELDS = [name.strip() for name in search_index._PIN_FIELDS.split(",")]


def query_key(index_name: str, partition_value: str, low: str, high: str, start_after: tuple[str, str] | None,
              limit: int, keyword: str | None, category: str | None) -> str:
    return json.dumps([index_name, partition_value, low, high, start_after and list(start_after), limit, keyword,
                       category if keyword is not None else None])


def read_key(read: Read, category: str | None, keyword: str | None) -> str:
    choice = search_index.index_for(read.tier, category, keyword is not None)
    partition = f"{category}#{read.partition}" if choice.category_in_key else read.partition
    return query_key(choice.index_name, partition, read.low, read.high, read.start_after, read.limit, keyword, category)


def request_key(body: dict[str, Any]) -> str:
    """The key of a Query request as botocore sends it (the body of DynamoDB_20120810.Query)."""
    values = body["ExpressionAttributeValues"]
    start = body.get("ExclusiveStartKey")
    return query_key(
        body["IndexName"], values[":p"]["S"], values[":low"]["S"], values[":high"]["S"],
        (start["gh"]["S"], start["id"]["S"]) if start else None, body["Limit"],
        values[":q"]["S"] if ":q" in values else None, values[":c"]["S"] if ":c" in values else None,
    )


def wire_item(pin: Pin) -> dict[str, dict[str, str]]:
    """A pin index entry's projected attributes as DynamoDB sends them (numbers as the store wrote them)."""
    return {
        "id": {"S": pin.listing_id},
        "gh": {"S": pin.geohash},
        "la": {"N": json.dumps(pin.lat)},
        "lo": {"N": json.dumps(pin.lon)},
        "provider_id": {"S": pin.provider_id},
        "title": {"S": pin.title},
        "category": {"S": pin.category},
        "price_cents": {"N": str(pin.price_cents)},
        "currency": {"S": pin.currency},
    }


def answer_body(read: Read, result: ReadResult, category: str | None, keyword: str | None) -> bytes:
    body: dict[str, Any] = {
        "Count": len(result.pins),
        "Items": [wire_item(pin) for pin in result.pins],
        "ScannedCount": result.evaluated,
    }
    if result.resume is not None:
        choice = search_index.index_for(read.tier, category, keyword is not None)
        partition = f"{category}#{read.partition}" if choice.category_in_key else read.partition
        body["LastEvaluatedKey"] = {
            "id": {"S": result.resume[1]}, "gh": {"S": result.resume[0]}, choice.partition_attribute: {"S": partition},
        }
    return json.dumps(body, separators=(",", ":")).encode()


def parse_answer(read: Read, raw: bytes) -> ReadResult:
    """What search_index._query makes of DynamoDB's answer, from the bytes (json.loads for botocore's parser)."""
    answer = json.loads(raw)
    last = answer.get("LastEvaluatedKey")
    return ReadResult(
        pins=[search_index._pin(item, read.tier) for item in answer.get("Items", [])],
        resume=(last["gh"]["S"], last["id"]["S"]) if last else None,
        evaluated=int(answer.get("ScannedCount", 0)),
    )
