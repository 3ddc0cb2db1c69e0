"""From a change's commit to its frame on the recipient's socket, on the real local stack (`make run`'s runner).

The stack is started as tests/e2e/conftest.py starts it (free ports, its own STATE_DIR, a small demo), with the
message rate limit lifted and the jobs logging at INFO, so that each stream function invocation's line (how many
notices its batch held) can be read back from the stack's log. Bob connects a WebSocket client (the `websockets`
library) with his token; alice sends him messages over HTTP one at a time, then several senders (SENDERS) at
once, each in their own conversation with bob. For each message the bench keeps when its HTTP answer arrived;
for each frame when it arrived, and the
message's `sent_at` (the API's clock, the same machine's, in milliseconds) that the event carries.

Commit time: the message is committed after `sent_at` is taken and before the HTTP answer leaves, so
`frame - sent_at` over-states the delay by the commit's own time, and `frame - answer` under-states it by the
answer's trip back (it can even be negative when the frame wins the race). Both are reported.

Afterwards bob's log (GET /events after the mark taken before the first message) is read in full and compared
with what was pushed: every message once, no gap in the ids, no double.
"""
from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
STACK_SETTINGS = {
    "DEMO_LISTINGS": "40", "DEMO_PROVIDERS": "4", "LOCAL_SCHEDULE_S": "10",
    "RATE_LIMITS": "message=1000000/60",  # the senders send far more than a person would
    "LOG_LEVEL": "WARNING",  # the API: one line a request is not what is measured
    "LOCAL_JOBS_LOG_LEVEL": "INFO",  # the stream functions: one line per invocation, with its notices
}
# The senders of the concurrent phase, each in their own conversation with bob. Not one conversation from several
# threads: two messages of one conversation committing out of order make the later transaction refused
# (store/chat.py, in_order), and moto answers a refused transaction by putting back a deep copy of the table,
# stream shard included, after which the local relay's shard iterator (bound to the old shard object) never
# sees another record: the stack stops pushing chat events until restarted. A moto artefact (DynamoDB has no
# such thing), noted in docs/EVENTS_BENCHMARK.md.
SENDERS = ("alice", "olga", "provider-1", "provider-2")
UP_TIMEOUT_S = 300
SETTLE_S = 120  # how long to wait for the last frames once every message is sent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    state_dir: Path
    log: Path
    coordinates: dict[str, Any]

    @property
    def api(self) -> str:
        return str(self.coordinates["api_url"])


def start_stack() -> Stack:
    state_dir = Path(tempfile.mkdtemp(prefix="everywhere-bench-events-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(MOTO_PORT=str(free_port()), API_PORT=str(free_port()), WS_PORT=str(free_port()),
               STATE_DIR=str(state_dir), **STACK_SETTINGS)
    log = state_dir / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "scripts.local_stack"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    stack_file = state_dir / "stack.json"
    deadline = time.monotonic() + UP_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        if stack_file.exists():
            coordinates = json.loads(stack_file.read_text())
            try:
                if requests.get(f"{coordinates['api_url']}/health", timeout=2).status_code == 200:
                    return Stack(process, state_dir, log, coordinates)
            except requests.RequestException:
                pass
        time.sleep(0.5)
    stop_stack(Stack(process, state_dir, log, {}))
    raise SystemExit(f"the local stack did not come up:\n{log.read_text()[-3000:]}")


def stop_stack(stack: Stack) -> None:
    """SIGINT to the runner we started (its own clean stop), then wait for it."""
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
        try:
            stack.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait()


@dataclass
class Frame:
    arrived: float
    event: dict[str, Any]


class Receiver(threading.Thread):
    """Bob's socket: keeps every frame with the time it arrived."""

    def __init__(self, ws_url: str, token: str) -> None:
        super().__init__(name="bench-receiver", daemon=True)
        # no keepalive pings: a starved local gateway would miss one and close the socket mid-run
        self.socket = connect(f"{ws_url}/?token={token}", open_timeout=30, ping_interval=None)
        self.frames: list[Frame] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                text = self.socket.recv(timeout=0.5)
            except TimeoutError:
                continue
            arrived = time.time()
            self.frames.append(Frame(arrived, json.loads(text)))

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
        self.socket.close()


@dataclass
class Sent:
    message_id: str
    answered: float
    phase: str


@dataclass
class Result:
    sent: list[Sent]
    frames: list[Frame]
    log_ids: list[int]
    log_message_ids: list[str]
    mark: int
    batches: list[int]
    handler_ms: list[float]
    send_seconds: dict[str, float] = field(default_factory=dict)

    # ---- what was seen ----
    def bench_frames(self) -> list[Frame]:
        ids = {s.message_id for s in self.sent}
        return [f for f in self.frames if f.event.get("data", {}).get("message_id") in ids]

    def delays(self, phase: str | None = None) -> tuple[list[float], list[float]]:
        """(frame - sent_at, frame - HTTP answer) in ms for the first frame of each message of the phase."""
        answered = {s.message_id: s for s in self.sent if phase is None or s.phase == phase}
        from_sent, from_answer, seen = [], [], set()
        for frame in self.bench_frames():
            data = frame.event["data"]
            sent = answered.get(data["message_id"])
            if sent is None or sent.message_id in seen:
                continue
            seen.add(sent.message_id)
            committed = datetime.fromisoformat(data["sent_at"]).timestamp()
            from_sent.append((frame.arrived - committed) * 1000)
            from_answer.append((frame.arrived - sent.answered) * 1000)
        return from_sent, from_answer

    def duplicates(self) -> int:
        ids = [f.event["event_id"] for f in self.bench_frames()]
        return len(ids) - len(set(ids))

    def out_of_order(self) -> int:
        ids = [f.event["event_id"] for f in self.bench_frames()]
        return sum(1 for a, b in itertools.pairwise(ids) if b <= a)

    def gaps(self) -> int:
        """Ids missing between the mark and the last pushed id (none expected)."""
        ids = sorted({f.event["event_id"] for f in self.bench_frames()})
        if not ids:
            return 0
        return len(set(range(self.mark + 1, ids[-1] + 1)) - set(ids))

    def log_gaps(self) -> int:
        if not self.log_ids:
            return 0
        return len(set(range(self.mark + 1, self.log_ids[-1] + 1)) - set(self.log_ids))


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def _post(api: str, path: str, token: str, body: Any) -> Any:
    answer = requests.post(f"{api}{path}", headers=_headers(token), json=body, timeout=60)
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"POST {path}: {answer.status_code} {answer.text[:300]}")
    return answer.json()


def log_of(api: str, token: str, after: int) -> list[dict[str, Any]]:
    """The user's whole log after `after`, page by page."""
    events: list[dict[str, Any]] = []
    while True:
        answer = requests.get(f"{api}/events", params={"after": after, "limit": 100}, headers=_headers(token),
                              timeout=60)
        answer.raise_for_status()
        page = answer.json()
        events += page["items"]
        if not page["next_cursor"]:
            return events
        after = int(page["next_cursor"])


def stream_batches(log: Path, since: int) -> tuple[list[int], list[float]]:
    """Notices per `chat_events` invocation, and each invocation's duration (ms), from the stack's log after
    byte `since`. A relay calls the function without a Lambda context, so its "invocation finished" line names
    no function: the one right after a "chat changes read" line (same thread, next line) is taken as its own."""
    batches: list[int] = []
    durations: list[float] = []
    expecting = False
    with log.open("rb") as lines:
        lines.seek(since)
        for raw in lines:
            if not raw.startswith(b"{"):
                continue
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if line.get("message") == "chat changes read":
                batches.append(int(line.get("notices", 0)))
                expecting = int(line.get("notices", 0)) > 0
            elif line.get("message") == "invocation finished" and expecting:
                durations.append(float(line.get("duration_ms", 0)))
                expecting = False
    return batches, durations


def run(total: int, sequential: int, threads: int, say: Callable[[str], None]) -> Result:
    """`sequential` messages from alice one at a time, then the rest of `total` from `threads` senders (at most
    len(SENDERS)) at once, all to bob; bob's frames and log."""
    from scripts import token as tokens

    started = time.monotonic()
    stack = start_stack()
    say(f"latency: local stack up in {time.monotonic() - started:.0f} s ({stack.coordinates['ws_url']})")
    try:
        bob = tokens.id_token(stack.coordinates, "bob")
        senders = SENDERS[: max(1, threads)]
        listing = _post(stack.api, "/listings", bob, {"title": "Bench repair", "category": "repair",
                                                      "price_cents": 4000, "lat": 31.2304, "lon": 121.4737})
        paths: dict[str, tuple[str, str]] = {}
        for who in senders:  # each sender their own conversation with bob: see SENDERS
            their = tokens.id_token(stack.coordinates, who)
            conversation = _post(stack.api, "/conversations", their, {"listing_id": listing["listing_id"]})
            paths[who] = (their, f"/conversations/{conversation['conversation_id']}/messages")
        time.sleep(1)  # the conversations' own stream records: handed over, and no event of bob's
        existing = log_of(stack.api, bob, 0)
        mark = existing[-1]["event_id"] if existing else 0
        log_start = stack.log.stat().st_size
        receiver = Receiver(stack.coordinates["ws_url"], bob)
        receiver.start()
        sent: list[Sent] = []
        lock = threading.Lock()

        def send(who: str, number: int, phase: str) -> None:
            token, path = paths[who]
            message = _post(stack.api, path, token, {"text": f"bench message {number:04d}"})
            answered = time.time()
            with lock:
                sent.append(Sent(message["message_id"], answered, phase))

        seconds: dict[str, float] = {}
        began = time.monotonic()
        for number in range(sequential):
            send(senders[0], number, "one at a time")
        seconds["one at a time"] = time.monotonic() - began
        say(f"latency: {sequential} messages one at a time in {seconds['one at a time']:.0f} s")
        if total > sequential:
            concurrent = f"{len(senders)} senders at once"
            shares = {who: list(range(sequential + i, total, len(senders))) for i, who in enumerate(senders)}
            began = time.monotonic()
            with ThreadPoolExecutor(len(senders)) as pool:
                list(pool.map(lambda who: [send(who, n, concurrent) for n in shares[who]], senders))
            seconds[concurrent] = time.monotonic() - began
            say(f"latency: {total - sequential} messages from {len(senders)} senders in {seconds[concurrent]:.0f} s")
        deadline = time.monotonic() + SETTLE_S
        wanted = {s.message_id for s in sent}
        while time.monotonic() < deadline:
            got = {f.event.get("data", {}).get("message_id") for f in receiver.frames}
            if wanted <= got:
                break
            time.sleep(0.5)
        time.sleep(2)  # any late double would arrive now
        receiver.stop()
        logged = log_of(stack.api, bob, mark)
        batches, durations = stream_batches(stack.log, log_start)
        return Result(
            sent=sent, frames=receiver.frames, log_ids=[e["event_id"] for e in logged],
            log_message_ids=[e["data"].get("message_id", "") for e in logged], mark=mark,
            batches=batches, handler_ms=durations, send_seconds=seconds,
        )
    finally:
        stop_stack(stack)
        say("latency: local stack stopped")


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values) if values else float("nan"), "p99": percentile(values, 0.99),
            "max": max(values) if values else float("nan")}
