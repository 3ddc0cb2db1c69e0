"""docs/BENCHMARKS.md and docs/search_rcu.png from what the benchmark measured."""
from __future__ import annotations

import contextlib
import math
import os
import platform
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench import pricing
from bench.dataset import COMMON_KEYWORD, RADII_M, RARE_KEYWORD
from bench.handler_cpu import FULL_VCPU_MB, Timing, at_memory
from bench.hot_key import PARTITION_LIMIT_RCU, Ceiling
from bench.measure import (
    AFTER,
    BEFORE,
    COMMON,
    GEO,
    MAX_PAGES_TO_RESULTS,
    PLAIN,
    RARE,
    Row,
    ToResults,
)
from bench.model_check import Report as ModelReport
from bench.recall import KEYWORD_WALK_PAGES, PLAIN_WALK_PAGES, WalkCheck
from chalicelib.services.search import BUDGET, KEYWORD_BUDGET

TARGET_MEDIAN, TARGET_P90, TARGET_MAX = 4.0, 6.0, 8.0
TARGET_RATIO = 100.0
TARGET_REQUEST_UNITS, TARGET_REQUEST_MS = 100.0, 30.0
TARGET_SEARCHES_PER_S = 10_000


@dataclass(frozen=True)
class Setup:
    quick: bool
    centres: int
    keyword_centres: int
    cpu_centres: int
    recall_centres: int
    keyword_recall_centres: int
    hot_searches: int
    simulated_s: float
    sample_listings: int
    listings: int


@dataclass(frozen=True)
class Results:
    setup: Setup
    rows: list[Row]
    to_results: list[ToResults]
    entry_bytes: dict[str, list[int]]
    keyword_shares: dict[str, float]
    timings: list[Timing]
    memory_mb: int | None
    walks: list[WalkCheck]
    ceilings: list[Ceiling]
    counts_load: tuple[str, float, float]  # counts item, RCU/s, at how many instances
    model: ModelReport
    cold: dict[str, float]
    seconds: float


# --- statistics -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dist:
    median: float
    p90: float
    max: float
    count: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Dist:
        ordered = sorted(values)
        if not ordered:
            return cls(math.nan, math.nan, math.nan, 0)
        return cls(statistics.median(ordered), ordered[math.ceil(0.9 * len(ordered)) - 1], ordered[-1], len(ordered))

    def text(self, digits: int = 1) -> str:
        return " / ".join(num(v, digits) for v in (self.median, self.p90, self.max))


def num(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def kilo(radius_m: int) -> str:
    return f"{radius_m / 1000:g} km"


def category_label(with_category: bool) -> str:
    return "one" if with_category else "any"


def select(rows: Sequence[Row], **where: Any) -> list[Row]:
    return [row for row in rows if all(getattr(row, k) == v for k, v in where.items())]


def _table(header: Sequence[str], lines: Iterable[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(line) + " |" for line in lines)]


def _cases() -> Iterable[tuple[int, bool]]:
    for radius in RADII_M:
        for with_category in (False, True):
            yield radius, with_category


# --- tables ---------------------------------------------------------------------------------------------


def ratios(after: list[Row], geo: list[Row]) -> Dist:
    """dynamodb-geo's RCU over ours for the same searches."""
    theirs = {row.search: row.units for row in geo}
    return Dist.of(theirs[row.search] / row.units for row in after if row.units and row.search in theirs)


def page_table(rows: list[Row], variant: str, limit: int, page: int) -> list[str]:
    """Ours-after's read units per request (median / p90 / max) beside ours-before and dynamodb-geo."""
    lines = []
    for radius, with_category in _cases():
        where = {"variant": variant, "radius_m": radius, "category": with_category, "limit": limit, "page": page}
        after = select(rows, contender=AFTER, **where)
        before = select(rows, contender=BEFORE, **where)
        geo = select(rows, contender=GEO, **where)
        ratio = ratios(after, geo)
        lines.append([
            kilo(radius), category_label(with_category), str(len(after)),
            Dist.of(r.units for r in after).text(), Dist.of(r.queries for r in after).text(0),
            Dist.of(r.round_trips for r in after).text(0), Dist.of(r.found for r in after).text(0),
            num(Dist.of(r.units for r in before).median), num(Dist.of(r.round_trips for r in before).median, 0),
            num(Dist.of(r.units for r in geo).median), num(Dist.of(r.round_trips for r in geo).median, 0),
            f"{num(ratio.median, 0)}x",
        ])
    return _table(["radius", "category", "requests", "after: RCU (median / p90 / max)", "after: Queries",
                   "after: round trips", "after: results", "before: RCU (median)", "before: round trips",
                   "dynamodb-geo: RCU (median)", "dynamodb-geo: round trips", "dynamodb-geo / after (median)"],
                  lines)


def keyword_table(rows: list[Row], to_results: list[ToResults]) -> list[str]:
    lines = []
    for variant in (COMMON, RARE):
        for radius, with_category in _cases():
            where = {"variant": variant, "radius_m": radius, "category": with_category, "limit": 20}
            first = select(rows, contender=AFTER, page=1, **where)
            later = [r for r in select(rows, contender=AFTER, **where) if r.page > 1]
            reached = [t for t in to_results if t.variant == variant and t.radius_m == radius
                       and t.category == with_category]
            lines.append([
                variant, kilo(radius), category_label(with_category),
                Dist.of(r.units for r in first).text(), Dist.of(r.units for r in later).text(),
                num(Dist.of(r.found for r in first).median, 0),
                Dist.of(t.pages for t in reached).text(0), Dist.of(t.units for t in reached).text(),
                f"{sum(t.results < 20 for t in reached)} ({sum(t.done for t in reached)} all shown)",
                num(Dist.of(r.units for r in select(rows, contender=BEFORE, page=1, **where)).median),
                num(Dist.of(r.units for r in select(rows, contender=GEO, page=1, **where)).median),
            ])
    return _table(["keyword", "radius", "category", "after: page 1 RCU (median / p90 / max)",
                   "after: pages 2-5 RCU", "after: page 1 results (median)", "after: pages to 20 results",
                   "after: RCU to 20 results", "searches with < 20 results", "before: RCU a page (median)",
                   "dynamodb-geo: RCU a page (median)"], lines)


def bytes_table(entry_bytes: dict[str, list[int]]) -> list[str]:
    return _table(["index / item", "entries", "mean bytes", "max bytes"],
                  ([name, f"{len(sizes):,}", num(statistics.fmean(sizes), 0), f"{max(sizes):,}"]
                   for name, sizes in entry_bytes.items()))


def cpu_fit(timings: list[Timing]) -> tuple[float, float]:
    """Least squares handler_ms = fixed + per_query x Queries: (fixed, per Query)."""
    if len(timings) < 2:
        return math.nan, math.nan
    queries = np.array([t.reads for t in timings], dtype=float)
    handler = np.array([t.handler_ms for t in timings])
    per_query, fixed = np.polyfit(queries, handler, 1)
    return float(fixed), float(per_query)


def cpu_table(timings: list[Timing], memory_mb: int | None) -> list[str]:
    memory = memory_mb or 128
    lines = []
    groups: list[tuple[str, Callable[[Timing], bool]]] = [
        ("page 1, limit 20", lambda t: t.search.q is None and t.limit == 20 and t.page == 1),
        ("pages 2 and 5, limit 20", lambda t: t.search.q is None and t.limit == 20 and t.page > 1),
        ("limit 100 (pages 1, 2, 5)", lambda t: t.search.q is None and t.limit == 100),
        (f"q={COMMON_KEYWORD} (pages 1, 2, 5)", lambda t: t.search.q == COMMON_KEYWORD),
        (f"q={RARE_KEYWORD} (pages 1, 2, 5)", lambda t: t.search.q == RARE_KEYWORD),
    ]
    for label, chosen in groups:
        picked = [t for t in timings if chosen(t)]
        if not picked:
            continue
        handler = Dist.of(t.handler_ms for t in picked)
        lines.append([
            label, str(len(picked)), Dist.of(t.reads for t in picked).text(0), handler.text(2),
            Dist.of(at_memory(t.handler_ms, memory) for t in picked).text(1),
            Dist.of(at_memory(t.handler_ms, FULL_VCPU_MB) for t in picked).text(1),
            Dist.of(t.scan_parse_ms for t in picked).text(2),
            Dist.of(at_memory(t.scan_parse_ms, memory) for t in picked).text(1),
        ])
    return _table(["requests", "count", "Queries", "handler CPU ms, this core (median / p90 / max)",
                   f"handler ms at {memory} MB", f"handler ms at {FULL_VCPU_MB} MB",
                   "scan + parse CPU ms, this core", f"scan + parse ms at {memory} MB"], lines)


def recall_table(walks: list[WalkCheck]) -> list[str]:
    lines = []
    for radius, with_category in _cases():
        for variant in (None, COMMON_KEYWORD, RARE_KEYWORD):
            chosen = [w for w in walks if w.search.radius_m == radius
                      and (w.search.category is not None) == with_category and w.search.q == variant]
            if not chosen:
                continue
            ended = [w for w in chosen if not w.cut and not w.stalled]
            lines.append([
                kilo(radius), category_label(with_category), f"q={variant}" if variant else "no keyword",
                str(len(chosen)), f"{sum(w.truth for w in chosen):,}",
                f"{min(w.recall for w in ended):.4f}" if ended else "-",
                str(sum(w.outside for w in chosen)), str(sum(w.duplicates for w in chosen)),
                "yes" if all(w.exact_prefix for w in chosen) else "**no**",
                ", ".join(f"{'stalled' if w.stalled else 'cut'} at page {w.pages} ({w.recall:.1%} found)"
                          for w in chosen if w.stalled or w.cut) or "-",
                f"{sum(w.pages for w in chosen):,}", f"{sum(w.empty_pages for w in chosen):,}",
                num(max(w.max_page_units for w in chosen)),
                num(sum(w.units for w in chosen) / max(1, sum(w.returned for w in chosen)) * 1000, 0),
            ])
    return _table(["radius", "category", "search", "walks", "listings to find", "recall of ended walks (min)",
                   "outside", "twice", "exact rank order", "walks not ended", "pages", "empty pages",
                   "max RCU a page", "RCU per 1,000 results"], lines)


def hot_table(ceilings: list[Ceiling]) -> list[str]:
    return _table(["contender", "busiest partition key", "its RCU per search",
                   "searches/s before it passes 3,000 RCU/s", "model"],
                  ([c.contender, f"`{c.key}`", num(c.rcu_per_search, 3), num(c.searches_per_s, 0), c.note]
                   for c in ceilings))


def dollars_table(rows: list[Row]) -> list[str]:
    lines = []
    for radius in RADII_M:
        line = [kilo(radius)]
        for contender in (BEFORE, AFTER, GEO):
            for pages in ((1,), (2, 5)):
                chosen = [r.units for r in rows if r.contender == contender and r.variant == PLAIN and r.limit == 20
                          and r.radius_m == radius and r.page in pages]
                line.append(f"${pricing.reads_per_million(statistics.fmean(chosen)):,.2f}" if chosen else "n/a")
        lines.append(line)
    return _table(["radius", "before: page 1", "before: later page", "after: page 1", "after: later page",
                   "dynamodb-geo: page 1", "dynamodb-geo: later page"], lines)


# --- targets --------------------------------------------------------------------------------------------


def _setting(ceiling: Ceiling) -> str:
    """ " (T = 2 s, h = 50 ms)" of a cached ceiling."""
    return f" ({ceiling.note.split(':')[0]})" if ceiling.note else ""


def targets(results: Results) -> list[str]:
    rows, walks = results.rows, results.walks
    memory = results.memory_mb or 128
    out: list[tuple[str, str, bool]] = []

    stalled = sum(w.stalled for w in walks)
    ended = [w for w in walks if not w.stalled and not w.cut]
    out.append(("recall 1.0 over all pages, none outside, none twice, in rank order (limit 100)",
                (f"{len(walks)} walks ({sum(w.cut for w in walks)} cut at the page cap, {stalled} stalled): "
                 f"recall of the {len(ended)} that ended min {min((w.recall for w in ended), default=math.nan):.4f}; "
                 f"{sum(w.outside for w in walks)} outside, {sum(w.duplicates for w in walks)} twice, "
                 f"{sum(not w.exact_prefix for w in walks)} not the oracle's order"),
                bool(walks) and all(w.exact for w in walks)))
    for pages, label in (((1,), "first page"), ((2,), "page 2"), ((5,), "page 5")):
        misses = []
        for radius, with_category in _cases():
            units = Dist.of(r.units for r in select(rows, contender=AFTER, variant=PLAIN, limit=20, radius_m=radius,
                                                     category=with_category) if r.page in pages)
            if not (units.median <= TARGET_MEDIAN and units.p90 <= TARGET_P90 and units.max <= TARGET_MAX):
                misses.append(f"{kilo(radius)} {category_label(with_category)}: {units.text()}")
        out.append(((f"{label} of 20, no keyword, every radius and category: RCU median <= {TARGET_MEDIAN:g}, "
                    f"p90 <= {TARGET_P90:g}, max <= {TARGET_MAX:g}"),
                    "all met" if not misses else "missed at " + "; ".join(misses), not misses))
    worst_ratio = []
    for radius, with_category in _cases():
        if radius < 1000:
            continue
        after = select(rows, contender=AFTER, variant=PLAIN, limit=20, page=1, radius_m=radius, category=with_category)
        geo = select(rows, contender=GEO, variant=PLAIN, limit=20, page=1, radius_m=radius, category=with_category)
        ratio = ratios(after, geo)
        worst_ratio.append((ratio.median, f"{kilo(radius)} {category_label(with_category)}"))
    low = min(worst_ratio, default=(math.nan, ""))
    out.append((f">= {TARGET_RATIO:g}x cheaper than dynamodb-geo from 1 km up (first page, median)",
                f"lowest median ratio {num(low[0], 0)}x ({low[1]})", low[0] >= TARGET_RATIO))
    heaviest = max((r for r in rows if r.contender == AFTER), key=lambda r: r.units)
    out.append((f"any single request <= {TARGET_REQUEST_UNITS:g} RCU",
                (f"max {num(heaviest.units)} RCU ({heaviest.variant}, {kilo(heaviest.radius_m)}, "
                f"{category_label(heaviest.category)}, limit {heaviest.limit}, page {heaviest.page})"),
                heaviest.units <= TARGET_REQUEST_UNITS))
    if results.timings:
        slowest = max(results.timings, key=lambda t: t.handler_ms)
        scan_slowest = max(results.timings, key=lambda t: t.scan_parse_ms)
        out.append((f"any single request <= {TARGET_REQUEST_MS:g} ms handler CPU at the configured {memory} MB",
                    (f"whole handler: max {num(at_memory(slowest.handler_ms, memory))} ms "
                    f"({slowest.reads} Queries; {num(slowest.handler_ms, 2)} ms on this core); "
                    f"scan + parse alone: max {num(at_memory(scan_slowest.scan_parse_ms, memory))} ms"),
                    at_memory(slowest.handler_ms, memory) <= TARGET_REQUEST_MS))
    cached = [c for c in results.ceilings if c.instances]
    if cached:
        deployed = cached[0]  # the deployed cache (T = 2 s) at h = 50 ms
        out.append((f">= {TARGET_SEARCHES_PER_S:,} searches/s around People's Square before a key passes 3,000 RCU/s",
                    "; ".join(f"{c.contender}{_setting(c)}: {num(c.searches_per_s, 0)}/s" for c in results.ceilings),
                    deployed.searches_per_s >= TARGET_SEARCHES_PER_S))
    return _table(["target", "where we land", "met"], ([a, b, "yes" if c else "**no**"] for a, b, c in out))


# --- the document ---------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def plot(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for axis, with_category in zip(axes, (False, True), strict=True):
        for contender, page, style in ((BEFORE, 1, "s-"), (GEO, 1, "^-"), (AFTER, 1, "o-"), (AFTER, 5, "o--")):
            values = [Dist.of(r.units for r in select(rows, contender=contender, variant=PLAIN, limit=20, page=page,
                                                      radius_m=radius, category=with_category)).median
                      for radius in RADII_M]
            axis.plot([r / 1000 for r in RADII_M], values, style, label=f"{contender}, page {page}")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks([r / 1000 for r in RADII_M], [f"{r / 1000:g}" for r in RADII_M])
        axis.set_xlabel("radius (km)")
        axis.set_title("one category" if with_category else "any category")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("read units per request (median)")
    axes[1].legend()
    figure.suptitle("A page of 20 map pins: DynamoDB read units, 200,000 synthetic Shanghai listings")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def render(results: Results) -> str:
    setup, rows = results.setup, results.rows
    memory = results.memory_mb
    fixed, per_query = cpu_fit(results.timings)
    counts_name, counts_rcu, counts_instances = results.counts_load
    model = results.model
    entry = {name: statistics.fmean(sizes) for name, sizes in results.entry_bytes.items()}
    command = f"{'BENCH_QUICK=1 ' if setup.quick else ''}make bench"
    return "\n".join([
        "# Benchmarks: what a map search costs",
        "",
        (f"Generated by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC in {results.seconds / 60:.1f} minutes. "
        f"Machine: {machine()}."),
        "",
        "## How to reproduce",
        "",
        "```sh",
        "make bench                 # the full run (~15 minutes on 2 cores)",
        "BENCH_QUICK=1 make bench   # fewer centres, the same 200,000 listings (~5 minutes)",
        "```",
        "",
        "It installs `bench/requirements.txt` (dynamodbgeo, s2sphere, numpy, matplotlib) into `.venv`, then runs",
        "`python -m bench`, which prints its progress and these tables and writes this file and",
        "`docs/search_rcu.png`. Everything is deterministic (fixed seeds) except the CPU timings.",
        "",
        "## What is measured",
        "",
        f"- **Data**: {setup.listings:,} synthetic listings in Shanghai (`bench/dataset.py`): 85% clustered around 12",
        "  real district centres, 15% uniform over the municipality; Zipf-like category shares; ~5% of providers",
        "  privileged; realistic titles and descriptions (entry size is read cost).",
        (f"- **Searches**: {setup.centres} centres drawn from the same mix, each at radii "
        f"{', '.join(f'{r / 1000:g}' for r in RADII_M)} km, without a category and with one (drawn by share); each as"),
        (f"  a page of 20 and of 100 without a keyword; the searches of the first {setup.keyword_centres} centres "
         f"also as a page of 20 with `q={COMMON_KEYWORD}` (in "
         f"{results.keyword_shares[COMMON_KEYWORD]:.0%} of the listings' texts) and `q={RARE_KEYWORD}` (in "
         f"{results.keyword_shares[RARE_KEYWORD]:.1%}: the rarest word of the titles; no single title word is "
         "under 1%)."),
        "  Pages 1 to 5 are walked through each page's `next`.",
        "- **Contenders**, on the same data and searches:",
        "  - *ours, after* (`bench/after.py`): the search as it is now: `nearest.scan_page` over the two tiers with",
        (f"    `services.search`'s budgets (no keyword: {BUDGET.queries} Queries, {BUDGET.entries} entries, "
        f"{BUDGET.waves} waves; keyword: {KEYWORD_BUDGET.queries} Queries, {KEYWORD_BUDGET.entries} entries, "
        f"{KEYWORD_BUDGET.waves} waves; an empty page"),
        "    boosts the next), estimates from the cell counts, every Read answered by `bench/scan_model.py`;",
        "  - *ours, before* (`bench/before.py`): the search as it was at git dc10f47, frozen: the whole circle read",
        "    from thin geo indexes (<= 12 concurrent Queries from `cover.plan_cover`), every hit ranked, then",
        "    BatchGetItem of the page's listings (with a keyword: of every listing in the circle). Every page",
        "    reads the whole circle again;",
        "  - *dynamodb-geo* (`bench/dynamodb_geo.py`): PyPI `dynamodbgeo` 0.0.3's own covering and sequential",
        "    Queries, set up as its README recommends (hashKeyLength 6, geohash LSI with ALL projection). It has no",
        "    category in its keys and no paging: every page, category and keyword reads the whole circle;",
        "  - *brute force* (`bench/oracle.py`): every listing's distance: what recall is measured against.",
        "- **DynamoDB is a cost model, not timed**: moto's Query scans its whole table, so each index is a sorted",
        "  list per partition key answering Queries by bisection, with DynamoDB's published size and capacity",
        "  rules (attribute names + values; Limit; 1 MB pages of index entries; 4 KB read units, eventually",
        "  consistent = half a unit; at least half a unit a Query; BatchGetItem rounds each item up to 4 KB).",
        "  Checked against moto below. **RCU** here are read request units (what on-demand bills).",
        "- **Round trips**: sequential requests to DynamoDB. Ours-after: one per wave (a wave's Queries run at",
        "  once), not counting the rate-limit write (one more) and the cell counts (cached a minute per instance).",
        "  Ours-before: the Queries at once (each through its 1 MB pages in turn), then the BatchGetItems.",
        "  dynamodb-geo: every Query and page in turn.",
        "",
        "## Targets",
        "",
        *targets(results),
        "",
        "## A first page of 20, no keyword",
        "",
        "RCU per request: median / p90 / max over the searches; Queries, round trips and results likewise.",
        "",
        *page_table(rows, PLAIN, 20, 1),
        "",
        "![read units per request against radius](search_rcu.png)",
        "",
        "## Later pages of 20 (walked through `next`)",
        "",
        "### Page 2",
        "",
        *page_table(rows, PLAIN, 20, 2),
        "",
        "### Page 5",
        "",
        *page_table(rows, PLAIN, 20, 5),
        "",
        "## Pages of 100",
        "",
        "### Page 1",
        "",
        *page_table(rows, PLAIN, 100, 1),
        "",
        "### Page 5",
        "",
        *page_table(rows, PLAIN, 100, 5),
        "",
        "## Keyword searches (pages of 20)",
        "",
        "A keyword is matched by the Query's filter in the keyword indexes: what the budget reads is paid for,",
        "only the matches are returned, so a page may be short or empty while `next` is set. \"To 20 results\":",
        "the pages (and their RCU summed) a client walks until it has shown 20 results, or all there are (the",
        f"benchmark stops a walk after {MAX_PAGES_TO_RESULTS} pages).",
        "Ours-before read the whole circle and BatchGetItem of every listing in it; dynamodb-geo reads the whole",
        "circle's items and filters.",
        "",
        *keyword_table(rows, results.to_results),
        "",
        "## Bytes per index entry",
        "",
        "Ours-after's entries carry the pin (table key, index keys, lat, lon, provider, title, category, price,",
        "currency; the keyword indexes add the casefolded title and description); ours-before's thin entries",
        "carried lat, lon and the privileged flag, and the page's listings were read in full; dynamodb-geo's",
        "items are whole listings.",
        "",
        *bytes_table(results.entry_bytes),
        "",
        "## Handler CPU per request",
        "",
        f"{len(results.timings)} requests of {setup.cpu_centres} centres (every radius, both category cases;",
        "pages 1, 2 and 5). *Handler*: the Lambda entry point (`app.app`) called with an API Gateway event, the",
        "real code end to end, DynamoDB a stand-in process answering with the bytes the cost model says DynamoDB",
        "sends (`bench/handler_cpu.py`, `bench/canned_dynamodb.py`): Chalice, validation, the rate-limit",
        "UpdateItem, botocore building, signing, sending and parsing every Query, the scan, the cursor, the",
        "response. *Scan + parse*: `nearest.scan_page` with each Query's answer parsed from its bytes (json.loads,",
        "`search_index._pin`): the search's own work. Lambda gives CPU in proportion to memory, a full vCPU at",
        (f"1,769 MB; `api_handler` is configured with {memory or 'no'} MB"
        f"{'' if memory else ' (Chalice default: 128 MB)'} in `.chalice/config.json`."),
        "",
        *cpu_table(results.timings, memory),
        "",
        f"A least-squares fit over these requests: handler CPU = {num(fixed, 2)} ms + {num(per_query, 2)} ms per",
        "Query on this core: the request's fixed work, then botocore's per-Query cost (building, signing, sending,",
        "parsing), which outweighs the scan's own work several times over.",
        "",
        "## Recall over all pages",
        "",
        (f"Every page walked (`next` until None) at limit 100 and compared with brute force, for the searches of "
         f"{setup.recall_centres} centre(s) (every radius, without and with a category) and, with each keyword, of "
         f"{setup.keyword_recall_centres}."),
        (f"A walk is cut after {PLAIN_WALK_PAGES:,} pages ({KEYWORD_WALK_PAGES:,} with a keyword: a keyword page reads "
         f"{KEYWORD_BUDGET.entries} entries, so a 20 km walk takes thousands); what a cut walk returned must then be "
         "exactly the first listings of the oracle's order. \"Stalled\": a page whose `next` is the position it "
         "started from, so the walk can never end. \"Exact rank order\": every walk's results, page after page, are "
         "the oracle's listings in rank order (for an ended walk: all of them)."),
        "",
        *recall_table(results.walks),
        "",
        "## The hot key: People's Square",
        "",
        f"{setup.hot_searches} first pages of 20 centred uniformly within 1 km of People's Square, radius and category",
        "from the mix (`bench/hot_key.py`). A partition serves at most 3,000 RCU/s. With the per-instance",
        "hot-cell cache: N instances (N = searches/s x h, h the handler time), searches spread round-robin, each",
        ("instance keeping whole cells T seconds with the real `_HotCells` (its clock simulated, "
        f"{setup.simulated_s:g} s of one warm instance)."),
        "",
        *hot_table(results.ceilings),
        "",
        f"The cell counts are read once a minute per instance: the largest counts item (`{counts_name}`) at",
        f"{counts_instances:,.0f} instances is {num(counts_rcu)} RCU/s. The rate-limit write goes to a key per user.",
        "",
        "## DynamoDB dollars per million searches",
        "",
        f"Mean read units per request x {pricing.SOURCE}. Every search also writes its",
        f"rate-limit counter: one write unit, ${pricing.RATE_LIMIT_PER_MILLION:.3f} per million searches, on top",
        "of these (ours-after only: the old design had no search rate limit).",
        "",
        *dollars_table(rows),
        "",
        "## The cost model answers like moto",
        "",
        f"{model.listings:,} listings (every so many of the geohash-4 partition around People's Square, so that its",
        "keyword index partition holds more than 1 MB) were loaded into moto through `store.listings.insert_many`",
        "(which writes the cell counts too); `bench/model_check.py`. moto does not report real consumed capacity:",
        "what is compared is what the Queries return.",
        "",
        *_table(["check", "compared", "differences"], [
            [("the scan through the real `services.search.run` / `read_wave` vs the model: every Query's ids in "
             "order, ScannedCount, LastEvaluatedKey, and each page"),
             f"{model.searches} searches, {model.pages_compared} pages, {model.scan_queries} Queries",
             str(len(model.scan_differences))],
            [("whole partitions over 1 MB (`search_index._query`, a Limit above their size), page after page: the "
             "items in order"),
             ", ".join(model.big_partitions) or "none", f"{len(model.big_partitions) - model.whole_reads_equal}"],
            ["dynamodb-geo's `queryRadius` (searches up to 2 km): each Query's key condition and item count",
             f"{model.geo_queries} Queries", str(model.geo_differences)],
        ]),
        "",
        "Items per 1 MB page of those partitions: moto "
        + "; ".join(str(p) for p in model.pages_moto) + ", the model " + "; ".join(str(p) for p in model.pages_model)
        + ". moto cuts a page at 1,000,000 bytes of the table's whole items, DynamoDB at 1 MB of the index",
        (f"entries read (a keyword entry here is {num(entry.get('ours, after: text4r', math.nan), 0)} bytes on "
         f"average): the items agree, the boundaries are moto's approximation. ({model.items_compared:,} items "
         "compared in all.)"),
        "",
        *(["Differences:", "", *(f"- {d}" for d in model.scan_differences[:10]), ""] if model.scan_differences else []),
        "## Cold start",
        "",
        f"Median wall time over {results.cold['runs']:.0f} fresh interpreters of importing the Lambda handler module",
        f"(`import app`): **{results.cold['app_ms']:.0f} ms**, against **{results.cold['baseline_ms']:.0f} ms** "
        "for the",
        f"floor every Python Lambda pays (a botocore session and a DynamoDB client): **{results.cold['ratio']:.2f}x**.",
        "",
    ]) + "\n"


__all__ = ["PARTITION_LIMIT_RCU", "Dist", "Results", "Setup", "plot", "render", "targets"]
