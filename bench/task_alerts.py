"""`make bench-alerts`: what the alert fan-out of a new task costs, and what a PUT /me/alerts costs.

400,000 providers, 5% of them (20,000) with an alert area: centres drawn like the city's listings
(scripts/synthetic_listings.py: district clusters plus a uniform background), radii log-uniform over 1..20 km (most
providers watch a few km, few the whole city), 1..3 categories each with the listings' Zipf-like shares. A task
posted at People's Square (31.2304, 121.4737) reads the cell entries of its point's four prefixes
(store/alerts.areas_over) and tells the matching providers.

The 20,000 covers are computed with the pure domain (domain/alerts.cover) and the entries sized by DynamoDB's rules
(bench/dynamo_model.py), not stored in moto: moto copies every table on each transaction. `verify` stores a sample
through the store in moto and checks that the model reads the same entries and finds the same providers.
Writes docs/TASKS_BENCHMARK.md's section "Alert fan-out" (the other sections of that file are left as they are).
"""
from __future__ import annotations

import math
import random
import statistics
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import documents
from bench.dynamo_model import query_read_units
from chalicelib.domain import alerts
from chalicelib.domain.alerts import AlertArea
from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.geo import encode
from scripts.synthetic_listings import CATEGORY_WEIGHTS, synthetic_points

PROVIDERS = 400_000
ALERT_SHARE = 0.05
PEOPLES_SQUARE = (31.2304, 121.4737)
UPDATED_AT = "2026-12-03T00:00:00.000Z"
EVENT_WCU, EVENT_RCU = 6.0, 1.5  # one task.nearby event stored and pushed (docs/EVENTS_BENCHMARK.md)
SLOT_WCU = 1.0  # the provider's hourly counter: one UpdateItem of an item under 1 KB
FANOUT = 500  # settings.task_alert_fanout's default
DOC = Path(__file__).resolve().parent.parent / "docs" / "TASKS_BENCHMARK.md"
SECTION = "## Alert fan-out"


@dataclass(frozen=True)
class Lookup:
    """What one task's lookup reads and whom it tells."""

    category: str
    entries: list[int]  # per precision
    read_bytes: list[int]
    read_units: float
    pages: int
    matched: int
    told: int


def areas(count: int, seed: int = 16) -> list[AlertArea]:
    rng = random.Random(seed)
    categories, weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    made = []
    for point in synthetic_points(count, seed=seed):
        radius_m = round(10 ** rng.uniform(3, math.log10(20_000)))
        chosen = {point.category, *rng.choices(categories, weights, k=rng.randint(0, 2))}
        made.append(alerts.new_area(str(uuid.UUID(int=rng.getrandbits(128), version=4)), point.lat, point.lon,
                                    radius_m, sorted(chosen), UPDATED_AT))
    return made


def _size(value: Any) -> int:
    """DynamoDB's size of a value: strings by UTF-8 length, numbers 1 byte per 2 digits + 1, lists 3 + 1 each."""
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (list, tuple)):
        return 3 + sum(_size(element) + 1 for element in value)
    digits = repr(value).replace(".", "").replace("-", "").strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def entry_size(area: AlertArea, cell: str) -> int:
    """Bytes of the cell entry store/alerts.py writes for the area."""
    attributes = {"pk": f"cell#{cell}", "sk": area.user_id, "lat": area.lat, "lon": area.lon,
                  "radius_m": area.radius_m, "categories": list(area.categories), "updated_at": area.updated_at}
    return sum(len(name) + _size(value) for name, value in attributes.items())


def area_item_size(area: AlertArea, cells: tuple[str, ...]) -> int:
    attributes = {"pk": f"area#{area.user_id}", "sk": "area", "user_id": area.user_id, "lat": area.lat,
                  "lon": area.lon, "radius_m": area.radius_m, "categories": list(area.categories),
                  "cells": list(cells), "updated_at": area.updated_at, "version": 1}
    return sum(len(name) + _size(value) for name, value in attributes.items())


class Index:
    """The alerts table's cell entries, by cell."""

    def __init__(self, stored: list[AlertArea]) -> None:
        self.cells: dict[str, list[AlertArea]] = defaultdict(list)
        self.covers: dict[str, tuple[str, ...]] = {}
        for area in stored:
            cover = alerts.cover(area)
            self.covers[area.user_id] = cover
            for cell in cover:
                self.cells[cell].append(area)
        for entries in self.cells.values():
            entries.sort(key=lambda area: area.user_id)  # the sort key

    def lookup(self, lat: float, lon: float, category: str, requester: str = "") -> Lookup:
        entries, read_bytes, units, pages = [], [], 0.0, 0
        found: dict[str, AlertArea] = {}
        for cell in alerts.lookup_cells(lat, lon):
            held = self.cells.get(cell, [])
            sizes = [entry_size(area, cell) for area in held]
            cell_units, cell_pages = query_read_units(sizes)
            entries.append(len(held))
            read_bytes.append(sum(sizes))
            units += cell_units
            pages += cell_pages
            found.update((area.user_id, area) for area in held)
        matched = [area for area in found.values()
                   if area.user_id != requester and alerts.matches(area, lat, lon, category)]
        return Lookup(category, entries, read_bytes, units, pages, len(matched), min(len(matched), FANOUT))


def put_costs(index: Index, stored: list[AlertArea]) -> dict[str, float]:
    """A first PUT (nothing to delete) and a move of each area 2 km east: transaction items and write units."""
    first = [1 + len(index.covers[area.user_id]) for area in stored]
    moves = []
    for area in stored[:2000]:
        old = set(index.covers[area.user_id])
        shifted = alerts.new_area(area.user_id, area.lat, area.lon + 2000 / (111_195 * math.cos(math.radians(
            area.lat))), area.radius_m, list(area.categories), UPDATED_AT)
        new = set(alerts.cover(shifted))
        moves.append(1 + len(new) + len(old - new))
    sizes = [area_item_size(area, index.covers[area.user_id]) for area in stored]
    return {
        "cells_mean": statistics.mean(len(cover) for cover in index.covers.values()),
        "cells_max": max(len(cover) for cover in index.covers.values()),
        "first_items_mean": statistics.mean(first), "first_items_max": max(first),
        "move_items_mean": statistics.mean(moves), "move_items_max": max(moves),
        "area_item_max_bytes": max(sizes),
        "entry_max_bytes": max(entry_size(area, cell) for area in stored for cell in index.covers[area.user_id]),
    }


def verify(sample: int = 400) -> str:
    """Store `sample` areas through the store in moto; the model must read the same entries and find the same
    providers as store/alerts.areas_over and services/alerts.recipients at People's Square, for every category."""
    import os
    from datetime import UTC, datetime

    import boto3
    from moto import mock_aws

    from chalicelib.domain.tasks import new_task
    from chalicelib.services import alerts as alert_service
    from chalicelib.store import alerts as alert_store
    from chalicelib.store.models import AlertCellModel
    from scripts import provision

    stored = areas(sample, seed=7)
    index = Index(stored)
    with mock_aws():
        deployed = provision.deploy(boto3.Session(region_name="us-east-1"), "bench")
        saved = dict(os.environ)
        os.environ.update(deployed.environment())
        try:
            alert_store.insert_many(stored[1:])
            alert_store.put(stored[0])  # one through the transaction, as PUT /me/alerts stores it
            for cell in alerts.lookup_cells(*PEOPLES_SQUARE):
                assert len(list(AlertCellModel.query(f"cell#{cell}"))) == len(index.cells.get(cell, [])), cell
            for category in CATEGORIES:
                task = new_task("requester", "t", "", category, 100, "CNY", *PEOPLES_SQUARE, 3600, datetime.now(UTC))
                over = {area.user_id: area for cell in alerts.lookup_cells(task.lat, task.lon)
                        for area in index.cells.get(cell, [])}
                expected = {user_id for user_id, area in over.items() if alerts.matches(area, task.lat, task.lon,
                                                                                         category)}
                assert {user_id for user_id, _ in alert_service.recipients(task)} == expected, category
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return (f"{sample} areas stored through store/alerts.py in moto: the same entries read and the same providers"
            " found, every category")


def report(stored: list[AlertArea], index: Index, lookups: list[Lookup], puts: dict[str, float], check: str,
           seconds: float) -> str:
    gh = encode(*PEOPLES_SQUARE)
    by_precision = ", ".join(f"{len(cell)} chars: {sum(1 for c in index.covers.values() if len(c[0]) == len(cell))}"
                             for cell in alerts.lookup_cells(*PEOPLES_SQUARE))
    lines = [
        SECTION,
        "",
        f"Run: `make bench-alerts` (bench/task_alerts.py), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())},"
        f" {seconds:.0f} s. {len(stored):,} alert areas ({ALERT_SHARE:.0%} of {PROVIDERS:,} providers), centres"
        " drawn like the listings (district clusters + 15% uniform background), radii log-uniform 1-20 km (median"
        f" {statistics.median(a.radius_m for a in stored) / 1000:.1f} km), 1-3 categories each (Zipf-like shares)."
        " Computed from the pure cover and DynamoDB's item-size rules; " + check + ".",
        "",
        f"Areas by cover precision (geohash characters): {by_precision}.",
        "",
        f"### A task at People's Square ({PEOPLES_SQUARE[0]}, {PEOPLES_SQUARE[1]}, geohash {gh[:7]})",
        "",
        "| task category | entries read (prefix 4 / 5 / 6 / 7) | bytes read | Queries (pages) | read units"
        " (eventually consistent) | areas matched | providers told (fan-out cap 500) | write units of the fan-out"
        " | read units of the fan-out |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for lookup in lookups:
        wcu = lookup.told * (EVENT_WCU + SLOT_WCU)
        rcu = lookup.told * EVENT_RCU + lookup.read_units
        lines.append(
            f"| {lookup.category} | {sum(lookup.entries):,} ({' / '.join(f'{n:,}' for n in lookup.entries)})"
            f" | {sum(lookup.read_bytes):,} | 4 ({lookup.pages}) | {lookup.read_units:g} | {lookup.matched:,}"
            f" | {lookup.told:,} | {wcu:,.0f} | {rcu:,.1f} |"
        )
    lines += [
        "",
        "Write units of the fan-out: per provider told, the task.nearby event (6 WCU: seen mark, event, head) and"
        " the hourly counter (1 WCU); read units: the event's 1.5 RCU each plus the lookup. A provider over"
        " TASK_ALERTS_PER_HOUR costs the counter's refused update (1 WCU) and no event.",
        "",
        "### PUT /me/alerts",
        "",
        f"- Cells per area: mean {puts['cells_mean']:.1f}, max {puts['cells_max']:.0f} (ceiling 32 by"
        f" construction); entries up to {puts['entry_max_bytes']:.0f} B, area item up to"
        f" {puts['area_item_max_bytes']:.0f} B: each under 1 KB, one write unit.",
        f"- A first PUT: 1 strongly consistent GetItem (1 RCU) and one TransactWriteItems of 1 + cells items:"
        f" mean {puts['first_items_mean']:.1f}, max {puts['first_items_max']:.0f} items, so mean"
        f" {2 * puts['first_items_mean']:.0f}, max {2 * puts['first_items_max']:.0f} WCU (transactional writes"
        " cost double).",
        f"- Moving an area 2 km (2,000 areas): 1 + new cells + dropped cells items, mean"
        f" {puts['move_items_mean']:.1f}, max {puts['move_items_max']:.0f}: mean {2 * puts['move_items_mean']:.0f},"
        f" max {2 * puts['move_items_max']:.0f} WCU. Ceiling for any PUT: 65 items, 130 WCU; a DELETE: 33 items,"
        " 66 WCU.",
        "",
        "### Reading it",
        "",
        "- The lookup reads every area indexed under the task's four prefixes, whatever its categories (the"
        f" matched share is {lookups[0].matched / sum(lookups[0].entries):.0%} for the commonest category,"
        f" {lookups[-1].matched / sum(lookups[-1].entries):.0%} for the rarest). Its busiest key holds"
        f" {max(lookups[0].entries):,} entries against the store's read cap of 10,000 per key"
        f" (store/alerts.MAX_ENTRIES_PER_CELL): at {10_000 / max(lookups[0].entries):.1f}x this alert share the"
        " centre's busiest key would reach it, and areas past the cap would go untold. Putting the category in"
        " the cell key (one entry per cell and category) would cut the read to the task's category at the price"
        " of up to 10x the entries per PUT.",
        "- The fan-out, not the lookup, is the cost of a task in the centre: each provider told costs 7 WCU."
        " TASK_ALERT_FANOUT (500, nearest centres first) bounds it at 3,500 WCU per task; TASK_ALERTS_PER_HOUR"
        " (20) bounds what one provider receives.",
        "",
    ]
    return "\n".join(lines)


def write_section(section: str) -> None:
    """Replace (or add) this section of docs/TASKS_BENCHMARK.md, leaving the others."""
    documents.replace_section(DOC, SECTION, section, "# Posted needs: what they cost")


def main() -> None:
    started = time.perf_counter()
    count = round(PROVIDERS * ALERT_SHARE)
    stored = areas(count)
    print(f"{count} areas drawn; covering them ...", file=sys.stderr, flush=True)
    index = Index(stored)
    print(f"covered in {time.perf_counter() - started:.0f} s; lookups and PUT costs ...", file=sys.stderr, flush=True)
    lookups = [index.lookup(*PEOPLES_SQUARE, category) for category in CATEGORIES]
    puts = put_costs(index, stored)
    check = verify()
    section = report(stored, index, lookups, puts, check, time.perf_counter() - started)
    write_section(section)
    print(section)


if __name__ == "__main__":
    main()
