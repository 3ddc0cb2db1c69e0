"""Demo data for the local stack: listings across Shanghai, clustered where people are.

Points: most are drawn around real district centres (weighted by how busy they are, spread ~1-3 km),
the rest uniformly over the municipality (inside its boundary polygon). Categories have skewed shares.
Providers publish their first listing through the real use case (so privileged status is allocated as
in production: the first PRIVILEGED_QUOTA providers), the rest in batches. Each provider is a real account
of the local user pool (made by the runner), so a person can sign in as the provider of any demo listing
(`make token AS=provider-3`) and accept the orders placed on it.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

from chalicelib.domain import listings as listing_rules
from chalicelib.domain import regions
from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.clock import now_iso
from chalicelib.domain.identity import Caller
from chalicelib.services import listings as listing_service
from chalicelib.store import listings as listing_store

# (name, lat, lon, weight, spread in metres)
DISTRICT_CENTRES = (
    ("People's Square", 31.2304, 121.4737, 10, 1500),
    ("Lujiazui", 31.2397, 121.4998, 8, 1500),
    ("Xujiahui", 31.1955, 121.4365, 7, 1500),
    ("Jing'an Temple", 31.2235, 121.4456, 7, 1200),
    ("Wujiaochang", 31.3003, 121.5139, 5, 1800),
    ("Hongqiao", 31.1979, 121.3166, 4, 2500),
    ("Zhongshan Park", 31.2226, 121.4177, 4, 1500),
    ("Century Park", 31.2158, 121.5510, 3, 2000),
    ("Zhangjiang", 31.2036, 121.5907, 3, 2500),
    ("Xinzhuang", 31.1113, 121.3853, 3, 2500),
    ("Songjiang", 31.0327, 121.2274, 2, 3000),
    ("Jiading", 31.3830, 121.2500, 2, 3000),
)
UNIFORM_SHARE = 0.15
# Roughly Zipf: the first category is the most common.
CATEGORY_WEIGHTS = {category: 1 / (rank + 1) for rank, category in enumerate(CATEGORIES)}
TITLES = {
    "repair": ["Bike repair", "Phone screen fix", "Plumbing help", "Furniture assembly", "Shoe repair"],
    "education": ["Maths tutoring", "English conversation", "Piano lessons", "Mandarin for expats", "Coding for kids"],
    "delivery": ["Same-day parcel run", "Grocery pickup", "Document courier", "Lunch delivery"],
    "cleaning": ["Apartment deep clean", "Window cleaning", "Laundry and ironing", "Move-out cleaning"],
    "errands": ["Queue for you", "Pharmacy pickup", "Pet walking", "Gift shopping"],
    "tech": ["Laptop setup", "Wi-Fi troubleshooting", "Smart home install", "Data recovery"],
    "beauty": ["Haircut at home", "Manicure", "Makeup for events"],
    "fitness": ["Personal training", "Yoga in the park", "Running partner"],
    "photography": ["Portrait session", "Event photos", "Product shots"],
    "other": ["Translation help", "Moving hands", "Party setup"],
}


@dataclass(frozen=True)
class DemoPoint:
    lat: float
    lon: float
    category: str
    district: str


@dataclass(frozen=True)
class DemoProvider:
    key: str  # what `make token AS=` takes
    email: str
    name: str
    user_id: str = ""  # their `sub`, once the user pool has them


def demo_providers(count: int) -> list[DemoProvider]:
    return [
        DemoProvider(key=f"provider-{n}", email=f"provider-{n}@everywhere.local", name=f"Demo provider {n}")
        for n in range(1, count + 1)
    ]


@dataclass(frozen=True)
class Seeded:
    listings: int
    providers: int
    privileged: int


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / 111_195.0, lon + east_m / (111_195.0 * math.cos(math.radians(lat)))


def synthetic_points(count: int, seed: int = 7, uniform_share: float = UNIFORM_SHARE) -> list[DemoPoint]:
    """Deterministic points inside Shanghai: clustered around district centres plus a uniform background."""
    rng = random.Random(seed)
    shanghai = next(r for r in regions.load_regions(frozenset({"shanghai"})) if r.id == "shanghai")
    min_lon, min_lat, max_lon, max_lat = shanghai.bbox
    weights = [c[3] for c in DISTRICT_CENTRES]
    categories, category_weights = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())
    points: list[DemoPoint] = []
    while len(points) < count:
        if rng.random() < uniform_share:
            lat, lon, district = rng.uniform(min_lat, max_lat), rng.uniform(min_lon, max_lon), "Shanghai"
        else:
            name, c_lat, c_lon, _, spread = rng.choices(DISTRICT_CENTRES, weights)[0]
            lat, lon = _offset(c_lat, c_lon, rng.gauss(0, spread), rng.gauss(0, spread))
            district = name
        if shanghai.contains(lat, lon):
            points.append(DemoPoint(lat, lon, rng.choices(categories, category_weights)[0], district))
    return points


def seed(listings: int, providers: list[DemoProvider], rng_seed: int = 7) -> Seeded:
    """Publish `listings` demo listings, dealt round-robin to `providers`, into the configured tables."""
    rng = random.Random(rng_seed)
    points = synthetic_points(listings, seed=rng_seed)
    providers = providers[: len(points)]
    privileged_of: dict[str, bool] = {}
    rest: list[listing_rules.Listing] = []
    now = now_iso()
    for index, point in enumerate(points):
        provider = providers[index % len(providers)]
        title = f"{rng.choice(TITLES[point.category])} · {point.district}"
        description = (
            f"Demo listing near {point.district}. Ask in chat for times and details. Its provider is a demo "
            f"account: to answer an order as them locally, sign in with `make token AS={provider.key}`."
        )
        price = rng.randrange(20, 600) * 100
        if provider.user_id not in privileged_of:
            caller = Caller(user_id=provider.user_id, name=provider.name)
            first = listing_service.publish(caller, title, description, point.category, price, None, point.lat, point.lon)
            privileged_of[provider.user_id] = first.privileged
            continue
        listing = listing_rules.new_listing(
            provider.user_id, title, description, point.category, price, "CNY", point.lat, point.lon,
            privileged=privileged_of[provider.user_id], now=now,
        )
        rest.append(listing)
    listing_store.insert_many(rest)
    return Seeded(listings=len(points), providers=len(providers), privileged=sum(privileged_of.values()))
