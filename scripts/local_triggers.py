"""What triggers the app's non-HTTP functions locally: `chalice local` serves routes only.

- Every `@schedule` of the app is called with an EventBridge-shaped event, through the same handler
  Lambda calls, every LOCAL_SCHEDULE_S seconds (default 10: locally nobody wants to wait a minute).
- A queue's messages are handed to its `@on_sqs_message` handler in SQS-shaped events, as Lambda's
  event source mapping would, and deleted once the handler returns.
- A table's stream records are handed, in order, to its `@on_dynamodb_record` handler in DynamoDB-Streams-shaped
  events; a batch whose handler fails is handed over again, as Lambda's event source mapping does.
"""
from __future__ import annotations

import threading
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from chalice.app import ScheduledEventConfig

ACCOUNT = "123456789012"
SQS_BATCH = 10
POLL_S = 0.1


def scheduled_event(rule: str, region: str) -> dict[str, Any]:
    """What EventBridge sends a scheduled Lambda."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT}:rule/{rule}"],
        "detail": {},
    }


class LocalScheduler(threading.Thread):
    """Calls each scheduled handler every `period_s` until stopped."""

    def __init__(self, app: Any, region: str, period_s: float) -> None:
        super().__init__(name="local-schedules", daemon=True)
        self.jobs = [source.name for source in app.event_sources if isinstance(source, ScheduledEventConfig)]
        self.app = app
        self.region = region
        self.period_s = period_s
        self._stop_event = threading.Event()

    def run_once(self) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for name in self.jobs:
            event = scheduled_event(f"everywhere-local-{name}", self.region)
            try:
                results[name] = self.app.handler_map[name](event, None)
            except Exception:  # noqa: BLE001 - the app's handler may raise anything: as Lambda, report it, run again
                traceback.print_exc()
                results[name] = None
        return results

    def run(self) -> None:
        while not self._stop_event.wait(self.period_s):
            self.run_once()

    def stop(self) -> None:
        self._stop_event.set()


class _Poller(threading.Thread):
    """Polls a source until stopped: again at once after a batch, after POLL_S when there was none, after a
    second when moto refused (busy or restarting)."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._stop_event = threading.Event()

    def poll(self) -> int:
        """Hand one batch over; returns how many items it held."""
        raise NotImplementedError

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                if not self.poll():
                    self._stop_event.wait(POLL_S)
            except (BotoCoreError, ClientError):
                traceback.print_exc()
                self._stop_event.wait(1)

    def stop(self) -> None:
        self._stop_event.set()


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """What Lambda's SQS event source mapping sends a function."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


class LocalQueueRelay(_Poller):
    """Polls one queue and hands its messages to one handler of the app until stopped."""

    def __init__(self, app: Any, handler: str, queue_url: str, region: str) -> None:
        super().__init__(name=f"local-queue-{handler}")
        self.app = app
        self.handler = handler
        self.queue_url = queue_url
        self.region = region
        self._queue: tuple[Any, str] | None = None

    def relay_once(self, sqs: Any, queue_arn: str) -> int:
        """Receive one batch and hand it over; returns how many messages were handled.

        Short polling: a long poll would hold the serialised moto server's lock (and every other caller).
        """
        messages = sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=SQS_BATCH, WaitTimeSeconds=0, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            self.app.handler_map[self.handler](sqs_event(messages, queue_arn, self.region), None)
        except Exception:  # noqa: BLE001 - the app's handler may raise anything: as Lambda, the batch is retried
            traceback.print_exc()
            return 0
        sqs.delete_message_batch(
            QueueUrl=self.queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
        return len(messages)

    def poll(self) -> int:
        if self._queue is None:
            sqs = boto3.client("sqs", region_name=self.region)
            attributes = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
            self._queue = (sqs, attributes["Attributes"]["QueueArn"])
        return self.relay_once(*self._queue)


def dynamodb_event(records: list[dict[str, Any]], stream_arn: str, region: str) -> dict[str, Any]:
    """What Lambda's DynamoDB Streams event source mapping sends a function (times as epoch seconds)."""
    converted = []
    for record in records:
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            change["ApproximateCreationDateTime"] = created.timestamp()
        converted.append({
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": record.get("awsRegion", region),
            "dynamodb": change,
            "eventSourceARN": stream_arn,
        })
    return {"Records": converted}


class LocalStreamRelay(_Poller):
    """Reads one table's DynamoDB stream and hands its records, in order, to one handler of the app until
    stopped, as Lambda's event source mapping would: a batch whose handler fails is handed over again."""

    def __init__(self, app: Any, handler: str, stream_arn: str, region: str, batch: int = 100) -> None:
        super().__init__(name=f"local-stream-{handler}")
        self.app = app
        self.handler = handler
        self.stream_arn = stream_arn
        self.region = region
        self.batch = batch
        self._after: dict[str, str] = {}  # shard id -> the last sequence number handed over
        self._client: Any = None

    def _streams(self) -> Any:
        if self._client is None:
            self._client = boto3.client("dynamodbstreams", region_name=self.region)
        return self._client

    def relay_once(self) -> int:
        """Hand over one batch of each shard; returns how many records were handled.

        Each poll takes a fresh iterator after the last record handed over (TRIM_HORIZON before the first): moto
        answers a refused transaction by putting back a copy of each table it touched, stream shard included, and
        an iterator kept from before reads the discarded shard for good (DynamoDB has no such thing).
        """
        streams = self._streams()
        shards = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        handled = 0
        for shard in shards:
            records = streams.get_records(ShardIterator=self._iterator(shard["ShardId"]), Limit=self.batch)["Records"]
            if not records:
                continue
            try:
                self.app.handler_map[self.handler](dynamodb_event(records, self.stream_arn, self.region), None)
            except Exception:  # noqa: BLE001 - as Lambda: report it, hand the same batch over again
                traceback.print_exc()
                continue
            self._after[shard["ShardId"]] = records[-1]["dynamodb"]["SequenceNumber"]
            handled += len(records)
        return handled

    def _iterator(self, shard_id: str) -> str:
        after = self._after.get(shard_id)
        position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after} if after else {
            "ShardIteratorType": "TRIM_HORIZON"}
        iterator: str = self._streams().get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id,
                                                           **position)["ShardIterator"]
        return iterator

    def drain(self) -> int:
        """Hand over everything the stream holds now; returns how many records were handled."""
        total = 0
        while handled := self.relay_once():
            total += handled
        return total

    def poll(self) -> int:
        return self.relay_once()
