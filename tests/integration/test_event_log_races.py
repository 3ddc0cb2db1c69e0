"""Writers racing for one user's log (two stream shards, two tables' functions) still give ids 1, 2, 3... with no
gap and no double, on the serialised moto server (moto in-process is not thread-safe)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chalicelib.domain.events import MESSAGE_CREATED, Notice
from chalicelib.store import events as event_store

WRITERS = 8
NOTICES = 24


def notice(number: int) -> Notice:
    return Notice("racer", MESSAGE_CREATED, "2026-12-03T00:00:00.000Z", {"n": number}, source=f"record-{number}")


def test_concurrent_events_for_one_user_take_consecutive_ids_once_each(served_stack):
    with ThreadPoolExecutor(WRITERS) as pool:
        stored = list(pool.map(lambda n: event_store.append(notice(n), 3600), range(NOTICES)))
    assert all(is_new for _, is_new in stored)
    assert sorted(event.event_id for event, _ in stored) == list(range(1, NOTICES + 1))
    log = event_store.after("racer", 0, 100)
    assert [event.event_id for event in log] == list(range(1, NOTICES + 1))
    assert sorted(event.data["n"] for event in log) == list(range(NOTICES))


def test_the_same_change_handed_over_by_racing_writers_is_stored_once(served_stack):
    with ThreadPoolExecutor(WRITERS) as pool:
        stored = list(pool.map(lambda _: event_store.append(notice(7), 3600), range(WRITERS)))
    assert [is_new for _, is_new in stored].count(True) == 1
    assert {event.event_id for event, _ in stored} == {1}  # every writer hands back the one event
    assert [event.data["n"] for event in event_store.after("racer", 0, 100)] == [7]
