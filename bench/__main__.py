"""`make bench`: what a geo search costs, ours beside dynamodb-geo, an exact R*Tree and brute force.

Prints the tables and writes docs/BENCHMARKS.md and docs/read_amplification.png.
BENCH_QUICK=1 runs fewer search centres and a smaller moto sample (same 200,000 listings).
"""
from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from bench import coldstart, dataset, model_check
from bench.contenders import BruteForce, DynamoGeo, Ours, Outcome, SqliteRtree
from bench.dataset import RADII_M, Search

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LISTINGS = 200_000
PEOPLES_SQUARE = (31.2304, 121.4737)
PARTITION_LIMIT_RCU = 3000


@dataclass(frozen=True)
class Config:
    quick: bool
    centres: int
    hot_searches: int
    sample_listings: int
    sample_centres: int
    cold_runs: int


def config() -> Config:
    if os.environ.get("BENCH_QUICK") == "1":
        return Config(True, centres=12, hot_searches=60, sample_listings=1000, sample_centres=2, cold_runs=15)
    return Config(False, centres=60, hot_searches=300, sample_listings=3000, sample_centres=4, cold_runs=15)


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:,.{digits}f}"


@dataclass
class Row:
    outcome: Outcome
    truth: int
    recall: float
    outside: int


def run_searches(contenders: list[Any], oracle: BruteForce, searches: list[Search]) -> dict[str, list[tuple[Search, Row]]]:
    rows: dict[str, list[tuple[Search, Row]]] = defaultdict(list)
    for search in searches:
        truth = oracle.run(search)
        for contender in contenders:
            outcome = truth if contender is oracle else contender.run(search)
            hit = len(outcome.found & truth.found)
            rows[contender.name].append((search, Row(
                outcome, len(truth.found), hit / len(truth.found) if truth.found else 1.0,
                len(outcome.found - truth.found),
            )))
    return rows


def cost_table(rows: dict[str, list[tuple[Search, Row]]]) -> list[str]:
    lines = [
        "| contender | radius | category | Query calls (median / max) | sequential round trips (median) "
        "| items read (median) | items returned (median) | read amplification (median) | RCU per search (median) "
        "| recall (min) | returned outside the radius (total) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entries in rows.items():
        for radius in RADII_M:
            for with_category in (False, True):
                chosen = [row for s, row in entries if s.radius_m == radius and (s.category is not None) == with_category]
                amplification = [r.outcome.items_read / len(r.outcome.found) for r in chosen if r.outcome.found]
                units = [r.outcome.read_units for r in chosen if r.outcome.read_units is not None]
                lines.append(
                    f"| {name} | {radius / 1000:g} km | {'one' if with_category else 'any'} "
                    f"| {fmt(median(r.outcome.queries for r in chosen), 0)} / {max(r.outcome.queries for r in chosen)} "
                    f"| {fmt(median(r.outcome.round_trips for r in chosen), 0)} "
                    f"| {fmt(median(r.outcome.items_read for r in chosen), 0)} "
                    f"| {fmt(median(len(r.outcome.found) for r in chosen), 0)} "
                    f"| {fmt(median(amplification), 2)} "
                    f"| {fmt(median(units), 1) if units else 'n/a'} "
                    f"| {min(r.recall for r in chosen):.4f} | {sum(r.outside for r in chosen)} |"
                )
    return lines


def ratio_table(rows: dict[str, list[tuple[Search, Row]]]) -> tuple[list[str], dict[tuple[int, bool], float]]:
    ours, theirs = rows["ours"], rows["dynamodb-geo"]
    lines = [
        "| radius | category | ours: index RCU + page RCU (median) | dynamodb-geo RCU (median) "
        "| ours / dynamodb-geo, per search (median) | ours / dynamodb-geo, all searches' RCU summed |",
        "|---|---|---|---|---|---|",
    ]
    medians: dict[tuple[int, bool], float] = {}
    for radius in RADII_M:
        for with_category in (False, True):
            pairs = [(a.outcome, b.outcome) for (s, a), (_, b) in zip(ours, theirs)
                     if s.radius_m == radius and (s.category is not None) == with_category]
            per_search = median(a.read_units / b.read_units for a, b in pairs)
            medians[(radius, with_category)] = per_search
            lines.append(
                f"| {radius / 1000:g} km | {'one' if with_category else 'any'} "
                f"| {fmt(median(a.index_units for a, _ in pairs))} + {fmt(median(a.page_units for a, _ in pairs))} "
                f"| {fmt(median(b.read_units for _, b in pairs))} | {per_search:.3f} "
                f"| {sum(a.read_units for a, _ in pairs) / sum(b.read_units for _, b in pairs):.3f} |"
            )
    return lines, medians


def cpu_lines(rows: list[tuple[Search, Row]]) -> tuple[list[str], float]:
    lines = ["| radius | CPU per search (median ms) | items returned (median) | µs per item read (median) |",
             "|---|---|---|---|"]
    for radius in RADII_M:
        chosen = [row.outcome for s, row in rows if s.radius_m == radius]
        lines.append(
            f"| {radius / 1000:g} km | {median(o.cpu_ms for o in chosen):.2f} | {median(len(o.found) for o in chosen):,.0f} "
            f"| {median(o.cpu_ms * 1000 / o.items_read for o in chosen if o.items_read):.2f} |"
        )
    near_200 = [row.outcome.cpu_ms for _, row in rows if 150 <= len(row.outcome.found) <= 250]
    return lines, median(near_200)


def hot_spot(ours: Ours, geo: DynamoGeo, count: int) -> tuple[list[str], dict[str, float]]:
    """Searches centred within 1 km of People's Square: the load on the busiest partition key."""
    import random

    from chalicelib.domain.categories import CATEGORIES

    rng = random.Random(1)
    searches = []
    for _ in range(count):
        distance, bearing = 1000 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat = PEOPLES_SQUARE[0] + distance * math.cos(bearing) / 111_195
        lon = PEOPLES_SQUARE[1] + distance * math.sin(bearing) / (111_195 * math.cos(math.radians(lat)))
        category = rng.choice([None, rng.choices(list(CATEGORIES), [1 / (i + 1) for i in range(10)])[0]])
        searches.append(Search(lat, lon, rng.choice(RADII_M), category))
    lines = ["| contender | searches | busiest partition key | its RCU per search (mean) | RCU/s at 1,000 searches/s "
             "| RCU/s at 10,000 searches/s | searches/s it can take at 3,000 RCU/s |", "|---|---|---|---|---|---|---|"]
    summary = {}
    for contender in (ours, geo):
        outcomes = [(search, contender.run(search)) for search in searches]
        for label, radii in [("all radii", RADII_M), *((f"{r / 1000:g} km only", (r,)) for r in RADII_M)]:
            chosen = [outcome for search, outcome in outcomes if search.radius_m in radii]
            load: dict[Any, float] = defaultdict(float)
            for outcome in chosen:
                for key, units in outcome.units_by_partition.items():
                    load[key] += units
            key, total = max(load.items(), key=lambda item: item[1])
            per_search = total / len(chosen)
            summary[f"{contender.name} {label}"] = PARTITION_LIMIT_RCU / per_search
            lines.append(f"| {contender.name} | {label} | `{key}` | {per_search:,.1f} | {per_search * 1000:,.0f} "
                         f"| {per_search * 10000:,.0f} | {PARTITION_LIMIT_RCU / per_search:,.0f} |")
    return lines, summary


def plot(rows: dict[str, list[tuple[Search, Row]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for axis, with_category in zip(axes, (False, True)):
        for name, entries in rows.items():
            values = []
            for radius in RADII_M:
                chosen = [r.outcome for s, r in entries
                          if s.radius_m == radius and (s.category is not None) == with_category and r.outcome.found]
                values.append(median(o.items_read / len(o.found) for o in chosen))
            axis.plot([r / 1000 for r in RADII_M], values, marker="o", label=name)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks([r / 1000 for r in RADII_M], [f"{r / 1000:g}" for r in RADII_M])
        axis.set_xlabel("radius (km)")
        axis.set_title("one category" if with_category else "any category")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("read amplification (items read / returned, median)")
    axes[1].legend()
    figure.suptitle(f"Geo search read amplification, {LISTINGS:,} synthetic Shanghai listings")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def timed(label: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> int:
    settings = config()
    started = time.perf_counter()
    print(f"benchmark ({'quick' if settings.quick else 'full'}): {LISTINGS:,} listings, "
          f"{settings.centres} centres x {len(RADII_M)} radii x (any, one category)", flush=True)
    listings = timed("data", lambda: dataset.listings(LISTINGS))
    ours = timed("ours: index model", lambda: Ours(listings))
    geo = timed("dynamodb-geo: its puts into the model", lambda: DynamoGeo(listings))
    rtree = timed("sqlite R*Tree", lambda: SqliteRtree(listings))
    oracle = BruteForce(listings)
    searches = dataset.searches(settings.centres)
    rows = timed(f"{len(searches)} searches x 4 contenders",
                 lambda: run_searches([ours, geo, rtree, oracle], oracle, searches))
    hot_lines, hot = timed("hot spot", lambda: hot_spot(ours, geo, settings.hot_searches))
    sample = timed("model vs moto", lambda: model_check.check(
        dataset.listings(settings.sample_listings, seed=7), dataset.searches(settings.sample_centres, seed=5)))
    cold = timed("cold start", lambda: coldstart.measure(settings.cold_runs))

    DOCS.mkdir(exist_ok=True)
    plot(rows, DOCS / "read_amplification.png")
    costs = cost_table(rows)
    ratios, ratio_medians = ratio_table(rows)
    cpu, cpu_200 = cpu_lines(rows["ours"])
    ours_rows = [row for _, row in rows["ours"]]
    amplification_by_radius = {
        radius: median(r.outcome.items_read / len(r.outcome.found) for s, r in rows["ours"]
                       if s.radius_m == radius and r.outcome.found) for radius in RADII_M
    }
    targets = [
        ("recall 1.0 for ours at every radius", f"min recall {min(r.recall for r in ours_rows):.4f}, "
         f"{sum(r.outside for r in ours_rows)} returned outside", min(r.recall for r in ours_rows) == 1.0),
        ("median read amplification <= 1.5 at every radius",
         ", ".join(f"{k / 1000:g} km {v:.2f}" for k, v in amplification_by_radius.items()),
         max(amplification_by_radius.values()) <= 1.5),
        ("RCU per search <= 1/10 of dynamodb-geo's at every radius",
         "; ".join(f"{k[0] / 1000:g} km {'one' if k[1] else 'any'} {v:.3f}" for k, v in ratio_medians.items()),
         max(ratio_medians.values()) <= 0.1),
        ("<= 12 Query calls per search, all concurrent",
         f"max {max(r.outcome.queries for r in ours_rows)} Queries, {max(r.outcome.round_trips for r in ours_rows)} "
         "round trips (the Queries at once, then the page)", max(r.outcome.queries for r in ours_rows) <= 12),
        ("in-process CPU <= 5 ms per search returning 200 items",
         f"{cpu_200:.2f} ms (median of searches returning 150-250 items)", cpu_200 <= 5),
        ("cold import <= 1.5x the bare botocore client baseline",
         f"{cold['app_ms']:.0f} ms vs {cold['baseline_ms']:.0f} ms = {cold['ratio']:.2f}x", cold["ratio"] <= 1.5),
    ]
    target_lines = ["| target | where we land | met |", "|---|---|---|"] + [
        f"| {name} | {value} | {'yes' if met else '**no**'} |" for name, value, met in targets
    ]
    sizes = (ours.mean_entry_bytes, geo.mean_item_bytes)
    report = render(settings, costs, ratios, cpu, hot_lines, hot, sample, cold, target_lines, sizes,
                    time.perf_counter() - started)
    (DOCS / "BENCHMARKS.md").write_text(report)
    print("\n".join(["", *target_lines, "", *ratios, "", *costs[:2],
                     *[line for line in costs[2:] if "| ours |" in line or "| dynamodb-geo |" in line]]))
    print(f"\nwrote {DOCS / 'BENCHMARKS.md'} and {DOCS / 'read_amplification.png'} "
          f"in {time.perf_counter() - started:.0f} s")
    return 0


def render(settings: Config, costs: list[str], ratios: list[str], cpu: list[str], hot_lines: list[str],
           hot: dict[str, float], sample: dict[str, Any], cold: dict[str, float], targets: list[str],
           sizes: tuple[float, float], seconds: float) -> str:
    return "\n".join([
        "# Benchmarks: what a geo search costs",
        "",
        f"Generated by `{'BENCH_QUICK=1 ' if settings.quick else ''}make bench` on "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC in {seconds / 60:.1f} minutes. Machine: {machine()}.",
        "",
        "## How to reproduce",
        "",
        "```sh",
        "make bench                 # the full run: 200,000 listings, 60 centres (~15-25 minutes on 2 cores)",
        "BENCH_QUICK=1 make bench   # the same listings, 12 centres, a smaller moto sample (a few minutes)",
        "```",
        "",
        "It installs `bench/requirements.txt` (dynamodbgeo, s2sphere, numpy, matplotlib) into `.venv`, then runs",
        "`python -m bench`. Everything is deterministic (fixed seeds) except the timings.",
        "",
        "## What is measured",
        "",
        f"- **Data**: {LISTINGS:,} synthetic listings in Shanghai (`bench/dataset.py`): 85% clustered around 12 real",
        "  district centres (People's Square, Lujiazui, Xujiahui, Jing'an Temple, Wujiaochang, Hongqiao, ...), 15%",
        "  uniform inside the municipality's boundary; Zipf-like category shares; ~5% of providers privileged;",
        "  realistic titles and descriptions (item size is read cost).",
        f"- **Searches**: {settings.centres} centres drawn from the same mix, each at radii "
        f"{', '.join(f'{r / 1000:g}' for r in RADII_M)} km, without a category and with one (drawn by share).",
        "- **Contenders** (`bench/contenders.py`), all on the same data and searches:",
        "  - *ours*: the API's own code — `services.search.plan` (the geohash cover), `store.listings.plan_queries`",
        "    (index, partition, sort-key range per Query), `rank_hits` and `page_after` — reading the thin geo",
        "    indexes, then one BatchGetItem for the page (20 listings, the API's default limit);",
        "  - *dynamodb-geo*: PyPI `dynamodbgeo` 0.0.3 running its own code (S2 covering of the circle's bounding",
        "    box with the default coverer, hash-key ranges, Queries one after another, radius filter), configured as",
        "    its README recommends: `hashKeyLength` 6 (the Java library's default that the README cites), its",
        "    geohash LSI with ALL projection, the listing's fields as the point's payload; no category in its keys,",
        "    so a category search reads everything and filters;",
        "  - *sqlite-rtree*: Python's SQLite R*Tree bounding-box query, then exact distance: an exact reference;",
        "  - *brute force*: every listing's distance: the correctness oracle (recall is measured against it).",
        "- **Counting, not timing, DynamoDB**: moto's Query scans its whole table, so the Queries are answered by a",
        "  cost model (`bench/dynamo_model.py`: each index's partitions as sorted key lists; item sizes and RCU by",
        "  DynamoDB's published rules — attribute names + values, 1 MB pages, 4 KB units, eventually consistent;",
        "  BatchGetItem rounds each item up to 4 KB). The model is checked against moto below.",
        "- **Read amplification** = items read / items returned. **RCU per search** = the Queries' read units plus,",
        "  for ours, the page's BatchGetItem. **Sequential round trips**: ours issues its Queries concurrently (1) then",
        "  reads the page (1); dynamodb-geo issues its Queries and their pages one after another.",
        "",
        "## Targets",
        "",
        *targets,
        "",
        "## RCU: ours against dynamodb-geo",
        "",
        *ratios,
        "",
        "What sets these ratios:",
        "",
        f"- Item size. Our geo index entry is {sizes[0]:.0f} bytes on average (table key, index keys, lat, lon,",
        f"  privileged — short stored names, a 26-character ULID); dynamodb-geo reads whole items, {sizes[1]:.0f} bytes",
        "  on average here (a listing with a short description: longer descriptions widen the gap). Where both read",
        "  nearly everything in the circle (10 km: amplification ~1.1 against ~1.2), the ratio is about the size",
        "  ratio, which is why 'any category' at 10 km sits at the 1/10 line.",
        "- The page. Ours then reads the 20 listings of the page with BatchGetItem, which charges every item as if",
        "  it were 4 KB: 10 RCU per search whatever the radius. At 0.5 km that is about half of our cost and",
        "  keeps 0.5 km searches above 1/10. What would reach it: serve pages from a short-lived per-instance cache",
        "  of listings (a hot area's first page is the same listings again and again), or DAX in front of the",
        "  table; or snap pins to their geohash-12 cell (<= 2 cm) so entries need no lat/lon (~15 bytes less).",
        "- The category. dynamodb-geo has none in its keys and reads every category, then filters; ours reads the",
        "  category's own index, so from 2 km up one-category searches cost 1/35-1/50 of dynamodb-geo's.",
        "- Queries. Ours always spends its 12-Query budget (each Query costs at least 0.5 RCU), so in sparse areas",
        "  (the uniform background) a search can cost more than dynamodb-geo's 5-8 Queries; the medians above are",
        "  over centres drawn from where listings are.",
        "",
        "## Cost per search, every contender",
        "",
        *costs,
        "",
        "![read amplification against radius](read_amplification.png)",
        "",
        "## Our in-process CPU per search (cover, query plan, distance refine, ranking; not I/O)",
        "",
        *cpu,
        "",
        "## Hot spot: every search within 1 km of People's Square",
        "",
        f"{settings.hot_searches} searches centred uniformly within 1 km of People's Square, radii and categories from",
        "the mix. A partition key serves at most 3,000 RCU/s.",
        "",
        *hot_lines,
        "",
        "Reading it: a map search's load on one key is the bytes it reads there, so the busiest key is the one",
        "under the densest place, and wide searches dominate (a 10 km search around People's Square reads ~130,000",
        "index entries, ~8 MB). Our small searches are spread over geohash-5 keys (~4.9 x 4.2 km each) and are",
        "cheap; searches of 5 km and more share the geohash-4 key of central Shanghai. Neither design serves",
        "thousands of wide searches a second over one city centre from DynamoDB alone: that needs a cap on what a",
        "wide search returns (the map shows clusters when zoomed out), a cache of the hot area's result pages, or",
        "more, finer partitions at the price of more Queries per search. DynamoDB can also split a hot partition",
        "key's items across partitions by sort-key range (split for heat), which these per-key figures ignore.",
        "",
        "## The cost model answers like moto",
        "",
        f"{sample['listings']:,} listings were written into moto through the store's own writes and through",
        f"dynamodb-geo's own `put_Point`; {sample['searches']} searches then ran through the real code on moto",
        "(`store.listings.read_cover`, `GeoDataManager.queryRadius`) and through the model, recording every Query's",
        "key condition and item count (`bench/model_check.py`).",
        "",
        "| | Queries on moto | Queries whose condition or item count differ from the model |",
        "|---|---|---|",
        f"| ours | {sample['ours_queries']} | {sample['ours_mismatches']} |",
        f"| dynamodb-geo | {sample['geo_queries']} | {sample['geo_mismatches']} |",
        "",
        f"({sample['items_compared']:,} items returned in all.)",
        "",
        "## Cold start",
        "",
        f"Median wall time over {cold['runs']} fresh interpreters of importing the Lambda handler module (`import app`)",
        f"is **{cold['app_ms']:.0f} ms**, against **{cold['baseline_ms']:.0f} ms** for the floor every Python Lambda on",
        f"AWS pays (a botocore session and a DynamoDB client): **{cold['ratio']:.2f}x**. PyJWT, cryptography and",
        "requests are imported only where a token is verified: Chalice deploys the authorizer as its own Lambda.",
        "",
    ]) + "\n"


if __name__ == "__main__":
    sys.exit(main())
