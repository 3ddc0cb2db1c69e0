"""The map search through the API on moto: exact, filtered, ranked, paginated, over one city of 600 listings.

The searches only read, so the module shares one stack and one city (`shared_app`); each test searches as a
user of its own. Searches after listings change are in test_search_changes.py, on a stack of their own."""
from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.clock import now_iso
from chalicelib.domain.listings import Listing, new_listing
from chalicelib.store import listings as listing_store
from tests.conftest import PEOPLES_SQUARE, Api, User, walk_pages
from tests.integration.conftest import SharedApp

EARTH_RADIUS_M = 6_371_008.8
CENTRES = [PEOPLES_SQUARE, (31.2397, 121.4998), (31.1955, 121.4365)]
RADII = [50, 400, 1000, 2000, 5000, 20000]


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """An independent haversine, so the test does not trust the app's own distance function."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def point_at(lat: float, lon: float, distance_m: float, bearing_deg: float) -> tuple[float, float]:
    d, b, p1, l1 = distance_m / EARTH_RADIUS_M, math.radians(bearing_deg), math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


@pytest.fixture
def client(shared_app: SharedApp) -> Api:
    return shared_app.client


@pytest.fixture
def make_user(shared_app: SharedApp) -> Callable[[], User]:
    """A new signed-in user on the module's stack at each call."""
    return lambda: shared_app.user(f"searcher-{uuid.uuid4().hex}@example.com")


@pytest.fixture(scope="module")
def city(shared_app: SharedApp) -> list[Listing]:
    """600 active listings around three Shanghai centres, a third of them by privileged providers,
    including points just inside and just outside the tested radii."""
    rng = random.Random(20261125)
    now = now_iso()
    providers = [(str(uuid.uuid4()), rng.random() < 0.33) for _ in range(60)]
    listings = []
    for i in range(600):
        centre = rng.choice(CENTRES)
        if i % 5 == 0:
            distance = rng.choice(RADII) + rng.choice([-0.5, 0.5])
        else:
            distance = rng.uniform(0, 8000) if i % 7 else rng.uniform(8000, 25000)
        lat, lon = point_at(*centre, distance, rng.uniform(0, 360))
        provider, privileged = rng.choice(providers)
        category = rng.choice(list(CATEGORIES))
        title = rng.choice(["Bike repair", "Piano lessons", "Window cleaning", "Laptop setup", "Portraits"])
        listings.append(
            new_listing(provider, f"{title} {i}", rng.choice(["", "Weekends OK", "weekdays only"]), category,
                        rng.randrange(100, 10000), "CNY", lat, lon, privileged=privileged, now=now)
        )
    listing_store.insert_many(listings)
    return listings


def walk(client, user, limit: int, **params) -> list[dict]:
    """Every page of a search, following next_cursor."""
    return walk_pages(client, user, f"/search?{urlencode({**params, 'limit': limit})}")


def expected(listings: list[Listing], lat: float, lon: float, radius: float, category=None, q=None) -> set[str]:
    return {
        x.listing_id for x in listings
        if great_circle_m(lat, lon, x.lat, x.lon) <= radius
        and (category is None or x.category == category)
        and (q is None or q.lower() in (x.title + " " + x.description).lower())
    }


@pytest.mark.parametrize("radius", RADII)
def test_search_returns_every_listing_within_the_radius_and_none_outside(client, make_user, city, radius):
    alice = make_user()
    # moto reads slowly (BatchGetItem of 100 items takes ~0.5 s): the widest radii use one centre.
    for lat, lon in CENTRES if radius < 5000 else CENTRES[:1]:
        found = walk(client, alice, 100, lat=lat, lon=lon, radius_m=radius)
        assert {item["listing_id"] for item in found} == expected(city, lat, lon, radius)
        assert all(item["distance_m"] <= radius for item in found)


@pytest.mark.parametrize("category", ["repair", "photography"])
def test_a_category_search_returns_exactly_that_category_in_the_circle(client, make_user, city, category):
    alice = make_user()
    lat, lon = PEOPLES_SQUARE
    found = walk(client, alice, 100, lat=lat, lon=lon, radius_m=5000, category=category)
    assert {item["listing_id"] for item in found} == expected(city, lat, lon, 5000, category=category)
    assert {item["category"] for item in found} <= {category}


def test_a_keyword_matches_title_or_description_ignoring_case(client, make_user, city):
    alice = make_user()
    lat, lon = PEOPLES_SQUARE
    for q in ("PIANO", "weekends"):
        found = walk(client, alice, 100, lat=lat, lon=lon, radius_m=5000, q=q)
        assert {item["listing_id"] for item in found} == expected(city, lat, lon, 5000, q=q)
        assert found


def test_results_rank_privileged_providers_first_then_by_distance_then_id(client, make_user, city):
    alice = make_user()
    lat, lon = PEOPLES_SQUARE
    found = walk(client, alice, 100, lat=lat, lon=lon, radius_m=3000)
    keys = [(not item["privileged"], item["distance_m"], item["listing_id"]) for item in found]
    assert keys == sorted(keys)
    assert any(item["privileged"] for item in found) and not all(item["privileged"] for item in found)
    for item in found:
        assert item["distance_m"] == round(great_circle_m(lat, lon, item["lat"], item["lon"]))


def test_walking_small_pages_gives_the_same_sequence_as_one_big_page(client, make_user, city):
    alice = make_user()
    lat, lon = PEOPLES_SQUARE
    big = walk(client, alice, 100, lat=lat, lon=lon, radius_m=1500)
    small = walk(client, alice, 7, lat=lat, lon=lon, radius_m=1500)
    assert [item["listing_id"] for item in small] == [item["listing_id"] for item in big]
    assert len({item["listing_id"] for item in small}) == len(small)
    assert len(small) > 14


def test_a_cursor_cannot_be_reused_for_another_query(client, make_user, city):
    alice = make_user()
    lat, lon = PEOPLES_SQUARE
    cursor = client.get(f"/search?lat={lat}&lon={lon}&radius_m=2000&limit=2", alice).body["next_cursor"]
    assert cursor
    other = client.get(f"/search?lat={lat}&lon={lon}&radius_m=3000&limit=2&cursor={cursor}", alice)
    assert other.status == 400
    assert other.body["Code"] == "BadRequestError"


def test_the_default_radius_is_2_km(client, make_user, city):
    alice = make_user()
    lat, lon = PEOPLES_SQUARE
    found = walk(client, alice, 100, lat=lat, lon=lon)
    assert {item["listing_id"] for item in found} == expected(city, lat, lon, 2000)
