"""`make bench-events` (python -m bench.events): what an event costs, and how long it takes to reach a socket.

1. Costs (bench/event_costs.py, in-process moto): the AWS calls `chat_events` and `order_events` make per event,
   counted by wrapping botocore, priced by DynamoDB's published capacity rules and list prices (bench/pricing.py);
   a chat message (1 recipient) and an order status change (2 recipients), with 0, 1 and 3 open connections for
   each recipient; a long message; and 100 messages handed over in batches of 100.
2. Delay (bench/event_latency.py, the real local stack): bob's WebSocket client receives the events of
   BENCH_EVENTS (default 1,000) messages alice sends him over HTTP; median and p99 from commit to frame; every
   event once, no gap (cross-checked with GET /events).

Writes docs/EVENTS_BENCHMARK.md and prints its progress to stderr. BENCH_EVENTS_SEQUENTIAL (default: all) of the
messages are sent one at a time, the rest from BENCH_EVENTS_THREADS (default 4) senders at once. About 12 minutes
on 2 shared cores, most of it moto slowing down as its tables grow (see the report).
"""
from __future__ import annotations

import os
import pickle
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import event_costs, event_latency, pricing
from bench.event_costs import CHAT, LONG_CHAT, ORDER, Measured
from bench.event_latency import Result, summary

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "EVENTS_BENCHMARK.md"
COST_REPEATS = 20
# Lambda duration is not measured here (moto's time is not AWS's): an assumption, stated where it is used.
ASSUMED_CALL_MS = 10.0  # one in-region DynamoDB or management API round trip
STREAM_FUNCTION_GB = 0.25  # .chalice/config.json: order_events and chat_events have 256 MB

_started = time.perf_counter()


def say(message: str) -> None:
    print(f"[{time.perf_counter() - _started:6.0f} s] {message}", file=sys.stderr, flush=True)


# ---- per-event arithmetic --------------------------------------------------------------------------------------

def per_event(m: Measured, value: float) -> float:
    return value / m.cost.events if m.cost.events else float("nan")


def calls_per_event(m: Measured, name: str) -> float:
    return per_event(m, m.cost.calls.get(name, 0))


def dynamodb_dollars(m: Measured) -> float:
    """USD per million events: write and read request units."""
    return (per_event(m, m.cost.write_units) * pricing.WRITE_PER_MILLION_UNITS
            + per_event(m, m.cost.read_units) * pricing.READ_PER_MILLION_UNITS)


def push_dollars(m: Measured) -> float:
    """USD per million events: one API Gateway message per frame (each well under 32 KB)."""
    return calls_per_event(m, "apigatewaymanagementapi.PostToConnection") * pricing.WEBSOCKET_PER_MILLION_MESSAGES


def lambda_request_dollars(invocations_per_event: float) -> float:
    return invocations_per_event * pricing.LAMBDA_PER_MILLION_REQUESTS


def lambda_duration_dollars(m: Measured) -> float:
    """USD per million events, if every AWS call of the function took ASSUMED_CALL_MS (an assumption)."""
    calls = sum(m.cost.calls.values())
    seconds = per_event(m, calls) * ASSUMED_CALL_MS / 1000
    return seconds * STREAM_FUNCTION_GB * pricing.LAMBDA_PER_GB_SECOND * 1_000_000


def invocations_at_batch_one(m: Measured) -> float:
    """Each stream record its own invocation: records per event."""
    return per_event(m, m.cost.records)


def observed_invocations_per_event(result: Result) -> float:
    notices = sum(result.batches)
    return len(result.batches) / notices if notices else float("nan")


# ---- the report ------------------------------------------------------------------------------------------------

def _ms(value: float) -> str:
    return f"{value:,.0f} ms"


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _sizes(m: Measured, part: str) -> str:
    sizes = m.cost.written_bytes.get(part, [])
    if not sizes:
        return "-"
    low, high = min(sizes), max(sizes)
    return f"{low:,} B" if low == high else f"{low:,}-{high:,} B"


def cost_section(measured: list[Measured], observed: float) -> list[str]:
    rows = [m for m in measured if m.scenario.batch == 1]
    batched = [m for m in measured if m.scenario.batch > 1]
    lines = [
        "## 1. What one event costs",
        "",
        "Counted on in-process moto (`bench/event_costs.py`): the changes are made through the API, the tables'",
        "streams are read by the local relay (Lambda's event source mapping) and handed to `chat_events` /",
        "`order_events`, and every botocore call made *inside* those functions is kept (a wrapper of",
        "`BaseClient._make_api_call`, as in tests/iam_audit.py). Capacity by DynamoDB's published rules, from the",
        "bytes of each item written or read (moto reports none): a transactional write costs 2 write units per",
        "item per started KB; a strongly consistent GetItem 1 read unit per started 4 KB (an absent item 1 too);",
        "an index Query half a unit per started 4 KB returned, at least half. The relay's own stream reads are not",
        "counted: DynamoDB does not charge the GetRecords calls of Lambda triggers.",
        f"{COST_REPEATS} changes per row, each handed over as its own batch (batch size 1).",
        "",
        "| change | recipients | open connections each | events per change | GetItem / TransactWriteItems / Query"
        " per event | write units per event | read units per event | post_to_connection per event |"
        " stream records per change | Lambda invocations per event, batch 1 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for m in rows:
        lines.append(
            f"| {m.scenario.kind} | {m.scenario.recipients} | {m.scenario.connections} |"
            f" {m.cost.events / m.changes:g} |"
            f" {calls_per_event(m, 'dynamodb.GetItem'):g} / {calls_per_event(m, 'dynamodb.TransactWriteItems'):g} /"
            f" {calls_per_event(m, 'dynamodb.Query'):g} |"
            f" {per_event(m, m.cost.write_units):g} | {per_event(m, m.cost.read_units):g} |"
            f" {calls_per_event(m, 'apigatewaymanagementapi.PostToConnection'):g} |"
            f" {m.cost.records / m.changes:g} | {invocations_at_batch_one(m):g} |"
        )
    failed = sum(m.cost.failed_transactions for m in measured)
    lines += [
        "",
        f"Transactions refused and retried (two writers racing for one user's head): {failed} in this run (one",
        "writer at a time here; each retry would cost the transaction's write units again plus one more GetItem).",
        "",
        "What each transaction writes (bytes as DynamoDB counts them; each item rounds up to 1 KB on its own):",
        "",
        "| change | seen mark | event | head (after the update) |",
        "|---|---|---|---|",
    ]
    for m in rows:
        if m.scenario.connections == 1:
            lines.append(f"| {m.scenario.kind} | {_sizes(m, 'seen mark')} | {_sizes(m, 'event')} |"
                         f" {_sizes(m, 'head')} |")
    for m in batched:
        lines += [
            "",
            f"Batched: {m.changes} chat messages handed over {m.scenario.batch} records at a time gave"
            f" {m.cost.invocations} invocations for {m.cost.records} records and {m.cost.events} events, and the"
            f" same calls per event as one at a time ({calls_per_event(m, 'dynamodb.TransactWriteItems'):g}"
            f" TransactWriteItems, {per_event(m, m.cost.write_units):g} write units,"
            f" {per_event(m, m.cost.read_units):g} read units per event): the functions store and push event by"
            " event, so only the Lambda requests shrink with the batch.",
        ]
    lines += [
        "",
        "A chat message is 3 stream records (the message, and both participants' conversation items updated in",
        "the same transaction: store/chat.py), of which one becomes an event; an order status change is 1 record",
        "and 2 events. So at batch size 1 a message costs 3 invocations, an order change 0.5 per event.",
        "",
        "### Dollars per million events (on-demand list prices)",
        "",
        f"Prices: {pricing.EVENTS_SOURCE}. Lambda requests at batch size 1 and at the batching observed on the",
        f"local stack (part 2: {observed:.3f} invocations per chat event; the same relay batching as Lambda's,",
        "whose real batches depend on traffic and shards: see the interpretation). Lambda duration is *not*",
        f"measured (moto's time is not AWS's): the last column assumes {ASSUMED_CALL_MS:g} ms per AWS call of the",
        f"function and its {STREAM_FUNCTION_GB * 1024:g} MB, and is only an order of magnitude.",
        "",
        "| change | open connections each | DynamoDB | WebSocket messages | Lambda requests, batch 1 |"
        " Lambda requests, observed | total, batch 1 | total, observed | Lambda duration (assumed) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in rows:
        at_one = lambda_request_dollars(invocations_at_batch_one(m))
        seen = lambda_request_dollars(observed) if m.scenario.kind != ORDER else at_one
        base = dynamodb_dollars(m) + push_dollars(m)
        lines.append(
            f"| {m.scenario.kind} | {m.scenario.connections} | {_money(dynamodb_dollars(m))} |"
            f" {_money(push_dollars(m))} | {_money(at_one)} | {_money(seen)} | {_money(base + at_one)} |"
            f" {_money(base + seen)} | ~{_money(lambda_duration_dollars(m))} |"
        )
    lines += [
        "",
        "(For the order, \"observed\" is batch 1 again: the local run made chat messages only, and one order change",
        "is one record already.)",
        "",
    ]
    return lines


def latency_section(result: Result, threads: int) -> list[str]:
    frames = result.bench_frames()
    phases = list(result.send_seconds)
    sent_ids = {s.message_id for s in result.sent}
    logged = [mid for mid in result.log_message_ids if mid in sent_ids]
    pushed_ids = {f.event["event_id"] for f in frames}
    notices = sum(result.batches)
    nonempty = [b for b in result.batches if b]
    per_event_ms = [ms / b for ms, b in zip(result.handler_ms, nonempty, strict=False) if b]
    lines = [
        "## 2. From commit to frame, on the local stack",
        "",
        "`bench/event_latency.py` starts the local stack as tests/e2e/conftest.py does (`python -m",
        "scripts.local_stack`, free ports, its own STATE_DIR, 40 demo listings), connects bob's WebSocket client",
        "(the `websockets` library, `?token=`), and has others send him messages over HTTP (the message rate limit",
        f"lifted): {len([s for s in result.sent if s.phase == phases[0]])} from alice one at a time (each waits for"
        " its HTTP answer, not for its frame)"
        + (f", then {len([s for s in result.sent if s.phase == phases[1]])} from"
           f" {', '.join(event_latency.SENDERS[:threads])} at once, each in their own conversation with bob (why not"
           " one conversation: see the note on moto below)." if len(phases) > 1 else "."),
        "",
        "**Commit time.** A message is committed after its `sent_at` is taken and before its HTTP answer leaves. So",
        "*frame - sent_at* (the API's clock, milliseconds, same machine) over-states the delay by the commit's own",
        "write, and *frame - HTTP answer* under-states it by the answer's trip back (it is negative when the frame",
        "wins). Both are given; the truth is between them.",
        "",
        "| messages | sent in | rate | frame - sent_at: median | p99 | max | frame - HTTP answer: median | p99 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for phase in [*phases, None] if len(phases) > 1 else phases:
        from_sent, from_answer = result.delays(phase)
        count = len([s for s in result.sent if phase is None or s.phase == phase])
        seconds = result.send_seconds[phase] if phase else sum(result.send_seconds.values())
        a, b = summary(from_sent), summary(from_answer)
        lines.append(
            f"| {phase or 'all'} ({count}) | {seconds:.0f} s | {count / seconds:.1f}/s | {_ms(a['median'])} |"
            f" {_ms(a['p99'])} | {_ms(a['max'])} | {_ms(b['median'])} | {_ms(b['p99'])} |"
        )
    lines += [
        "",
        f"- Arrived: {len({f.event['data']['message_id'] for f in frames})} of {len(result.sent)} messages as"
        f" frames ({len(frames)} frames); duplicates: {result.duplicates()}; out of order: {result.out_of_order()};"
        f" gaps in the pushed ids: {result.gaps()}.",
        f"- Cross-check with GET /events after the mark ({result.mark}): {len(result.log_ids)} events, ids"
        f" {result.mark + 1}…{result.log_ids[-1] if result.log_ids else '-'}, gaps: {result.log_gaps()},"
        f" doubles: {len(result.log_ids) - len(set(result.log_ids))}; every message in the log once:"
        f" {sorted(logged) == sorted(sent_ids)} ({len(set(logged))} of {len(sent_ids)} messages have their event);"
        f" the pushed ids are the log's ids: {pushed_ids == set(result.log_ids)}.",
        *([f"- **{len(sent_ids) - len(set(logged))} messages never became events** (in neither the log nor the"
           " frames): the chat stream's relay stopped handing records over before the run's end, while messages"
           " were still being committed, and did nothing in the settling time after the last one. This is"
           " consistent with the stranded shard iterator described below; what refused a chat transaction in a"
           " one-sender run (a write retried on a moto slowed to seconds per call is a guess) was not established."
           " The ids that"
           " did reach the log have no gap and no double, and every one of them was pushed once."]
          if len(set(logged)) < len(sent_ids) else []),
        f"- Stream batches (`chat_events` invocations, from the stack's log): {len(result.batches)} invocations for"
        f" {notices} events ({observed_invocations_per_event(result):.3f} invocations per event); events per"
        f" non-empty batch: median {statistics.median(nonempty) if nonempty else 0:g}, max"
        f" {max(nonempty) if nonempty else 0}."
        f" The function's time per event on moto: median"
        f" {_ms(statistics.median(per_event_ms)) if per_event_ms else '-'}"
        " (GetItem, TransactWriteItems, Query and one post, each a round trip to the serialised moto server).",
        "",
        "**What dominates this figure: moto and the relay, not the design.** The local relay polls moto's stream",
        "every 0.1 s when it is idle and hands over what it finds; the function then makes its four calls per event",
        "against a moto server that serves one request at a time, shared with the API that is taking the",
        "messages. And moto slows down as the run goes on: for every TransactWriteItems it deep-copies each table the",
        "transaction touches (to put it back if the transaction is refused), stream records included, so each",
        "message's transaction (chat table) and each event's (events table) costs time in proportion to all that",
        "came before. Senders faster than the relay (several at once) build a backlog, and the delay grows with",
        "it. None of this says what AWS does.",
        "",
        "**A moto artefact found on the way (the local stack only), fixed.** When several threads sent into *one*",
        "conversation, the chat relay stopped for good after a few dozen messages: two messages of one conversation",
        "committing out of order make the later one's transaction refused (store/chat.py, `in_order`), and moto",
        "answers any refused TransactWriteItems by putting back a deep copy of each table it touched, stream shard",
        "included. The relay's kept shard iterator was bound to the old shard object and never saw another record.",
        "DynamoDB has no such thing. The relay now takes a fresh iterator after the last record it handed over on",
        "every poll (scripts/local_triggers.py; tests/integration/test_events.py refuses a transaction on the chat",
        "table and checks the next message still becomes an event). The first run of this benchmark, before the",
        "fix, lost 109 of 1,000 messages that way; the figures above are from a run after it.",
        "",
        "**On AWS.** Lambda polls each shard of a DynamoDB stream 4 times a second and invokes the function as soon",
        "as it finds records (no batching window by default; [Using AWS Lambda with Amazon DynamoDB]"
        "(https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html), \"Polling and batching streams\"); AWS",
        "publishes no latency figure for a record reaching its stream, which is commonly reported as well under a",
        "second. So the expected delay is the poll wait (0-250 ms), plus the function's calls (roughly 4 round trips",
        "of single-digit to ~10 ms each), plus API Gateway's delivery: typically sub-second, not measured here.",
        "",
    ]
    return lines


def interpretation(measured: list[Measured], result: Result) -> list[str]:
    by = {(m.scenario.kind, m.scenario.connections, m.scenario.batch): m for m in measured}
    chat1 = by[(CHAT, 1, 1)]
    chat0 = by[(CHAT, 0, 1)]
    longest = by[(LONG_CHAT, 1, 1)]
    observed = observed_invocations_per_event(result)
    dynamo = dynamodb_dollars(chat1)
    write_share = per_event(chat1, chat1.cost.write_units) * pricing.WRITE_PER_MILLION_UNITS / dynamo
    per_message = (dynamo + push_dollars(chat1) + lambda_request_dollars(observed)) / 1_000_000
    cap = 5
    cap_max = 20
    lines = [
        "## 3. What it means",
        "",
        "- **What dominates: the transaction's writes.** Every event is one TransactWriteItems of three items",
        f"  (seen mark, event, head), each under 1 KB, so {per_event(chat1, chat1.cost.write_units):g} write units"
        f" = {_money(per_event(chat1, chat1.cost.write_units) * pricing.WRITE_PER_MILLION_UNITS)} per million"
        f" events, {write_share:.0%} of the DynamoDB bill; the head's consistent GetItem and the connections Query",
        f"  add {per_event(chat1, chat1.cost.read_units):g} read units"
        f" ({_money(per_event(chat1, chat1.cost.read_units) * pricing.READ_PER_MILLION_UNITS)}). Next comes the",
        f"  push: {_money(pricing.WEBSOCKET_PER_MILLION_MESSAGES)} per million frames, per open connection. Lambda",
        f"  requests are {_money(lambda_request_dollars(invocations_at_batch_one(chat1)))} per million chat events"
        " at batch size 1 (3 records a message) and"
        f" {_money(lambda_request_dollars(observed))} at the batching observed. A user with no open connection costs"
        f" the same DynamoDB ({_money(dynamodb_dollars(chat0))}) and no push.",
        f"- **A long message costs more**: 2,000 Chinese characters make a {_sizes(longest, 'event')} event item,"
        f" so {per_event(longest, longest.cost.write_units):g} write units instead of"
        f" {per_event(chat1, chat1.cost.write_units):g} ({_money(dynamodb_dollars(longest))} per million).",
        f"- **One heavy conversation**: 1,000 messages a day between two people, each with one open connection, is"
        f" 1,000 events: about {_money(per_message * 1000)} a day"
        f" (~{_money(per_message * 1000 * 30)} a month) for the events and their pushes, on top of the messages'",
        "  own writes (a message is itself a transaction of 3 items: store/chat.py).",
        f"- **Fan-out ceiling**: a recipient's push reads at most MAX_CONNECTIONS_PER_USER (default {cap}, at most"
        f" {cap_max}) connections, so one event costs at most {cap} posts (${cap * 1.0:.2f} per million events) by",
        f"  default and {cap_max} (${cap_max * 1.0:.2f}) at the maximum, when the frames would cost more than"
        " DynamoDB; the Query of at most 20 small items stays half a read unit. An order change pushes to both"
        " parties: twice that.",
        "- **What would cut the cost** (not done; each trades something):",
        "  - *Batching one recipient's events of a batch into one transaction*: k events for one user in a batch",
        "    written as k marks + k events + 1 head update is 2(2k + 1) write units instead of 6k, close to a third",
        "    less for a busy conversation; at most 100 items a transaction, and one failure retries the lot.",
        "  - *Dropping the seen mark*: derive the event's key from the stream record (its sequence number, or the",
        "    changed item's key and version) so that the event put's own `attribute_not_exists` does the dedup;",
        "    2 of the 6 write units (a third). The ids would then no longer be 1, 2, 3… per user (the head would",
        "    still give the order, or the client would page by sequence number): GET /events' contract changes.",
        "  - *Skipping the push lookup for users with no connection* saves only the Query's half read unit",
        f"    ({_money(0.5 * pricing.READ_PER_MILLION_UNITS)} per million): not worth a cache.",
        "  - *A batching window* (MaximumBatchingWindowInSeconds) cuts Lambda requests, which are already the",
        "    smallest item, and adds its seconds to every event's delay: not worth it.",
        "",
    ]
    return lines


def write_report(measured: list[Measured], result: Result, threads: int, total: int, elapsed_s: float,
                 ran: datetime | None = None) -> str:
    observed = observed_invocations_per_event(result)
    lines = [
        "# Events benchmark: what an event costs, and how long it takes to reach a socket",
        "",
        "Reproduce: `make bench-events` (or `.venv/bin/python -m bench.events`; about 12 minutes on 2 shared cores;",
        "it starts its own local stack on free ports and stops it). BENCH_EVENTS (default 1000),",
        "BENCH_EVENTS_SEQUENTIAL (default: all of them one at a time) and BENCH_EVENTS_THREADS (4 senders for the",
        "rest) change the delay run. Not a test: nothing here asserts a time.",
        "",
        f"Run: {(ran or datetime.now(UTC)).strftime('%Y-%m-%d %H:%M UTC')}, Python {platform.python_version()},"
        f" {os.cpu_count()} CPUs (shared), {elapsed_s:.0f} s in all; {total} messages for the delay.",
        "",
        "The event design in brief (chalicelib/services/events.py, store/events.py): the orders and chat tables'",
        "streams feed `order_events` and `chat_events`; each change becomes one event per recipient, stored with one",
        "consistent GetItem of the recipient's head and one TransactWriteItems (a seen mark of the stream record,",
        "the event, the head moved on), then pushed to each of the recipient's connections (one index Query, one",
        "post_to_connection each).",
        "",
        *cost_section(measured, observed),
        *latency_section(result, threads),
        *interpretation(measured, result),
    ]
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    total = int(os.environ.get("BENCH_EVENTS", "1000"))
    raw = Path(tempfile.gettempdir()) / "everywhere-bench-events.pickle"  # to re-render the report without a rerun
    if os.environ.get("BENCH_EVENTS_RERENDER") == "1":  # the last run's results, the report's text as now
        measured, result = pickle.loads(raw.read_bytes())
        threads = int(os.environ.get("BENCH_EVENTS_THREADS", "4"))
        ran = datetime.fromtimestamp(raw.stat().st_mtime, UTC)
        elapsed = float(os.environ.get("BENCH_EVENTS_ELAPSED_S", "nan"))  # the run's, as it printed it
        REPORT.write_text(write_report(measured, result, threads, len(result.sent), elapsed, ran))
        say(f"re-rendered {REPORT.relative_to(ROOT)} from {raw}")
        return 0
    sequential = min(total, int(os.environ.get("BENCH_EVENTS_SEQUENTIAL", str(total))))
    threads = int(os.environ.get("BENCH_EVENTS_THREADS", "4"))
    say("costs: the app on in-process moto ...")
    measured = event_costs.run(COST_REPEATS, say)
    say(f"latency: {total} messages on the local stack ...")
    result = event_latency.run(total, sequential, threads, say)
    raw.write_bytes(pickle.dumps((measured, result)))
    say(f"raw results: {raw}")
    REPORT.write_text(write_report(measured, result, threads, total, time.perf_counter() - _started))
    say(f"wrote {REPORT.relative_to(ROOT)}")
    chat = next(m for m in measured if m.scenario == event_costs.Scenario(CHAT, 1, 1, 1))
    from_sent, _ = result.delays()
    figures = summary(from_sent)
    print(f"chat event, 1 connection: {per_event(chat, chat.cost.write_units):g} WCU,"
          f" {per_event(chat, chat.cost.read_units):g} RCU, {_money(dynamodb_dollars(chat) + push_dollars(chat))}"
          f" per million events before Lambda; delay frame - sent_at: median {_ms(figures['median'])},"
          f" p99 {_ms(figures['p99'])}; duplicates {result.duplicates()}, gaps {result.gaps()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
