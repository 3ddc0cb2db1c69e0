"""What a map search returns and what it costs: pins, short pages, per-user limits, the cell counts it sizes reads
by."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain import geo
from chalicelib.domain.clock import now
from chalicelib.services import admission
from chalicelib.services import search as search_service
from chalicelib.store import search_counts, search_index
from tests.conftest import PEOPLES_SQUARE, listing_body

PIN_FIELDS = {"listing_id", "provider_id", "title", "category", "price_cents", "currency", "lat", "lon", "privileged",
              "rating_score", "rating_count", "distance_m"}
WINDOW_S = 60


def search(client, user, **params):
    fields = {"lat": PEOPLES_SQUARE[0], "lon": PEOPLES_SQUARE[1], **params}
    query = "&".join(f"{key}={value}" for key, value in fields.items())
    return client.get(f"/search?{query}", user)


def test_search_items_are_pins_and_the_listing_route_gives_the_rest(client, make_user):
    bob, alice = make_user(), make_user()
    listing = client.post("/listings", bob, listing_body(title="Bike repair", description="Bring the bike")).body
    [pin] = search(client, alice, radius_m=500).body["items"]
    assert set(pin) == PIN_FIELDS
    assert pin["listing_id"] == listing["listing_id"] and pin["title"] == "Bike repair"
    assert pin["provider_id"] == bob.user_id and isinstance(pin["distance_m"], int)
    full = client.get(f"/listings/{pin['listing_id']}", alice).body
    assert full["description"] == "Bring the bike"


def test_a_page_cut_short_by_the_read_budget_still_leads_to_every_listing(client, make_user, monkeypatch):
    bob, alice = make_user(), make_user()
    made = {
        client.post("/listings", bob,
                    listing_body(title=f"Lesson {n}", lat=PEOPLES_SQUARE[0] + n * 0.0005)).body["listing_id"]
        for n in range(30)
    }
    monkeypatch.setattr(search_service, "BUDGET", search_service.Budget(queries=2, entries=40, waves=1))
    seen, cursor, pages = [], None, 0
    while True:
        page = search(client, alice, radius_m=2000, limit=5, **({"cursor": cursor} if cursor else {})).body
        pages += 1
        assert len(page["items"]) <= 5
        seen += [item["listing_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 200, "the walk does not end"
    assert set(seen) == made and len(seen) == len(made)


def test_a_keyword_with_a_line_break_is_refused(client, make_user):
    answer = search(client, make_user(), q="bike%0Arepair")
    assert answer.status == 400


@pytest.fixture
def searches_limited(monkeypatch):
    """At most 3 searches per window, on a clock a second into a fresh window (fixed windows)."""
    monkeypatch.setenv("RATE_LIMITS", f"search=3/{WINDOW_S}")
    started = now()
    into_window = timedelta(seconds=started.timestamp() % WINDOW_S - 1)
    monkeypatch.setattr(admission, "now", lambda: now() - into_window)


def test_a_user_searching_too_often_gets_429_with_retry_after(chalice_client, client, make_user, searches_limited):
    alice, bob = make_user(), make_user()
    assert [search(client, alice).status for _ in range(3)] == [200, 200, 200]
    refused = chalice_client.http.get(f"/search?lat={PEOPLES_SQUARE[0]}&lon={PEOPLES_SQUARE[1]}", headers=alice.headers)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW_S
    assert search(client, bob).status == 200


def test_listing_writes_keep_the_cell_counts_the_search_sizes_reads_by(client, make_user):
    bob = make_user()
    listing = client.post("/listings", bob, listing_body(category="repair")).body
    cell = listing_geohash = geo.encode(listing["lat"], listing["lon"])[:6]
    assert listing_geohash

    def count(category=None):
        tier = search_index.PRIVILEGED if listing["privileged"] else search_index.ORDINARY
        counts = search_counts.cell_counts(tier, category, [cell[: tier.partition_chars]], fresh=True)
        return counts.estimate(geo.key_value(cell) >> 30, 30)

    assert (count(), count("repair")) == (1, 1)
    client.patch(f"/listings/{listing['listing_id']}", bob, {"category": "tech"})
    assert (count(), count("repair"), count("tech")) == (1, 0, 1)
    client.patch(f"/listings/{listing['listing_id']}", bob, {"status": "paused"})
    assert (count(), count("tech")) == (0, 0)
    client.patch(f"/listings/{listing['listing_id']}", bob, {"status": "active"})
    client.delete(f"/listings/{listing['listing_id']}", bob)
    assert (count(), count("tech")) == (0, 0)
