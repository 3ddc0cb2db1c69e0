"""`make bench`: what a map search costs, ours before and after the nearest-first scan, beside dynamodb-geo.

Prints its progress (stderr) and the targets (stdout), writes docs/BENCHMARKS.md and docs/search_rcu.png.
BENCH_QUICK=1 runs fewer search centres (the same 200,000 listings).
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from bench import coldstart, dataset, hot_key, model_check, recall, report
from bench.after import After
from bench.before import Before
from bench.dataset import KEYWORDS, RADII_M, Search
from bench.dynamodb_geo import DynamoGeo
from bench.handler_cpu import HandlerCpu, configured_memory_mb
from bench.measure import Pass, variants
from bench.oracle import BruteForce
from bench.scan_model import ScanIndexes
from chalicelib.domain.listings import Listing

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LISTINGS = 200_000
SAMPLE_PARTITION = "wtw3"  # the geohash-4 partition around People's Square
# The hot-cell cache runs: (T, h): SEARCH_CACHE_S (2 s on the deployed stages) and the handler time per search
# that sets the number of instances (Little's law); T = 5 s shows what a longer cache buys.
CACHE_RUNS = ((2.0, 0.05), (2.0, 0.1), (5.0, 0.05))
T = TypeVar("T")


def setup() -> report.Setup:
    if os.environ.get("BENCH_QUICK") == "1":
        return report.Setup(True, centres=12, keyword_centres=4, cpu_centres=2, recall_centres=1,
                            keyword_recall_centres=1, hot_searches=120, simulated_s=20, sample_listings=2600,
                            listings=LISTINGS)
    return report.Setup(False, centres=60, keyword_centres=20, cpu_centres=6, recall_centres=3,
                        keyword_recall_centres=1, hot_searches=300, simulated_s=60, sample_listings=2600,
                        listings=LISTINGS)


_started = time.perf_counter()


def say(message: str) -> None:
    print(f"[{time.perf_counter() - _started:6.0f} s] {message}", file=sys.stderr, flush=True)


def timed(label: str, work: Callable[[], T]) -> T:
    say(f"{label} ...")
    started = time.perf_counter()
    result = work()
    say(f"{label}: {time.perf_counter() - started:.1f} s")
    return result


def sample(listings: list[Listing], count: int) -> list[Listing]:
    """Every so many listings of the People's Square partition: enough for its keyword index to pass 1 MB."""
    inside = [x for x in listings if x.geohash.startswith(SAMPLE_PARTITION)]
    return inside[:: max(1, len(inside) // count)][:count]


def sample_searches() -> list[Search]:
    centres = hot_key.crowd(2, seed=5)
    return [Search(c.lat, c.lon, radius, category) for c in centres for radius in (500, 2000, 20000)
            for category in (None, "repair")]


def recall_searches(searches: list[Search], centres: int, keyword_centres: int) -> list[Search]:
    per_centre = len(RADII_M) * 2
    return [*searches[: centres * per_centre],
            *(replace(s, q=q) for s in searches[: keyword_centres * per_centre] for q in KEYWORDS)]


def main() -> int:
    config = setup()
    say(f"benchmark ({'quick' if config.quick else 'full'}): {LISTINGS:,} listings, {config.centres} centres x "
        f"{len(RADII_M)} radii x (any, one category) x 4 variants")
    listings = timed("data", lambda: dataset.listings(LISTINGS))
    indexes = timed("ours, after: the six search indexes", lambda: ScanIndexes(listings))
    before = timed("ours, before: the four thin geo indexes", lambda: Before(listings))
    geo = timed("dynamodb-geo: its puts", lambda: DynamoGeo(listings))
    oracle = BruteForce(listings)
    after = After(indexes)
    searches = dataset.searches(config.centres)

    main_pass = Pass(after, before, geo)
    keyword_searches = config.keyword_centres * len(RADII_M) * 2
    timed(f"{len(searches)} searches x 2 variants ({keyword_searches} x 4) x 3 contenders",
          lambda: main_pass.run(searches, keyword_searches, say))

    cpu_variants = [(one, limit) for s in dataset.searches(config.cpu_centres) for _, one, limit in variants(s)]
    timings = timed(f"handler CPU: {len(cpu_variants)} searches, pages 1, 2, 5",
                    lambda: HandlerCpu(after, indexes).measure(cpu_variants, {1, 2, 5}, say))

    by_id = {x.listing_id: x for x in listings}
    walks_for = recall_searches(searches, config.recall_centres, config.keyword_recall_centres)

    def walk_all() -> list[recall.WalkCheck]:
        checks = []
        for number, search in enumerate(walks_for):
            if number % 12 == 0:
                say(f"recall: {number}/{len(walks_for)} walks")
            checks.append(recall.check(after, oracle, by_id, search, 100,
                                       recall.KEYWORD_WALK_PAGES if search.q else recall.PLAIN_WALK_PAGES))
        return checks

    walks = timed(f"recall: {len(walks_for)} walks of every page", walk_all)

    def ceilings() -> list[hot_key.Ceiling]:
        crowd = hot_key.crowd(config.hot_searches)
        found = [hot_key.before_ceiling(before, crowd), hot_key.geo_ceiling(geo, crowd),
                 hot_key.after_ceiling(after, crowd)]
        for ttl_s, handler_s in CACHE_RUNS:
            found.append(hot_key.cached_ceiling(after, hot_key.crowd, ttl_s, handler_s, config.simulated_s))
        return found

    hot = timed("hot key around People's Square", ceilings)
    instances = max(c.instances for c in hot)
    counts_name, counts_rcu = hot_key.counts_load(indexes.count_items(), instances)

    checked = timed("cost model vs moto", lambda: model_check.check(
        sample(listings, config.sample_listings), sample_searches()))
    cold = timed("cold start", lambda: coldstart.measure(15))

    entry_bytes = {**{f"ours, after: {k}": v for k, v in indexes.entry_bytes.items()},
                   **{f"ours, before: {k}": v for k, v in before.entry_bytes.items()},
                   "ours, before: whole listing (BatchGetItem)": before.full_bytes,
                   "dynamodb-geo: item": geo.item_bytes}
    results = report.Results(
        setup=config, rows=main_pass.rows, to_results=main_pass.to_results, entry_bytes=entry_bytes,
        keyword_shares={k: dataset.keyword_share(listings, k) for k in KEYWORDS}, timings=timings,
        memory_mb=configured_memory_mb(), walks=walks, ceilings=hot, counts_load=(counts_name, counts_rcu, instances),
        model=checked, cold=cold, seconds=time.perf_counter() - _started,
    )
    DOCS.mkdir(exist_ok=True)
    report.plot(main_pass.rows, DOCS / "search_rcu.png")
    (DOCS / "BENCHMARKS.md").write_text(report.render(results))
    print("\n".join(report.targets(results)))
    say(f"wrote {DOCS / 'BENCHMARKS.md'} and {DOCS / 'search_rcu.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
