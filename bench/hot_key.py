"""The hot-key ceiling: how many searches a second around one busy place before a partition key passes 3,000 RCU/s.

DynamoDB serves at most 3,000 read units a second from one partition (a GSI's too), so the busiest partition
key of a crowd of searches caps how many a second the design can take. The crowd: searches centred uniformly
within 1 km of People's Square, radius and category drawn as the benchmark of dc10f47 drew them, first pages.

Without a cache the load on a key is proportional to the searches: ceiling = 3,000 / (the key's RCU per search).

With the per-instance hot-cell cache (store/hot_cells.py, SEARCH_CACHE_S): N Lambda instances each keep
whole cells for T seconds; searches are spread round-robin. By Little's law N = searches/s x handler time h,
so each instance serves 1/h searches a second whatever the total, and its load on a key (r, RCU/s) does not
depend on the total either: the key's load is N x r = searches/s x h x r, and the ceiling 3,000 / (h x r). So
one instance is simulated, serving the crowd at 1/h a second on a simulated clock, with the real `_HotCells`
(its clock is the only thing replaced) in front of the cost model, as `read_wave` puts it in front of
DynamoDB; its load is measured after the first T seconds (a warm instance).
"""
from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from unittest import mock

from bench.after import After
from bench.before import Before
from bench.dataset import RADII_M, Search
from bench.dynamo_model import item_size, read_units
from bench.dynamodb_geo import DynamoGeo
from bench.scan_model import Ledger
from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.nearest import Read, Reader, ReadResult
from chalicelib.store import hot_cells, search_index

PEOPLES_SQUARE = (31.2304, 121.4737)
PARTITION_LIMIT_RCU = 3000
PAGE = 20
COUNTS_CACHE_S = 60  # CELL_COUNTS_CACHE_S: an instance reads the counts items once a minute


def crowd(count: int, seed: int = 1) -> list[Search]:
    """Searches centred uniformly within 1 km of People's Square, radii and categories from the mix."""
    rng = random.Random(seed)
    searches = []
    for _ in range(count):
        distance, bearing = 1000 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat = PEOPLES_SQUARE[0] + distance * math.cos(bearing) / 111_195
        lon = PEOPLES_SQUARE[1] + distance * math.sin(bearing) / (111_195 * math.cos(math.radians(lat)))
        category = rng.choice([None, rng.choices(list(CATEGORIES), [1 / (i + 1) for i in range(10)])[0]])
        searches.append(Search(lat, lon, rng.choice(RADII_M), category))
    return searches


@dataclass(frozen=True)
class Ceiling:
    contender: str
    key: Hashable
    rcu_per_search: float  # on the busiest key (with a cache: its RCU/s divided by the searches/s)
    searches_per_s: float  # before that key passes 3,000 RCU/s
    note: str = ""
    instances: float = 0.0  # Lambda instances at that rate (with a cache)


def _busiest(load: dict[Hashable, float], searches: int) -> tuple[Hashable, float]:
    key, total = max(load.items(), key=lambda item: item[1])
    return key, total / searches


def uncached(name: str, loads: list[dict[Hashable, float]]) -> Ceiling:
    total: dict[Hashable, float] = defaultdict(float)
    for load in loads:
        for key, units in load.items():
            total[key] += units
    key, per_search = _busiest(total, len(loads))
    return Ceiling(name, key, per_search, PARTITION_LIMIT_RCU / per_search)


def before_ceiling(before: Before, searches: list[Search]) -> Ceiling:
    return uncached(before.name, [before.read_circle(s).by_partition for s in searches])


def geo_ceiling(geo: DynamoGeo, searches: list[Search]) -> Ceiling:
    return uncached(geo.name, [geo.run(s).by_partition for s in searches])


def after_ceiling(after: After, searches: list[Search]) -> Ceiling:
    loads = []
    for search in searches:
        ledger = Ledger()
        after.page(search, None, PAGE, ledger=ledger)
        loads.append(dict(ledger.by_partition))
    return uncached(f"{after.name}, no cache", loads)


class _Clock:
    now = 0.0

    @classmethod
    def monotonic(cls) -> float:
        return cls.now


@contextmanager
def _simulated_clock() -> Iterator[type[_Clock]]:
    with mock.patch.object(hot_cells, "time", _Clock):
        yield _Clock


def _cached(read: Reader, cache: hot_cells.HotCells, category: str | None) -> Reader:
    """What read_wave does without a keyword: whole cells from the cache when fresh, the rest read and kept."""
    def wave(reads: list[Read]) -> list[ReadResult]:
        choices = [search_index.index_for(one.tier, category, False) for one in reads]
        places = [search_index.cell_key(choice, one.partition) for choice, one in zip(choices, reads, strict=True)]
        results: list[ReadResult | None] = [cache.answer(p, one) for p, one in zip(places, reads, strict=True)]
        missing = [i for i, result in enumerate(results) if result is None]
        for i, result in zip(missing, read([reads[i] for i in missing]), strict=True):
            results[i] = result
            cache.keep(places[i], reads[i], result)
        return [result for result in results if result is not None]
    return wave


def cached_ceiling(after: After, searches: Callable[[int], list[Search]], ttl_s: float, handler_s: float,
                   simulated_s: float) -> Ceiling:
    """One warm instance serving the crowd at 1/handler_s searches a second for `simulated_s` seconds."""
    count = int(simulated_s / handler_s)
    load: dict[Hashable, float] = defaultdict(float)
    with _simulated_clock() as clock:
        cache = hot_cells.HotCells(ttl_s)
        for i, search in enumerate(searches(count)):
            clock.now = i * handler_s
            ledger = Ledger()
            after.page(search, None, PAGE, wrap=lambda read, s=search: _cached(read, cache, s.category), ledger=ledger)
            if clock.now >= ttl_s:
                for key, units in ledger.by_partition.items():
                    load[key] += units
    measured_s = simulated_s - ttl_s
    key, per_second = max(load.items(), key=lambda item: item[1])
    per_second /= measured_s  # one instance's RCU/s on the key
    ceiling = PARTITION_LIMIT_RCU / (handler_s * per_second)
    return Ceiling(f"{after.name}, hot-cell cache", key, per_second * handler_s, ceiling,
                   f"T = {ttl_s:g} s, h = {handler_s * 1000:g} ms: N = {ceiling * handler_s:,.0f} instances "
                   "at the ceiling", ceiling * handler_s)


def counts_load(count_items: dict[str, dict[str, object]], instances: float) -> tuple[str, float]:
    """The busiest cell-counts item and its RCU/s when `instances` instances each read it once a minute."""
    name, item = max(count_items.items(), key=lambda pair: item_size(pair[1]))  # type: ignore[arg-type]
    units = read_units(item_size(item))  # type: ignore[arg-type]
    return name, instances * units / COUNTS_CACHE_S
