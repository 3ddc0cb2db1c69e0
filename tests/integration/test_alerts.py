"""Alert areas on moto: set, read and clear over HTTP; a moved area leaves nothing behind; a new task finds
exactly the providers a brute force finds, nearest first, at most the fan-out, each at most so often an hour.

The module shares one stack: the brute force's city covers most of Shanghai, the HTTP tests look for their own
provider among the recipients, and the store-level tests put their areas south of the city (OUTSIDE_THE_CITY)."""
from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain import alerts
from chalicelib.domain.alerts import AlertArea
from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.events import TASK_NEARBY
from chalicelib.domain.tasks import Task, new_task
from chalicelib.services import alerts as alert_service
from chalicelib.store import alerts as alert_store
from chalicelib.store.models import AlertCellModel
from tests.conftest import PEOPLES_SQUARE, Api, User
from tests.integration.conftest import SharedApp
from tests.integration.test_search import great_circle_m, point_at

BEIJING = (39.9042, 116.4074)
AREA = {"lat": PEOPLES_SQUARE[0], "lon": PEOPLES_SQUARE[1], "radius_m": 3000, "categories": ["repair", "tech"]}
NOW = "2026-03-01T08:00:00.000Z"
OUTSIDE_THE_CITY = (30.75, 121.0)  # more than 20 km beyond every area of `city`


def task_at(lat: float, lon: float, category: str = "repair", requester_id: str = "requester") -> Task:
    return new_task(requester_id, "Fix my tap", "", category, 5000, "CNY", lat, lon, 3600, datetime.now(UTC))


def stored_area(lat: float, lon: float, radius_m: int, categories: tuple[str, ...] = ("repair",)) -> AlertArea:
    return alert_store.put(alerts.new_area(str(uuid.uuid4()), lat, lon, radius_m, list(categories), NOW))


@pytest.fixture
def client(shared_app: SharedApp) -> Api:
    return shared_app.client


@pytest.fixture
def provider(shared_app: SharedApp) -> User:
    return shared_app.user(f"provider-{uuid.uuid4().hex}@example.com")


# ---- over HTTP ----
def test_a_provider_sets_reads_and_clears_their_alert_area(client, provider):
    put = client.call("PUT", "/me/alerts", provider, AREA)
    assert put.status == 200
    assert {key: put.body[key] for key in AREA} == AREA
    assert client.get("/me/alerts", provider).body == put.body
    assert client.delete("/me/alerts", provider).status == 204
    assert client.get("/me/alerts", provider).status == 404


def test_clearing_an_area_never_set_is_done_too(client, provider):
    assert client.delete("/me/alerts", provider).status == 204


def test_a_category_asked_for_twice_is_kept_once(client, provider):
    answer = client.call("PUT", "/me/alerts", provider, {**AREA, "categories": ["tech", "repair", "tech"]})
    assert answer.body["categories"] == ["tech", "repair"]


@pytest.mark.parametrize(("change", "field"), [
    ({"categories": ["plumbing"]}, "categories"),
    ({"categories": []}, "categories"),
    ({"radius_m": 0}, "radius_m"),
    ({"radius_m": 20_001}, "radius_m"),
])
def test_a_bad_area_is_refused_naming_the_field_and_changes_nothing(client, provider, change, field):
    client.call("PUT", "/me/alerts", provider, AREA)
    answer = client.call("PUT", "/me/alerts", provider, {**AREA, **change})
    assert answer.status == 400
    assert answer.body["Code"] == "BadRequestError"
    assert field in answer.body["Message"]
    assert client.get("/me/alerts", provider).body["radius_m"] == AREA["radius_m"]


def test_an_area_outside_every_open_region_is_refused(client, provider):
    answer = client.call("PUT", "/me/alerts", provider, {**AREA, "lat": BEIJING[0], "lon": BEIJING[1]})
    assert answer.status == 422
    assert answer.body["Code"] == "RegionNotOpen"


def test_a_provider_with_an_area_is_found_by_a_task_inside_it(client, provider):
    client.call("PUT", "/me/alerts", provider, AREA)
    inside = task_at(*point_at(*PEOPLES_SQUARE, 2900, 30), category="tech")
    assert (provider.user_id, 2900) in alert_service.recipients(inside)


# ---- the index ----
def test_a_moved_area_leaves_no_entry_where_it_was(client, provider):
    old_cells = alerts.cover(alerts.new_area(provider.user_id, *PEOPLES_SQUARE, 3000, ["repair"], NOW))
    client.call("PUT", "/me/alerts", provider, AREA)
    hongqiao = (31.1979, 121.3364)
    client.call("PUT", "/me/alerts", provider, {**AREA, "lat": hongqiao[0], "lon": hongqiao[1]})
    left = [entry.sk for cell in old_cells for entry in AlertCellModel.query(f"cell#{cell}")]
    assert provider.user_id not in left
    assert provider.user_id not in dict(alert_service.recipients(task_at(*PEOPLES_SQUARE)))
    assert dict(alert_service.recipients(task_at(*hongqiao)))[provider.user_id] == 0


def test_a_cleared_area_leaves_no_entry(client, provider):
    client.call("PUT", "/me/alerts", provider, AREA)
    cells = alert_store._read(provider.user_id).cells  # type: ignore[union-attr]
    client.delete("/me/alerts", provider)
    assert [entry for cell in cells for entry in AlertCellModel.query(f"cell#{cell}")
            if entry.sk == provider.user_id] == []


@pytest.fixture(scope="module")
def city(shared_app: SharedApp) -> list[AlertArea]:
    """30 alert areas over a 60 x 60 km square of Shanghai, 100 m..20 km, each with a random set of categories."""
    rng = random.Random(20260301)
    areas = []
    for _ in range(30):
        lat = 31.05 + rng.random() * 0.5
        lon = 121.2 + rng.random() * 0.6
        radius_m = round(10 ** rng.uniform(2, math.log10(20_000)))
        categories = tuple(rng.sample(list(CATEGORIES), rng.randint(1, 4)))
        areas.append(alerts.new_area(str(uuid.uuid4()), lat, lon, radius_m, list(categories), NOW))
    alert_store.insert_many(areas)
    return areas


@st.composite
def task_points(draw: st.DrawFn, areas: list[AlertArea]) -> tuple[float, float]:
    """Anywhere over the city, or just inside or just outside one of its circles."""
    if draw(st.booleans()):
        return draw(st.floats(31.0, 31.6)), draw(st.floats(121.1, 121.9))
    area = draw(st.sampled_from(areas))
    distance = area.radius_m * draw(st.sampled_from((0.0, 0.5, 0.999, 1.001, 1.5)))
    return point_at(area.lat, area.lon, distance, draw(st.floats(0, 360)))


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), category=st.sampled_from(list(CATEGORIES)))
def test_a_task_finds_exactly_the_providers_a_brute_force_finds(city, data, category):
    lat, lon = data.draw(task_points(city))
    task = task_at(lat, lon, category)
    expected = {
        area.user_id for area in city
        if category in area.categories and great_circle_m(area.lat, area.lon, task.lat, task.lon) <= area.radius_m
    }
    found = alert_service.recipients(task)
    in_city = {area.user_id for area in city}  # (other tests of the module may have set areas of their own)
    assert {provider_id for provider_id, _ in found} & in_city == expected
    assert [distance for _, distance in found] == sorted(distance for _, distance in found)


def test_the_requester_is_not_told_of_their_own_task():
    mine = stored_area(*OUTSIDE_THE_CITY, 500)
    assert alert_service.recipients(task_at(*OUTSIDE_THE_CITY, requester_id=mine.user_id)) == []


def test_beyond_the_fan_out_the_nearest_providers_are_told(monkeypatch):
    spot = point_at(*OUTSIDE_THE_CITY, 5000, 0)
    nearest = [stored_area(*point_at(*spot, distance, 90), 1000).user_id for distance in (10, 20, 30, 40)]
    monkeypatch.setenv("TASK_ALERT_FANOUT", "2")
    told = alert_service.recipients(task_at(*spot))
    assert [provider_id for provider_id, _ in told] == nearest[:2]
    assert [distance for _, distance in told] == [10, 20]


def test_a_provider_hears_of_at_most_task_alerts_per_hour_new_tasks(monkeypatch):
    spot = point_at(*OUTSIDE_THE_CITY, 5000, 180)
    area = stored_area(*spot, 800)
    monkeypatch.setenv("TASK_ALERTS_PER_HOUR", "2")
    told = [alert_service.nearby_notices(task_at(*spot), f"task-{i}") for i in range(3)]
    assert [[(notice.recipient_id, notice.kind) for notice in notices] for notices in told] == [
        [(area.user_id, TASK_NEARBY)], [(area.user_id, TASK_NEARBY)], [],
    ]


def test_with_alert_cells_cached_an_instance_reads_a_cell_once_per_period(monkeypatch):
    """ALERT_CELLS_CACHE_S: a new area is heard of once the period is over (here: once the cache is dropped)."""
    spot = point_at(*OUTSIDE_THE_CITY, 9000, 45)
    monkeypatch.setenv("ALERT_CELLS_CACHE_S", "600")
    first = stored_area(*spot, 700)
    assert [provider for provider, _ in alert_service.recipients(task_at(*spot))] == [first.user_id]
    later = stored_area(*spot, 600)
    assert [provider for provider, _ in alert_service.recipients(task_at(*spot))] == [first.user_id]
    alert_store.forget_cached()
    assert {provider for provider, _ in alert_service.recipients(task_at(*spot))} == {first.user_id, later.user_id}
    monkeypatch.setenv("ALERT_CELLS_CACHE_S", "0")
    alert_store.forget_cached()
