"""What a synthetic Shanghai listing looks like: where it is, its category, its title.

Points: most are drawn around real district centres (shanghai_centres.json: weighted by how busy they are,
spread ~1-3 km), the rest uniformly over the municipality (inside its boundary polygon). Categories have
skewed shares. The local stack's demo data (scripts/demo_data.py) and the benchmark's 200,000 listings
(bench/dataset.py) both come from here.
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from pathlib import Path

from chalicelib.domain import regions
from chalicelib.domain.categories import CATEGORIES

# (name, lat, lon, weight, spread in metres)
DISTRICT_CENTRES: tuple[tuple[str, float, float, int, int], ...] = tuple(
    (centre["name"], centre["lat"], centre["lon"], centre["weight"], centre["spread_m"])
    for centre in json.loads((Path(__file__).with_name("shanghai_centres.json")).read_text())
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
