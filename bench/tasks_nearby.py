"""What a page of GET /tasks/nearby reads: RCU, Queries, index entries, waves, results, at 0.5-20 km.

    .venv/bin/python -m bench.tasks_nearby [--tasks N] [--pages N]      (make bench-tasks: ~10 minutes)

Seeds N open tasks (default 20,000) at the demo data's district mix of Shanghai (scripts/synthetic_listings.py)
into in-process moto, through the same index attributes and cell counts as the tasks store
(store/task_index.py), and walks the real service (services.tasks_nearby.run) from People's Square and three
other district centres, with and without a category, for the first pages of 20. RCU are counted from the
entries each Query returned, by DynamoDB's rules (bench/dynamo_model.py: the page's entry sizes rounded up to
4 KB, eventually consistent, at least half a unit a Query); the cell counts (one BatchGetItem, cached per
instance for a minute) are left out, as in docs/BENCHMARKS.md. moto is not timed. Writes the table to
docs/TASKS_BENCHMARK.md, section "Nearby tasks".
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3

os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1",
                  AWS_REGION="us-east-1")
for _name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
    del os.environ[_name]

from bench import documents  # noqa: E402
from bench.dynamo_model import item_size, query_read_units  # noqa: E402

RADII_M = (500, 2000, 5000, 20000)
LIMIT = 20
CENTRES = (("People's Square", 31.2304, 121.4737), ("Lujiazui", 31.2397, 121.4998),
           ("Xujiahui", 31.1955, 121.4365), ("Jing'an Temple", 31.2235, 121.4452))
CATEGORY = "repair"  # the most common category of the mix
# The map search's first page of 20 at the same radii (docs/BENCHMARKS.md, 200,000 listings, RCU median / max).
SEARCH_PAGE_1 = {(500, None): "3.0 / 4.5", (500, CATEGORY): "3.2 / 5.0", (2000, None): "3.0 / 4.5",
                 (2000, CATEGORY): "2.5 / 3.5", (5000, None): "3.0 / 4.5", (5000, CATEGORY): "2.5 / 4.0",
                 (20000, None): "3.0 / 4.5", (20000, CATEGORY): "2.5 / 4.0"}
DOC = Path(__file__).parents[1] / "docs" / "TASKS_BENCHMARK.md"
SECTION = "## Nearby tasks"


@dataclass
class Recorded:
    """What the Queries of one page returned: read units and entries."""

    rcu: float = 0.0
    entries: int = 0
    sizes: list[int] = field(default_factory=list)


@contextmanager
def recording(client: Any) -> Iterator[Recorded]:
    """Count the read units of every Query the client sends while inside (the index entry's size: what the
    Query returned, plus the keys a projection leaves out: `sk` and the partition attribute)."""
    seen = Recorded()
    query = client.query

    def counted(**params: Any) -> Any:
        answer = query(**params)
        partition = params["ExpressionAttributeNames"]["#p"]
        value = params["ExpressionAttributeValues"][":p"]
        keys = {"sk": {"S": "task"}, partition: value}
        sizes = [item_size({**item, **keys}) for item in answer.get("Items", [])]
        seen.rcu += query_read_units(sizes)[0]
        seen.entries += len(sizes)
        seen.sizes += sizes
        return answer

    client.query = counted
    try:
        yield seen
    finally:
        client.query = query


def seed(count: int) -> None:
    from chalicelib.domain.categories import CATEGORIES
    from chalicelib.domain.clock import now
    from chalicelib.domain.tasks import new_task
    from chalicelib.store import search_counts
    from chalicelib.store import tasks as task_store
    from scripts.synthetic_listings import synthetic_points

    at = now()
    requesters = [str(uuid.uuid4()) for _ in range(count // 5)]
    tasks = []
    for n, point in enumerate(synthetic_points(count, seed=16)):
        category = point.category if point.category in CATEGORIES else CATEGORY
        tasks.append(new_task(requesters[n % len(requesters)], f"Need {n}", "", category, 5000, "CNY", point.lat,
                              point.lon, 86400, at - timedelta(seconds=n % 3600)))
    search_counts.replace_counts(task_store.insert_many(tasks))


@dataclass
class Row:
    radius_m: int
    category: str | None
    page: int
    rcu: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)
    waves: list[int] = field(default_factory=list)
    results: list[int] = field(default_factory=list)


def measure(pages: int) -> tuple[list[Row], float]:
    from chalicelib.domain.clock import now
    from chalicelib.services import tasks_nearby
    from chalicelib.store import geo_index

    client = geo_index.dynamodb_client()
    rows: list[Row] = []
    sizes: list[int] = []
    for radius in RADII_M:
        for category in (None, CATEGORY):
            by_page = [Row(radius, category, page) for page in range(1, pages + 1)]
            for _name, lat, lon in CENTRES:
                query = tasks_nearby.NearbyQuery(lat, lon, radius, category, LIMIT, None)
                after = None
                for row in by_page:
                    with recording(client) as seen:
                        scan = tasks_nearby.run(query, "bench-provider", now(), after)
                    row.rcu.append(seen.rcu)
                    row.queries.append(scan.queries)
                    row.entries.append(scan.entries)
                    row.waves.append(scan.waves)
                    row.results.append(len(scan.found))
                    sizes += seen.sizes
                    after = scan.next
                    if after is None:
                        break
            rows += [row for row in by_page if row.rcu]
    return rows, statistics.mean(sizes) if sizes else 0.0


def _spread(values: list[float] | list[int], digits: int = 0) -> str:
    return f"{statistics.median(values):.{digits}f} / {max(values):.{digits}f}"


def table(rows: list[Row], tasks: int, entry_bytes: float, seconds: float) -> str:
    lines = [
        SECTION,
        "",
        f"Generated by `make bench-tasks` ({tasks:,} open tasks at the demo data's district mix of Shanghai, in "
        f"in-process moto; {seconds:.0f} s) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Each row: "
        f"the real service (`services.tasks_nearby.run`, budget {_budget()}) from {len(CENTRES)} centres "
        f"({', '.join(name for name, _, _ in CENTRES)}), pages of {LIMIT} walked through `next`. RCU: read request "
        "units of the page's Queries by DynamoDB's rules (eventually consistent; bench/dynamo_model.py), from "
        f"the entries moto returned (an entry is {entry_bytes:.0f} bytes on average); the cell counts (cached per "
        "instance) and the rate-limit write are left out, as in docs/BENCHMARKS.md. *Search, page 1*: the map "
        "search's first page of 20 at the same radius, from docs/BENCHMARKS.md (200,000 listings; not run "
        "again here). *category*: `repair`, the most common one.",
        "",
        "| radius | category | page | RCU (median / max) | Queries (median / max) | entries read (median / max) "
        "| waves (max) | results (median) | search, page 1: RCU (median / max) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        search = SEARCH_PAGE_1[(row.radius_m, row.category)] if row.page == 1 else ""
        lines.append(
            f"| {row.radius_m / 1000:g} km | {row.category or 'any'} | {row.page} | {_spread(row.rcu, 1)} "
            f"| {_spread(row.queries)} | {_spread(row.entries)} | {max(row.waves)} "
            f"| {statistics.median(row.results):.0f} | {search} |")
    lines += [
        "",
        "How to reproduce:",
        "",
        "```sh",
        "make bench-tasks                  # 20,000 tasks, pages 1-2 (~10 minutes: moto's Query reads its whole table)",
        ".venv/bin/python -m bench.tasks_nearby --tasks 2000   # ~40 s, for a look",
        "```",
        "",
    ]
    return "\n".join(lines)


def _budget() -> str:
    from chalicelib.services.tasks_nearby import BUDGET

    return f"{BUDGET.queries} Queries, {BUDGET.entries} entries, {BUDGET.waves} waves"


def write(section: str) -> None:
    """Replace the document's "Nearby tasks" section, or add it."""
    documents.replace_section(DOC, SECTION, section, "# Posted needs: what they cost")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--pages", type=int, default=2)
    args = parser.parse_args()

    from moto import mock_aws

    from scripts import provision

    started = time.perf_counter()
    with mock_aws():
        stack = provision.deploy(boto3.Session(region_name="us-east-1"), "bench")
        os.environ.update(stack.environment())
        os.environ["CELL_COUNTS_CACHE_S"] = "3600"
        print(f"seeding {args.tasks:,} tasks ...", flush=True)
        seed(args.tasks)
        print("walking ...", flush=True)
        rows, entry_bytes = measure(args.pages)
    section = table(rows, args.tasks, entry_bytes, time.perf_counter() - started)
    write(section)
    print(section)


if __name__ == "__main__":
    main()
