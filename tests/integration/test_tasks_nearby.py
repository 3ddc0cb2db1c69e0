"""Open tasks near a provider through the API on moto (GET /tasks/nearby): exact and nearest first against brute
force, others' open tasks only, filtered by category, paged by cursors bound to their caller, region-gated and
rate-limited.

The requests only read, so the module shares one stack and one city of tasks (`shared_app`)."""
from __future__ import annotations

import random
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from chalicelib.domain.categories import CATEGORIES
from chalicelib.domain.clock import now
from chalicelib.domain.tasks import CANCELLED, Task, new_task, with_status
from chalicelib.services import admission
from chalicelib.services import tasks_nearby as nearby_service
from tests.conftest import NO_RATE_LIMITS, PEOPLES_SQUARE, Api, User, walk_pages
from tests.integration import task_seeds
from tests.integration.conftest import SharedApp
from tests.integration.test_search import great_circle_m, point_at

RADII = [500, 2000, 5000, 20000]
ITEM_FIELDS = {"task_id", "requester_id", "title", "category", "budget_cents", "currency", "lat", "lon",
               "expires_at", "distance_m"}
WINDOW_S = 60


class City:
    """Tasks around People's Square by a few requesters, `me` among them; some expired, some cancelled."""

    def __init__(self, shared_app: SharedApp) -> None:
        self.me = shared_app.user(f"nearby-me-{uuid.uuid4().hex}@example.com")
        self.other = shared_app.user(f"nearby-other-{uuid.uuid4().hex}@example.com")
        rng = random.Random(20261216)
        requesters = [self.me.user_id, self.other.user_id, *(str(uuid.uuid4()) for _ in range(8))]
        at = now()
        self.tasks: list[Task] = []
        for i in range(500):
            distance = rng.choice(RADII) + rng.choice([-0.5, 0.5]) if i % 6 == 0 else rng.uniform(0, 25_000)
            lat, lon = point_at(*PEOPLES_SQUARE, distance, rng.uniform(0, 360))
            expired = rng.random() < 0.08
            posted = at - timedelta(hours=2) if expired else at
            task = new_task(rng.choice(requesters), f"Need {i}", "", rng.choice(list(CATEGORIES)),
                            rng.randrange(100, 10_000), "CNY", lat, lon, 3600, posted)
            self.tasks.append(with_status(task, CANCELLED, at) if rng.random() < 0.05 else task)
        task_seeds.save(self.tasks)

    def expected(self, caller: User, radius: float, category: str | None = None) -> set[str]:
        """Brute force: the others' open, unexpired tasks in the circle."""
        at = now()
        return {
            task.task_id for task in self.tasks
            if task.is_open_at(at) and task.requester_id != caller.user_id
            and great_circle_m(*PEOPLES_SQUARE, task.lat, task.lon) <= radius
            and (category is None or task.category == category)
        }


@pytest.fixture(scope="module")
def city(shared_app: SharedApp) -> City:
    return City(shared_app)


@pytest.fixture
def client(shared_app: SharedApp, monkeypatch: pytest.MonkeyPatch) -> Api:
    """The API, without rate limits (a walk of small pages is many requests) but where a test sets its own."""
    monkeypatch.setenv("RATE_LIMITS", NO_RATE_LIMITS)
    return shared_app.client


def nearby_path(**params: object) -> str:
    return f"/tasks/nearby?{urlencode({'lat': PEOPLES_SQUARE[0], 'lon': PEOPLES_SQUARE[1], **params})}"


@pytest.mark.parametrize("radius", RADII)
def test_pages_hold_exactly_the_others_open_tasks_in_the_circle_nearest_first(client, city, radius):
    found = walk_pages(client, city.me, nearby_path(radius_m=radius, limit=7))
    ids = [item["task_id"] for item in found]
    assert len(ids) == len(set(ids)), "a task on two pages"
    assert set(ids) == city.expected(city.me, radius)
    assert [(item["distance_m"], item["task_id"]) for item in found] == sorted(
        (item["distance_m"], item["task_id"]) for item in found)
    for item in found:
        assert abs(item["distance_m"] - great_circle_m(*PEOPLES_SQUARE, item["lat"], item["lon"])) <= 1


def test_the_caller_never_sees_their_own_tasks_but_others_do(client, city):
    mine = {task.task_id for task in city.tasks if task.requester_id == city.me.user_id and task.is_listed}
    seen_by_me = {item["task_id"] for item in walk_pages(client, city.me, nearby_path(radius_m=5000, limit=100))}
    seen_by_other = {item["task_id"] for item in walk_pages(client, city.other, nearby_path(radius_m=5000, limit=100))}
    assert not seen_by_me & mine
    assert seen_by_other & mine


def test_an_expired_task_still_in_the_index_is_not_shown(client, city, shared_app):
    viewer = shared_app.user(f"nearby-viewer-{uuid.uuid4().hex}@example.com")
    at = now()
    lat, lon = point_at(*PEOPLES_SQUARE, 30, 45)
    stale = new_task(city.other.user_id, "Expired", "", "repair", 500, "CNY", lat, lon, 60, at - timedelta(minutes=5))
    fresh = new_task(city.other.user_id, "Fresh", "", "repair", 500, "CNY", lat, lon, 600, at)
    task_seeds.save([stale, fresh])
    city.tasks += [stale, fresh]  # the other tests' brute force knows them
    shown = {item["task_id"] for item in walk_pages(client, viewer, nearby_path(radius_m=100, limit=20))}
    assert fresh.task_id in shown and stale.task_id not in shown


def test_tasks_at_one_distance_come_in_task_id_order(client, city, shared_app):
    viewer = shared_app.user(f"nearby-viewer-{uuid.uuid4().hex}@example.com")
    lat, lon = point_at(*PEOPLES_SQUARE, 12_345, 200)
    same = [new_task(city.other.user_id, f"Twin {n}", "", "cleaning", 500, "CNY", lat, lon, 3600, now())
            for n in range(5)]
    task_seeds.save(same)
    city.tasks += same
    found = walk_pages(client, viewer, nearby_path(radius_m=20_000, limit=9))
    twins = [item["task_id"] for item in found if item["title"].startswith("Twin")]
    assert twins == sorted(task.task_id for task in same)


@pytest.mark.parametrize("category", ["repair", "education"])
def test_a_category_gives_exactly_that_category(client, city, category):
    found = walk_pages(client, city.me, nearby_path(radius_m=5000, category=category, limit=10))
    assert {item["task_id"] for item in found} == city.expected(city.me, 5000, category)
    assert {item["category"] for item in found} <= {category}


def test_items_are_task_pins_with_their_distance(client, city):
    page = client.get(nearby_path(radius_m=2000, limit=3), city.me)
    assert page.status == 200, page
    assert page.body["items"] and all(set(item) == ITEM_FIELDS for item in page.body["items"])
    by_id = {task.task_id: task for task in city.tasks}
    for item in page.body["items"]:
        task = by_id[item["task_id"]]
        assert (item["title"], item["budget_cents"], item["expires_at"]) == (task.title, task.budget_cents,
                                                                               task.expires_at)


def test_a_page_cut_short_by_the_read_budget_still_leads_to_every_task(client, city, monkeypatch):
    monkeypatch.setattr(nearby_service, "BUDGET", nearby_service.Budget(queries=2, entries=24, waves=1))
    found = walk_pages(client, city.me, nearby_path(radius_m=2000, limit=5))
    assert [item["task_id"] for item in found] and len(found) == len({item["task_id"] for item in found})
    assert {item["task_id"] for item in found} == city.expected(city.me, 2000)


def test_a_cursor_is_refused_to_another_caller_and_another_query(client, city):
    cursor = client.get(nearby_path(radius_m=5000, limit=1), city.me).body["next_cursor"]
    assert cursor
    assert client.get(nearby_path(radius_m=5000, limit=1, cursor=cursor), city.me).status == 200
    for user, path in [(city.other, nearby_path(radius_m=5000, limit=1, cursor=cursor)),
                       (city.me, nearby_path(radius_m=4000, limit=1, cursor=cursor)),
                       (city.me, nearby_path(radius_m=5000, category="repair", limit=1, cursor=cursor))]:
        refused = client.get(path, user)
        assert refused.status == 400, refused
        assert "cursor" in refused.body["Message"]


@pytest.mark.parametrize("point", [(39.9042, 116.4074), (0.0, 0.0), (31.2304, 123.0)],
                         ids=["beijing", "null-island", "at-sea"])
def test_a_centre_outside_every_open_region_is_422(client, city, point):
    answer = client.get(f"/tasks/nearby?lat={point[0]}&lon={point[1]}", city.me)
    assert answer.status == 422, answer
    assert answer.body["Code"] == "RegionNotOpen"


@pytest.fixture
def nearby_limited(monkeypatch):
    """At most 3 nearby reads per window, on a clock a second into a fresh window (fixed windows)."""
    monkeypatch.setenv("RATE_LIMITS", f"nearby=3/{WINDOW_S}")
    into_window = timedelta(seconds=now().timestamp() % WINDOW_S - 1)
    monkeypatch.setattr(admission, "now", lambda: now() - into_window)


def test_a_provider_asking_too_often_gets_429_with_retry_after(client, city, shared_app, nearby_limited):
    bob, carol = (shared_app.user(f"nearby-{name}-{uuid.uuid4().hex}@example.com") for name in ("bob", "carol"))
    assert [client.get(nearby_path(), bob).status for _ in range(3)] == [200, 200, 200]
    refused = client.get(nearby_path(), bob)
    assert refused.status == 429, refused
    assert refused.body["Code"] == "TooManyRequestsError"
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW_S
    assert client.get(nearby_path(), carol).status == 200

