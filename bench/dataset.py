"""A deterministic synthetic Shanghai for the benchmark: listings and the searches run over them.

Points come from the same generator as make run's demo data (scripts/synthetic_listings.py): clustered around
real district centres (People's Square, Lujiazui, Xujiahui, Jing'an, Wujiaochang, Hongqiao, ...) plus a
uniform background over the municipality's boundary; categories have Zipf-like shares. About 5% of
providers are privileged. Titles and descriptions have realistic lengths, since item size is read cost.
Keyword searches use a word of most descriptions and the rarest word of the titles (`keyword_share`
measures both).
"""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from ulid import ULID

from chalicelib.domain import geo
from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.listings import ACTIVE, Listing
from chalicelib.domain.text import keyword_text
from scripts.synthetic_listings import TITLES, synthetic_points

PRIVILEGED_SHARE = 0.05
LISTINGS_PER_PROVIDER = 4
RADII_M = (500, 1000, 2000, 5000, 10000, 20000)
COMMON_KEYWORD = "bilingual"  # in ~89% of the descriptions
RARE_KEYWORD = "translation"  # the rarest word of the titles (~1.1%: no single title word is rarer)
KEYWORDS = (COMMON_KEYWORD, RARE_KEYWORD)
CREATED_AT = "2026-11-25T00:00:00.000Z"


@dataclass(frozen=True)
class Search:
    lat: float
    lon: float
    radius_m: int
    category: str | None
    q: str | None = None  # a keyword


def listings(count: int, seed: int = 2026) -> list[Listing]:
    rng = random.Random(seed)
    providers = [
        (str(uuid.UUID(int=rng.getrandbits(128), version=4)), rng.random() < PRIVILEGED_SHARE)
        for _ in range(max(1, count // LISTINGS_PER_PROVIDER))
    ]
    made = []
    for point in synthetic_points(count, seed=seed):
        provider_id, privileged = rng.choice(providers)
        description = " ".join(rng.choice(["Friendly", "fast", "careful", "weekends", "evenings", "near metro",
                                           "own tools", "certified", "bilingual", "ask in chat"])
                               for _ in range(rng.randrange(5, 60)))
        made.append(
            Listing(
                listing_id=str(ULID.from_bytes(rng.randbytes(16))),
                provider_id=provider_id,
                title=f"{rng.choice(TITLES[point.category])} · {point.district}",
                description=description,
                category=point.category,
                price_cents=rng.randrange(20, 600) * 100,
                currency="CNY",
                lat=point.lat,
                lon=point.lon,
                geohash=geo.encode(point.lat, point.lon),
                status=ACTIVE,
                privileged=privileged,
                created_at=CREATED_AT,
                updated_at=CREATED_AT,
                version=1,
            )
        )
    return made


def searches(centres: int, seed: int = 99) -> list[Search]:
    """`centres` centres drawn from the listings' own mix, each at every radius, without and with a category."""
    rng = random.Random(seed)
    categories, weights = list(CATEGORIES), [1 / (rank + 1) for rank in range(len(CATEGORIES))]
    made = []
    for point in synthetic_points(centres, seed=seed):
        category = rng.choices(categories, weights)[0]
        for radius in RADII_M:
            made.append(Search(point.lat, point.lon, radius, None))
            made.append(Search(point.lat, point.lon, radius, category))
    return made


def keyword_share(listings: list[Listing], keyword: str) -> float:
    """The share of listings a keyword matches (as the search matches it: a substring of title or description)."""
    needle = keyword.casefold()
    return sum(needle in keyword_text(x.title, x.description) for x in listings) / max(1, len(listings))
